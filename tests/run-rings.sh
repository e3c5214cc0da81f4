#!/bin/sh
# One ring per CPU: with off-CPU profiles, the sched_switch event of each
# CPU writes into the CPU sampler's ring there (PERF_EVENT_IOC_SET_OUTPUT),
# its records told apart by the id each carries (PERF_SAMPLE_IDENTIFIER).
# In this kernel the workload of tests/kernel-workload.sh runs with half
# the rings, then within a --ring-memory that only one ring per CPU fits,
# and its profiles are checked as in every kernel (kernel-checks.sh, which
# also counts the rings mapped). run-kernels.sh does the same under the
# emulated kernels: 3.10 lacks PERF_SAMPLE_IDENTIFIER and keeps two rings
# per CPU.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/kernel-checks.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

tracing=/sys/kernel/tracing
ncpus=$(getconf _NPROCESSORS_ONLN)
# 2100 KiB a CPU: one ring of 512 data pages and its header page.
cap=$((ncpus * 2100))

for run in default capped; do
	opts=
	[ $run = default ] || opts="--ring-memory ${cap}KiB"
	echo "$run: the workload with one ring per CPU"
	sh "$srcdir/kernel-workload.sh" "$tmp/$run" "$top_builddir/tests" \
	    "$PROFDROPD" $opts
	check_kernel_run "$tmp/$run" "$run" "" "$tracing" yes
	# Every record went to its event: none had an id unknown to its ring.
	grep '^profdropd: total: ' "$tmp/$run/daemon.log" | sed "s/^/$run: /"
	grep -q '^profdropd: total: .* 0 malformed$' "$tmp/$run/daemon.log" ||
	    fail "$run: records were malformed"
done
read -r n kib <"$tmp/capped/rings"
assert_ge $cap $kib "--ring-memory ${cap}KiB against the KiB of rings mapped"
assert_ge $kib $((ncpus * 2052)) "KiB of rings mapped under --ring-memory ${cap}KiB"
