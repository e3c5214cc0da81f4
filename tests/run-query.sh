#!/bin/sh
# profdrop query: the drop directory as a profile store.
#  - Tags: two real profdropd runs with --label run=one and run=two into
#    one directory, part of it moved to sent/ as an uploader does; each
#    query's totals are the sum of go tool pprof -raw's over the files it
#    should take.
#  - Times: a directory of windows at known times (tests/pdretime), with
#    --since and --until as RFC 3339; the windows listed are exactly the
#    ones that overlap.
#  - --when: a real Prometheus holding a metric that is high in known
#    intervals (an OpenMetrics file made into blocks by promtool); the
#    windows chosen are exactly the ones those intervals overlap.
#  - A query matching nothing, bad arguments and a bad expression: one line
#    on stderr, exit status 1.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

PDRETIME=$top_builddir/tests/pdretime
require_built "$PDRETIME"
for t in prometheus promtool curl; do
	command -v $t >/dev/null 2>&1 ||
	    fail "$t not found: install it (contrib/install-deps.sh)"
done

# sum_totals FILE...: raw_totals of the files, summed by sample type.
sum_totals() {
	for _st in "$@"; do
		raw_totals "$_st"
	done | sum_columns
}

# query_totals WHAT EXPECTED ARGS...: profdrop query ARGS -o, whose totals
# must be EXPECTED.
query_totals() {
	_qt_what=$1 _qt_want=$2
	shift 2
	rm -f "$tmp/q.pb.gz"
	"$PROFDROP" query "$@" -o "$tmp/q.pb.gz" ||
	    fail "$_qt_what: profdrop query $* failed"
	_qt_got=$(raw_totals "$tmp/q.pb.gz")
	echo "$_qt_what: $_qt_got (expected $_qt_want)"
	[ "$_qt_got" = "$_qt_want" ] || fail "$_qt_what: totals $_qt_got, not $_qt_want"
}

# query_lists WHAT EXPECTED-FILE ARGS...: the files profdrop query -l ARGS
# lists are those of EXPECTED-FILE, in order.
query_lists() {
	_ql_what=$1 _ql_want=$2
	shift 2
	"$PROFDROP" query -l "$@" >"$tmp/list" || fail "$_ql_what: profdrop query -l $* failed"
	cat "$tmp/list"
	grep -v '^#' "$tmp/list" | awk '{ print $NF }' >"$tmp/listed"
	diff "$_ql_want" "$tmp/listed" >&2 ||
	    fail "$_ql_what: profdrop query -l lists other files"
}

# query_fails WHAT MESSAGE ARGS...: profdrop query ARGS exits 1 with one
# line on stderr that says MESSAGE, and writes nothing.
query_fails() {
	_qf_what=$1 _qf_msg=$2
	shift 2
	rm -f "$tmp/q.pb.gz"
	_qf_rc=0
	"$PROFDROP" query "$@" >"$tmp/stdout" 2>"$tmp/stderr" || _qf_rc=$?
	echo "$_qf_what: exit $_qf_rc: $(cat "$tmp/stderr")"
	[ $_qf_rc = 1 ] || fail "$_qf_what: exit status $_qf_rc, not 1"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "$_qf_what: stderr is not one line"
	grep -qF -- "$_qf_msg" "$tmp/stderr" || fail "$_qf_what: the error does not say: $_qf_msg"
	[ ! -e "$tmp/q.pb.gz" ] && [ ! -s "$tmp/stdout" ] ||
	    fail "$_qf_what: output after an error"
}

# --- Tags, and sent/, on two real runs.
start_busy 20
drop=$tmp/drop
mkdir "$drop"
run_profdropd_log "$tmp/log" --duration 3 --rotate 1 --frequency 499 \
    --label run=one --output-dir "$drop"
mkdir "$drop/sent"
ls "$drop"/cpu-*.pb.gz >"$tmp/one"
# An uploader's sent/: the older half of the first run.
for f in $(head -2 "$tmp/one"); do
	mv "$f" "$drop/sent/"
