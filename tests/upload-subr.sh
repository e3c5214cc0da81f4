# upload-subr.sh: helpers of the uploader's tests, sourced after test-subr.sh.

# build_receiver: tests/upload-receiver.go (standard library only) built
# offline into $tmp/receiver.
build_receiver() {
	require_go_pprof
	go_build "$srcdir/upload-receiver.go" "$tmp/receiver"
}

# start_receiver NAME ARGS...: the receiver, storing bodies in $tmp/NAME,
# logging to $tmp/NAME.log; sets rcv_pid and rcv_port.
start_receiver() {
	_sr=$1
	shift
	mkdir -p "$tmp/$_sr"
	rm -f "$tmp/$_sr.port"
	"$tmp/receiver" -dir "$tmp/$_sr" -port-file "$tmp/$_sr.port" "$@" \
	    2>>"$tmp/$_sr.log" &
	rcv_pid=$!
	bg_track $rcv_pid
	wait_for_file "$tmp/$_sr.port" 10
	rcv_port=$(cat "$tmp/$_sr.port")
}

stop_receiver() {
	kill $rcv_pid 2>/dev/null || true
	wait $rcv_pid 2>/dev/null || true
}

# wait_sent DIR N SECONDS: wait until DIR/sent holds N profiles.
wait_sent() {
	_ws_n=0
	until [ "$(ls "$1/sent" 2>/dev/null | grep -c '\.pb\.gz$')" -ge "$2" ]; do
		[ $_ws_n -lt $(($3 * 20)) ] ||
		    fail "fewer than $2 files in $1/sent after $3 s"
		sleep 0.05
		_ws_n=$((_ws_n + 1))
	done
}

# raw_total FILE: the first value summed over the samples, as go tool
# pprof -raw prints them.
raw_total() {
	gopprof -raw "$1" >/dev/null
	awk '/^Samples:/ { s = 1; getline; next } /^[A-Z]/ { s = 0 }
	    s && $2 ~ /:$/ { t += $1 } END { print t + 0 }' "$tmp/pprof.out"
}

# log_field LINE KEY: the value of KEY=VALUE in a receiver's log line.
log_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# stamp NANOSECONDS: the UTC time in profdropd's file names.
stamp() {
	date -u -d "@$(($1 / 1000000000))" +%Y%m%dT%H%M%SZ
}
