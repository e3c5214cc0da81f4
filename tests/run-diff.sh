#!/bin/sh
# profdrop diff on tests/shift run twice, its work moved from work_a (80%
# then 20%) to work_b: work_a comes out blue, work_b red, their callers
# grey, and the table puts them first with the changes they had. A
# profile against itself is grey throughout; frames only BASE has are
# still drawn.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/flame-subr.sh"
require_root
require_perf_events
require_xmllint

SHIFT=$top_builddir/tests/shift
require_built "$SHIFT"

# profile_shift PERCENT DIR: a CPU profile in DIR of shift giving
# work_a PERCENT of its time.
profile_shift() {
	mkdir "$2"
	start_program "$SHIFT" 10 "$1"
	run_profdropd_log "$tmp/log" --pid $prog_pid --duration 2 --rotate 60 \
	    --frequency 499 --output-dir "$2"
	stop_program
	ls "$2"/cpu-*.pb.gz >/dev/null || fail "no CPU profile of shift $1"
}

# fill SVG NAME: the red, green and blue of frame NAME, "R G B".
fill() {
	svg_frames "$1" | awk -F '\t' -v n="$2" '$4 == n {
		f = $6; gsub(/[^0-9,]/, "", f); split(f, c, ",")
		print c[1], c[2], c[3]; exit }'
}

# redness SVG NAME: red less blue in frame NAME's colour, -215 to 215.
redness() {
	fill "$1" "$2" | awk '{ print $1 - $3 }'
}

profile_shift 80 "$tmp/base"
profile_shift 20 "$tmp/new"
base=$(ls "$tmp"/base/cpu-*.pb.gz)
new=$(ls "$tmp"/new/cpu-*.pb.gz)

# A profile against itself: no change anywhere.
"$PROFDROP" diff -o "$tmp/self.svg" "$base" "$base" >"$tmp/self.txt" ||
    fail "profdrop diff of a profile with itself failed"
xmllint --noout "$tmp/self.svg" || fail "the SVG of a self-diff is not well-formed"
svg_frames "$tmp/self.svg" >"$tmp/self.frames"
n=$(wc -l <"$tmp/self.frames")
awk -F '\t' '$6 != "rgb(224,224,224)"' "$tmp/self.frames" >"$tmp/coloured"
[ ! -s "$tmp/coloured" ] ||
    fail "a self-diff has coloured frames: $(head -3 "$tmp/coloured")"
[ "$(tail -n 1 "$tmp/self.txt")" = "no change" ] ||
    fail "a self-diff lists changes: $(cat "$tmp/self.txt")"
echo "self-diff: $n frames, all neutral grey; the table says: no change"

# Work moved from work_a to work_b.
"$PROFDROP" diff -o "$tmp/diff.svg" "$base" "$new" >"$tmp/diff.txt" ||
    fail "profdrop diff failed"
xmllint --noout "$tmp/diff.svg" || fail "the diff's SVG is not well-formed"
cat "$tmp/diff.txt" | head -5
for fn in work_a work_b spread main; do
	echo "$fn: rgb($(fill "$tmp/diff.svg" $fn | tr ' ' ,))"
done
assert_le "$(redness "$tmp/diff.svg" work_a)" -150 "work_a's red less blue"
assert_ge "$(redness "$tmp/diff.svg" work_b)" 150 "work_b's red less blue"
for fn in spread main; do
	r=$(redness "$tmp/diff.svg" $fn)
	assert_le "${r#-}" 30 "$fn's red less blue, either way"
done
# Widths are NEW's: work_b takes some 80% of the width.
assert_near "$(svg_frames "$tmp/diff.svg" | awk -F '\t' '$4 == "work_b" {
    printf "%.0f\n", 100 * $3 / 1180 }')" 80 8 "work_b's % of the width"
awk 'NR == 2 || NR == 3 { print $NF }' "$tmp/diff.txt" | sort | tr '\n' ' ' >"$tmp/top2"
[ "$(cat "$tmp/top2")" = "work_a work_b " ] ||
    fail "the table does not start with work_a and work_b: $(cat "$tmp/diff.txt")"
for c in "work_a -60" "work_b 60"; do
	fn=${c% *}
	got=$(awk -v n=$fn '$NF == n { v = $3; sub(/%$/, "", v); print v + 0 }' "$tmp/diff.txt")
	assert_near "$got" "${c#* }" 10 "$fn's flat change in points"
done

# Frames only in BASE: hot631's, against shift's profile.
mkdir "$tmp/hot"
start_busy 10
run_profdropd_log "$tmp/log" --pid $busy_pid --duration 1 --rotate 60 \
    --frequency 499 --output-dir "$tmp/hot"
"$PROFDROP" diff -o "$tmp/gone.html" "$(ls "$tmp"/hot/cpu-*.pb.gz)" "$new" \
    >/dev/null || fail "profdrop diff hot631 shift failed"
sed -n '/^<svg /,/^<\/svg>/p' "$tmp/gone.html" >"$tmp/gone.svg"
xmllint --noout "$tmp/gone.svg" || fail "the diff's HTML holds an ill-formed SVG"
for fn in hot_a hot_b hot_c; do
	svg_frames "$tmp/gone.svg" | awk -F '\t' -v n=$fn '$4 == n' >"$tmp/f"
	grep -q "	f user gone	" "$tmp/f" || fail "$fn, only in BASE, is not drawn as gone"
	assert_le "$(redness "$tmp/gone.svg" $fn)" -50 "$fn (only in BASE): red less blue"
done
assert_ge "$(redness "$tmp/gone.svg" work_b)" 100 "work_b (only in NEW): red less blue"

# As measured (-N): the table in the profile's unit.
"$PROFDROP" diff -N -n 2 -o "$tmp/raw.svg" "$base" "$new" >"$tmp/raw.txt"
cat "$tmp/raw.txt"
[ "$(wc -l <"$tmp/raw.txt")" = 3 ] || fail "-n 2 did not give two rows"
grep -Eq '^ +[0-9.]+m?s +[0-9.]+m?s +[-+][0-9.]+m?s ' "$tmp/raw.txt" ||
    fail "-N: the table is not in seconds"

# Errors: one line naming the problem.
offcpu=$(ls "$tmp"/new/offcpu-*.pb.gz)
expect_error 1 "$base: no sample type \"off_cpu\"; it has samples/count, cpu/nanoseconds" \
    diff -o "$tmp/x.svg" "$base" "$offcpu"
expect_error 2 "usage: profdrop diff" diff -o "$tmp/x.svg" "$base"
expect_error 2 "-o $tmp/x.pdf: name a file ending in .svg or .html" \
    diff -o "$tmp/x.pdf" "$base" "$new"
