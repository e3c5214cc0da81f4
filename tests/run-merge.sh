#!/bin/sh
# profdrop merge: the windows of a real profdropd run summed, each sample
# type's total the sum of the inputs' as go tool pprof -raw reads them,
# the time the first window's and the duration spanning them all;
# profiles of other sample types, corrupt ones and missing ones refused
# with one line naming the file, and no output left behind.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

start_busy 10
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --duration 5 --rotate 1 --frequency 499 \
    --profiles cpu,offcpu --output-dir "$tmp/out"

for kind in cpu offcpu; do
	set -- "$tmp"/out/$kind-*.pb.gz
	[ $# -ge 4 ] || fail "$# $kind windows from a 5 s run with --rotate 1"
	for f; do
		raw_totals "$f"
	done >"$tmp/$kind.totals"
	want=$(sum_columns "$tmp/$kind.totals")
	"$PROFDROP" merge -o "$tmp/$kind.pb.gz" "$@" || fail "merge of $# $kind profiles failed"
	got=$(raw_totals "$tmp/$kind.pb.gz")
	echo "$kind: $# windows merged: $got; their sum: $want"
	[ "$got" = "$want" ] || fail "$kind: the merged totals $got are not the sum $want"
	[ "$(profile_time "$tmp/$kind.pb.gz")" = "$(profile_time "$1")" ] ||
	    fail "$kind: the merged profile does not start with the first window"
done

# A merged profile merges again; one file is the file.
"$PROFDROP" merge -o "$tmp/again.pb.gz" "$tmp/cpu.pb.gz" "$tmp/cpu.pb.gz"
got=$(raw_totals "$tmp/again.pb.gz")
raw_totals "$tmp/cpu.pb.gz" >"$tmp/twice"
raw_totals "$tmp/cpu.pb.gz" >>"$tmp/twice"
want=$(sum_columns "$tmp/twice")
[ "$got" = "$want" ] || fail "a profile merged with itself: $got, not $want"

# More inputs than are merged at once: the windows three times over.
set -- "$tmp"/out/cpu-*.pb.gz
"$PROFDROP" merge -o "$tmp/thrice.pb.gz" "$@" "$@" "$@" ||
    fail "merge of $(($# * 3)) profiles failed"
got=$(raw_totals "$tmp/thrice.pb.gz")
want=$(cat "$tmp/cpu.totals" "$tmp/cpu.totals" "$tmp/cpu.totals" | sum_columns)
echo "$(($# * 3)) profiles merged: $got; their sum: $want"
[ "$got" = "$want" ] || fail "$(($# * 3)) profiles merged: $got, not $want"

# Refusals: one line that names the file and the problem; no output file.
cpu=$(ls "$tmp"/out/cpu-*.pb.gz | head -1)
offcpu=$(ls "$tmp"/out/offcpu-*.pb.gz | head -1)
printf 'not a profile' >"$tmp/junk.pb"
gzip -c "$cpu" | head -c 100 >"$tmp/cut.pb.gz"
for c in "$offcpu|has sample types [switches/count off_cpu/nanoseconds], $cpu [samples/count cpu/nanoseconds]" \
    "$tmp/junk.pb|$tmp/junk.pb: the profile has" \
    "$tmp/cut.pb.gz|$tmp/cut.pb.gz: truncated gzip data" \
    "$tmp/none.pb.gz|$tmp/none.pb.gz: No such file or directory"; do
	f=${c%%|*} want=${c#*|}
	rc=0
	"$PROFDROP" merge -o "$tmp/bad.pb.gz" "$cpu" "$f" >"$tmp/stdout" \
	    2>"$tmp/stderr" || rc=$?
	echo "profdrop merge $(basename "$cpu") $(basename "$f"): exit $rc: $(cat "$tmp/stderr")"
	[ $rc = 1 ] || fail "exit status $rc, not 1"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "stderr is not one line"
	grep -qF "$want" "$tmp/stderr" || fail "the error does not say: $want"
	[ ! -e "$tmp/bad.pb.gz" ] || fail "an output was left after an error"
done
rc=0
"$PROFDROP" merge "$cpu" 2>"$tmp/stderr" || rc=$?
[ $rc = 2 ] && grep -q "^usage: profdrop merge " "$tmp/stderr" ||
    fail "merge without -o: exit $rc: $(cat "$tmp/stderr")"