done
ls "$drop"/sent/cpu-*.pb.gz "$drop"/cpu-*.pb.gz >"$tmp/one"
run_profdropd_log "$tmp/log" --duration 3 --rotate 1 --frequency 499 \
    --label run=two --output-dir "$drop"
ls "$drop"/cpu-*.pb.gz | grep -vxF -f "$tmp/one" >"$tmp/two"
echo "run one: $(wc -l <"$tmp/one") cpu windows, two in sent/;" \
    "run two: $(wc -l <"$tmp/two")"
[ "$(wc -l <"$tmp/two")" -ge 3 ] || fail "too few windows in the second run"

query_totals "run=one" "$(sum_totals $(cat "$tmp/one"))" -d "$drop" --tag run=one
query_totals "run=two" "$(sum_totals $(cat "$tmp/two"))" -d "$drop" \
    --tag run=two --since -10m --until now
query_totals "all" "$(sum_totals $(cat "$tmp/one" "$tmp/two"))" -d "$drop"
# busy_totals FILE...: hot631's samples in the files, summed.
busy_totals() {
	for _bt; do
		raw_totals "$_bt" -tagfocus=pid=$busy_pid
	done | sum_columns
}
query_totals "pid=$busy_pid, run=two or one" \
    "$(busy_totals $(cat "$tmp/one" "$tmp/two"))" -d "$drop" --tag pid=$busy_pid
query_totals "the second run's hot631" "$(busy_totals $(cat "$tmp/two"))" \
    -d "$drop" --tag pid=$busy_pid --tag run=two
# The files, in the order of their windows, sent/ with the others.
sort_by_name_time() {
	awk '{ n = $0; sub(/.*\//, "", n); sub(/^[a-z]*-/, "", n); print n, $0 }' "$1" |
	    sort | cut -d' ' -f2
}
sort_by_name_time "$tmp/one" >"$tmp/one.sorted"
query_lists "run=one" "$tmp/one.sorted" -d "$drop" --tag run=one
# profdrop.conf's drop directory when --dir is not given.
PROFDROP_OUTPUT_DIR=$drop "$PROFDROP" query -l --tag run=two >"$tmp/list" ||
    fail "query without --dir, PROFDROP_OUTPUT_DIR set, failed"
[ "$(grep -c . "$tmp/list")" = "$(wc -l <"$tmp/two")" ] ||
    fail "PROFDROP_OUTPUT_DIR: the second run's windows are not all listed"
query_fails "a tag no sample has" "no cpu profile with samples tagged run=three in $drop" \
    -d "$drop" -l --tag run=three
query_fails "before the runs" "no cpu profile until" -d "$drop" -l --until -1h

# --- Times: ten windows of a minute from 2024-01-01T00:00:00Z, the first
# five in sent/, each a real window of the runs above given that time.
store=$tmp/store
retime_store "$store" cpu 10 5 $(cat "$tmp/one" "$tmp/two")
# window N...: the files of those windows, one a line.
window() {
	for _w; do
		sed -n "$((_w + 1))p" "$tmp/store.files"
	done
}
window 2 3 4 >"$tmp/want"
query_lists "00:02:30 to 00:05:00" "$tmp/want" -d "$store" \
    --since 2024-01-01T00:02:30Z --until 2024-01-01T00:05:00Z
query_totals "00:02:30 to 00:05:00" "$(sum_totals $(cat "$tmp/want"))" \
    -d "$store" --since 2024-01-01T00:02:30Z --until 2024-01-01T00:05:00Z
window 0 >"$tmp/want"
query_lists "an offset, a fraction" "$tmp/want" -d "$store" \
    --since 2024-01-01T01:00:30.5+01:00 --until 2024-01-01T00:01:00Z
window 9 >"$tmp/want"
query_lists "since 00:09:59" "$tmp/want" -d "$store" --since 2024-01-01T00:09:59Z
query_fails "after the last window" "no cpu profile since 2024-01-01T00:10:00.000Z in $store" \
    -d "$store" --since 2024-01-01T00:10:00Z -o "$tmp/q.pb.gz"

