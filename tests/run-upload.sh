#!/bin/sh
# The uploader against a receiver that checks requests as Pyroscope does:
# plain HTTP (each file once, byte for byte, with its headers) and
# Pyroscope pushes (a series per service, two of them, pid and tid summed
# away, split within the sample limit, each part at its file's time, the
# parts of each service adding up to that service's samples in each
# file), read back with go tool pprof.
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
	[ "$(profile_time "$out/sent/$f" | tr -d .)" = "$start" ] ||
	    fail "$f: X-Profile-Start $start is not its time_nanos"
	[ "$(log_field "$line" end)" -gt "$start" ] || fail "$f: end <= start"
	n=$((n + 1))
done
echo "http: $n files sent, each arrived once and whole"
[ -z "$(profiles "$out")" ] ||
    fail "the last window was left unsent at the stop (--upload-drain 2s)"
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

# --- Pyroscope: two services, at most 4 samples per request, so files
# are split
svc1=$busy_pid
start_busy 60 upsvc2
start_receiver pyro -max-samples 4
out=$tmp/out-pyro
start_sampling "$tmp/log-pyro" --pid $svc1,$busy_pid --profiles cpu --rotate 1 \
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
	service=$(log_field "$line" service)
	case $service in
	upsvc|upsvc2) ;;
	*) fail "service is not the process name: $line" ;;
	esac
	case ",$(log_field "$line" labels)," in
	*,host=$(hostname),*env=test,*) ;;
	*) fail "series labels lack host or --label: $line" ;;
	esac
	assert_ge 4 "$(log_field "$line" samples)" "samples in a part"
	part=$(log_field "$line" file)
	! gopprof -raw "$part" | grep -q 'pid:\|tid:' ||
	    fail "pid or tid labels reached the server"
	t=$(log_field "$line" time)
	echo "$(stamp "$t") $service $(raw_total "$part") $t" \
	    >>"$tmp/part-sums"
done <"$tmp/pushes"
nfiles=0
for f in $(ls "$out/sent"); do
	s=$(echo "$f" | cut -d- -f2)
	for service in upsvc upsvc2; do
		got=$(awk -v s="$s" -v v=$service '$1 == s && $2 == v { t += $3 }
		    END { print t + 0 }' "$tmp/part-sums")
		assert_near "$got" "$(sum_where "$out/sent/$f" 1 \
		    "(^| )process=$service( |\$)" '')" 0 \
		    "$f: $service's samples arrived in parts against the file's"
	done
	want=$(profile_time "$out/sent/$f")
	# Nanoseconds as SECONDS.NANOSECONDS, in text: a double rounds them.
	awk -v s="$s" '$1 == s { n = length($4)
	    print substr($4, 1, n - 9) "." substr($4, n - 8) }' \
	    "$tmp/part-sums" | sort -u >"$tmp/times"
	[ "$(cat "$tmp/times")" = "$want" ] ||
	    fail "$f: parts at $(cat "$tmp/times"), not at its time $want"
	nfiles=$((nfiles + 1))
done
echo "pyroscope: $nfiles files in $nparts requests"
assert_ge $nparts $((nfiles + 1)) "requests: some file was split"
for service in upsvc upsvc2; do
	assert_ge "$(awk -v v=$service '$2 == v' "$tmp/part-sums" | wc -l)" 1 \
	    "parts of $service"
done
exit 0
