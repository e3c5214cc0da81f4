#!/bin/sh
# One process with a known profile: flat shares 6:3:1, complete stacks,
# labels, and the sampling rate.
. "$(dirname "$0")/test-subr.sh"
require_perf_events
require_go_pprof

hz=499 secs=5
start_busy $((secs + 3))
mkdir "$tmp/out"
t0=$(cpu_ticks $busy_pid)
run_profdropd --pid $busy_pid --frequency $hz --duration $secs --rotate 60 \
    --output-dir "$tmp/out"
want=$(samples_for $hz $(($(cpu_ticks $busy_pid) - t0)))

files=$(profiles "$tmp/out")
echo "profiles: $files"
[ "$(echo "$files" | grep -c .)" = 1 ] || fail "expected exactly one profile"
f=$tmp/out/$files
gunzip_ok "$f" || fail "$f is not valid gzip"
gopprof -raw "$f" | grep -Eqx 'samples/count(\[dflt])? cpu/nanoseconds(\[dflt])?' ||
    fail "sample types are not [samples/count, cpu/nanoseconds]"

total=$(sample_count "$f")
assert_near "$total" $want $((want / 4)) "samples at $hz Hz over the CPU time hot631 used"

a=$(flat_share "$f" hot_a)
b=$(flat_share "$f" hot_b)
c=$(flat_share "$f" hot_c)
sum=$(awk "BEGIN { print $a + $b + $c }")
assert_ge "$sum" 90 "hot_a+hot_b+hot_c % of all samples"
assert_near "$(pct "$a" "$sum")" 60 5 "hot_a % of the three"
assert_near "$(pct "$b" "$sum")" 30 5 "hot_b % of the three"
assert_near "$(pct "$c" "$sum")" 10 5 "hot_c % of the three"
# go tool pprof -top, the independent reader, rounds the same shares.
for share in hot_a:$a hot_b:$b hot_c:$c; do
	go=$(gopprof_flat_share "$f" ${share%%:*})
	echo "${share%%:*}: ${share#*:}% of all samples; go tool pprof -top: $go%"
	[ "$go" = "${share#*:}" ] ||
	    fail "${share%%:*}: ${share#*:}% of all samples, go tool pprof -top says $go%"
done

# Nearly every sample in a leaf must unwind through its whole chain to main.
for chain in "hot_a caller_a run_loop main" "hot_b caller_b mid_b run_loop main" \
    "hot_c caller_c deep_c mid_c run_loop main"; do
	leaf=$(stack_samples "$f" ${chain%% *})
	full=$(stack_samples "$f" $chain)
	assert_ge "$(pct "$full" "$leaf")" 90 "% of ${chain%% *} samples with stack $chain"
done

for key in pid tid comm process; do
	v=$(tag_values "$f" $key | sort -u | paste -sd ' ' -)
	echo "label $key: $v"
	case $key in
	pid|tid) want=$busy_pid ;;
	*) want=hot631 ;;
	esac
	[ "$v" = "$want" ] || fail "label $key is '$v', expected '$want'"
done