# --- --when: a gauge, one sample per 15 s for the ten minutes, from two
# instances; above 1 at 135-165 s and 525-555 s (a), and at 300 s (b);
# exactly 1 at 420 s, which is not above.
awk -v t0=$t0 'BEGIN {
	print "# HELP profdrop_test_latency_seconds p99 latency"
	print "# TYPE profdrop_test_latency_seconds gauge"
	for (s = 0; s <= 600; s += 15) {
		a = (s >= 135 && s <= 165) || (s >= 525 && s <= 555) ? 2 : \
		    s == 420 ? 1 : 0.5
		b = s == 300 ? 3 : 0.2
		printf "profdrop_test_latency_seconds{instance=\"a\"} %s %d\n", a, t0 + s
		printf "profdrop_test_latency_seconds{instance=\"b\"} %s %d\n", b, t0 + s
	}
	print "# EOF"
}' >"$tmp/metrics.om"
promtool tsdb create-blocks-from openmetrics "$tmp/metrics.om" "$tmp/tsdb" \
    >"$tmp/promtool.out" 2>&1 || {
	cat "$tmp/promtool.out" >&2
	fail "promtool could not make blocks of the OpenMetrics file"
}
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prometheus.yml"
port=$(free_port)
prometheus --config.file="$tmp/prometheus.yml" \
    --storage.tsdb.path="$tmp/tsdb" --storage.tsdb.retention.time=100y \
    --web.listen-address=127.0.0.1:$port >"$tmp/prometheus.log" 2>&1 &
bg_track $!
n=0
until curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; do
	[ $n -lt 300 ] || {
		cat "$tmp/prometheus.log" >&2
		fail "prometheus was not ready within 30 s"
	}
	sleep 0.1
	n=$((n + 1))
done

# A sample at t stands for (t - 15 s, t]: (120, 165] is window 2, (285,
# 300] window 4, (510, 555] windows 8 and 9.
window 2 4 8 9 >"$tmp/want"
query_lists "--when" "$tmp/want" -d "$store" --since 2024-01-01T00:00:00Z \
    --until 2024-01-01T00:10:00Z --when 'profdrop_test_latency_seconds > 1' \
    --prometheus "http://127.0.0.1:$port/"
cp "$tmp/list" "$tmp/when.list"
for span in '(2024-01-01T00:02:00.000Z, 2024-01-01T00:02:45.000Z]' \
    '(2024-01-01T00:04:45.000Z, 2024-01-01T00:05:00.000Z]' \
    '(2024-01-01T00:08:30.000Z, 2024-01-01T00:09:15.000Z]'; do
	grep -qxF "# when: $span" "$tmp/when.list" ||
	    fail "--when: the interval $span is not listed"
done
[ "$(grep -c '^# when:' "$tmp/when.list")" = 3 ] || fail "--when: other intervals listed"
query_totals "--when" "$(sum_totals $(cat "$tmp/want"))" -d "$store" \
    --when 'profdrop_test_latency_seconds > 1' --prometheus "http://127.0.0.1:$port"
# Without --since, the range starts with the files; points every minute,
# 0 where false: 1 at 300 s (b) and 540 s (a), not at 420 s (exactly 1).
window 4 8 >"$tmp/want"
query_lists "--when, --step 1m" "$tmp/want" -d "$store" --step 1m \
    --until 2024-01-01T00:10:00Z \
    --when 'max(profdrop_test_latency_seconds) > bool 1' \
    --prometheus "http://127.0.0.1:$port"
query_fails "--when never true" "no cpu profile when profdrop_test_latency_seconds > 5 was true (0 intervals)" \
    -d "$store" -l --when 'profdrop_test_latency_seconds > 5' \
    --prometheus "http://127.0.0.1:$port"
query_fails "a bad expression" "parse error" -d "$store" -l --when 'rate(' \
    --prometheus "http://127.0.0.1:$port"
query_fails "a string" "invalid expression type" -d "$store" \
    --when '"x"' --prometheus "http://127.0.0.1:$port" -o "$tmp/q.pb.gz"
