#!/bin/sh
# Without --pid: every process is sampled, and kernel frames carry kallsyms names.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

start_busy 6
start_busy 6 busy631
# Kernel work: dd spends its time copying zeroes in read(2)/write(2).
sh -c 'while :; do dd if=/dev/zero of=/dev/null bs=1M count=512 2>/dev/null; done' &
bg_track $!
mkdir "$tmp/out"
run_profdropd --frequency 199 --duration 3 --output-dir "$tmp/out"

files=$(profiles "$tmp/out")
[ "$(echo "$files" | grep -c .)" = 1 ] || fail "expected exactly one profile, got: $files"
f=$tmp/out/$files
gunzip_ok "$f" || fail "$f is not valid gzip"

procs=$(tag_values "$f" process | sort -u | paste -sd ' ' -)
echo "process labels: $procs"
for p in hot631 busy631 dd; do
	case " $procs " in *" $p "*) ;; *) fail "no samples labelled process=$p" ;; esac
done

# Kernel frames: locations at kernel addresses whose function is a kallsyms
# text symbol.
raw_locations "$f" >"$tmp/raw"
awk '$2 ~ /^[tTwW]$/ { print $3 }' /proc/kallsyms | sort -u >"$tmp/ksyms"
awk -F '\t' 'length($1) == 18 && $1 ~ /^0xffff/ { print $2 }' "$tmp/raw" |
    sort -u >"$tmp/kframes"
kframes=$(grep -c . "$tmp/kframes" || true)
named=$(comm -12 "$tmp/kframes" "$tmp/ksyms" | grep -c . || true)
echo "kernel functions: $kframes, e.g. $(comm -12 "$tmp/kframes" "$tmp/ksyms" |
    head -5 | paste -sd ' ' -)"
assert_ge "$named" 1 "kernel functions with a kallsyms name"
assert_ge "$(pct "$named" "$kframes")" 90 "% of kernel functions with a kallsyms name"

# --no-kernel: the same load, and no frame at a kernel address.
mkdir "$tmp/nokernel"
run_profdropd --frequency 199 --duration 2 --no-kernel --profiles cpu \
    --output-dir "$tmp/nokernel"
raw_locations "$(ls "$tmp"/nokernel/cpu-*.pb.gz)" >"$tmp/raw2"
nk=$(awk -F '\t' 'length($1) == 18 && $1 ~ /^0xffff/' "$tmp/raw2" | grep -c . || true)
echo "--no-kernel: kernel locations: $nk"
[ "$nk" = 0 ] || fail "--no-kernel: $nk locations at kernel addresses"
