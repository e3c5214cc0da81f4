#!/bin/sh
# The metrics file: the Prometheus text format promtool accepts, replaced
# after every window, its counters agreeing with the profiles written.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
command -v promtool >/dev/null 2>&1 ||
    fail "promtool not found: install prometheus (contrib/install-deps.sh)"

hz=199
start_busy 8
mkdir "$tmp/out" "$tmp/textfile"
run_profdropd_log "$tmp/log" --pid $busy_pid --frequency $hz --rotate 2 \
    --duration 5 --profiles cpu --output-dir "$tmp/out" \
    --metrics-file "$tmp/textfile/profdrop.prom"
m=$tmp/textfile/profdrop.prom
cat "$m"
promtool check metrics <"$m" || fail "promtool refuses the metrics file"
[ -z "$(ls "$tmp/textfile" | grep -v '^profdrop\.prom$')" ] ||
    fail "files left beside the metrics file: $(ls "$tmp/textfile")"

# value NAME: a sample's value in the file.
value() {
	awk -v n="$1" '$1 == n { print $2 }' "$m"
}

files=$(profiles "$tmp/out")
nfiles=$(echo "$files" | grep -c .)
total=0 bytes=0
for f in $files; do
	total=$((total + $(sample_count "$tmp/out/$f")))
	bytes=$((bytes + $(stat -c %s "$tmp/out/$f")))
done
echo "profiles: $nfiles, $total samples"
assert_near "$(value profdrop_samples_kept_total)" $total 0 \
    "profdrop_samples_kept_total against the samples in the profiles"
assert_near "$(value 'profdrop_windows_total{result="written"}')" $nfiles 0 \
    "windows written against the files"
assert_near "$(value 'profdrop_windows_total{result="failed"}')" 0 0 \
    "windows failed"
assert_near "$(value profdrop_files_written_total)" $nfiles 0 \
    "files written against the files"
assert_near "$(value profdrop_written_bytes_total)" $bytes 0 \
    "bytes written against the files' sizes"
# Each file takes some time to write, and all of them less than the run.
assert_ge "$(value profdrop_write_seconds_total)" 0.000001 \
    "seconds spent writing the files"
assert_ge 5 "$(value profdrop_write_seconds_total)" \
    "the run's 5 s against the seconds spent writing"
unwound=$(($(value 'profdrop_unwinds_total{result="complete"}') + \
    $(value 'profdrop_unwinds_total{result="truncated"}') + \
    $(value 'profdrop_unwinds_total{result="failed"}')))
# The log's window lines say the same.
logged=$(awk '/^profdropd: window: .* stacks unwound / {
	for (i = 1; i < NF; i++) if ($i == "unwound") s += $(i + 1)
} END { print s + 0 }' "$tmp/log")
assert_near $unwound "$logged" 0 "unwinds in the metrics against the log"
# Each profile's nameless locations: distinct addresses per profile.
unknown=0
for f in $files; do
	n=$(raw_locations "$tmp/out/$f" | grep -c '\[unknown\]' || true)
	unknown=$((unknown + n))
done
assert_near "$(value 'profdrop_frames_total{result="unknown"}')" $unknown 0 \
    "unknown frames against the profiles' nameless locations"
assert_ge "$(value 'profdrop_frames_total{result="named"}')" 1 "named frames"
assert_near "$(value profdrop_cpus_unsampled)" 0 0 "CPUs not sampled"
assert_ge "$(value profdrop_resident_memory_bytes)" 1000000 "resident bytes"
assert_ge "$(value profdrop_processes)" 1 "processes tracked"
