#!/bin/sh
# Bad input fails at start-up: non-zero exit, one line on stderr naming the
# problem, nothing written. A missing output directory is not bad input.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

out=$tmp/out as=
mkdir "$out"

# bad REGEX ARGS...: $as profdropd ARGS fails within 10 s (not after
# --duration 30), with one stderr line matching REGEX, and leaves $out empty.
# Every case runs; the failures are listed at the end.
failures=
bad() {
	re=$1; shift
	rc=0
	timeout -s KILL 10 $as "$PROFDROPD" --foreground --duration 30 "$@" \
	    >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	what="${as:+$as }profdropd $*"
	echo "$what: exit $rc: $(cat "$tmp/stderr")"
	why=
	[ $rc != 0 ] || why="exit status 0"
	[ $rc -lt 124 ] || why="did not fail at start-up (exit $rc)"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || why="$why; stderr is not one line"
	grep -Eqi -e "$re" "$tmp/stderr" || why="$why; message does not match /$re/"
	[ -z "$(ls -A "$out")" ] || why="$why; wrote $(ls -A "$out")"
	[ -z "$why" ] || failures="$failures
  $what: ${why#; }"
}

bad frequency --output-dir "$out" --frequency 0
bad frequency --output-dir "$out" --frequency -5
bad frequency --output-dir "$out" --frequency abc
bad frequency --output-dir "$out" --frequency 100000000
bad rotate --output-dir "$out" --rotate 0
bad duration --output-dir "$out" --duration -1
bad 'pid|999999999' --output-dir "$out" --pid 999999999
bad pid --output-dir "$out" --pid abc
bad no-such-option --output-dir "$out" --no-such-option
bad unwind --output-dir "$out" --unwind lbr
bad stack-size --output-dir "$out" --stack-size 100
bad stack-size --output-dir "$out" --stack-size 70000
bad offcpu-stack-size --output-dir "$out" --offcpu-stack-size 0
bad unwind-memory --output-dir "$out" --unwind-memory 0
bad unwind-memory --output-dir "$out" --unwind-memory 70000
bad unwind-memory --output-dir "$out" --unwind-memory 1M
bad profiles --output-dir "$out" --profiles cpu,heap
bad profiles --output-dir "$out" --profiles ,
bad offcpu-min-us --output-dir "$out" --offcpu-min-us -1
# A missing output directory is made, 0750, and the daemon runs.
run_profdropd --duration 1 --output-dir "$tmp/missing" 2>"$tmp/stderr" ||
    failures="$failures
  profdropd --output-dir $tmp/missing: exit $?: $(cat "$tmp/stderr")"
echo "missing output directory: $(stat -c %a "$tmp/missing" 2>/dev/null)," \
    "$(profiles "$tmp/missing" | wc -l) profiles"
[ "$(stat -c %a "$tmp/missing" 2>/dev/null)" = 750 ] &&
    [ -n "$(profiles "$tmp/missing")" ] || failures="$failures
  the missing output directory was not made (0750) with a profile in it"
bad "output|$tmp/nowhere/missing" --output-dir "$tmp/nowhere/missing"
touch "$tmp/file"
bad "output|$tmp/file|directory" --output-dir "$tmp/file"
# Root ignores permission bits: a read-only file system is what stops it.
mkdir "$tmp/ro"
mount -t tmpfs -o ro tmpfs "$tmp/ro" || skip "cannot mount a read-only tmpfs"
at_exit "umount '$tmp/ro'"
bad "output|$tmp/ro|read-only" --output-dir "$tmp/ro"

# Unprivileged system-wide sampling with perf_event_paranoid 2 is refused
# with a hint at the knob or the capability.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
at_exit "echo $paranoid >/proc/sys/kernel/perf_event_paranoid"
echo 2 >/proc/sys/kernel/perf_event_paranoid
chmod 755 "$tmp"
chown 65534:65534 "$out"
as="setpriv --reuid=65534 --regid=65534 --clear-groups"
bad 'perf_event_paranoid|CAP_PERFMON' --output-dir "$out"

[ -z "$failures" ] || fail "bad input not handled:$failures"
