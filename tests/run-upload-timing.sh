#!/bin/sh
# How long the uploader waits, from the receiver's log times: between
# tries at least what Retry-After asks; without it a wait that doubles
# from --upload-backoff, jittered (half to all of it) and capped by
# --upload-backoff-max. On a stop it has --upload-drain to send the last
# window, and the daemon exits when it has, or when that time is up.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
build_receiver
start_busy 120 upsvc

# gaps LOG N: the seconds between the receiver's first N+1 requests.
gaps() {
	grep -E 'request [0-9]+: answered 500| http n=' "$1" | head -n $(($2 + 1)) |
	    awk 'NR > 1 { printf "%.3f\n", $1 - last } { last = $1 }'
}

# run_faults NAME ARGS...: the daemon sending to the receiver until one
# file is sent, with ARGS added.
run_faults() {
	_rf=$1
	shift
	start_sampling "$tmp/log-$_rf" --pid $busy_pid --profiles cpu \
	    --rotate 1 --output-dir "$tmp/out-$_rf" --upload http \
	    --upload-url "http://127.0.0.1:$rcv_port/p" "$@"
	wait_sent "$tmp/out-$_rf" 1 30
	finish_profdropd "$tmp/log-$_rf" TERM
	stop_receiver
	cat "$tmp/$_rf.log"
}

# --- three 500s asking Retry-After: 2; --upload-backoff is 100ms
start_receiver after -fail 3 -retry-after 2
run_faults after --upload-backoff 100ms --upload-backoff-max 400ms
[ "$(gaps "$tmp/after.log" 3 | wc -l)" = 3 ] || fail "fewer than 4 requests"
for g in $(gaps "$tmp/after.log" 3); do
	assert_ge "$g" 2 "seconds to the next try after Retry-After: 2"
	assert_le "$g" 3 "seconds to the next try after Retry-After: 2"
done

# --- six 500s without it: 200ms doubling up to 1600ms, jittered
start_receiver backoff -fail 6
run_faults backoff --upload-backoff 200ms --upload-backoff-max 1600ms
b=0.2
low=0
k=1
for g in $(gaps "$tmp/backoff.log" 6); do
	assert_ge "$g" "$(awk -v b=$b 'BEGIN { print b / 2 }')" \
	    "wait $k, of at most $b s (half of it at least)"
	assert_le "$g" "$(awk -v b=$b 'BEGIN { print b + 0.15 }')" \
	    "wait $k, of at most $b s"
	# Jitter: unjittered waits would all be within 10% of the most.
	low=$(awk -v g="$g" -v b=$b -v l=$low 'BEGIN { print l + (g < 0.9 * b) }')
	b=$(awk -v b=$b 'BEGIN { b *= 2; print (b > 1.6 ? 1.6 : b) }')
	k=$((k + 1))
done
[ $k = 7 ] || fail "fewer than 7 requests"
assert_ge "$low" 1 "waits shorter than 90% of the most (jitter)"

# --- a stop sends the last window: a 30 s window cut short by SIGTERM,
# a server answering in 300 ms, then none answering.
start_receiver drain -slow 300ms
for drain in 2s 0; do
	out=$tmp/out-drain-$drain
	start_sampling "$tmp/log-drain-$drain" --pid $busy_pid --profiles cpu \
	    --rotate 30 --output-dir "$out" --upload http \
	    --upload-url "http://127.0.0.1:$rcv_port/p" --upload-drain $drain
	sleep 1
	finish_profdropd "$tmp/log-drain-$drain" TERM
	echo "--upload-drain $drain: left $(profiles "$out" | wc -l)," \
	    "sent $(ls "$out/sent" 2>/dev/null | wc -l)"
done
cat "$tmp/drain.log"
last=$(ls "$tmp/out-drain-2s/sent")
[ -n "$last" ] && [ -z "$(profiles "$tmp/out-drain-2s")" ] ||
    fail "the last window was not sent within --upload-drain 2s"
grep -q " name=$last " "$tmp/drain.log" || fail "$last did not arrive"
[ -n "$(profiles "$tmp/out-drain-0")" ] ||
    fail "with --upload-drain 0 the last window did not wait for the next start"
stop_receiver
out=$tmp/out-down
start_sampling "$tmp/log-down" --pid $busy_pid --profiles cpu --rotate 30 \
    --output-dir "$out" --upload http --upload-drain 1500ms \
    --upload-url "http://127.0.0.1:$rcv_port/p"
sleep 1
t0=$(now_ms)
finish_profdropd "$tmp/log-down" TERM
took=$(($(now_ms) - t0))
grep 'upload' "$tmp/log-down"
assert_ge $took 1500 "ms to stop with nobody to send to, --upload-drain 1500ms"
assert_le $took 3500 "ms to stop with nobody to send to, --upload-drain 1500ms"
grep -q 'upload: 1 files left unsent after --upload-drain' "$tmp/log-down" ||
    fail "no message for the file left unsent"
exit 0
