#!/bin/sh
# contrib/: the systemd units load; the SysV init script starts the daemon detached with its
# pidfile, says it runs, and stops it with its last window written; the
# example uploader sends every finished file once, to a local receiver,
# and moves it to sent/, never touching a temporary one.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
for t in inotifywait curl busybox systemd-analyze; do
	command -v $t >/dev/null 2>&1 ||
	    fail "$t not found: install inotify-tools, curl, busybox-static, systemd (contrib/install-deps.sh)"
done

# Both systemd units load without a complaint.
for u in profdropd profdropd-el7; do
	mkdir "$tmp/$u"
	sed "s|^ExecStart=[^ ]*|ExecStart=$PROFDROPD|" \
	    "$top_builddir/contrib/$u.service" >"$tmp/$u/profdropd.service"
	systemd-analyze verify --man=no "$tmp/$u/profdropd.service" \
	    >"$tmp/verify" 2>&1 || fail "$u.service: $(cat "$tmp/verify")"
	[ ! -s "$tmp/verify" ] || fail "$u.service: $(cat "$tmp/verify")"
done

# The init script, pointed at this build, the configuration from the
# environment (PROFDROP_<KEY>).
sed -e "s|^DAEMON=.*|DAEMON=$PROFDROPD|" \
    -e "s|^PIDFILE=.*|PIDFILE=$tmp/profdropd.pid|" \
    "$top_builddir/contrib/profdropd.init" >"$tmp/init"
mkdir "$tmp/out"
export PROFDROP_OUTPUT_DIR="$tmp/out" PROFDROP_PROFILES=cpu PROFDROP_ROTATE=2
at_exit "sh '$tmp/init' stop >/dev/null 2>&1"
sh "$tmp/init" start || fail "init start failed"
n=0
until [ -s "$tmp/profdropd.pid" ]; do
	[ $n -lt 100 ] || fail "no pidfile after start"
	sleep 0.05
	n=$((n + 1))
done
sh "$tmp/init" status | tee "$tmp/status"
grep -q "is running (pid $(cat "$tmp/profdropd.pid"))" "$tmp/status" ||
    fail "status does not say it runs"
sleep 3
sh "$tmp/init" stop
[ ! -e "$tmp/profdropd.pid" ] || fail "the pidfile is left after stop"
rc=0
sh "$tmp/init" status || rc=$?
[ $rc = 3 ] || fail "status after stop: exit $rc, not 3"
nfiles=$(profiles "$tmp/out" | grep -c . || true)
assert_ge "$nfiles" 2 "files the daemon run by the init script wrote"

# A receiver: busybox httpd with a CGI that keeps each body it is sent.
mkdir -p "$tmp/www/cgi-bin" "$tmp/got"
cat >"$tmp/www/cgi-bin/recv" <<EOF
#!/bin/sh
f=$tmp/got/\$(date +%s%N).\${HTTP_X_PROFILE_TYPE:-x}
head -c "\$CONTENT_LENGTH" >"\$f"
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'
EOF
chmod +x "$tmp/www/cgi-bin/recv"
start_httpd "$tmp/www"
port=$httpd_port

# The uploader sends what is there, then what appears; a hidden
# temporary file is never sent.
sh "$top_srcdir/contrib/profdrop-upload.sh" "$tmp/out" \
    "http://127.0.0.1:$port/cgi-bin/recv" 2>"$tmp/upload.err" &
up=$!
bg_track $up
start_busy 8
start_sampling "$tmp/log" --pid $busy_pid --profiles cpu --rotate 1 \
    --duration 3 --output-dir "$tmp/out"
# Planted once the daemon runs: at start it removes a dead writer's.
touch "$tmp/out/.profdrop-1-0.tmp"
finish_profdropd "$tmp/log"
n=0
until [ -z "$(profiles "$tmp/out")" ]; do
	# The uploader's wait for a new name times out after 10 s.
	[ $n -lt 300 ] || fail "files not sent: $(profiles "$tmp/out")"
	sleep 0.05
	n=$((n + 1))
done
kill $up 2>/dev/null || true
sent=$(ls "$tmp/out/sent" | grep -c '\.pb\.gz$')
got=$(ls "$tmp/got" | grep -c .)
echo "sent/: $sent files; the receiver got $got bodies"
[ "$sent" = "$got" ] || fail "$sent files in sent/, $got received"
for f in "$tmp"/got/*; do
	gzip -t "$f" || fail "a body is not a whole gzip file"
done
[ -e "$tmp/out/.profdrop-1-0.tmp" ] || fail "the temporary file was moved"
! grep -q 'profdrop-1-0' "$tmp/upload.err" || fail "the temporary file was sent"
