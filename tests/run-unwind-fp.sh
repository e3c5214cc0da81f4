#!/bin/sh
# Frame-pointer unwinding, asked for with --unwind fp or taken by --unwind
# auto when the kernel cannot copy user stacks; and naming without MMAP2
# records.  hot631 here is the build with frame pointers.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

hz=499 secs=3

# check WHAT PROFILE [PPROF-FLAGS...]: hot631's 6:3:1, and stacks that
# reach main.
check() {
	what=$1
	shift
	trace_lines "$@" >"$tmp/all"
	a=$(trace_share "$tmp/all" traces_leaf hot_a)
	b=$(trace_share "$tmp/all" traces_leaf hot_b)
	c=$(trace_share "$tmp/all" traces_leaf hot_c)
	sum=$(awk "BEGIN { print $a + $b + $c }")
	assert_ge "$sum" 90 "$what: hot_a+hot_b+hot_c % of hot631's samples"
	assert_near "$(pct "$a" "$sum")" 60 5 "$what: hot_a % of the three"
	assert_near "$(pct "$b" "$sum")" 30 5 "$what: hot_b % of the three"
	assert_near "$(pct "$c" "$sum")" 10 5 "$what: hot_c % of the three"
	traces_with "$tmp/all" 'hot_[abc]' >"$tmp/hot"
	assert_ge "$(trace_share "$tmp/hot" traces_with main)" 90 \
	    "$what: % of those samples whose stack reaches main"
}

# The running process, with frame pointers by choice, then by necessity:
# nothing may go through the DWARF unwinder.
start_program "$HOT631" $((2 * secs + 5))
for env in "" PROFDROP_TEST_NO_STACK_USER; do
	case $env in
	"") what="--unwind fp" opt=fp ;;
	*) what="$env=1 --unwind auto" opt=auto ;;
	esac
	out=$tmp/out-$opt
	mkdir "$out"
	(
		[ -z "$env" ] || export "$env=1"
		run_profdropd_log "$out.log" --pid $prog_pid --frequency $hz \
		    --duration $secs --unwind $opt --output-dir "$out"
	)
	unwind_summary "$out.log"
	check "$what" "$out/$(profiles "$out")"
	[ "$(window_counter "$out.log" unwound)" = 0 ] ||
	    fail "$what: stacks went through the DWARF unwinder"
done
stop_program

require_kemu
# Without MMAP2 (a 3.10 kernel, emulated) the daemon learns a new
# process's mappings from MMAP records, which carry no inode: hot631
# starts after the daemon.
mkdir "$tmp/out"
PROFDROPD_WRAP="$top_builddir/tests/kemu -l $tmp/kemu.log 3.10 --"
start_sampling "$tmp/pd.log" --frequency $hz --output-dir "$tmp/out"
PROFDROPD_WRAP=
grep -q 'the kernel lacks mmap2 records' "$tmp/pd.log" ||
    fail "the daemon did not fall back to MMAP records"
start_program "$HOT631" $secs
wait $prog_pid
finish_profdropd "$tmp/pd.log" INT
unwind_summary "$tmp/pd.log"
check "MMAP records (3.10)" "$tmp/out/$(profiles "$tmp/out")" -tagfocus=pid=$prog_pid
