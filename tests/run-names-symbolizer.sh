#!/bin/sh
# Windows are named by a long-lived symbolizer process. When it dies, the
# daemon starts it again and goes on: binaries named before and binaries
# first seen after are named, with lines, in the windows that follow.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
unset DEBUGINFOD_URLS

hz=499 rot=1 secs=6
src=$srcdir/hot631.c
hot_a_line=$(hot_a_line)
for prog in hot-before hot-after; do
	build_stripped "$src" "$tmp/$prog"
	install_debug_file "$tmp/$prog"
done

start_program "$tmp/hot-before" $((secs + 5))
before_pid=$prog_pid
mkdir "$tmp/out"
start_sampling "$tmp/log" --verbose --frequency $hz --rotate $rot \
    --duration $secs --output-dir "$tmp/out"
sym=$(pgrep -P $pd_pid -x profdropd-sym) || fail "no symbolizer process"
wait_profile "$tmp/out"
kill -KILL $sym
start_program "$tmp/hot-after" $((secs + 5))
after_pid=$prog_pid
sleep 2
new=$(pgrep -P $pd_pid -x profdropd-sym) || fail "the symbolizer was not started again"
[ "$new" != "$sym" ] || fail "the killed symbolizer is still there"
finish_profdropd "$tmp/log"
kill -KILL $before_pid $after_pid 2>/dev/null || true

grep 'symbolizer' "$tmp/log" || fail "the daemon did not report the symbolizer's death"
# Of the last two windows, the longer: the last may be a sliver, as
# windows end on UTC boundaries and the run ends when it ends.
f= best=-1
for g in $(profiles "$tmp/out" | grep '^cpu-' | tail -2); do
	n=$(sample_count "$tmp/out/$g")
	[ "$n" -le "$best" ] || { f=$g best=$n; }
done
for prog in hot-before hot-after; do
	raw_traces "$tmp/out/$f" -tagfocus="comm=^$prog\$" >"$tmp/$prog"
	raw_line_traces "$tmp/out/$f" -tagfocus="comm=^$prog\$" >"$tmp/$prog.lines"
	echo "$f: $prog $(trace_count "$tmp/$prog") samples"
	hot631_named "$tmp/$prog" "$prog in $f"
	traces_leaf "$tmp/$prog.lines" 'hot_a .*' >"$tmp/$prog.hot_a"
	assert_ge "$(trace_share "$tmp/$prog.hot_a" traces_leaf \
	    "hot_a ([^ ]*/)?hot631\.c:$hot_a_line")" 99 \
	    "$prog in $f: % of hot_a's samples at hot631.c:$hot_a_line"
done
