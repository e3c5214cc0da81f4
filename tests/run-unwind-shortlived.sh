#!/bin/sh
# Processes that are gone before the daemon reads their samples: their
# stacks are still unwound and named, from the mappings the kernel
# reported while they ran.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

hz=499 runs=200 ms=30
mkdir "$tmp/out"
start_sampling "$tmp/pd.log" --frequency $hz --output-dir "$tmp/out"
i=0
while [ $i -lt $runs ]; do
	"$top_builddir/tests/shortlived" $ms || fail "shortlived failed"
	i=$((i + 1))
done
finish_profdropd "$tmp/pd.log" INT
unwind_summary "$tmp/pd.log"

files=$(profiles "$tmp/out")
[ "$(echo "$files" | grep -c .)" = 1 ] || fail "expected one profile, got: $files"
trace_lines "$tmp/out/$files" '-tagfocus=process=^shortlived$' >"$tmp/short"
traces_with "$tmp/short" short_hot >"$tmp/hot"
n=$(trace_count "$tmp/short")
echo "shortlived: $n samples, $(trace_count "$tmp/hot") with short_hot"
assert_ge "$n" $((runs * ms * hz / 1000 / 2)) "samples labelled process=shortlived"
assert_ge "$(trace_share "$tmp/short" traces_with short_hot)" 80 \
    "% of them with short_hot in the stack"
