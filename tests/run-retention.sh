#!/bin/sh
# Retention: profiles older than --max-age go at start, --max-files and
# --max-bytes hold after every window, oldest first, counting what is
# under subdirectories; symbolic links are neither followed nor removed.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

host=$(uname -n)
# stamp WHEN: a profile name's time stamp for date -d WHEN.
stamp() { date -u -d "$1" +%Y%m%dT%H%M%SZ; }
# planted DIR WHEN [BYTES]: a profile-named file in DIR from WHEN.
planted() {
	_pl=$1/cpu-$(stamp "$2")-$host.pb.gz
	head -c "${3:-100}" /dev/zero >"$_pl"
	touch -d "$2" "$_pl"
	echo "$_pl"
}
# all_profiles DIR: the profiles under DIR, subdirectories included.
all_profiles() {
	find "$1" -type f -name '*.pb.gz' | sort
}
# removed LOG: the files the daemon says it removed, summed over its passes.
removed() {
	sed -n 's/^profdropd: retention: removed \([0-9]*\) files.*/\1/p' "$1" |
	    awk '{ s += $1 } END { print s + 0 }'
}
# drops LOG: the daemon's final "drops:" line.
drops() {
	grep '^profdropd: drops: ' "$1" || fail "no drops: line in $1"
}

start_busy 60

# By age, at start: old names go whatever their mtime, in sent/ too; a
# recent profile, a file not named as a profile and a link stay.
out=$tmp/age
mkdir -p "$out/sent" "$tmp/elsewhere"
planted "$out" '3 days ago' >/dev/null
planted "$out" '2 days ago' >/dev/null
old_new_mtime=$(planted "$out" '30 hours ago')
touch "$old_new_mtime"
planted "$out/sent" '25 hours ago' >/dev/null
recent=$(planted "$out" '1 hour ago')
echo notes >"$out/notes.txt"
touch -d '10 days ago' "$out/notes.txt"
echo target >"$tmp/target"
link=$out/cpu-$(stamp '5 days ago')-$host.pb.gz
ln -s "$tmp/target" "$link"
planted "$tmp/elsewhere" '5 days ago' >/dev/null
ln -s "$tmp/elsewhere" "$out/linked"
before=$(all_profiles "$out" | wc -l)
run_profdropd_log "$tmp/age.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 2 --output-dir "$out"
grep retention: "$tmp/age.log" || true
drops "$tmp/age.log"
after=$(all_profiles "$out" | wc -l)
echo "by age: $before planted profiles (and a link, a link to a directory, notes.txt); $after after"
assert_near "$(removed "$tmp/age.log")" 4 0 "files removed as older than 24 h"
grep -q '^profdropd: retention: removed 4 files .* 4 older than --max-age' \
    "$tmp/age.log" || fail "no retention line for the 4 old files at start"
[ -f "$recent" ] || fail "a profile from an hour ago was removed"
[ -f "$out/notes.txt" ] || fail "a file not named as a profile was removed"
[ -L "$link" ] ||
    fail "a link named as an old profile was removed"
[ "$(cat "$tmp/target")" = target ] || fail "a link's target was changed"
[ -n "$(all_profiles "$tmp/elsewhere")" ] ||
    fail "an old profile was removed through a linked directory"
[ -z "$(ls "$out/sent")" ] || fail "an old profile in sent/ was kept"
assert_ge "$(profiles "$out" | wc -l)" 2 "profiles in $out (the recent one and new ones)"

# By count: --max-files counts the profiles of every kind, subdirectories
# included; the newest stay.
out=$tmp/count
mkdir -p "$out/failed"
planted "$out/failed" '1 hour ago' >/dev/null
run_profdropd_log "$tmp/count.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 5 --max-files 3 --output-dir "$out"
grep retention: "$tmp/count.log" || true
drops "$tmp/count.log"
written=$(drops "$tmp/count.log" | sed 's/.*drops: \([0-9]*\) files written.*/\1/')
left=$(all_profiles "$out" | wc -l)
echo "by count: 1 planted, $written written, $left left"
assert_near "$left" 3 0 "profiles left with --max-files 3"
assert_near "$(removed "$tmp/count.log")" $((written + 1 - 3)) 0 \
    "files removed over --max-files"
[ -z "$(ls "$out/failed")" ] || fail "the oldest profile (in failed/) was kept"
# The three left are the newest written.
[ "$(profiles "$out")" = "$(profiles "$out" | sort | tail -n 3)" ] ||
    fail "not the newest profiles were kept"

# By size: every file counts, a stranger's in sent/ too, but only profiles
# go; the oldest first.
out=$tmp/bytes
mkdir -p "$out/sent" "$out/failed"
# 102 KiB + the 2 KiB one: its first KiB of new profiles, however few
# samples they hold, passes 105 KiB.
head -c 104448 /dev/zero >"$out/sent/spool.db"
big=$(planted "$out/failed" '2 hours ago' 51200)
mid=$(planted "$out" '1 hour ago' 2048)
run_profdropd_log "$tmp/bytes.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 4 --max-bytes 105KiB --output-dir "$out"
grep retention: "$tmp/bytes.log" || true
drops "$tmp/bytes.log"
total=$(find "$out" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
echo "by size: $(all_profiles "$out" | wc -l) profiles left, $total bytes under $out"
assert_le "$total" 107520 "bytes under the directory with --max-bytes 105KiB"
[ ! -e "$big" ] || fail "the oldest profile (in failed/) was kept over --max-bytes"
[ ! -e "$mid" ] || fail "the second oldest profile was kept over --max-bytes"
[ -f "$out/sent/spool.db" ] || fail "a file not named as a profile was removed"
assert_ge "$(profiles "$out" | wc -l)" 1 "new profiles kept"
grep -q 'over --max-bytes' "$tmp/bytes.log" || fail "no retention line"

# A link planted under the names the daemon is about to use is not written
# through: the profile takes the next free name.
out=$tmp/links
mkdir "$out"
: >"$tmp/target2"
now=$(date +%s)
for s in $(seq -2 8); do
	ln -s "$tmp/target2" "$out/cpu-$(date -u -d @$((now + s)) +%Y%m%dT%H%M%SZ)-$host.pb.gz"
done
run_profdropd_log "$tmp/links.log" --pid $busy_pid --profiles cpu \
    --rotate 1 --duration 3 --output-dir "$out"
[ ! -s "$tmp/target2" ] || fail "a profile was written through a link"
n=$(find "$out" -type f -name 'cpu-*.2.pb.gz' | wc -l)
echo "links: $(find "$out" -type l | wc -l) links kept, $n profiles under their .2 names"
assert_ge "$n" 2 "profiles written beside links"
assert_near "$(find "$out" -type l | wc -l)" 11 0 "links kept"
