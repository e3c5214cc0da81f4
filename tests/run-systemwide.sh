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

# The idle task's samples are counted, not kept; --idle keeps them.
for p in $bg_pids; do kill -KILL $p 2>/dev/null || true; done
# metric FILE NAME: a value in a metrics file.
metric() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
for idle in "" --idle; do
	mkdir "$tmp/idle$idle"
	run_profdropd_log "$tmp/idle$idle.log" --frequency 199 --duration 2 \
	    --profiles cpu --output-dir "$tmp/idle$idle" $idle
	f=$(ls "$tmp"/idle$idle/cpu-*.pb.gz)
	m=$tmp/idle$idle.log.prom
	total=$(metric "$m" profdrop_samples_total)
	kept=$(metric "$m" profdrop_samples_kept_total)
	idled=$(metric "$m" profdrop_samples_idle_total)
	swapper=$(tag_values "$f" process | grep -cx swapper || true)
	echo "${idle:-default}: $total samples, $kept kept, $idled idle;" \
	    "swapper in the profile: $swapper"
	assert_near "$(sample_count "$f")" "$kept" 0 "${idle:-default}: samples in the profile"
	assert_near "$total" $((kept + idled)) 0 "${idle:-default}: samples, kept and idle"
	if [ -z "$idle" ]; then
		[ "$swapper" = 0 ] || fail "idle samples in the profile without --idle"
	else
		assert_near "$idled" 0 0 "--idle: idle samples left out"
	fi
done
