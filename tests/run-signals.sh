#!/bin/sh
# SIGTERM and SIGINT: the daemon writes the window it is in and exits 0.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=199
start_busy 15
for sig in TERM INT; do
	out=$tmp/out-$sig
	mkdir "$out"
	t0=$(cpu_ticks $busy_pid)
	start_profdropd --pid $busy_pid --frequency $hz --output-dir "$out"
	sleep 2
	kill -$sig $pd_pid
	wait_exit $pd_pid 10
	want=$(samples_for $hz $(($(cpu_ticks $busy_pid) - t0)))
	echo "SIG$sig: exit status $exit_rc, files: $(ls -A "$out" | tr '\n' ' ')"
	[ $exit_rc = 0 ] || fail "SIG$sig: exit status $exit_rc"
	files=$(profiles "$out")
	[ "$(echo "$files" | grep -c .)" = 1 ] || fail "SIG$sig: expected one profile"
	for kind in cpu offcpu wall; do
		ls "$out" | grep -q "^$kind-.*\.pb\.gz\$" ||
		    fail "SIG$sig: no $kind profile"
	done
	[ "$(ls -A "$out" | grep -vc '^\(cpu\|offcpu\|wall\)-.*\.pb\.gz$')" = 0 ] ||
	    fail "SIG$sig: other files left behind"
	gunzip_ok "$out/$files" || fail "SIG$sig: $files is not valid gzip"
	n=$(sample_count "$out/$files")
	assert_near "$n" $want $((want / 4)) "SIG$sig: samples at $hz Hz over the CPU time hot631 used"
done

# SIGUSR1 ends the window now; the daemon goes on. A second daemon with
# the same --pidfile is refused while the first runs; the file goes when
# it exits. --log-level warn keeps the window lines out.
out=$tmp/out-usr1
mkdir "$out"
start_sampling "$tmp/usr1.log" --pid $busy_pid --frequency $hz --rotate 1h \
    --pidfile "$tmp/pd.pid" --log-level warn --output-dir "$out"
sleep 1
[ "$(cat "$tmp/pd.pid")" = $pd_pid ] ||
    fail "the pidfile holds '$(cat "$tmp/pd.pid")', not $pd_pid"
kill -USR1 $pd_pid
n=0
until [ -n "$(profiles "$out")" ]; do
	[ $n -lt 60 ] || fail "SIGUSR1 wrote no window within 3 s"
	sleep 0.05
	n=$((n + 1))
done
kill -0 $pd_pid || fail "the daemon exited after SIGUSR1"
echo "SIGUSR1: $(profiles "$out") after $((n * 50)) ms"
rc=0
"$PROFDROPD" --foreground --pidfile "$tmp/pd.pid" --output-dir "$out" \
    2>"$tmp/second" || rc=$?
cat "$tmp/second"
[ $rc != 0 ] && grep -q "already runs (pid $pd_pid)" "$tmp/second" ||
    fail "a second daemon on the same pidfile: exit $rc"
finish_profdropd "$tmp/usr1.log" TERM
[ ! -e "$tmp/pd.pid" ] || fail "the pidfile is still there"
[ "$(profiles "$out" | grep -c .)" = 2 ] ||
    fail "SIGUSR1 then SIGTERM: $(profiles "$out" | tr '\n' ' ')"
! grep -q "window:" "$tmp/usr1.log" || fail "--log-level warn logged windows"

# The open files limit: raised from a low soft limit to the hard one.
(ulimit -Sn 64 && ulimit -Hn 4096 &&
    exec "$PROFDROPD" --foreground --profiles cpu --output-dir "$out" \
    --duration 3) 2>"$tmp/nofile.log" &
nofile_pid=$!
bg_track $nofile_pid
wait_sampling $nofile_pid
soft=$(awk '/^Max open files/ { print $4 }' /proc/$nofile_pid/limits)
echo "open files: soft limit $soft, started at 64, hard 4096"
[ "$soft" = 4096 ] || fail "the open files limit is $soft, not raised to 4096"
wait_exit $nofile_pid 20
[ $exit_rc = 0 ] || { cat "$tmp/nofile.log" >&2; fail "exit $exit_rc under 64 files"; }
