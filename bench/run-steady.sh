#!/bin/sh
# usage: bench/run-steady.sh [--help]
#
# What one more sample costs, once start-up and first-time work are paid:
# profdropd and perf each profile the same workload (bench/busy with
# BENCH_THREADS threads, system-wide, BENCH_HZ) for a short and a long
# run, S and 4 x S seconds, each on a fresh workload.  The marginal cost
# per sample is (CPU long - CPU short) / (samples long - samples short):
# start-up (reading kallsyms and /proc) and naming each binary the first
# time cancel out.  perf's pipeline is perf record plus perf report.
# Needs root, gcc, GNU time and perf.
#
# Environment: BENCH_SECONDS (30), BENCH_HZ (999), BENCH_THREADS (2),
# BENCH_ROTATE (10), BENCH_RUNS (2), PROFDROPD (src/profdropd/profdropd),
# BENCH_KEEP=1 keeps the logs.

. "$(dirname "$0")/common.sh"
command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"

short=${BENCH_SECONDS:-30}
long=$((short * 4))
threads=${BENCH_THREADS:-2}
rotate=${BENCH_ROTATE:-10}
hz=$BENCH_HZ

# pd SECONDS: profdropd for SECONDS; "samples cpu" on stdout.
pd() {
	start timed "$tmp/busy.time" "$BUSY" "$threads" $(($1 + 2))
	rm -rf "$tmp/out"
	mkdir "$tmp/out"
	profdropd "$tmp/pd.time" "$tmp/pd.log" --frequency "$hz" \
	    --duration "$1" --rotate "$rotate" --output-dir "$tmp/out"
	finish
	set -- $(windows "$tmp/pd.log")
	echo "$1 $(cpu "$tmp/pd.time") $(rss_mib "$tmp/pd.time")"
}

# pf SECONDS: perf record + perf report for SECONDS; "samples cpu" on stdout.
pf() {
	start timed "$tmp/busy.time" "$BUSY" "$threads" $(($1 + 2))
	timed "$tmp/rec.time" perf record -q -a -F "$hz" \
	    --call-graph dwarf,32768 -o "$tmp/perf.data" -- sleep "$1" \
	    2>"$tmp/rec.log" || { cat "$tmp/rec.log" >&2; die "perf record failed"; }
	finish
	timed "$tmp/rep.time" perf report -i "$tmp/perf.data" --stdio \
	    >/dev/null 2>"$tmp/rep.log" || die "perf report failed"
	perf report -i "$tmp/perf.data" --stats >"$tmp/stats" 2>&1
	rm -f "$tmp/perf.data"
	echo "$(awk '/SAMPLE events:/ { print $3; exit }' "$tmp/stats")" \
	    "$(awk -v a="$(cpu "$tmp/rec.time")" -v b="$(cpu "$tmp/rep.time")" \
	    'BEGIN { printf "%.2f", a + b }')" \
	    "$(rss_mib "$tmp/rec.time")"
}

# row RUN NAME "SAMPLES CPU RSS" "SAMPLES CPU RSS": a table row; the
# marginal µs per sample in $marginal.
row() {
	set -- "$1" "$2" $3 $4
	marginal=$(awk -v n1="$3" -v c1="$4" -v n2="$6" -v c2="$7" \
	    'BEGIN { printf "%.1f", (n2 > n1 ? (c2 - c1) * 1e6 / (n2 - n1) : 0) }')
	echo "| $1 | $2 | $3 | $4 | $(us_per "$3" "$4") | $6 | $7 |" \
	    "$(us_per "$6" "$7") | $marginal | $5 / $8 |" >>"$tmp/rows"
}

: >"$tmp/rows"
: >"$tmp/ratios"
for run in $(seq "$BENCH_RUNS"); do
	echo "run $run: profdropd, $short s and $long s" >&2
	row "$run" profdropd "$(pd "$short")" "$(pd "$long")"
	pd_marginal=$marginal
	echo "run $run: perf, $short s and $long s" >&2
	row "$run" perf "$(pf "$short")" "$(pf "$long")"
	awk -v r="$run" -v a="$pd_marginal" -v b="$marginal" \
	    'BEGIN { printf "| %s | %.2f |\n", r, (b ? a / b : 0) }' >>"$tmp/ratios"
done

cat <<EOF

$threads threads of bench/busy, system-wide, $hz Hz; $pd_version --rotate $rotate $pd_args.

| run | profiler | samples, ${short} s | CPU s | µs / sample | samples, ${long} s | CPU s | µs / sample | marginal µs / sample | max RSS MiB (short / long) |
|---|---|---|---|---|---|---|---|---|---|
$(cat "$tmp/rows")

| run | profdropd / perf marginal CPU per sample |
|---|---|
$(cat "$tmp/ratios")
EOF
