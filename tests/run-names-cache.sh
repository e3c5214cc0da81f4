#!/bin/sh
# The daemon keeps what it named from one window to the next. Once a
# stripped binary's debug file is gone, the addresses earlier windows
# named keep their names and lines; a control binary sampled only after
# its debug file went is unnamed.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
unset DEBUGINFOD_URLS

hz=499 rot=1 secs=6
src=$srcdir/hot631.c
hot_a_line=$(hot_a_line)

build_stripped "$src" "$tmp/hot-kept"
install_debug_file "$tmp/hot-kept"
kept_debug=$debug_file
build_stripped "$src" "$tmp/hot-late"
install_debug_file "$tmp/hot-late"
late_debug=$debug_file

start_program "$tmp/hot-kept" $((secs + 5))
kept_pid=$prog_pid
mkdir "$tmp/out"
start_sampling "$tmp/log" --verbose --frequency $hz --rotate $rot \
    --duration $secs --output-dir "$tmp/out"
wait_profile "$tmp/out"
rm "$kept_debug" "$late_debug"
# Its first sample comes after the debug file went: nothing to name it by.
start_program "$tmp/hot-late" $((secs + 5))
late_pid=$prog_pid
finish_profdropd "$tmp/log"
kill -KILL $kept_pid $late_pid 2>/dev/null || true

grep 'cpu window' "$tmp/log"
files=$(profiles "$tmp/out")
assert_ge "$(echo "$files" | wc -l)" 5 "profiles from $secs s rotated every $rot s"
# The last two windows began well after the debug file was removed.
for f in $(echo "$files" | tail -2); do
	raw_traces "$tmp/out/$f" -tagfocus='comm=^hot-kept$' >"$tmp/kept"
	raw_line_traces "$tmp/out/$f" -tagfocus='comm=^hot-kept$' >"$tmp/kept.lines"
	echo "$f: hot-kept $(trace_count "$tmp/kept") samples"
	hot631_named "$tmp/kept" "hot-kept in $f"
	traces_leaf "$tmp/kept.lines" 'hot_a .*' >"$tmp/kept.hot_a"
	assert_ge "$(trace_share "$tmp/kept.hot_a" traces_leaf \
	    "hot_a ([^ ]*/)?hot631\.c:$hot_a_line")" 99 \
	    "hot-kept in $f: % of hot_a's samples at hot631.c:$hot_a_line"
done
raw_traces "$tmp/out/$f" -tagfocus='comm=^hot-late$' >"$tmp/late"
echo "$f: hot-late $(trace_count "$tmp/late") samples"
assert_ge "$(trace_share "$tmp/late" traces_leaf '\[unknown\] hot-late.*')" 80 \
    "hot-late in $f: % of samples with an unnamed leaf"
