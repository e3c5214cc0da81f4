#!/bin/sh
# Rotation: one finished profile per window, named by its start time, and
# never a partial file in sight.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=199 secs=7 rot=2
start_busy $((secs + 3))
mkdir "$tmp/out"
(
	while [ ! -e "$tmp/stop" ]; do
		for g in "$tmp"/out/*; do
			[ -f "$g" ] || continue
			echo "$g" >>"$tmp/checked"
			gunzip_ok "$g" || { [ ! -e "$g" ] || echo "$g" >>"$tmp/partial"; }
		done
		sleep 0.05
	done
) &
watcher=$!
bg_track $watcher
t0=$(cpu_ticks $busy_pid)
run_profdropd --pid $busy_pid --frequency $hz --rotate $rot --duration $secs \
    --output-dir "$tmp/out"
want=$(samples_for $hz $(($(cpu_ticks $busy_pid) - t0)))
touch "$tmp/stop"
wait $watcher

ls -A "$tmp/out"
assert_ge "$(cat "$tmp/checked" 2>/dev/null | wc -l)" 10 "files gzip-tested while the daemon ran"
[ ! -e "$tmp/partial" ] || fail "partial files were visible: $(sort -u "$tmp/partial")"
leftover=$(ls -A "$tmp/out" | grep '^\.' || true)
[ -z "$leftover" ] || fail "temporary files left behind: $leftover"
files=$(profiles "$tmp/out")
assert_ge "$(echo "$files" | grep -c . || true)" 3 "profiles from $secs s rotated every $rot s"

# In ls order: start times rise, and windows after the first (which may be
# cut short to align) start every $rot s.
host=$(uname -n) i=0 prev=0 total=0
for name in $files; do
	f=$tmp/out/$name
	gunzip_ok "$f" || fail "$name is not valid gzip"
	stamp=${name#cpu-}
	stamp=${stamp%%-*}
	[ "$name" = "cpu-$stamp-$host.pb.gz" ] ||
	    fail "$name is not named cpu-YYYYmmddTHHMMSSZ-$host.pb.gz"
	t=$(date -u -d "$(echo "$stamp" |
	    sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6/')" +%s) ||
	    fail "bad time stamp in $name"
	start=$(profile_time "$f")
	[ -n "$start" ] || fail "$name has no start time (time_nanos)"
	assert_near "$start" "$t.5" 0.5 "$name: start time in the profile vs the name"
	gap=$(awk -v a="$start" -v b="$prev" 'BEGIN { printf "%.3f\n", a - b }')
	i=$((i + 1))
	case $i in
	1) ;;
	2) assert_ge "$gap" 0.001 "$name: seconds after the window before" ;;
	*) assert_near "$gap" $rot 0.1 "$name: seconds after the window before" ;;
	esac
	prev=$start
	n=$(sample_count "$f")
	echo "$name: $n samples"
	total=$((total + n))
done
assert_near $total $want $((want / 4)) "samples in all windows at $hz Hz over the CPU time hot631 used"
