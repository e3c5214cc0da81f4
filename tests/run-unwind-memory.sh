#!/bin/sh
# The unwinder's memory is capped. With --unwind-memory 1 (MiB), the
# compiler's tables (about 2.7 MiB) are refused with a warning and the
# tables held never pass 1 MiB, while a small program still unwinds in
# full; with the default cap the compiler's tables are loaded (the
# control). With PROFDROP_TEST_MAX_UNWIND_SPACES=4, no more than four
# processes keep libunwind state, and dropping it costs no completeness.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=4
cc1=$(${CC:-cc} -print-prog-name=cc1)
[ -x "$cc1" ] || fail "no cc1 next to ${CC:-cc}: install gcc"

# compile_loop: compile hot631.c over and over, each time in a new cc1.
${CC:-cc} -E "$srcdir/hot631.c" -o "$tmp/hot631.i" || fail "cannot preprocess"
compile_loop() {
	while :; do
		"$cc1" -quiet -fpreprocessed -O2 "$tmp/hot631.i" -o /dev/null ||
		    exit 1
	done
}

# run NAME ARGS...: profile system-wide while cc1 compiles and
# hot631-nofp runs; the stacks of hot631-nofp's hot code in $tmp/NAME.hot.
run() {
	name=$1
	shift
	compile_loop &
	loop=$!
	bg_track $loop
	start_program "$top_builddir/tests/hot631-nofp" $((secs + 5))
	mkdir "$tmp/$name"
	run_profdropd_log "$tmp/$name.log" --verbose --frequency $hz \
	    --duration $secs --rotate 1 --profiles cpu \
	    --output-dir "$tmp/$name" "$@"
	stop_program
	kill $loop
	wait $loop 2>/dev/null || true
	for f in $(profiles "$tmp/$name"); do
		trace_lines "$tmp/$name/$f" -tagfocus='comm=^hot631-nofp$'
	done >"$tmp/$name.traces"
	traces_with "$tmp/$name.traces" 'hot_[abc]' >"$tmp/$name.hot"
	grep 'unwind memory' "$tmp/$name.log"
	most_kib=$(awk '/unwind memory:/ { if ($4 > m) m = $4 } END { print m + 0 }' \
	    "$tmp/$name.log")
	most_spaces=$(awk '/unwind memory:/ { if ($11 > m) m = $11 } END { print m + 0 }' \
	    "$tmp/$name.log")
	echo "$name: $(trace_count "$tmp/$name.hot") samples in hot631-nofp's hot_[abc]"
	assert_ge "$(trace_share "$tmp/$name.hot" traces_with main _start)" 97 \
	    "$name: % of those whose stack reaches main and _start"
}

run capped --unwind-memory 1
grep 'unwind tables use' "$tmp/capped.log" ||
    fail "capped: no warning that cc1's tables did not fit"
assert_le "$most_kib" 1024 "capped: most KiB of unwind tables held"

run control
! grep 'unwind tables use' "$tmp/control.log" ||
    fail "control: tables were refused under the default cap"
assert_ge "$most_kib" 2048 "control: most KiB of unwind tables held (cc1's fit)"

PROFDROP_TEST_MAX_UNWIND_SPACES=4
export PROFDROP_TEST_MAX_UNWIND_SPACES
run spaces
assert_le "$most_spaces" 4 "spaces: most processes with libunwind state"
