#!/bin/sh
# Binaries stripped of their symbols and debug info are named, with lines,
# from separate debug files: one found by its build ID under
# /usr/lib/debug/.build-id, one through its .gnu_debuglink; and one, by
# name only, from the xz-compressed symbols of its .gnu_debugdata
# (MiniDebugInfo).
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
unset DEBUGINFOD_URLS

hz=499 secs=3
src=$srcdir/hot631.c
hot_a_line=$(hot_a_line)

build() { build_stripped "$src" "$tmp/$1"; }

# By build ID: the debug file is installed where debuggers look, under an
# ID no other file has.
build hot-bid
install_debug_file "$tmp/hot-bid"

# By debug link: next to the binary, under another name than its own
# (NAME.debug is found without a link).
build hot-link
mv "$tmp/hot-link.debug" "$tmp/hot-link-symbols.debug"
objcopy --add-gnu-debuglink="$tmp/hot-link-symbols.debug" "$tmp/hot-link"

# MiniDebugInfo: the function symbols .dynsym lacks, xz-compressed into a
# .gnu_debugdata section of the stripped binary itself.
command -v xz >/dev/null || fail "xz is missing: install xz-utils (contrib/install-deps.sh)"
build hot-mini
nm -D --format=posix --defined-only "$tmp/hot-mini" | awk '{ print $1 }' |
    sort >"$tmp/dynsyms"
nm --format=posix --defined-only "$tmp/hot-mini.debug" |
    awk '$2 ~ /^[Tt]$/ { print $1 }' | sort >"$tmp/funcsyms"
comm -13 "$tmp/dynsyms" "$tmp/funcsyms" >"$tmp/keep"
objcopy -S --remove-section .gdb_index --remove-section .comment \
    --keep-symbols="$tmp/keep" "$tmp/hot-mini.debug" "$tmp/mini"
xz "$tmp/mini"
objcopy --add-section .gnu_debugdata="$tmp/mini.xz" "$tmp/hot-mini"
rm "$tmp/hot-mini.debug"

# Without a debug file: unnamed, which shows the names come from the files.
build hot-none
rm "$tmp/hot-none.debug"

pids=
for prog in hot-bid hot-link hot-mini hot-none; do
	start_program "$tmp/$prog" $((secs + 5))
	pids=$pids${pids:+,}$prog_pid
done
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $pids --frequency $hz \
    --duration $secs --output-dir "$tmp/out"
p=$tmp/out/$(profiles "$tmp/out")

raw_traces "$p" -tagfocus='comm=^hot-none$' >"$tmp/hot-none.traces"
echo "hot-none: $(trace_count "$tmp/hot-none.traces") samples"
assert_ge "$(trace_share "$tmp/hot-none.traces" traces_leaf '\[unknown\] hot-none.*')" 80 \
    "hot-none: % of samples with an unnamed leaf in hot-none"

for prog in hot-bid hot-link; do
	raw_traces "$p" -tagfocus="comm=^$prog\$" >"$tmp/$prog.traces"
	raw_line_traces "$p" -tagfocus="comm=^$prog\$" >"$tmp/$prog.lines"
	echo "$prog: $(trace_count "$tmp/$prog.traces") samples"
	hot631_named "$tmp/$prog.traces" $prog
	assert_near "$(trace_share "$tmp/$prog.traces" traces_with 'main')" 100 3 \
	    "$prog: % of samples through main"
	traces_leaf "$tmp/$prog.lines" 'hot_a .*' >"$tmp/$prog.hot_a"
	assert_ge "$(trace_share "$tmp/$prog.hot_a" traces_leaf \
	    "hot_a ([^ ]*/)?hot631\.c:$hot_a_line")" 99 \
	    "$prog: % of hot_a's samples at hot631.c:$hot_a_line"
	assert_near "$(trace_share "$tmp/$prog.traces" traces_with "\[unknown\] $prog.*")" 0 1 \
	    "$prog: % of samples with unnamed frames in $prog"
done

raw_traces "$p" -tagfocus='comm=^hot-mini$' >"$tmp/hot-mini.traces"
echo "hot-mini: $(trace_count "$tmp/hot-mini.traces") samples"
hot631_named "$tmp/hot-mini.traces" hot-mini
