#!/bin/sh
# kernel-workload.sh OUT TESTS DAEMON...: the workload every kernel is
# checked with, in a real old kernel (busybox sh) or under the kernel
# emulator. DAEMON... is the command that runs profdropd (maybe behind
# tests/kemu); it profiles this shell and its children for 8 s in two
# windows while the 6:3:1 program, the off-CPU program and a burst of
# short-lived processes run. OUT gets the profiles, the daemon's log,
# its exit status, the programs' pids, what the off-CPU program says,
# the capabilities the daemon and its symbolizer kept and the perf rings
# the daemon maps.
out=$1 tests=$2
shift 2
mkdir -p "$out"
"$tests/hot631-nofp" 12 "$out/ready" &
echo $! >"$out/hot.pid"
"$tests/waiter" 9 >"$out/waits" &
echo $! >"$out/waiter.pid"
while [ ! -e "$out/ready" ]; do sleep 0.1; done
# Rings within 4000 KiB a CPU: two at full size would not fit, so the
# events share one where the kernel allows it.
ncpus=$(grep -c '^processor' /proc/cpuinfo)
echo $ncpus >"$out/ncpus"
"$@" --foreground --verbose --pid $$ --frequency 199 --rotate 4 \
    --duration 8 --output-dir "$out" --ring-memory $((ncpus * 4000))KiB \
    2>"$out/daemon.log" &
pd=$!
sleep 2
# What the daemon and its symbolizer kept, once sampling.
cat /proc/sys/kernel/cap_last_cap >"$out/cap_last_cap"
for s in /proc/[0-9]*/status; do
	name=$(sed -n 's/^Name:[[:space:]]*//p' "$s" 2>/dev/null)
	case $name in
	profdropd|profdropd-sym)
		echo "$name $(sed -n 's/^CapEff:[[:space:]]*//p' "$s")" ;;
	esac
done >"$out/caps"
# The perf rings the daemon maps, how many and their KiB, and the CPUs.
# It is $pd or, behind the emulator, its child.
for s in /proc/[0-9]*/status; do
	name=$(sed -n 's/^Name:[[:space:]]*//p' "$s" 2>/dev/null)
	ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "$s" 2>/dev/null)
	[ "$name" = profdropd ] &&
	    { [ "${s%/status}" = /proc/$pd ] || [ "$ppid" = $pd ]; } ||
	    continue
	n=0 kib=0
	while IFS=' -' read -r from to rest; do
		case $rest in
		*'anon_inode:[perf_event]'*)
			n=$((n + 1)) kib=$((kib + (0x$to - 0x$from) / 1024)) ;;
		esac
	done <"${s%/status}/maps"
	echo "$n $kib"
done >"$out/rings"
i=0
while [ $i -lt 30 ]; do
	"$tests/shortlived" 60
	i=$((i + 1))
done
wait $pd
echo $? >"$out/status"
wait