query_fails "not Prometheus" "HTTP status 404, not a Prometheus answer" -d "$store" \
    --when 'up' --prometheus "http://127.0.0.1:$port/graph" -o "$tmp/q.pb.gz"
query_fails "no server" "/api/v1/query_range: " -d "$store" --when 'up' \
    --prometheus "http://127.0.0.1:$(free_port)" -o "$tmp/q.pb.gz"

# --- Bad arguments: one line that names the option and the fix.
query_fails "a bad time" "--since yesterday: not a time" -d "$store" -l --since yesterday
query_fails "a bad type" '--profiles cpu,heap: no profile type "heap"' -d "$store" -l --profiles cpu,heap
query_fails "two types merged" "--profiles: one type to merge" -d "$store" -o "$tmp/q.pb.gz" --profiles cpu,wall
query_fails "no directory" "drop directory $tmp/none: No such file or directory" -d "$tmp/none" -l
query_fails "--when alone" "--when and --prometheus go together" -d "$store" -l --when up
query_fails "a bad step" "--step 0s: not a duration" -d "$store" -l --step 0s \
    --when up --prometheus "http://127.0.0.1:$port"
query_fails "a bad URL" "give the server's http:// or https:// URL" -d "$store" -l \
    --when up --prometheus "file:///etc/passwd"
printf 'not a profile' >"$store/cpu-20240101T001000Z-testhost.pb.gz"
query_fails "a corrupt window" "$store/cpu-20240101T001000Z-testhost.pb.gz: the profile has" \
    -d "$store" -o "$tmp/q.pb.gz"

# --- Hostile answers: a web server (busybox httpd, a CGI script) answering
# query_range with what Prometheus never sends. Each gets one line and exit
# status 1; none crashes, none is read past its cap.
rm "$store/cpu-20240101T001000Z-testhost.pb.gz"
www=$tmp/www
mkdir -p "$www/cgi-bin"
cat >"$www/cgi-bin/answer" <<'CGI'
#!/bin/sh
printf 'Content-Type: application/json\r\n\r\n'
cat "$(dirname "$0")/../answer.json"
CGI
chmod +x "$www/cgi-bin/answer"
start_httpd "$www"
hport=$httpd_port
ok='{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1704067335,"2"]]}]}}'
# A well-formed answer, served the same way, to show the server works.
printf '%s' "$ok" >"$www/answer.json"
window 2 >"$tmp/want"
query_lists "an answer from busybox httpd" "$tmp/want" -d "$store" \
    --since 2024-01-01T00:00:00Z --until 2024-01-01T00:10:00Z --when up \
    --prometheus "http://127.0.0.1:$hport/cgi-bin/answer"
deep=$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }')
for c in \
    "${ok%???????}|not a query_range answer: an unterminated string at byte" \
    "$ok garbage|not a query_range answer: the end at byte" \
    '{"status":"success","warnings":'"$deep"'|values nested too deep' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1e999,"2"]]}]}}|a number' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"values":[["1704067335","2"]]}]}}|a number at byte' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"values":[[-5,"2"]]}]}}|a point'"'"'s time' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1704067335,"2x"]]}]}}|a point'"'"'s value' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1704067335,"2\u0000"]]}]}}|a point'"'"'s value' \
    '{"status":"success","data":{"resultType":"vector","result":[]}}|the answer is a vector, not a matrix' \
    '{"status":"error","errorType":"x","error":"bad\u0007\n\u001b[31mthing"}|bad? ?[31mthing (HTTP status 200)' \
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b\x"}}]}}|a bad escape' \
    'big|the answer is over 16 MiB'; do
	answer=${c%|*} want=${c##*|}
	if [ "$answer" = big ]; then
		awk 'BEGIN { printf "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[";
		    for (i = 0; i < 400000; i++) printf "{\"metric\":{},\"values\":[[1704067335,\"2\"]]},";
		    print "{}]}}" }' >"$www/answer.json"
	else
		printf '%s' "$answer" >"$www/answer.json"
	fi
	query_fails "hostile: $want" "$want" -d "$store" -l --when up \
	    --prometheus "http://127.0.0.1:$hport/cgi-bin/answer"
done
