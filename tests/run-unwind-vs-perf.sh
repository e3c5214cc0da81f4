#!/bin/sh
# The daemon and perf record --call-graph dwarf sample the same process over
# the same seconds: they must agree on how many stacks are complete and on
# where the time goes.
. "$(dirname "$0")/test-subr.sh"
require_perf_events
require_perf_tool

hz=499 secs=4
start_program "$top_builddir/tests/hot631-nofp" $((secs + 10))
mkdir "$tmp/out"
start_sampling "$tmp/pd.log" --pid $prog_pid --frequency $hz --output-dir "$tmp/out"
perf record -q -e cpu-clock -F $hz --call-graph dwarf,32768 -p $prog_pid \
    -o "$tmp/perf.data" -- sleep $secs 2>"$tmp/perf.log" || {
	cat "$tmp/perf.log" >&2
	fail "perf record failed"
}
finish_profdropd "$tmp/pd.log" INT
stop_program
unwind_summary "$tmp/pd.log"

trace_lines "$tmp/out/$(profiles "$tmp/out")" >"$tmp/pd"
perf_trace_lines "$tmp/perf.data" >"$tmp/perf"
echo "samples: profdropd $(trace_count "$tmp/pd"), perf $(trace_count "$tmp/perf")"
# compare WHAT SELECT ARGS...: the % of samples "SELECT TRACES ARGS..." keeps.
compare() {
	what=$1
	shift
	assert_near "$(trace_share "$tmp/pd" "$@")" "$(trace_share "$tmp/perf" "$@")" 3 \
	    "% of samples $what, profdropd (perf expected)"
}
compare "reaching main and _start" traces_with main _start
for leaf in hot_a hot_b hot_c; do
	compare "in $leaf (flat)" traces_leaf $leaf
done
