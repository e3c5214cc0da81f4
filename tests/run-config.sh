#!/bin/sh
# The configuration: a file of "key = value" lines, PROFDROP_<KEY> in the
# environment and the command line, in that order of precedence; every
# error names the file and line (or the variable), the key and what is
# valid; enabled = no switches the daemon off; --check-config reports.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

conf=$tmp/profdrop.conf
failures=

# bad REGEX [VAR=VALUE...]: profdropd -c $conf --check-config fails with
# exit 2 and one stderr line matching REGEX.
bad() {
	re=$1
	shift
	rc=0
	env "$@" "$PROFDROPD" -c "$conf" --check-config >"$tmp/out" \
	    2>"$tmp/err" || rc=$?
	echo "$(head -1 "$conf") $*: exit $rc: $(cat "$tmp/err")"
	why=
	[ $rc = 2 ] || why="exit status $rc"
	[ "$(grep -c . "$tmp/err")" = 1 ] || why="$why; stderr is not one line"
	grep -Eq -e "$re" "$tmp/err" || why="$why; message does not match /$re/"
	[ -z "$why" ] || failures="$failures
  $(head -1 "$conf") $*: ${why#; }"
}

printf 'output-dir = %s\nbogus = 1\n' "$tmp" >"$conf"
bad "profdrop.conf:2: bogus: no such key"
printf 'rotate 10\n' >"$conf"
bad "profdrop.conf:1: rotate 10: give key = value"
printf '# comment\n\nrotate = 0\n' >"$conf"
bad "profdrop.conf:3: --rotate 0: out of range; give 1s to 1d"
printf 'rotate = 10x\n' >"$conf"
bad "profdrop.conf:1: --rotate 10x: not a number with a unit"
printf 'unwind-memory = 1M\n' >"$conf"
bad "profdrop.conf:1: --unwind-memory 1M: .*MiB"
printf 'cycles = maybe\n' >"$conf"
bad "profdrop.conf:1: cycles = maybe: give yes or no"
printf 'profiles = cpu,heap\n' >"$conf"
bad "profdrop.conf:1: --profiles cpu,heap: unknown profile heap"
printf 'help = yes\n' >"$conf"
bad "profdrop.conf:1: help: no such key"
printf 'output-dir = %s\n' "$tmp" >"$conf"
bad "PROFDROP_FREQUENCY: --frequency abc: not a whole number" \
    PROFDROP_FREQUENCY=abc
bad "PROFDROP_MAX_AGE: --max-age 1w: not a number with a unit" \
    PROFDROP_MAX_AGE=1w
# A bad value is an error even where a higher level overrides it.
printf 'output-dir = %s\nrotate = 0\n' "$tmp" >"$conf"
bad "profdrop.conf:2: --rotate 0" PROFDROP_ROTATE=10
rc=0
"$PROFDROPD" -c "$tmp/missing.conf" --check-config 2>"$tmp/err" || rc=$?
grep -q "missing.conf: No such file" "$tmp/err" && [ $rc = 2 ] ||
    failures="$failures
  -c missing: exit $rc: $(cat "$tmp/err")"
[ -z "$failures" ] || fail "bad configurations not handled:$failures"

# Precedence: command line > environment > file; a list at a higher level
# replaces the lower one's; units in the file.
printf 'output-dir = %s\nrotate = 1m\nduration = 2h\nlabel = env=prod\nlabel = team=db\nverbose = yes\n' \
    "$tmp" >"$conf"
PROFDROP_ROTATE=30 PROFDROP_LABEL=team=web "$PROFDROPD" -c "$conf" \
    --check-config --duration 90s >"$tmp/report"
cat "$tmp/report"
for want in "rotate = 30	(PROFDROP_ROTATE)" "duration = 90s	(--duration)" \
    "label = team=web	(PROFDROP_LABEL)" "verbose = yes	($conf:6)"; do
	grep -qxF "$want" "$tmp/report" || fail "--check-config lacks: $want"
done
! grep -q "env=prod\|team=db" "$tmp/report" ||
    fail "the environment's label did not replace the file's"

# The per-host switch.
printf 'output-dir = %s\nenabled = no\n' "$tmp" >"$conf"
rc=0
"$PROFDROPD" -c "$conf" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
[ $rc = 0 ] && grep -q "disabled by the configuration" "$tmp/out" ||
    fail "enabled = no: exit $rc"
rc=0
PROFDROP_ENABLED=false "$PROFDROPD" --output-dir "$tmp" >"$tmp/out" 2>&1 ||
    rc=$?
[ $rc = 0 ] && grep -q "disabled" "$tmp/out" || fail "PROFDROP_ENABLED=false: exit $rc"

# A real run configured by the file alone.
start_busy 6
mkdir "$tmp/out-dir"
printf 'output-dir = %s\npid = %s\nduration = 2s\nrotate = 1m\nprofiles = cpu\nlabel = service=checkout\nfrequency = 199\n' \
    "$tmp/out-dir" $busy_pid >"$conf"
run_profdropd_log "$tmp/log" -c "$conf"
f=$tmp/out-dir/$(profiles "$tmp/out-dir")
[ -f "$f" ] || fail "no profile written with the file's settings"
v=$(tag_values "$f" service | sort -u)
[ "$v" = checkout ] || fail "label from the file: '$v'"
echo "run from the file: $(sample_count "$f") samples, service=$v"
