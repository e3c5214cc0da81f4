#!/bin/sh
# The uploader on a realistic load: profdropd sampling the whole system
# (cpu, offcpu, wall) for 20 one-second windows while several programs
# run, pushing to Pyroscope with the default --upload-max-samples and
# --upload-max-bytes. Every file arrives, nothing is refused (the
# receiver checks Pyroscope's limits), and the figures are printed: the
# largest request, the largest profile before compression, samples per
# part, and the delay from a file's write to its arrival.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/upload-subr.sh"
require_root
require_perf_events
mount_tracefs
build_receiver
start_busy 40 loada
start_busy 40 loadb
sh -c 'while :; do ls -lR /proc/self/ >/dev/null 2>&1; done' &
bg_track $!
sh -c 'while :; do head -c 200000 /dev/urandom | gzip >/dev/null; sleep 0.01; done' &
bg_track $!

start_receiver load
out=$tmp/out
start_sampling "$tmp/log" --rotate 1 --duration 20 --output-dir "$out" \
    --upload pyroscope --upload-url "http://127.0.0.1:$rcv_port" \
    --upload-drain 10s
finish_profdropd "$tmp/log"
grep 'upload' "$tmp/log" || true
grep ' push ' "$tmp/load.log" >"$tmp/pushes" || fail "nothing pushed"
echo "$(wc -l <"$tmp/pushes") parts pushed, $(grep -vc ' push ' "$tmp/load.log")" \
    "other lines in the receiver's log; parts per service:"
sed 's/.* service=\([^ ]*\) .*/\1/' "$tmp/pushes" | sort | uniq -c |
    sort -rn | head -n 8
[ -z "$(ls "$out/failed" 2>/dev/null)" ] ||
    fail "refused: $(ls "$out/failed"); see $(grep -v ' push ' "$tmp/load.log")"
# One request per service and part: on a busy host the uploader may fall
# behind one-second windows; what is left waits for the next start.
echo "left unsent at the stop: $(ls "$out" | grep -c '\.pb\.gz$')"
nfiles=$(ls "$out/sent" | wc -l)
assert_ge "$nfiles" 20 "files sent (20 windows, three types)"

for k in body raw samples; do
	sed -n "s/.* $k=\([0-9]*\) .*/\1/p" "$tmp/pushes" | sort -n >"$tmp/$k"
done
nparts=$(wc -l <"$tmp/samples")
echo "$nfiles files in $nparts parts; largest request body $(tail -1 "$tmp/body")" \
    "bytes, largest profile $(tail -1 "$tmp/raw") bytes before compression;" \
    "samples per part: median $(sed -n "$(((nparts + 1) / 2))p" "$tmp/samples")," \
    "max $(tail -1 "$tmp/samples")"
assert_le "$(tail -1 "$tmp/raw")" 4194304 "largest profile, bytes (Pyroscope: 4 MiB)"
assert_le "$(tail -1 "$tmp/samples")" 16000 "most samples in a part (Pyroscope: 16000)"

# The delay from each file's last write (just before it was synced and
# renamed into the directory) to the arrival of its last part; a file's
# parts carry its time_nanos.
: >"$tmp/delays"
for f in $(ls "$out/sent"); do
	t=$(profile_time "$out/sent/$f" | tr -d .)
	arrived=$(awk -v t="$t" '{ for (i = 2; i <= NF; i++) if ($i == "time=" t) a = $1 }
	    END { print a }' "$tmp/pushes")
	# A file with no sample has no part to send.
	[ -n "$arrived" ] || continue
	awk -v a="$arrived" -v w="$(stat -c %.6Y "$out/sent/$f")" \
	    'BEGIN { printf "%.3f\n", a - w }' >>"$tmp/delays"
done
sort -n "$tmp/delays" -o "$tmp/delays"
n=$(wc -l <"$tmp/delays")
assert_ge "$n" 20 "files whose delay is measured"
median=$(sed -n "$(((n + 1) / 2))p" "$tmp/delays")
echo "delay from write to arrival over $n files: median $median s, max $(tail -1 "$tmp/delays") s"
exit 0
