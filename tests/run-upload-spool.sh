#!/bin/sh
# The drop directory as the spool while the server is down: files kept
# longer than --upload-max-age go to failed/ unsent, the reason logged,
# and the newer ones are sent once the server is up; retention
# (--max-files) bounds the directory, sent/ and failed/ included, while
# the server is down, and counts the files it removed unsent.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
build_receiver
PDRETIME=$top_builddir/tests/pdretime
start_busy 120 upsvc
fast="--upload-backoff 100ms --upload-backoff-max 400ms"
# A port nobody listens on, then the same port served.
start_receiver probe
port=$rcv_port
stop_receiver
url=http://127.0.0.1:$port/p
out=$tmp/out

# all_profiles: every profile under $out, subdirectories included.
all_profiles() {
	find "$out" -type f -name 'cpu-*.pb.gz' | sort
}
metric() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# --- an outage longer than --upload-max-age: the server down while the
# daemon ran, the files of its first windows five and four minutes old.
start_sampling "$tmp/log-down" --pid $busy_pid --profiles cpu --rotate 1 \
    --output-dir "$out" --upload http $fast --upload-url "$url" \
    --upload-drain 0
n=0
until [ "$(profiles "$out" | wc -l)" -ge 4 ]; do
	[ $n -lt 200 ] || fail "fewer than 4 profiles within 10 s"
	sleep 0.05
	n=$((n + 1))
done
finish_profdropd "$tmp/log-down" TERM
[ -z "$(ls "$out/sent" 2>/dev/null)" ] || fail "sent with the server down"
now=$(date +%s)
aged=
i=5
for f in $(profiles "$out" | head -n 2); do
	t=$((now - 60 * i))
	old=cpu-$(stamp ${t}000000000)-$(echo "$f" | cut -d- -f3-)
	"$PDRETIME" "$out/$f" "$out/$old" $t 1 || fail "pdretime $f failed"
	rm "$out/$f"
	aged="$aged $old"
	i=$((i - 1))
done
waiting=$(profiles "$out" | wc -l)
echo "after the outage: $waiting files waiting, aged:$aged"

start_receiver age -addr "127.0.0.1:$port"
start_sampling "$tmp/log-age" --pid $busy_pid --profiles cpu --rotate 1 \
    --output-dir "$out" --upload http $fast --upload-url "$url" \
    --upload-max-age 1m
# Those of the outage not aged, and two new ones.
wait_sent "$out" $waiting 20
finish_profdropd "$tmp/log-age" TERM
cat "$tmp/age.log"
grep upload: "$tmp/log-age"
for f in $aged; do
	[ -f "$out/failed/$f" ] || fail "$f, 4 min old or more, not in failed/"
	! grep -q " name=$f " "$tmp/age.log" || fail "$f was sent, too old"
	grep -q "upload: $f not sent within --upload-max-age ([0-9]* s since" \
	    "$tmp/log-age" || fail "no reason logged for $f"
done
assert_near "$(ls "$out/failed" | grep -c .)" 2 0 "files in failed/"
assert_near "$(metric "$tmp/log-age.prom" \
    profdrop_upload_files_failed_total)" 2 0 "files failed in the metrics"
for f in $(ls "$out/sent"); do
	[ "$(grep -c " name=$f " "$tmp/age.log")" = 1 ] ||
	    fail "$f did not arrive exactly once"
done
assert_ge "$(ls "$out/sent" | grep -c .)" $((waiting - 2)) \
    "files sent, those of the outage within --upload-max-age among them"
stop_receiver

# --- retention while the server is down: --max-files 4 over the top
# directory, sent/ and failed/, oldest first, counting the unsent.
old_kept=$(find "$out/sent" "$out/failed" -name 'cpu-*.pb.gz' | wc -l)
assert_ge "$old_kept" 5 "profiles in sent/ and failed/ before"
top=$(profiles "$out" | wc -l)
start_sampling "$tmp/log-full" --pid $busy_pid --profiles cpu --rotate 1 \
    --output-dir "$out" --upload http $fast --upload-url "$url" \
    --max-files 4 --upload-drain 0
most=0
n=0
while [ $n -lt 120 ]; do
	k=$(all_profiles | wc -l)
	[ "$k" -le "$most" ] || most=$k
	sleep 0.05
	n=$((n + 1))
done
finish_profdropd "$tmp/log-full" TERM
grep 'retention:' "$tmp/log-full"
left=$(all_profiles | wc -l)
echo "with --max-files 4: at most $most profiles seen during 6 s, $left at the end"
assert_le "$most" 5 "profiles under the directory during the run (one being written)"
assert_near "$left" 4 0 "profiles under the directory at the end"
[ -z "$(find "$out/sent" "$out/failed" -name 'cpu-*.pb.gz')" ] ||
    fail "sent/ or failed/ kept a profile older than the newest four"
prom=$tmp/log-full.prom
written=$(sed -n 's/.*drops: \([0-9]*\) files written.*/\1/p' "$tmp/log-full")
removed=$(metric "$prom" profdrop_files_removed_total)
unsent=$(metric "$prom" profdrop_upload_files_removed_unsent_total)
echo "$top waiting and $written written; removed $removed: $old_kept" \
    "from sent/ and failed/, $unsent unsent"
# Nothing was sent: all but the four newest of the top directory went.
assert_near "$unsent" $((top + written - 4)) 0 "unsent files removed"
assert_near "$removed" $((old_kept + unsent)) 0 \
    "files removed: those of sent/ and failed/, and the unsent"
# Said once a minute (repeats are counted), not counted there.
grep -q "retention: [0-9]* of them were never sent" "$tmp/log-full" ||
    fail "no warning that retention removed unsent files"
exit 0
