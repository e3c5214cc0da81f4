#!/bin/sh
# usage: bench/run-unwind.sh [--help]
#
# The cost of system-wide DWARF profiling, profdropd against perf, on the
# same workload: bench/busy with BENCH_THREADS threads.  Each run does, one
# after the other, each with the workload started afresh:
#   alone     the workload with no profiler, for its throughput;
#   profdropd --frequency HZ --duration S --rotate R (each window but
#             the last is written by a forked child, the last in-process);
#   perf      perf record -a -F HZ --call-graph dwarf,32768 -- sleep S,
#             then perf report --stdio (the pipeline to a readable profile).
# CPU is user + sys from GNU time, children included; RSS is the max of
# the process and its children.  Prints Markdown tables at the end.
# Needs root, gcc, GNU time and perf.
#
# Environment: BENCH_SECONDS (30), BENCH_HZ (999), BENCH_THREADS (2),
# BENCH_ROTATE (10), BENCH_RUNS (2), PROFDROPD (src/profdropd/profdropd),
# BENCH_KEEP=1 keeps the logs.

. "$(dirname "$0")/common.sh"
command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"

secs=${BENCH_SECONDS:-30}
threads=${BENCH_THREADS:-2}
rotate=${BENCH_ROTATE:-10}
hz=$BENCH_HZ
# The workload runs 2 s longer than the profiler: it starts 0.5 s before.
# work_cpu: its CPU % of the machine share it could have had (under 100
# when something else ran); walks: its chain walks per CPU second.
work() { start timed "$tmp/busy.time" "$BUSY" "$threads" $((secs + 2)); }
work_cpu() { pct "$(cpu "$tmp/busy.time")" $((threads * (secs + 2))); }
walks() { awk -v n="$out" -v s="$(cpu "$tmp/busy.time")" 'BEGIN { print n / s }'; }

rows=$tmp/rows ratios=$tmp/ratios
: >"$rows"
: >"$ratios"
for run in $(seq "$BENCH_RUNS"); do
	echo "run $run: workload alone" >&2
	work
	finish
	alone=$(walks)
	echo "| $run | none | | | | | | | | $(work_cpu) | 100 |" >>"$rows"

	echo "run $run: profdropd" >&2
	work
	mkdir "$tmp/out$run"
	profdropd "$tmp/pd$run.time" "$tmp/pd$run.log" --frequency "$hz" \
	    --duration "$secs" --rotate "$rotate" --output-dir "$tmp/out$run"
	finish
	set -- $(windows "$tmp/pd$run.log")
	pd_samples=$1 pd_cpu=$(cpu "$tmp/pd$run.time")
	pd_us=$(us_per "$pd_samples" "$pd_cpu")
	child=$(children_cpu "$tmp/pd$run.time")
	sym=$(symbolizer_cpu "$tmp/pd$run.time")
	own=$(awk -v a="$pd_cpu" -v b="$child" -v c="$sym" \
	    'BEGIN { printf "%.2f", a - b - c }')
	echo "| $run | profdropd | $1 | $3 | $(pct "$6" "$5") / $(pct "$7" "$5") / $(pct "$8" "$5") |" \
	    "$9 / ${10} | $pd_cpu ($own + $child + $sym) | $pd_us |" \
	    "$(rss_mib "$tmp/pd$run.time") | $(work_cpu) | $(pct "$(walks)" "$alone") |" >>"$rows"

	echo "run $run: perf record + perf report" >&2
	work
	timed "$tmp/rec$run.time" perf record -q -a -F "$hz" \
	    --call-graph dwarf,32768 -o "$tmp/perf.data" -- sleep "$secs" \
	    2>"$tmp/rec$run.log" || { cat "$tmp/rec$run.log" >&2; die "perf record failed"; }
	finish
	timed "$tmp/rep$run.time" perf report -i "$tmp/perf.data" --stdio \
	    >"$tmp/rep$run.out" 2>"$tmp/rep$run.log" || die "perf report failed"
	perf report -i "$tmp/perf.data" --stats >"$tmp/stats$run" 2>&1
	mib=$(du -m "$tmp/perf.data" | cut -f1)
	rm -f "$tmp/perf.data"
	p_samples=$(awk '/SAMPLE events:/ { print $3; exit }' "$tmp/stats$run")
	p_lost=$(awk '/^# Total Lost Samples:/ { print $5; exit }' "$tmp/rep$run.out")
	rec=$(cpu "$tmp/rec$run.time") rep=$(cpu "$tmp/rep$run.time")
	p_cpu=$(awk -v a="$rec" -v b="$rep" 'BEGIN { printf "%.2f", a + b }')
	p_us=$(us_per "$p_samples" "$p_cpu")
	echo "| $run | perf ($mib MiB data) | $p_samples | $p_lost | - | - |" \
	    "$p_cpu ($rec + $rep) | $p_us |" \
	    "$(rss_mib "$tmp/rec$run.time") / $(rss_mib "$tmp/rep$run.time") |" \
	    "$(work_cpu) | $(pct "$(walks)" "$alone") |" >>"$rows"

	awk -v r="$run" -v a="$pd_us" -v b="$p_us" -v c="$(rss_mib "$tmp/pd$run.time")" \
	    -v d="$(rss_mib "$tmp/rec$run.time")" -v e="$(rss_mib "$tmp/rep$run.time")" \
	    'BEGIN { m = d > e ? d : e
		printf "| %s | %.2f | %.2f |\n", r, a / b, c / m }' >>"$ratios"
done

cat <<EOF

$threads threads of bench/busy, system-wide, $hz Hz, $secs s; $pd_version --rotate $rotate $pd_args.

| run | profiler | samples | lost | complete / truncated / failed % | unwind median / p99 ns (windows after the first, low-high) | CPU s (profdropd: own + writers + symbolizer; perf: record + report) | CPU µs / sample | max RSS MiB | workload CPU % | workload walks per CPU s, % of alone |
|---|---|---|---|---|---|---|---|---|---|---|
$(cat "$rows")

| run | profdropd / perf CPU per sample | profdropd / perf max RSS |
|---|---|---|
$(cat "$ratios")
EOF
