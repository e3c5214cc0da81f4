#!/bin/sh
# DWARF unwinding from .debug_frame, for code built without .eh_frame
# (-fno-asynchronous-unwind-tables -g): from the binary itself, and, once
# it is stripped, from its debug file found by build ID. With the fallback
# turned off (PROFDROP_TEST_NO_DEBUG_FRAME=1) the same binary's stacks stop at
# its hot functions, which shows .debug_frame is what unwinds them.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
unset PROFDROP_TEST_NO_DEBUG_FRAME

hz=499 secs=4
src=$srcdir/hot631.c
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || fail "no C compiler: set CC"

# build NAME: hot631 as $tmp/NAME, its CFI only in .debug_frame, with a
# build ID of its own.
build() {
	$cc -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables \
	    -fno-unwind-tables -Wl,--build-id=0x$(random_hex 20) \
	    -o "$tmp/$1" "$src" || fail "cannot build $1"
}

# fde_covers ELF SECTION ADDR: whether an FDE in SECTION (.eh_frame or
# .debug_frame) covers ADDR (hex, no 0x).
fde_covers() {
	readelf --debug-dump=frames "$1" 2>/dev/null | awk -v sec="$2" -v a="$3" '
		function num(h,   i, n) {
			n = 0
			for (i = 1; i <= length(h); i++)
				n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
			return n
		}
		/^Contents of the / { on = ($4 == sec); next }
		on && / FDE / && match($0, /pc=[0-9a-f]+\.\.[0-9a-f]+/) {
			split(substr($0, RSTART + 3, RLENGTH - 3), r, /\.\./)
			if (num(r[1]) <= num(a) && num(a) < num(r[2]))
				f = 1
		}
		END { exit !f }'
}

# sym_addr ELF NAME: the address of symbol NAME, hex without leading zeros.
sym_addr() {
	nm "$1" | awk -v f="$2" '$3 == f { sub(/^0+/, "", $1); print $1 }'
}

# The compiler left the program's own code out of .eh_frame: only the C
# runtime's entries are there. .debug_frame has them.
build hot-df
for fn in hot_a hot_b hot_c caller_a run_loop main; do
	addr=$(sym_addr "$tmp/hot-df" $fn)
	[ -n "$addr" ] || fail "no symbol $fn in hot-df"
	! fde_covers "$tmp/hot-df" .eh_frame "$addr" ||
	    fail "$fn has an .eh_frame FDE: the compiler ignored the flags"
	fde_covers "$tmp/hot-df" .debug_frame "$addr" ||
	    fail "$fn has no .debug_frame FDE"
done
fde_covers "$tmp/hot-df" .eh_frame "$(sym_addr "$tmp/hot-df" _start)" ||
    fail "_start has no .eh_frame FDE"

# Stripped, with the debug file installed by build ID under an ID no other
# file has.
build hot-dfs
objcopy --only-keep-debug "$tmp/hot-dfs" "$tmp/hot-dfs.debug"
objcopy --strip-all "$tmp/hot-dfs"
readelf -S "$tmp/hot-dfs" | grep -q '\.debug_frame' &&
    fail "hot-dfs still has .debug_frame"
install_debug_file "$tmp/hot-dfs"

# profile NAME PROG: profile PROG; leaves its stacks in $tmp/NAME.all and
# those in hot_[abc] in $tmp/NAME.hot, and prints the figures.
profile() {
	name=$1 prog=$2
	start_program "$tmp/$prog" $((secs + 5))
	mkdir "$tmp/$name"
	start_sampling "$tmp/$name.log" --pid $prog_pid --frequency $hz \
	    --duration $secs --output-dir "$tmp/$name"
	finish_profdropd "$tmp/$name.log"
	stop_program
	trace_lines "$tmp/$name/$(profiles "$tmp/$name")" >"$tmp/$name.all"
	traces_with "$tmp/$name.all" 'hot_[abc]' >"$tmp/$name.hot"
	unwind_summary "$tmp/$name.log"
	echo "$name: $(trace_count "$tmp/$name.all") samples," \
	    "$(trace_count "$tmp/$name.hot") in hot_[abc]"
	assert_ge "$(trace_share "$tmp/$name.all" traces_with 'hot_[abc]')" 90 \
	    "$name: % of samples in hot_[abc]"
	complete=$(pct "$(window_counter "$tmp/$name.log" complete)" \
	    "$(window_counter "$tmp/$name.log" unwound)")
}

