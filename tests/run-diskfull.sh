#!/bin/sh
# A full disk: sampling goes on, each window's profile is dropped with one
# error naming the directory and ENOSPC and counted, no temporary file is
# left, and profiles are written again once there is space.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

out=$tmp/full
mkdir "$out"
mount -t tmpfs -o size=256k,mode=0750 tmpfs "$out" || skip "cannot mount a tmpfs"
at_exit "umount '$out'"
dd if=/dev/zero of="$out/fill" bs=4k 2>/dev/null || true
echo "full: $(df -k "$out" | awk 'NR == 2 { print $3 " KiB used, " $4 " KiB free" }')"

start_busy 60
start_sampling "$tmp/log" --pid $busy_pid --profiles cpu --rotate 1 \
    --output-dir "$out"
n=0
until [ "$(grep -c ENOSPC "$tmp/log")" -ge 3 ]; do
	[ $n -lt 200 ] || fail "no 3 windows refused within 10 s"
	sleep 0.05
	n=$((n + 1))
done
before=$(profiles "$out" | wc -l)
temp=$(ls -A "$out" | grep -c '^\.' || true)
echo "full: $before profiles, $temp temporary files"
grep ENOSPC "$tmp/log" | head -n 1
assert_near "$before" 0 0 "profiles written on a full disk"
grep -q "^profdropd: writing the cpu profile: output directory $out is full (ENOSPC: " \
    "$tmp/log" || fail "the error does not name $out and ENOSPC"

rm "$out/fill"
wait_profile "$out"
sleep 1.5
finish_profdropd "$tmp/log" TERM
after=$(profiles "$out" | wc -l)
temp=$(ls -A "$out" | grep -c '^\.' || true)
grep drops: "$tmp/log" || fail "no drops: line"
echo "freed: $after profiles, $temp temporary files"
assert_ge "$after" 2 "profiles once space was freed"
assert_near "$temp" 0 0 "temporary files left"
for f in $(profiles "$out"); do
	gunzip_ok "$out/$f" || fail "$f is not whole"
done
full=$(sed -n 's/.*drops: .* failed (\([0-9]*\) for lack of space).*/\1/p' "$tmp/log")
errors=$(grep -c ENOSPC "$tmp/log")
echo "full: $errors ENOSPC lines, $full counted"
assert_ge "$full" 3 "windows counted as refused for lack of space"
assert_near "$full" "$errors" 0 "ENOSPC lines vs the counter"
assert_near "$(grep -c 'writing a window failed' "$tmp/log" || true)" 0 0 \
    "second lines for a window lost"
samples=$(window_counter "$tmp/log" samples)
assert_ge "$samples" 100 "samples taken over the run (sampling went on)"
