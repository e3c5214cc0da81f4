#!/bin/sh
# Rust names come out demangled, without hashes, under both symbol
# mangling schemes: a function in a module and a generic's instance each
# have their share of the time, no function name is left mangled and none
# ends in the legacy scheme's ::h<16 hex digits>.  The mangled name is kept
# as the system name.  The standard library's own symbols are mangled as
# the toolchain was built, whatever the program asks for.
. "$(dirname "$0")/test-subr.sh"
require_perf_events
require_rustc
grep -q '^#define HAVE_RUST_DEMANGLE 1' "$top_builddir/config.h" ||
    skip "this build has no Rust demangler (libiberty before binutils 2.34)"

hz=499 secs=3
echo "$(rustc --version)"

# build SCHEME RUSTC-FLAGS...: names.rs into $tmp/names-SCHEME.
build() {
	_b=$1
	shift
	rustc --edition 2021 --crate-name names -C opt-level=2 -g "$@" \
	    -o "$tmp/names-$_b" "$srcdir/names.rs" 2>"$tmp/rustc.err"
}

# check SCHEME SYSTEM-NAME-REGEX GENERIC: profile $tmp/names-SCHEME.
check() {
	scheme=$1 sysre=$2 generic=$3
	start_program "$tmp/names-$scheme" $((secs + 5))
	mkdir "$tmp/$scheme"
	run_profdropd_log "$tmp/$scheme.log" --pid $prog_pid --frequency $hz \
	    --duration $secs --output-dir "$tmp/$scheme"
	stop_program
	p=$tmp/$scheme/$(profiles "$tmp/$scheme")
	raw_traces "$p" >"$tmp/$scheme.traces"
	raw_functions "$p" >"$tmp/$scheme.functions"
	echo "$scheme: $(trace_count "$tmp/$scheme.traces") samples," \
	    "$(wc -l <"$tmp/$scheme.functions") functions"
	assert_ge "$(trace_share "$tmp/$scheme.traces" traces_with_frame \
	    names::module::function)" 30 "$scheme: % of samples in names::module::function"
	assert_ge "$(trace_share "$tmp/$scheme.traces" traces_with_frame \
	    "$generic")" 30 "$scheme: % of samples in $generic"
	sys=$(awk -F '\t' '$1 == "names::module::function" { print $2 }' \
	    "$tmp/$scheme.functions")
	echo "$scheme: system name of names::module::function: $sys"
	echo "$sys" | grep -Eqx "$sysre" ||
	    fail "$scheme: system name '$sys' does not match $sysre"
	cut -f1 "$tmp/$scheme.functions" >"$tmp/$scheme.names"
	bad=$(grep -E '::h[0-9a-f]{16}|^(_ZN|_R)' "$tmp/$scheme.names" || true)
	echo "$scheme: names mangled or with a hash: $(echo "$bad" | grep -c . || true)"
	[ -z "$bad" ] || fail "$scheme: $(echo "$bad" | head -3)"
	echo "$scheme: functions with v0 system names, demangled:" \
	    "$(awk -F '\t' '$2 ~ /^_R/' "$tmp/$scheme.functions" | wc -l)"
}

# The default is the legacy scheme for the program's own symbols.
build legacy || { cat "$tmp/rustc.err" >&2; fail "rustc failed"; }
check legacy '_ZN5names6module8function17h[0-9a-f]{16}E' names::generic
if build v0 -C symbol-mangling-version=v0; then
	check v0 '_RNvNtCs[0-9A-Za-z_]+_5names6module8function' 'names::generic::<u32>'
else
	echo "NOTE: $(rustc --version) refuses -C symbol-mangling-version=v0:" \
	    "$(head -1 "$tmp/rustc.err"); v0 names not tested"
fi