profile unstripped hot-df
assert_ge "$(trace_share "$tmp/unstripped.hot" traces_with main _start)" 97 \
    "unstripped: % of those whose stack reaches main and _start"
assert_ge "$complete" 97 "unstripped: % of stacks the daemon counts complete"

# Names come from the debug file as well.
profile debugfile hot-dfs
assert_ge "$(trace_share "$tmp/debugfile.hot" traces_with main _start)" 97 \
    "debugfile: % of those whose stack reaches main and _start"
assert_ge "$complete" 97 "debugfile: % of stacks the daemon counts complete"

# A build-ID debug file and a debug link file that differ: the link file's
# hot functions are renamed and it has no .debug_frame. Unwinding and
# naming both take the build-ID file, looked for first: stacks complete,
# names the real ones, and the daemon and its symbolizer log the same file.
build hot-two
objcopy --only-keep-debug "$tmp/hot-two" "$tmp/hot-two.debug"
objcopy --remove-section .debug_frame --redefine-sym hot_a=hot_a_link \
    --redefine-sym hot_b=hot_b_link --redefine-sym hot_c=hot_c_link \
    "$tmp/hot-two.debug" "$tmp/hot-two.link.debug"
(cd "$tmp" && objcopy --strip-all --add-gnu-debuglink=hot-two.link.debug \
    hot-two) || fail "cannot strip hot-two"
readelf --string-dump=.gnu_debuglink "$tmp/hot-two" | grep -q hot-two.link.debug ||
    fail "hot-two has no debug link"
install_debug_file "$tmp/hot-two"
start_program "$tmp/hot-two" $((secs + 5))
mkdir "$tmp/two"
start_sampling "$tmp/two.log" --pid $prog_pid --frequency $hz \
    --duration $secs --verbose --output-dir "$tmp/two"
finish_profdropd "$tmp/two.log"
stop_program
trace_lines "$tmp/two/$(profiles "$tmp/two")" >"$tmp/two.all"
grep ': debug file ' "$tmp/two.log" | grep hot-two | sort | uniq -c
assert_ge "$(trace_share "$tmp/two.all" traces_with 'hot_[abc]')" 90 \
    "two debug files: % of samples in hot_[abc], named from the build-ID file"
traces_with "$tmp/two.all" 'hot_[abc]_link' >"$tmp/two.link"
assert_le "$(trace_count "$tmp/two.link")" 0 \
    "two debug files: samples named from the debug link file"
assert_ge "$(pct "$(window_counter "$tmp/two.log" complete)" \
    "$(window_counter "$tmp/two.log" unwound)")" 97 \
    "two debug files: % of stacks complete, unwound from the build-ID file"
used=$(sed -n 's/^profdropd: \(.*hot-two\): debug file //p' "$tmp/two.log" | sort -u)
echo "debug file unwinding and naming used: $used"
[ "$used" = "$debug_file" ] || fail "unwinding and naming used '$used', not $debug_file"
[ "$(grep -c "hot-two: debug file $debug_file" "$tmp/two.log")" -ge 2 ] ||
    fail "the debug file was not found by both the unwinder and the symbolizer"

PROFDROP_TEST_NO_DEBUG_FRAME=1
export PROFDROP_TEST_NO_DEBUG_FRAME
profile control hot-df
unset PROFDROP_TEST_NO_DEBUG_FRAME
assert_le "$(trace_share "$tmp/control.hot" traces_with main _start)" 50 \
    "control (no .debug_frame): % of those whose stack reaches main and _start"
assert_le "$complete" 50 "control: % of stacks the daemon counts complete"
