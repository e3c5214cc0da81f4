#!/bin/sh
# The uploader through faults: a server down at start, then hanging,
# answering 500 and refusing a file with 400; the daemon killed with -9
# in the middle of a split file and started again.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
build_receiver
start_busy 120 upsvc
fast="--upload-backoff 100ms --upload-backoff-max 400ms"

# --- down at start; then one hang, three 500s, a 400 (request 5)
start_receiver probe
port=$rcv_port
stop_receiver
out=$tmp/out-outage
start_sampling "$tmp/log-outage" --pid $busy_pid --profiles cpu \
    --rotate 1 --output-dir "$out" --upload http $fast \
    --upload-timeout 1s --upload-url "http://127.0.0.1:$port/p" \
    --metrics-file "$tmp/outage.prom"
sleep 3
written=$(ls "$out" | grep -c '\.pb\.gz$' || true)
echo "server down 3 s: $written files waiting"
assert_ge "$written" 2 "files waiting while the server is down"
start_receiver outage -addr "127.0.0.1:$port" -hang 1 -hang-for 3s \
    -fail 4 -refuse-at 5
wait_sent "$out" $((written + 2)) 30
finish_profdropd "$tmp/log-outage" TERM
cat "$tmp/outage.log"
grep upload "$tmp/log-outage"
[ "$(ls "$out/failed" | grep -c .)" = 1 ] ||
    fail "not one file in failed/: $(ls "$out/failed")"
grep -q "refused: HTTP 400: test refusal" "$tmp/log-outage" ||
    fail "the refusal's reason is not logged"
for f in $(ls "$out/sent"); do
	[ "$(grep -c " name=$f " "$tmp/outage.log")" = 1 ] ||
	    fail "$f did not arrive exactly once"
done
! grep -q ' copy=2' "$tmp/outage.log" || fail "a file arrived twice"
retries=$(awk '$1 == "profdrop_upload_retries_total" { print $2 }' \
    "$tmp/outage.prom")
assert_ge "$retries" 4 "retries (outage, hang, three 500s)"
echo "outage: $(sed -n 's/.*drops: \([0-9]*\) files written.*/\1/p' \
    "$tmp/log-outage") files written, $(ls "$out/sent" | wc -l) sent," \
    "$retries retries, $(ls "$out/failed" | wc -l) failed"
# From the file's last write (just before it was synced and renamed into
# the directory) to the server, for the last file sent.
last=$(ls "$out/sent" | tail -1)
written=$(stat -c %.6Y "$out/sent/$last")
arrived=$(grep " name=$last " "$tmp/outage.log" | cut -d' ' -f1)
echo "$last: arrived $(awk -v a="$arrived" -v w="$written" \
    'BEGIN { printf "%.3f", a - w }') s after it was written"
stop_receiver

# --- killed with -9 in the middle of a file sent in parts of 2 samples
start_receiver kill -slow 300ms
out=$tmp/out-kill
args="--pid $busy_pid --profiles cpu --rotate 1 --output-dir $out
    --upload pyroscope --upload-url http://127.0.0.1:$rcv_port
    --upload-max-samples 2 $fast"
start_sampling "$tmp/log-kill1" $args
n=0
until [ "$(grep -c ' push ' "$tmp/kill.log")" -ge 3 ]; do
	[ $n -lt 200 ] || fail "no pushes within 10 s"
	sleep 0.05
	n=$((n + 1))
done
kill -KILL $pd_pid
wait $pd_pid 2>/dev/null || true
sleep 0.5
before=$(ls "$out" "$out/sent" | grep '\.pb\.gz$' | sort)
ls -a "$out"
start_sampling "$tmp/log-kill2" $args --metrics-file "$tmp/kill.prom"
for f in $before; do
	n=0
	until [ -f "$out/sent/$f" ]; do
		[ $n -lt 600 ] || fail "$f not sent 30 s after the restart"
		sleep 0.05
		n=$((n + 1))
	done
done
sleep 1.2
finish_profdropd "$tmp/log-kill2" TERM
grep ' push ' "$tmp/kill.log" >"$tmp/pushes"
dups=$(grep -c ' copy=2' "$tmp/pushes" || true)
resent=$(awk '$1 == "profdrop_upload_parts_resent_total" { print $2 }' \
    "$tmp/kill.prom")
echo "after kill -9: $dups parts arrived twice, $resent counted as resent"
assert_ge 1 "$dups" "parts sent twice (only the one in flight may be)"
assert_ge "$resent" "$dups" "resends counted against parts arriving twice"
: >"$tmp/part-sums"
while read -r line; do
	[ "$(log_field "$line" copy)" = 1 ] || continue
	echo "$(stamp "$(log_field "$line" time)")" \
	    "$(raw_total "$(log_field "$line" file)")" >>"$tmp/part-sums"
done <"$tmp/pushes"
for f in $before; do
	s=$(echo "$f" | cut -d- -f2)
	assert_near "$(awk -v s="$s" '$1 == s { t += $2 } END { print t + 0 }' \
	    "$tmp/part-sums")" "$(raw_total "$out/sent/$f")" 0 \
	    "$f: samples arrived across the kill"
done
stop_receiver

exit 0
