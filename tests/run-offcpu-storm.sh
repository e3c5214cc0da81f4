#!/bin/sh
# A context-switch storm: two threads ping-pong a byte over pipes. The
# daemon must keep up or say what it lost, and its cost is measured.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
mount_tracefs
command -v /usr/bin/time >/dev/null ||
    fail "/usr/bin/time is missing: install time (contrib/install-deps.sh)"

secs=4
start_program "$top_builddir/tests/pingpong" $((secs + 3))
mkdir "$tmp/out"
/usr/bin/time -f '%U %S' -o "$tmp/time" "$PROFDROPD" --foreground \
    --metrics-file "$tmp/log.prom" \
    --pid $prog_pid --frequency 99 --duration $secs --output-dir "$tmp/out" \
    2>"$tmp/log" || { cat "$tmp/log" >&2; fail "profdropd failed"; }
switches=$(window_counter "$tmp/log" switches)
lost=$(window_counter "$tmp/log" lost)
cpu=$(awk '{ print $1 + $2 }' "$tmp/time")
echo "switch events: $switches ($((switches / secs))/s), lost records: $lost"
echo "profdropd CPU: $cpu s in $secs s ($(awk "BEGIN { print 100 * $cpu / $secs }")% of one CPU)"
assert_ge "$((switches / secs))" 10000 "switch events per second seen"
grep -q "lost" "$tmp/log" || fail "the log does not report lost records"
# Bounded: well under one CPU although every switch is traced.
assert_ge "$(awk "BEGIN { print 100 - 100 * $cpu / $secs }")" 25 \
    "% of one CPU left over"
off=$(ls "$tmp"/out/offcpu-*.pb.gz)
short=$(sum_where "$off" 2 'process=pingpong' '\[short')
all=$(sum_where "$off" 2 'process=pingpong' '')
echo "off-CPU ns of pingpong: $all, in waits under --offcpu-min-us: $short"
assert_ge "$all" 1 "pingpong's off-CPU time"
