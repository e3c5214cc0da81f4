#!/bin/sh
# A deep stack of big frames (40 levels of over 512 bytes): a stack copy large
# enough unwinds all of it; a small one ends in a [truncated] placeholder
# and never pretends to have reached the entry point.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=3 levels=40
start_program "$top_builddir/tests/deep" $((2 * secs + 5)) $levels

for size in 65528 4096; do
	out=$tmp/out-$size
	mkdir "$out"
	t0=$(cpu_ticks $prog_pid)
	run_profdropd_log "$out.log" --pid $prog_pid --frequency $hz \
	    --duration $secs --stack-size $size --output-dir "$out"
	# What the CPU time deep had gives, not a share of the machine it
	# may not have had: the suite runs busy tests side by side.
	want=$(samples_for $hz $(($(cpu_ticks $prog_pid) - t0)))
	trace_lines "$out/$(profiles "$out")" >"$out.all"
	traces_with "$out.all" deep_leaf >"$out.leaf"
	unwind_summary "$out.log"
	echo "--stack-size $size: $(trace_count "$out.all") samples," \
	    "$(trace_count "$out.leaf") in deep_leaf"
	assert_ge "$(trace_count "$out.leaf")" $((want / 4)) \
	    "--stack-size $size: samples in deep_leaf ($want for its CPU time)"
	if [ $size = 65528 ]; then
		traces_repeating "$out.leaf" deep_level $levels >"$out.levels"
		assert_ge "$(trace_share "$out.leaf" traces_repeating deep_level $levels)" 97 \
		    "--stack-size $size: % of deep_leaf samples with $levels deep_level frames"
		assert_ge "$(trace_share "$out.levels" traces_with main _start)" 97 \
		    "--stack-size $size: % of those reaching main and _start"
	else
		assert_ge "$(trace_share "$out.leaf" traces_ending '\[truncated]')" 90 \
		    "--stack-size $size: % of deep_leaf samples ending in [truncated]"
		full=$(trace_share "$out.leaf" traces_with _start)
		echo "--stack-size $size: % of deep_leaf samples reaching _start: $full (expected 0)"
		[ "$full" = 0.00 ] || fail "a truncated stack copy claims to reach _start"
	fi
done
