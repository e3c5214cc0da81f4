#!/bin/sh
# Every emulated old kernel (tests/kemu answers perf_event_open, ioctl,
# mount and uname as it would): one daemon run each on the workload of
# tests/kernel-workload.sh, checked as in the real kernels. The daemon
# must find what the kernel lacks by probing, say exactly that, and fall
# back; the emulator's log shows one refusal per missing feature, after
# the first open's. tests/run-real-kernels.sh runs the same in the real
# ones. What the emulator cannot emulate: the host kernel still writes
# the records (in their old forms, as negotiated), the tracepoint formats
# and sysctls are the host's, and so are the user registers of a thread
# blocked in a system call (3.10's fast path did not save its stack
# pointer where perf reads it).
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/kernel-checks.sh"
require_root
require_perf_events
require_go_pprof
require_kemu

debug=/sys/kernel/debug/tracing tracefs=/sys/kernel/tracing
lacks316="context_switch records,comm_exec,mmap2 records,PERF_FLAG_FD_CLOEXEC"

# kernel NAME: where its tracing is, what it lacks, and whether its off-CPU
# waits can be checked exactly (with switch records).
kernel() {
	case $1 in
	3.10) tracing=$debug exact=no missing=$lacks316,PERF_SAMPLE_IDENTIFIER ;;
	3.13) tracing=$debug exact=no missing=$lacks316 ;;
	rhel73) tracing=$debug exact=no missing="context_switch records" ;;
	rhel79) tracing=$debug exact=yes missing= ;;
	4.4|4.9) tracing=$tracefs exact=yes missing= ;;
	*) fail "no such kernel: $1" ;;
	esac
}

for name in ${*:-3.10 3.13 rhel73 rhel79 4.4 4.9}; do
	kernel "$name"
	echo "$name: the workload under tests/kemu $name"
	sh "$srcdir/kernel-workload.sh" "$tmp/$name" "$top_builddir/tests" \
	    "$top_builddir/tests/kemu" -l "$tmp/$name.kemu" "$name" -- \
	    "$PROFDROPD"
	refused=$(grep -c '^kemu: perf_event_open: \(EINVAL\|E2BIG\)' \
	    "$tmp/$name.kemu" || true)
	sed "s/^/$name: /" "$tmp/$name.kemu"
	want=0
	[ -z "$missing" ] ||
	    want=$(($(echo "$missing" | tr ',' '\n' | grep -c .) + 1))
	[ "$refused" = $want ] ||
	    fail "$name: the emulator refused $refused opens, not $want" \
		"(the first, then one probe per missing feature)"
	check_kernel_run "$tmp/$name" "$name" "$missing" "$tracing" "$exact"
done
