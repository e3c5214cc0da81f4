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
