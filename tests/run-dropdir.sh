#!/bin/sh
# The drop directory: made (0750, files 0640) when missing, given to
# --group; the temporary files of writers no longer running are removed at
# start, a running writer's kept; killed with kill -9, the daemon leaves
# no partial file under a profile's name.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

start_busy 60

# Made when missing, for the group asked: setgid, so that its files take
# the group (the writers, with no capability, could not give it).
group=$(getent group 65534 | cut -d: -f1)
[ -n "$group" ] || fail "no group with gid 65534 (nogroup) to give the directory to"
out=$tmp/made/drops
mkdir "$tmp/made"
(umask 077 && run_profdropd_log "$tmp/made.log" --pid $busy_pid \
    --profiles cpu --rotate 1 --duration 2 --group "$group" --output-dir "$out")
echo "made: $(stat -c '%A %G' "$out") $out"
[ "$(stat -c '%a %G' "$out")" = "2750 $group" ] ||
    fail "$out is $(stat -c '%a %G' "$out"), not 2750 $group"
n=0
for f in $(profiles "$out"); do
	echo "made: $(stat -c '%A %G' "$out/$f") $f"
	[ "$(stat -c '%a %G' "$out/$f")" = "640 $group" ] ||
	    fail "$f is $(stat -c '%a %G' "$out/$f"), not 640 $group"
	n=$((n + 1))
done
assert_ge $n 2 "profiles in the directory made"

# Temporary files at start: a dead writer's and one whose PID now names
# another program go; a running profdropd's and a link stay.
out=$tmp/stale
mkdir "$out"
sh -c 'exit 0' &
dead=$!
wait $dead
cp "$(command -v sleep)" "$tmp/profdropd"
"$tmp/profdropd" 60 &
live=$!
bg_track $live
echo partial >"$out/.profdrop-$dead-0.tmp"
echo partial >"$out/.profdrop-$busy_pid-3.tmp"
echo partial >"$out/.profdrop-$live-7.tmp"
ln -s "$tmp/target" "$out/.profdrop-$dead-1.tmp"
echo target >"$tmp/target"
ls -A "$out" | sed 's/^/stale: before: /'
run_profdropd_log "$tmp/stale.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 1 --output-dir "$out"
grep 'temporary files' "$tmp/stale.log" || fail "no line about the temporary files removed"
grep drops: "$tmp/stale.log"
ls -A "$out" | sed 's/^/stale: after: /'
[ ! -e "$out/.profdrop-$dead-0.tmp" ] || fail "a dead writer's temporary file was kept"
[ ! -e "$out/.profdrop-$busy_pid-3.tmp" ] ||
    fail "a temporary file of a PID that is no profdropd was kept"
[ -f "$out/.profdrop-$live-7.tmp" ] || fail "a running writer's temporary file was removed"
[ -L "$out/.profdrop-$dead-1.tmp" ] && [ "$(cat "$tmp/target")" = target ] ||
    fail "a link named as a temporary file was removed or followed"
grep -q '^profdropd: .*: removed 2 temporary files' "$tmp/stale.log" ||
    fail "not 2 temporary files removed"
grep -q 'drops: .* 2 removed' "$tmp/stale.log" || fail "the 2 files are not counted"

# kill -9 of the daemon and its writers, as soon as a writer is seen at
# work: whatever has a profile's name is whole; the next start removes
# what the writers left.
out=$tmp/killed
mkdir "$out"
killed=0 seen=0
for try in 1 2 3; do
	start_sampling "$tmp/killed.log" --rotate 1 --output-dir "$out"
	n=0
	until ls -A "$out" | grep -q "^\.profdrop-"; do
		[ $n -lt 3000 ] || break
		n=$((n + 1))
	done
	[ $n = 3000 ] || seen=$((seen + 1))
	# Stopped first, the daemon forks no writer the kill would miss.
	kill -STOP $pd_pid
	kill -KILL $(pgrep -P $pd_pid) $pd_pid 2>/dev/null || true
	wait $pd_pid 2>/dev/null || true
	killed=$((killed + 1))
done
# Each start removed what the kill before left; the last kill's remain.
sleep 0.2
left=$(ls -A "$out" | grep -c '^\.profdrop-' || true)
for f in $(ls "$out"); do
	gunzip_ok "$out/$f" || fail "$f is not whole after kill -9"
done
echo "killed: $killed daemons with their writers ($seen seen writing), $(ls "$out" | wc -l) whole profiles, $left temporary files left"
run_profdropd_log "$tmp/restart.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 1 --output-dir "$out"
grep -E 'temporary files|drops:' "$tmp/restart.log" || true
[ $left = 0 ] || grep -q "removed $left temporary files" "$tmp/restart.log" ||
    fail "the restart did not remove the $left temporary files left"
[ -z "$(ls -A "$out" | grep '^\.')" ] ||
    fail "temporary files left after a restart: $(ls -A "$out" | grep '^\.')"
