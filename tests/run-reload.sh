#!/bin/sh
# SIGHUP reads the configuration again: a valid change to a key that can
# change live is used from the next window and said; a key that needs a
# restart says so and keeps its value; a file with an error is refused
# whole, named with its line, and the running configuration kept.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

out=$tmp/out conf=$tmp/profdrop.conf
mkdir "$out"
cat >"$conf" <<CONF
output-dir = $out
profiles = cpu
rotate = 1
log-level = info
CONF
start_busy 30
# Not start_sampling: its --metrics-file would win over the file's.
start_profdropd --pid $busy_pid -c "$conf" 2>"$tmp/log"
wait_sampling $pd_pid
sleep 1

# hup_says PATTERN WHAT: send SIGHUP and wait for the log to say PATTERN.
hup_says() {
	_n=$(grep -c . "$tmp/log" || true)
	kill -HUP $pd_pid
	_i=0
	until tail -n +$((_n + 1)) "$tmp/log" | grep -q "$1"; do
		[ $_i -lt 100 ] || { cat "$tmp/log" >&2; fail "$2"; }
		sleep 0.05
		_i=$((_i + 1))
	done
	tail -n +$((_n + 1)) "$tmp/log" | grep SIGHUP
}

hup_says "has not changed" "SIGHUP on an unchanged file said nothing"

# rotate can change live; profiles cannot; log-level warn hides the
# window lines, and the live changes' lines, from then on.
cat >"$conf" <<CONF
output-dir = $out
profiles = cpu, offcpu
rotate = 3
log-level = warn
metrics-file = $tmp/m.prom
CONF
hup_says "profiles changed; it takes effect when profdropd restarts" \
    "a key that needs a restart was not said"
# None yet if the first window had not ended (log-level warn is live now).
lines=$(grep -c "window:" "$tmp/log" || true)
sleep 0.5
before=$(profiles "$out" | grep -c .)
sleep 7
after=$(profiles "$out" | grep -c .)
echo "files: $before, 7 s later $after"
assert_near $((after - before)) 2 1 "windows in 7 s at rotate = 3"
[ "$(grep -c "window:" "$tmp/log" || true)" = $lines ] ||
    fail "window lines logged at log-level warn"
[ -s "$tmp/m.prom" ] || fail "the metrics file now asked for is not written"
profiles "$out" | grep -q '^offcpu-' && fail "profiles changed without a restart"

# A bad value: refused with file:line, nothing applied.
cat >"$conf" <<CONF
output-dir = $out
profiles = cpu
rotate = 1
max-age = 3 weeks
CONF
hup_says "$conf:4: " "a bad file was not named with its line"
grep -q "running configuration is kept" "$tmp/log" ||
    fail "a bad file did not say the configuration is kept"
grep "SIGHUP: rotate = 1" "$tmp/log" && fail "a bad file changed rotate"
kill -0 $pd_pid || fail "the daemon exited on a bad file"

# Keys back to their defaults: say so.
printf 'output-dir = %s\nprofiles = cpu, offcpu\n' "$out" >"$conf"
hup_says "SIGHUP: rotate = its default" "a key gone from the file was not said"
finish_profdropd "$tmp/log" TERM
