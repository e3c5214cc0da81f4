#!/bin/sh
# The uploader against a receiver that checks requests as Pyroscope does:
# plain HTTP (each file once, byte for byte, with its headers) and
# Pyroscope pushes (a series per service, pid and tid summed away, split
# within the sample limit, the parts adding up to each file's samples),
# read back with go tool pprof.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
command -v promtool >/dev/null 2>&1 ||
    fail "promtool not found: install prometheus (contrib/install-deps.sh)"
build_receiver

# --- plain HTTP, a bearer token from the environment
start_receiver http
start_busy 60 upsvc
out=$tmp/out-http
PROFDROP_UPLOAD_HEADER='Authorization: Bearer sekrit-token' \
    start_sampling "$tmp/log-http" --pid $busy_pid --profiles cpu \
    --rotate 1 --output-dir "$out" --upload http \
    --upload-url "http://127.0.0.1:$rcv_port/profiles" \
    --metrics-file "$tmp/http.prom"
wait_sent "$out" 3 20
finish_profdropd "$tmp/log-http" TERM
cat "$tmp/http.log"
! grep -q sekrit "$tmp/log-http" || fail "the token is in the daemon's log"
n=0
for f in $(ls "$out/sent"); do
	line=$(grep " name=$f " "$tmp/http.log") ||
	    fail "$f was moved to sent/ but never arrived"
	[ "$(echo "$line" | grep -c .)" = 1 ] || fail "$f arrived twice"
	cmp "$out/sent/$f" "$(log_field "$line" file)" ||
	    fail "$f arrived changed"
	[ "$(log_field "$line" type)" = cpu ] || fail "$f: type header wrong"
	[ "$(log_field "$line" auth)" = true ] || fail "$f: no Authorization"
	[ "$(log_field "$line" host)" = "$(hostname)" ] ||
	    fail "$f: host header wrong"
	start=$(log_field "$line" start)
	case $f in cpu-$(stamp "$start")-*) ;;
	*) fail "$f: X-Profile-Start $start is not the window in its name" ;;
	esac
	[ "$(log_field "$line" end)" -gt "$start" ] || fail "$f: end <= start"
	n=$((n + 1))
done
echo "http: $n files sent, each arrived once and whole"
promtool check metrics <"$tmp/http.prom" ||
    fail "promtool refuses the metrics file"
value() {
	awk -v n="$1" '$1 == n { print $2 }' "$tmp/http.prom"
}
grep '^profdrop_upload' "$tmp/http.prom"
# Metrics are written as a window ends; what was sent by then, oldest
# first, is the first files_sent of sent/.
k=$(value profdrop_upload_files_sent_total)
assert_ge "$k" 1 "files sent by the last metrics"
bytes=0
for f in $(ls "$out/sent" | head -n "$k"); do
	bytes=$((bytes + $(stat -c %s "$out/sent/$f")))
done
assert_near "$(value profdrop_upload_bytes_sent_total)" $bytes 0 \
    "bytes sent against the files' sizes"
assert_near "$(value profdrop_upload_parts_sent_total)" "$k" 0 \
    "one request per file"
assert_near "$(value profdrop_upload_files_failed_total)" 0 0 "files failed"
stop_receiver

# --- Pyroscope: at most 4 samples per request, so files are split
start_receiver pyro -max-samples 4
out=$tmp/out-pyro
start_sampling "$tmp/log-pyro" --pid $busy_pid --profiles cpu --rotate 1 \
    --output-dir "$out" --upload pyroscope --label env=test \
    --upload-url "http://127.0.0.1:$rcv_port/" --upload-max-samples 4 \
    --tenant team-a
wait_sent "$out" 3 20
finish_profdropd "$tmp/log-pyro" TERM
cat "$tmp/pyro.log"
[ -z "$(ls "$out/failed" 2>/dev/null)" ] ||
    fail "files refused: $(ls "$out/failed"); see $tmp/pyro.log"
! grep -q ' copy=[2-9]' "$tmp/pyro.log" || fail "a part arrived twice"
grep ' push ' "$tmp/pyro.log" >"$tmp/pushes"
nparts=$(grep -c . "$tmp/pushes")
: >"$tmp/part-sums"
while read -r line; do
	[ "$(log_field "$line" name)" = process_cpu ] || fail "wrong __name__"
	[ "$(log_field "$line" tenant)" = team-a ] || fail "no X-Scope-OrgID"
	[ "$(log_field "$line" service)" = upsvc ] ||
	    fail "service is not the process name: $line"
	case ",$(log_field "$line" labels)," in
	*,host=$(hostname),*env=test,*) ;;
	*) fail "series labels lack host or --label: $line" ;;
	esac
	assert_ge 4 "$(log_field "$line" samples)" "samples in a part"
	part=$(log_field "$line" file)
	! gopprof -raw "$part" | grep -q 'pid:\|tid:' ||
	    fail "pid or tid labels reached the server"
	echo "$(stamp "$(log_field "$line" time)") $(raw_total "$part")" \
	    >>"$tmp/part-sums"
done <"$tmp/pushes"
nfiles=0
for f in $(ls "$out/sent"); do
	s=$(echo "$f" | cut -d- -f2)
	got=$(awk -v s="$s" '$1 == s { t += $2 } END { print t + 0 }' \
	    "$tmp/part-sums")
	assert_near "$got" "$(raw_total "$out/sent/$f")" 0 \
	    "$f: samples arrived in parts against the file"
	nfiles=$((nfiles + 1))
done
echo "pyroscope: $nfiles files in $nparts requests"
assert_ge $nparts $((nfiles + 1)) "requests: some file was split"
exit 0
