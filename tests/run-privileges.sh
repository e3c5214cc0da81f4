#!/bin/sh
# Least privilege, read from /proc/PID/status: once sampling, the daemon and
# the symbolizer keep only read access (CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE,
# and CAP_CHECKPOINT_RESTORE where the kernel has it), a window writer keeps
# none, and no exec can give any back (bounding set, no_new_privs). With
# that, a program of another user whose binary only its owner may read is
# still named; the uploader keeps none either. With --user, every process
# runs as that user and a root program's private binary is named too.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

last_cap=$(cat /proc/sys/kernel/cap_last_cap)
read_caps=$(( (1 << 2) | (1 << 19) ))
[ "$last_cap" -lt 40 ] || read_caps=$((read_caps | (1 << 40)))
read_caps=$(printf '%016x' $read_caps)
none=0000000000000000

# status_field PID FIELD: the field of /proc/PID/status, blanks squeezed.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' '
}

# check_caps WHAT PID CAPS: PID holds CAPS, effective and permitted, and
# can gain no more.
check_caps() {
	for _cc_f in CapEff CapPrm; do
		_cc_v=$(status_field $2 $_cc_f)
		echo "$1 (pid $2): $_cc_f $_cc_v"
		[ "$_cc_v" = "$3" ] || fail "$1: $_cc_f is $_cc_v, not $3"
	done
	_cc_v=$(status_field $2 CapBnd)
	[ "$_cc_v" = "$read_caps" ] || fail "$1: CapBnd is $_cc_v, not $read_caps"
	[ "$(status_field $2 NoNewPrivs)" = 1 ] || fail "$1: no_new_privs unset"
	[ "$(status_field $2 CapAmb)" = "$none" ] || fail "$1: ambient capabilities"
}

# check_processes UID: the daemon, its symbolizer and a window writer
# (caught while the stopped symbolizer keeps it waiting) run as UID with
# the capabilities they should have.
check_processes() {
	sym=$(pgrep -P $pd_pid -x profdropd-sym) || fail "no symbolizer process"
	up=$(pgrep -P $pd_pid -x profdropd-send) || fail "no uploader process"
	for p in $pd_pid $sym $up; do
		[ "$(status_field $p Uid)" = "$1 $1 $1 $1" ] ||
		    fail "pid $p runs as $(status_field $p Uid), not uid $1"
	done
	check_caps daemon $pd_pid $read_caps
	check_caps symbolizer $sym $read_caps
	check_caps uploader $up $none
	kill -STOP $sym
	n=0
	until writer=$(pgrep -P $pd_pid -x profdropd-write); do
		[ $n -lt 100 ] || { kill -CONT $sym; fail "no window writer in 5 s"; }
		sleep 0.05
		n=$((n + 1))
	done
	writer=$(echo $writer | cut -d' ' -f1)
	check_caps writer $writer $none
	[ "$(status_field $writer Uid)" = "$1 $1 $1 $1" ] ||
	    fail "the writer runs as $(status_field $writer Uid), not uid $1"
	kill -CONT $sym
}

# check_named DIR PROG: the longest CPU window in DIR names PROG's samples.
check_named() {
	f= best=-1
	for g in $(profiles "$1" | grep '^cpu-'); do
		n=$(sample_count "$1/$g")
		[ "$n" -le "$best" ] || { f=$g best=$n; }
	done
	raw_traces "$1/$f" -tagfocus="comm=^$2\$" >"$tmp/$2.traces"
	echo "$f: $2 $(trace_count "$tmp/$2.traces") samples"
	hot631_named "$tmp/$2.traces" "$2 in $f"
}

chmod 0711 "$tmp"
nobody=$(id -u nobody)
nogroup=$(id -g nobody)

# A program nobody runs, from a directory only nobody may enter.
mkdir "$tmp/theirs"
cp "$top_builddir/tests/hot631" "$tmp/theirs/hot-theirs"
chown -R $nobody:$nogroup "$tmp/theirs"
chmod 0500 "$tmp/theirs/hot-theirs"
chmod 0700 "$tmp/theirs"
setpriv --reuid=$nobody --regid=$nogroup --clear-groups \
    "$tmp/theirs/hot-theirs" 20 &
theirs_pid=$!
bg_track $theirs_pid
n=0
until [ "$(readlink /proc/$theirs_pid/exe)" = "$tmp/theirs/hot-theirs" ]; do
	[ $n -lt 100 ] || fail "hot-theirs did not start within 5 s"
	sleep 0.05
	n=$((n + 1))
done
mkdir "$tmp/out"
# The uploader sends to a port where nothing listens: it runs, retrying.
upload="--upload http --upload-url http://127.0.0.1:$(free_port)/"
start_sampling "$tmp/log" --frequency 499 --rotate 1 --duration 6 \
    --output-dir "$tmp/out" --metrics-file "$tmp/metrics.prom" $upload
check_processes 0
finish_profdropd "$tmp/log"
kill -KILL $theirs_pid 2>/dev/null || true
check_named "$tmp/out" hot-theirs
grep '^profdrop_frames_total' "$tmp/metrics.prom"

# As --user nobody: a root program in a directory only root may enter.
mkdir -m 0700 "$tmp/ours"
cp "$top_builddir/tests/hot631" "$tmp/ours/hot-ours"
chmod 0700 "$tmp/ours/hot-ours"
start_program "$tmp/ours/hot-ours" 20
mkdir "$tmp/out2"
start_sampling "$tmp/log2" --frequency 499 --rotate 1 --duration 6 \
    --output-dir "$tmp/out2" --user nobody $upload
check_processes $nobody
finish_profdropd "$tmp/log2"
stop_program
[ "$(stat -c %u "$tmp/out2")" = $nobody ] ||
    fail "the drop directory is not nobody's"
check_named "$tmp/out2" hot-ours

# A user that does not exist is refused before anything starts.
rc=0
run_profdropd --user no-such-user-here --output-dir "$tmp/out3" \
    --duration 1 2>"$tmp/err" || rc=$?
cat "$tmp/err"
[ $rc = 2 ] || fail "--user no-such-user-here: exit status $rc, not 2"
grep -q 'no such user' "$tmp/err" || fail "--user: no message naming the problem"
[ ! -e "$tmp/out3" ] || fail "--user no-such-user-here created the drop directory"
