#!/bin/sh
# One ring per CPU: with off-CPU profiles, the sched_switch event of each
# CPU writes into the CPU sampler's ring there (PERF_EVENT_IOC_SET_OUTPUT),
# its records told apart by the id each carries (PERF_SAMPLE_IDENTIFIER).
# Shared only where --ring-memory would shrink two rings a CPU. In this
# kernel the workload of tests/kernel-workload.sh, whose --ring-memory
# fits one, runs with half the rings, and its profiles are checked as in
# every kernel (kernel-checks.sh, which also counts the rings mapped); at
# the default --ring-memory the daemon keeps two. run-kernels.sh does the same under the
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
# Within 4000 KiB a CPU (the workload's --ring-memory): one shared ring.
sh "$srcdir/kernel-workload.sh" "$tmp/shared" "$top_builddir/tests" "$PROFDROPD"
check_kernel_run "$tmp/shared" shared "" "$tracing" yes
# Every record went to its event: none had an id unknown to its ring.
grep '^profdropd: total: ' "$tmp/shared/daemon.log"
grep -q '^profdropd: total: .* 0 malformed$' "$tmp/shared/daemon.log" ||
    fail "records were malformed"
read -r n kib <"$tmp/shared/rings"
assert_ge $((ncpus * 4000)) $kib "KiB of rings mapped under --ring-memory"

# With room for two at full size (the default 512 MiB), rings of their
# own: they lose fewer records in a storm of switches.
mkdir "$tmp/two"
start_sampling "$tmp/two.log" --log-level debug --profiles cpu,offcpu \
    --duration 3 --output-dir "$tmp/two"
rings=$(grep -c 'anon_inode:\[perf_event\]' "/proc/$pd_pid/maps")
finish_profdropd "$tmp/two.log"
grep '^profdropd: rings: ' "$tmp/two.log"
echo "default --ring-memory: $rings perf rings mapped on $ncpus CPUs"
assert_near $rings $((ncpus * 2)) 0 "rings mapped with room for two a CPU"
grep -q '^profdropd: rings: .* two per CPU ' "$tmp/two.log" ||
    fail "the daemon does not say its rings are two per CPU"
