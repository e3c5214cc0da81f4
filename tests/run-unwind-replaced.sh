#!/bin/sh
# A binary replaced on disk while it runs, as a package upgrade replaces
# it, still unwinds and is named: its path and /proc/PID/root now lead to
# another file, so both come from the mapped file itself, through
# /proc/PID/map_files.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

hz=499 secs=3
cp "$top_builddir/tests/hot631-nofp" "$tmp/hot-up"
start_program "$tmp/hot-up" $((secs + 5))
# The upgrade: a new file renamed over the old one, which lives on only
# in the process's mappings.
cp /usr/bin/true "$tmp/hot-up.new"
mv "$tmp/hot-up.new" "$tmp/hot-up"
[ "$(stat -c %i "$tmp/hot-up")" != "$(stat -L -c %i "/proc/$prog_pid/exe")" ] ||
    fail "the running binary was not replaced"

mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $prog_pid --frequency $hz \
    --duration $secs --output-dir "$tmp/out"
stop_program
p=$tmp/out/$(profiles "$tmp/out")
trace_lines "$p" >"$tmp/all"
traces_with "$tmp/all" 'hot_[abc]' >"$tmp/hot"
unwind_summary "$tmp/log"
echo "hot-up: $(trace_count "$tmp/all") samples, $(trace_count "$tmp/hot") in hot_[abc]"
hot631_named "$tmp/all" hot-up
assert_ge "$(trace_share "$tmp/hot" traces_with main _start)" 97 \
    "hot-up: % of samples in hot_[abc] whose stack reaches main and _start"
