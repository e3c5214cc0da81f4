#!/bin/sh
# profdrop check: the engine's own probes, item by item; 0 when the
# daemon will run, 1 with the fix when it will not.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

"$PROFDROP" check -o "$tmp" >"$tmp/root" || { cat "$tmp/root"; fail "check as root failed"; }
cat "$tmp/root"
for item in kernel kernel.perf_event_paranoid capabilities "locked memory" \
    tracing "output directory"; do
	grep -q "^$item " "$tmp/root" || fail "no '$item' line"
done
[ "$(grep -c '^kernel feature .*: granted' "$tmp/root")" = 6 ] ||
    fail "not 6 kernel features granted here"
grep -q '^profdropd will run  *yes$' "$tmp/root" || fail "will not run as root"

# An old kernel, emulated: what it lacks and what stands in for it.
require_kemu
"$top_builddir/tests/kemu" -l "$tmp/kemu.log" 3.10 -- "$PROFDROP" check \
    >"$tmp/old" 2>/dev/null || { cat "$tmp/old"; fail "check under 3.10 failed"; }
grep 'kernel feature' "$tmp/old"
[ "$(grep -c '^kernel feature .*: missing; ' "$tmp/old")" = 5 ] ||
    fail "not 5 features missing under 3.10"
grep -q '^kernel  *Linux 3.10.108 ' "$tmp/old" || fail "the kernel release is not 3.10.108's"

# Unprivileged with perf_event_paranoid 2: no, and the fix.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
at_exit "echo $paranoid >/proc/sys/kernel/perf_event_paranoid"
echo 2 >/proc/sys/kernel/perf_event_paranoid
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$PROFDROP" check \
    >"$tmp/nobody" 2>&1 || rc=$?
tail -1 "$tmp/nobody"
[ $rc = 1 ] || fail "check as nobody: exit $rc"
grep -q '^profdropd will run  *no: .*CAP_PERFMON.*perf_event_paranoid' "$tmp/nobody" ||
    fail "no fix named for nobody"

# A drop directory that cannot be made.
touch "$tmp/file"
rc=0
"$PROFDROP" check -o "$tmp/file/sub" >"$tmp/dir" 2>&1 || rc=$?
tail -1 "$tmp/dir"
[ $rc = 1 ] && grep -q "^profdropd will run  *no: .*file/sub" "$tmp/dir" ||
    fail "an impossible output directory: exit $rc"
