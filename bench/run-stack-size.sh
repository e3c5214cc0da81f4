#!/bin/sh
# usage: bench/run-stack-size.sh [--help]
#
# How many stacks profdropd unwinds completely, and what a sample costs it,
# against --stack-size, for programs of known depth, each profiled alone
# with --pid at HZ for S seconds (one window, written in-process):
#   deepN     tests/deep, N levels of 528-byte frames (512 bytes of locals):
#             deep40 needs some 21 KiB of stack, deep60 31.7, deep64 33.8;
#   hot631    tests/hot631-nofp, a shallow call chain;
#   busy      bench/busy, 2 threads of ten 256-byte frames (some 3 KiB).
# Complete is the share of unwound stacks that reached their thread's
# start; CPU is the daemon's user + sys from GNU time, per kept sample.
# Prints a Markdown table at the end.  Needs root, gcc and GNU time, and
# tests/deep and tests/hot631-nofp (make tests/deep tests/hot631-nofp).
#
# Environment: BENCH_SECONDS (20), BENCH_HZ (999), BENCH_RUNS (2),
# BENCH_SIZES ("4096 8192 16384 32768 65528"),
# BENCH_PROGRAMS ("deep40 deep60 deep64 hot631 busy"), PROFDROPD (src/profdropd/profdropd),
# BENCH_KEEP=1 keeps the logs.

. "$(dirname "$0")/common.sh"
for p in deep hot631-nofp; do
	[ -x "$top/tests/$p" ] ||
	    die "$top/tests/$p is missing: make -C $top tests/deep tests/hot631-nofp"
done

secs=${BENCH_SECONDS:-20}
sizes=${BENCH_SIZES:-4096 8192 16384 32768 65528}
programs=${BENCH_PROGRAMS:-deep40 deep60 deep64 hot631 busy}
hz=$BENCH_HZ

# workload NAME: start the program NAME stands for, for the profile and 2 s.
workload() {
	case $1 in
	deep*) start "$top/tests/deep" $((secs + 2)) "${1#deep}" ;;
	hot631) start "$top/tests/hot631-nofp" $((secs + 2)) ;;
	busy) start "$BUSY" 2 $((secs + 2)) ;;
	*) die "$1: not a program this bench knows" ;;
	esac
}

# One line per measure: "program size run complete% truncated% us lost MiB".
: >"$tmp/data"
for run in $(seq "$BENCH_RUNS"); do
	for name in $programs; do
		for size in $sizes; do
			echo "run $run: $name, --stack-size $size" >&2
			workload "$name"
			log=$tmp/$name-$size-$run
			mkdir "$log.out"
			profdropd "$log.time" "$log.log" --pid $prog --frequency "$hz" \
			    --duration "$secs" --stack-size "$size" --output-dir "$log.out"
			finish
			set -- $(windows "$log.log")
			echo "$name $size $run $(pct "$6" "$5") $(pct "$7" "$5")" \
			    "$(us_per "$2" "$(cpu "$log.time")") $3" \
			    "$(rss_mib "$log.time")" >>"$tmp/data"
		done
	done
done

# The runs of one program and size side by side: "run 1 / run 2".
cat <<EOF

--pid, $hz Hz, $secs s, one window; $pd_version $pd_args; runs: $BENCH_RUNS.

| program | --stack-size | complete % | truncated % | CPU µs / kept sample | lost | max RSS MiB |
|---|---|---|---|---|---|---|
EOF
awk '
function add(k, i, v) { col[k, i] = col[k, i] == "" ? v : col[k, i] " / " v }
{
	k = $1 " | " $2
	if (!(k in seen)) { seen[k] = 1; order[n++] = k }
	for (i = 4; i <= 8; i++)
		add(k, i, $i)
}
END {
	for (j = 0; j < n; j++)
		printf "| %s | %s | %s | %s | %s | %s |\n", order[j],
		    col[order[j], 4], col[order[j], 5], col[order[j], 6],
		    col[order[j], 7], col[order[j], 8]
}' "$tmp/data"
