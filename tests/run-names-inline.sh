#!/bin/sh
# An inlined function is a frame of its own, just above the function it
# was inlined into, at a line of its own body; the caller's frame is at the
# line of the call.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=3
src=$srcdir/inlined.c
first=$(grep -n '^inline_hot(' "$src" | cut -d: -f1)
last=$(grep -n 'inline_hot ends' "$src" | cut -d: -f1)
call=$(grep -n 'inline_hot call site' "$src" | cut -d: -f1)
echo "inline_hot: lines $first-$last of inlined.c, called at line $call"

start_program "$top_builddir/tests/inlined" $((secs + 5))
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $prog_pid --frequency $hz \
    --duration $secs --output-dir "$tmp/out"
stop_program
raw_line_traces "$tmp/out/$(profiles "$tmp/out")" >"$tmp/traces"

# The samples in inline_caller; of those, the ones with inline_hot inlined
# just above it at a line of its body; of those, the ones where
# inline_caller is at the call.  Then inline_hot's samples by line.
awk -F '\t' -v first=$first -v last=$last -v call=$call '
	{
		for (j = 2; j <= NF && $j !~ /^inline_caller [^ ]*:[0-9]+$/; j++)
			;
		if (j > NF)
			next
		caller += $1
		f = $(j - 1)
		if (j == 2 || f !~ /^inline_hot \(inline\) ([^ ]*\/)?inlined\.c:[0-9]+$/)
			next
		sub(/.*:/, "", f)
		if (f + 0 < first || f + 0 > last)
			next
		inl += $1
		at[f] += $1
		c = $j
		sub(/.*:/, "", c)
		if (c + 0 == call)
			site += $1
	}
	END {
		printf "%d %d %d", caller, inl, site
		for (l in at)
			printf " %d:%d", l, at[l]
		print ""
	}' "$tmp/traces" >"$tmp/counts"
read caller inl site lines <"$tmp/counts"
total=$(trace_count "$tmp/traces")
echo "$total samples: $caller in inline_caller, $inl with inline_hot's body" \
    "inlined above it, $site of those at the call site"
echo "inline_hot samples by line: $lines"
assert_ge "$(pct $caller $total)" 90 "% of samples in inline_caller"
assert_ge "$(pct $inl $caller)" 95 "% of those with inline_hot inlined above it"
assert_ge "$(pct $site $inl)" 99 "% of those with inline_caller at line $call"
