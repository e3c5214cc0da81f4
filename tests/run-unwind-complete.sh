#!/bin/sh
# DWARF unwinding of programs built without frame pointers: nearly every
# sample in a program's hot code unwinds to where its thread started, with
# threads, a library loaded after the daemon started, C++ template code,
# and entry code without CFI; the daemon counts those stacks complete.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=4
bin=$top_builddir/tests

# check NAME HOT OUTER...: profile prog_pid, letting it go on ($tmp/go)
# once the daemon samples; samples in HOT (a pattern, see trace_select)
# must unwind to every OUTER.
check() {
	name=$1 hot=$2
	shift 2
	mkdir "$tmp/$name"
	start_sampling "$tmp/$name.log" --pid $prog_pid --frequency $hz \
	    --duration $secs --output-dir "$tmp/$name"
	touch "$tmp/go"
	finish_profdropd "$tmp/$name.log"
	stop_program
	rm -f "$tmp/go"
	trace_lines "$tmp/$name/$(profiles "$tmp/$name")" >"$tmp/$name.all"
	traces_with "$tmp/$name.all" "$hot" >"$tmp/$name.hot"
	unwind_summary "$tmp/$name.log"
	echo "$name: $(trace_count "$tmp/$name.all") samples," \
	    "$(trace_count "$tmp/$name.hot") in $hot"
	assert_ge "$(trace_share "$tmp/$name.all" traces_with "$hot")" 90 \
	    "$name: % of samples in $hot"
	assert_ge "$(trace_share "$tmp/$name.hot" traces_with "$@")" 97 \
	    "$name: % of those whose stack reaches $*"
	assert_ge "$(pct "$(window_counter "$tmp/$name.log" complete)" \
	    "$(window_counter "$tmp/$name.log" unwound)")" 97 \
	    "$name: % of stacks the daemon counts complete"
}

start_program "$bin/hot631-nofp" $((secs + 5))
check hot631-nofp 'hot_[abc]' main _start
start_program "$bin/threads" $((secs + 5))
check threads 'work_[123]' start_thread '(__)?clone3?'
# The library is loaded once the daemon samples: the daemon learns of it
# from the kernel's mmap records, not from /proc.
start_program "$bin/dlopen-main" $((secs + 5)) "$bin/libhotplug.so" "$tmp/go"
check dlopen plugin_hot plugin_entry main _start
# Mangled or demangled: naming C++ is not this test's concern.
start_program "$bin/cxx" $((secs + 5))
check cxx '_ZN2ns6WorkerIdE3run.*|ns::Worker<double>::run.*' main _start
# Its _start has no CFI, as musl's: the walk ends there all the same.
start_program "$bin/bare-start" $((secs + 5))
check bare-start bare_hot bare_main start_c _start
