#!/bin/sh
# JIT code: frames in anonymous executable memory are named from
# /tmp/perf-PID.map, entries with and without 0x alike, and an entry
# appended after the daemon has read the map is named too.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 rot=2 secs=9
start_program "$top_builddir/tests/jit" $((secs + 5)) "$tmp/ready" "$tmp/late"
map=/tmp/perf-$prog_pid.map
at_exit "rm -f $map"
wait_for_file "$tmp/ready" 5
echo "$map: $(cat $map)"
mkdir "$tmp/out"
start_sampling "$tmp/log" --pid $prog_pid --frequency $hz --rotate $rot \
    --duration $secs --output-dir "$tmp/out"

# Two windows written with jit_hot_loop alone: the daemon has named it from
# the map by then.  Then the program maps jit_late_loop and appends it.
n=0
until [ "$(profiles "$tmp/out" | wc -l)" -ge 2 ]; do
	[ $n -lt 200 ] || fail "no two profiles after 10 s"
	sleep 0.05
	n=$((n + 1))
done
profiles "$tmp/out" >"$tmp/early"
touch "$tmp/late"
n=0
until grep -q jit_late_loop $map; do
	[ $n -lt 100 ] || fail "jit_late_loop not in $map after 5 s"
	sleep 0.05
	n=$((n + 1))
done
echo "$map: $(cat $map)"
finish_profdropd "$tmp/log"
stop_program

for f in $(cat "$tmp/early"); do raw_traces "$tmp/out/$f"; done >"$tmp/early.traces"
for f in $(profiles "$tmp/out" | grep -vxF -f "$tmp/early"); do
	raw_traces "$tmp/out/$f"
done >"$tmp/late.traces"
echo "before the new entry: $(wc -l <"$tmp/early") profiles," \
    "$(trace_count "$tmp/early.traces") samples; after:" \
    "$(trace_count "$tmp/late.traces") samples"
assert_ge "$(trace_share "$tmp/early.traces" traces_leaf jit_hot_loop)" 80 \
    "before: % of samples in jit_hot_loop"
# Both loops run in turn, about half the time each.
assert_ge "$(trace_share "$tmp/late.traces" traces_leaf jit_late_loop)" 30 \
    "after: % of samples in jit_late_loop"
assert_ge "$(trace_share "$tmp/late.traces" traces_leaf jit_hot_loop)" 30 \
    "after: % of samples in jit_hot_loop"
