#!/bin/sh
# kernel-workload.sh OUT TESTS DAEMON...: the workload every kernel is
# checked with, in a real old kernel (busybox sh) or under the kernel
# emulator. DAEMON... is the command that runs profdropd (maybe behind
# tests/kemu); it profiles this shell and its children for 8 s in two
# windows while the 6:3:1 program, the off-CPU program and a burst of
# short-lived processes run. OUT gets the profiles, the daemon's log,
# its exit status, the programs' pids and what the off-CPU program says.
out=$1 tests=$2
shift 2
mkdir -p "$out"
"$tests/hot631-nofp" 12 "$out/ready" &
echo $! >"$out/hot.pid"
"$tests/waiter" 9 >"$out/waits" &
echo $! >"$out/waiter.pid"
while [ ! -e "$out/ready" ]; do sleep 0.1; done
"$@" --foreground --verbose --pid $$ --frequency 199 --rotate 4 \
    --duration 8 --output-dir "$out" 2>"$out/daemon.log" &
pd=$!
sleep 2
i=0
while [ $i -lt 30 ]; do
	"$tests/shortlived" 60
	i=$((i + 1))
done
wait $pd
echo $? >"$out/status"
wait
