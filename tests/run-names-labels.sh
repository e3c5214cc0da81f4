#!/bin/sh
# --label KEY=VALUE puts a label on every sample; --drop-frames REGEX is
# the profile's drop_frames, which pprof applies: frames from the first
# match down to the leaf are dropped.  Bad values fail at start-up with one
# line naming the option.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=199 secs=3
start_program "$HOT631" $((secs + 5))
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $prog_pid --frequency $hz \
    --duration $secs --output-dir "$tmp/out" --label service=web \
    --label env=test --drop-frames 'caller_.*'
stop_program
p=$tmp/out/$(profiles "$tmp/out")

# Every profile written (cpu, and off-CPU and wall if tracefs allows).
for f in $(ls "$tmp/out" | grep '\.pb\.gz$'); do
	raw_samples "$tmp/out/$f" | awk -F '|' '
		{
			n++
			l = " " $2 " "
			if (index(l, " service=web ") && index(l, " env=test ") &&
			    index(l, " pid="))
				ok++
		}
		END { print n + 0, ok + 0 }' >"$tmp/counts"
	read n ok <"$tmp/counts"
	drop=$(profile_string_field "$tmp/out/$f" 7)
	echo "$f: $ok of $n distinct samples labelled service=web, env=test" \
	    "and pid; drop_frames $drop"
	[ "$n" -gt 0 ] || fail "$f: no samples"
	[ "$ok" = "$n" ] || fail "$f: $((n - ok)) samples without those labels"
	# The field itself, read from the protobuf.
	[ "$drop" = 'caller_.*' ] || fail "$f: drop_frames is '$drop', not 'caller_.*'"
done
assert_ge "$(sample_count "$p")" 100 "cpu samples"

# pprof applies drop_frames: with caller_* and what they call gone,
# run_loop, mid_b and deep_c are left as the leaves, about 6:3:1.
trace_lines "$p" >"$tmp/traces"
assert_near "$(trace_share "$tmp/traces" traces_with 'caller_.*|hot_.*')" 0 0 \
    "% of samples with caller_* or hot_* frames in pprof"
assert_ge "$(trace_share "$tmp/traces" traces_leaf 'run_loop|mid_b|deep_c')" 97 \
    "% of samples with run_loop, mid_b or deep_c as their leaf in pprof"
assert_near "$(trace_share "$tmp/traces" traces_leaf run_loop)" 60 20 \
    "% of samples with run_loop as their leaf in pprof"

# bad REGEX ARGS...: profdropd ARGS fails at once with one line on stderr
# matching REGEX.
bad() {
	_re=$1
	shift
	_rc=0
	timeout -s KILL 10 "$PROFDROPD" --foreground --duration 30 \
	    --output-dir "$tmp/out" "$@" >/dev/null 2>"$tmp/stderr" || _rc=$?
	echo "profdropd $*: exit $_rc: $(cat "$tmp/stderr")"
	[ $_rc != 0 ] && [ $_rc -lt 124 ] || fail "profdropd $*: exit $_rc"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "profdropd $*: stderr is not one line"
	grep -Eq -e "$_re" "$tmp/stderr" || fail "profdropd $*: message does not name $_re"
}
bad --label --label novalue
bad --label --label =x
bad --drop-frames --drop-frames '('
