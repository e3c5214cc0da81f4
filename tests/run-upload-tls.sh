#!/bin/sh
# The uploader over HTTPS: the server's certificate verified against
# --upload-ca (sent with the right CA, a clear error with another), and a
# server that requires a client certificate: sent with --upload-cert and
# --upload-key, refused with a clear error without them or with another.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
command -v openssl >/dev/null 2>&1 ||
    fail "openssl not found: install openssl (contrib/install-deps.sh)"
build_receiver
start_busy 120 upsvc
fast="--upload-backoff 100ms --upload-backoff-max 400ms"

# mkcert NAME: a self-signed certificate for 127.0.0.1 and its key.
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/$1.key" \
	    -out "$tmp/$1.pem" 2>/dev/null || fail "openssl req failed"
}

# send NAME ARGS...: the daemon sending to the receiver over HTTPS with
# ARGS for 3 s, or until a file is sent; its log in $tmp/log-NAME, its
# directory $tmp/out-NAME.
send() {
	_sd=$1
	shift
	start_sampling "$tmp/log-$_sd" --pid $busy_pid --profiles cpu \
	    --rotate 1 --output-dir "$tmp/out-$_sd" --upload http $fast \
	    --upload-url "https://127.0.0.1:$rcv_port/p" --upload-drain 0 "$@"
	_sd_n=0
	while [ $_sd_n -lt 60 ] && [ -z "$(ls "$tmp/out-$_sd/sent" 2>/dev/null)" ]; do
		sleep 0.05
		_sd_n=$((_sd_n + 1))
	done
	finish_profdropd "$tmp/log-$_sd" TERM
	echo "$_sd: $(ls "$tmp/out-$_sd/sent" 2>/dev/null | wc -l) sent"
	grep 'upload:' "$tmp/log-$_sd" || true
}

# sent NAME: whether the run NAME sent a file that arrived.
sent() {
	_st=$(ls "$tmp/out-$1/sent" 2>/dev/null | head -n 1)
	[ -n "$_st" ] && grep -q " name=$_st " "$tmp/$rcv_log.log"
}

mkcert server
mkcert stranger
mkcert client

# --- the server's certificate: the right CA, another
rcv_log=tls
start_receiver tls -tls-cert "$tmp/server.pem" -tls-key "$tmp/server.key"
send ca --upload-ca "$tmp/server.pem"
sent ca || fail "not sent with the server's CA"
send wrong-ca --upload-ca "$tmp/stranger.pem"
! sent wrong-ca && [ -z "$(ls "$tmp/out-wrong-ca/sent" 2>/dev/null)" ] ||
    fail "sent with the wrong CA"
grep -q "certificate is not trusted.*--upload-ca" "$tmp/log-wrong-ca" ||
    fail "no clear error for the wrong CA"
stop_receiver

# --- a client certificate required: given, missing, another
rcv_log=mtls
start_receiver mtls -tls-cert "$tmp/server.pem" -tls-key "$tmp/server.key" \
    -client-ca "$tmp/client.pem"
send cert --upload-ca "$tmp/server.pem" --upload-cert "$tmp/client.pem" \
    --upload-key "$tmp/client.key"
sent cert || fail "not sent with the client certificate"
send no-cert --upload-ca "$tmp/server.pem"
send other-cert --upload-ca "$tmp/server.pem" \
    --upload-cert "$tmp/stranger.pem" --upload-key "$tmp/stranger.key"
cat "$tmp/mtls.log"
for run in no-cert other-cert; do
	[ -z "$(ls "$tmp/out-$run/sent" 2>/dev/null)" ] ||
	    fail "$run: sent to a server that requires the client's certificate"
	grep -q "TLS: the server refused the client certificate.*--upload-cert" \
	    "$tmp/log-$run" || fail "$run: no clear error"
done
# Every arrival is a file of the run with the certificate: in its sent/,
# or still in its directory when the stop came between the server's
# answer and the move.
for name in $(sed -n 's/.* http n=[0-9]* name=\([^ ]*\) .*/\1/p' "$tmp/mtls.log"); do
	[ -e "$tmp/out-cert/sent/$name" ] || [ -e "$tmp/out-cert/$name" ] ||
	    fail "$name arrived, but not from the run with the client certificate"
done
assert_ge "$(grep -c ' http n=' "$tmp/mtls.log")" 1 \
    "files that arrived with the client certificate"
exit 0
