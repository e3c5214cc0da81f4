#!/bin/sh
# Locked memory for the rings: a user whose limit (kernel.perf_event_mlock_kb
# per CPU, and ulimit -l) is smaller than the rings gets smaller rings, a
# warning that names the setting, and profiles all the same (of callchains
# the kernel walks: a 32 KiB stack copy would not fit in such a ring).
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
mlock=$(cat /proc/sys/kernel/perf_event_mlock_kb)
at_exit "echo $paranoid >/proc/sys/kernel/perf_event_paranoid"
at_exit "echo $mlock >/proc/sys/kernel/perf_event_mlock_kb"
# Unprivileged system-wide CPU sampling (-1 would lift the limit too),
# with room for 16 pages per CPU.
echo 0 >/proc/sys/kernel/perf_event_paranoid
echo 64 >/proc/sys/kernel/perf_event_mlock_kb

mkdir "$tmp/out"
chmod 755 "$tmp"
chown 65534:65534 "$tmp/out"
# The program runs as the same user, so its mappings can be read.
setpriv --reuid=65534 --regid=65534 --clear-groups "$HOT631" 4 "$tmp/out/ready" &
busy_pid=$!
bg_track $busy_pid
wait_for_file "$tmp/out/ready" 5
rm "$tmp/out/ready"
rc=0
(ulimit -l 0 && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
    timeout -s KILL 30 "$PROFDROPD" --foreground --duration 2 \
    --profiles cpu --unwind fp --pid $busy_pid --output-dir "$tmp/out") \
    2>"$tmp/log" || rc=$?
cat "$tmp/log"
[ $rc = 0 ] || fail "profdropd exited with status $rc"
grep -q 'ring shrunk from [0-9]* to [0-9]* pages by the locked-memory limit (kernel.perf_event_mlock_kb is 64' \
    "$tmp/log" || fail "no warning naming kernel.perf_event_mlock_kb"
f=$tmp/out/$(profiles "$tmp/out")
[ -f "$f" ] || fail "no profile written"
trace_lines "$f" >"$tmp/traces"
hot631_named "$tmp/traces" "smaller rings"

# Debian's and Ubuntu's paranoid levels 3 and 4 refuse perf events to
# users; the error names the setting and its value.
for level in 3 4; do
	echo $level >/proc/sys/kernel/perf_event_paranoid
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    timeout -s KILL 30 "$PROFDROPD" --foreground --duration 1 \
	    --profiles cpu --output-dir "$tmp/out" 2>"$tmp/para$level" || rc=$?
	cat "$tmp/para$level"
	[ $rc != 0 ] || fail "paranoid $level: profdropd ran"
	grep -q "kernel.perf_event_paranoid is $level, which on Debian" \
	    "$tmp/para$level" || fail "paranoid $level: the setting is not named"
done
echo $paranoid >/proc/sys/kernel/perf_event_paranoid

# --ring-memory caps the rings of all CPUs together, as root too: what the
# daemon maps of its perf events stays within it, and it still profiles.
# ring_kib PID: KiB of perf event rings PID maps.
ring_kib() {
	_rk=0
	while IFS=' -' read -r _rk_a _rk_b _rk_rest; do
		case $_rk_rest in
		*perf_event*) _rk=$((_rk + 0x$_rk_b - 0x$_rk_a)) ;;
		esac
	done <"/proc/$1/maps"
	echo $((_rk / 1024))
}
start_busy 8
ncpus=$(getconf _NPROCESSORS_ONLN)
cap=$((ncpus * 512))
mkdir "$tmp/capped"
start_sampling "$tmp/capped.log" --ring-memory ${cap}KiB --frequency 499 \
    --pid $busy_pid --duration 3 --output-dir "$tmp/capped"
kib=$(ring_kib $pd_pid)
finish_profdropd "$tmp/capped.log"
echo "rings: $kib KiB mapped for $ncpus CPUs under --ring-memory ${cap}KiB"
assert_ge $cap $kib "--ring-memory ${cap}KiB against the KiB of rings mapped"
assert_ge $kib $((ncpus * 72)) "KiB of rings mapped, at the least"
# Rings this small lose records at 499 Hz with stack copies; most arrive.
echo "records lost: $(window_counter "$tmp/capped.log" lost)"
assert_ge "$(window_counter "$tmp/capped.log" kept)" 500 "samples kept"
# Too little for the CPUs: refused, with the least that would do.
rc=0
run_profdropd --ring-memory 64KiB --duration 1 --output-dir "$tmp/capped" \
    2>"$tmp/toolittle" || rc=$?
cat "$tmp/toolittle"
[ $rc = 1 ] || fail "--ring-memory 64KiB: exit status $rc, not 1"
grep -q "ring-memory 64 KiB is too little for $ncpus CPUs: give at least" \
    "$tmp/toolittle" || fail "--ring-memory 64KiB: no message naming the fix"
