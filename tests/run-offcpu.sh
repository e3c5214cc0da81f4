#!/bin/sh
# Off-CPU and wall profiles of a thread whose waits are known: each round
# it sleeps ~30 ms, blocks on a pipe ~20 ms, waits ~10 ms for a mutex and
# burns ~5 ms; a second thread only sleeps.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

secs=5
start_program "$top_builddir/tests/waiter" $((secs + 1)) >"$tmp/waits"
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $prog_pid --frequency 99 \
    --duration $secs --rotate 60 --output-dir "$tmp/out"
off=$(ls "$tmp"/out/offcpu-*.pb.gz)
wall=$(ls "$tmp"/out/wall-*.pb.gz)
cpu=$(ls "$tmp"/out/cpu-*.pb.gz)
gopprof -raw "$off" | grep -Eqx 'switches/count off_cpu/nanoseconds(\[dflt])?' ||
    fail "off-CPU sample types are not [switches/count, off_cpu/nanoseconds]"
gopprof -raw "$wall" | grep -Eqx 'wall/nanoseconds(\[dflt])?' ||
    fail "wall sample type is not wall/nanoseconds"

# The waits, per round, against what the program measured around them.
wait $prog_pid || fail "waiter failed"
echo "waiter says: $(cat "$tmp/waits")"
rounds=$(sum_where "$off" 1 'comm=worker.*wait=sleep' '(^|;)wait_sleep(;|$)')
echo "rounds seen sleeping: $rounds"
assert_ge "$rounds" $((secs * 1000 / 65 * 8 / 10)) "rounds"
for w in sleep:wait_sleep:sleep io:wait_pipe:pipe lock:wait_lock:lock; do
	class=${w%%:*} fn=${w#*:} fn=${fn%:*}
	ms=$(awk -v k=${w##*:} '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$tmp/waits")
	all=$(sum_where "$off" 2 'comm=worker' "(^|;)$fn(;|\$)")
	right=$(sum_where "$off" 2 "comm=worker.*wait=$class" "(^|;)$fn(;|\$)")
	per=$(awk "BEGIN { print $all / $rounds / 1e6 }")
	assert_near "$per" $ms "$(awk "BEGIN { print $ms * 0.15 }")" \
	    "ms off-CPU per round in $fn"
	assert_ge "$(pct "$right" "$all")" 90 "% of $fn's off-CPU time labelled wait=$class"
done
# go tool pprof, the independent reader, sees the same off-CPU time in wait_sleep.
ns=$(sum_where "$off" 2 'comm=worker' '(^|;)wait_sleep(;|$)')
gopprof -raw -tagfocus='comm=^worker$' -focus='^wait_sleep$' "$off" >/dev/null
go=$(awk '/^ +[0-9]+ +[0-9]+: / { s += $2 } END { printf "%.0f\n", s }' "$tmp/pprof.out")
echo "off-CPU ns in wait_sleep: $ns; go tool pprof: $go"
[ "$ns" = "$go" ] || fail "off-CPU ns in wait_sleep: $ns, go tool pprof says $go"

# The worker's CPU and off-CPU time add up to its wall time.
on=$(sum_where "$cpu" 2 'comm=worker' '')
offns=$(sum_where "$off" 2 'comm=worker' '')
assert_near "$(awk "BEGIN { print ($on + $offns) / 1e9 }")" $secs \
    "$(awk "BEGIN { print $secs * 0.1 }")" "worker's cpu + off-CPU seconds"

# A thread that only sleeps spends its whole window asleep in wall time.
asleep=$(sum_where "$wall" 1 'comm=sleeper' '(^|;)sleeper(;|$)')
assert_near "$(awk "BEGIN { print $asleep / 1e9 }")" $secs \
    "$(awk "BEGIN { print $secs * 0.1 }")" "sleeper's wall seconds in its sleeping stack"

# Without tracefs the daemon says so and writes CPU profiles only, unless
# off-CPU profiles were asked for by name.
mkdir "$tmp/notrace"
PROFDROP_TEST_NO_TRACEFS=1 run_profdropd_log "$tmp/log2" --duration 1 \
    --output-dir "$tmp/notrace"
grep -q "writing cpu profiles only: no tracefs" "$tmp/log2" ||
    fail "no warning about the missing tracefs"
[ "$(ls "$tmp/notrace" | sed 's/-.*//' | sort -u | tr '\n' ' ')" = "cpu " ] ||
    fail "without tracefs: $(ls "$tmp/notrace")"
if PROFDROP_TEST_NO_TRACEFS=1 run_profdropd --duration 1 --profiles offcpu \
    --output-dir "$tmp/notrace" 2>"$tmp/log3"; then
	fail "--profiles offcpu without tracefs did not fail"
fi
grep -q "mount -t tracefs" "$tmp/log3" || fail "no fix named: $(cat "$tmp/log3")"
echo "without tracefs: $(cat "$tmp/log3")"

require_kemu
# Without switch records (before 4.3; RHEL 7.3, emulated) switch-ins come
# from sched_switch alone. Some kernels leave out switches away from the
# idle task there, so two busy loops keep the CPUs from idling, and the
# worker's classified waits are checked.
mkdir "$tmp/noswitch"
for i in 1 2; do
	sh -c 'while :; do :; done' &
	bg_track $!
done
start_program "$top_builddir/tests/waiter" 4 >/dev/null
PROFDROPD_WRAP="$top_builddir/tests/kemu -l $tmp/kemu.log rhel73 --" \
    run_profdropd_log "$tmp/log4" --pid $prog_pid --frequency 99 \
    --duration 2 --output-dir "$tmp/noswitch"
grep -q 'the kernel lacks context_switch records' "$tmp/log4" ||
    fail "the daemon did not fall back to sched_switch alone"
off=$(ls "$tmp"/noswitch/offcpu-*.pb.gz)
for w in sleep:wait_sleep io:wait_pipe lock:wait_lock; do
	ns=$(sum_where "$off" 2 "comm=worker.*wait=${w%%:*}" "(^|;)${w#*:}(;|\$)")
	echo "without switch records: ${w#*:} off-CPU ns labelled ${w%%:*}: $ns"
	assert_ge "$ns" 1 "${w#*:} off-CPU ns without switch records"
done
