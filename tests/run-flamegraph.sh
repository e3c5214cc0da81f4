#!/bin/sh
# profdrop collapse and flamegraph on hot631's profile and on one Go's
# runtime/pprof writes: the folded stacks are the ones go tool pprof -raw
# lists, the SVG is well-formed and every frame is as wide as its value,
# search and zoom work in a real browser (headless Chromium), and hostile
# names come out escaped; drop directories with --since, --until and
# --tag, and --focus and --ignore, select the samples go tool pprof -raw
# lists of the files of the windows, with -tagfocus, -focus and -ignore.
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/flame-subr.sh"
require_root
require_perf_events
require_go_pprof
require_xmllint
command -v chromium >/dev/null 2>&1 ||
    fail "chromium not found: install chromium (contrib/install-deps.sh)"

FRAMES_W=1180	# the width frames take in the SVG, in pixels

# raw_folded [PPROF-OPTION...] FILE...: the profiles' stacks as go tool
# pprof -raw lists them, merged: "root;...;leaf VALUE" in the default
# sample type, one line per stack, sorted.
raw_folded() {
	gopprof -raw "$@" >/dev/null
	awk '
		/^Samples:/ { sec = "s"; getline
			col = NF	# the last, unless another is the default
			for (i = 1; i <= NF; i++) if ($i ~ /\[dflt\]$/) col = i
			next }
		/^Locations/ { sec = "l"; next }
		/^Mappings/ { sec = "" }
		sec == "s" && /^ *-?[0-9]+( +-?[0-9]+)*: / {
			split($0, part, ":")
			split(part[1], v, " ")
			if (v[col] + 0 == 0)
				next
			ns++; val[ns] = v[col]; ids[ns] = part[2]
		}
		sec == "l" && /^ *[0-9]+: 0x/ {
			id = $1; sub(/:$/, "", id); nl[id] = 0
			sub(/^ *[0-9]+: 0x[0-9a-f]+ (M=[0-9]+ )?/, "")
		}
		sec == "l" && NF > 0 {
			sub(/^ +/, "")
			sub(/ [^ ]*:-?[0-9]+ s=-?[0-9]+(\(.*\))?$/, "")
			if ($0 != "")
				name[id, ++nl[id]] = $0
		}
		END {
			for (s = 1; s <= ns; s++) {
				n = split(ids[s], loc, " ")
				st = ""
				for (i = n; i >= 1; i--)
					for (j = nl[loc[i]]; j >= 1; j--)
						st = st (st == "" ? "" : ";") \
						    name[loc[i], j]
				sum[st] += val[s]
			}
			for (st in sum)
				printf "%s %.0f\n", st, sum[st]
		}' "$tmp/pprof.out" | sort
}

# svg_paths SVG: each frame's stack, root first, and its width, from
# where it lies: its parent is the frame one row nearer the root that
# spans it. "PATH<tab>WIDTH", the root's path "all".
svg_paths() {
	svg_frames "$1" | sort -t "$(printf '\t')" -k1,1n -k2,2n | awk -F '\t' '
		{ n++; D[n] = $1; X[n] = $2; W[n] = $3; N[n] = $4 }
		END {
			for (i = 1; i <= n; i++) {
				if (D[i] == 0) { P[i] = "all"; print P[i] "\t" W[i]; continue }
				for (j = 1; j < i; j++)
					if (D[j] == D[i] - 1 && X[j] <= X[i] + 0.02 &&
					    X[i] + W[i] <= X[j] + W[j] + 0.02)
						break
				if (j == i) { print "ORPHAN " N[i] "\t" W[i]; continue }
				P[i] = (P[j] == "all" ? "" : P[j] ";") N[i]
				print P[i] "\t" W[i]
			}
		}'
}

# check_widths SVG FOLDED: every frame of SVG is as wide as the value of
# its stack in the folded stacks FOLDED, to the 0.01 px it is written in,
# and every stack 0.2 px wide or more has its frame.
check_widths() {
	svg_paths "$1" >"$tmp/paths"
	awk -v fw=$FRAMES_W -v what="$1" '
		NR == FNR {
			split($0, f, "\t"); got[f[1]] = f[2]; nsvg++; next
		}
		{
			v = $NF; st = $0; sub(/ [0-9]+$/, "", st)
			total += v
			n = split(st, fr, ";"); p = ""
			for (i = 1; i <= n; i++) {
				p = p (i > 1 ? ";" : "") fr[i]
				want[p] += v
			}
		}
		END {
			want["all"] = total
			for (p in got) {
				if (!(p in want)) {
					print what ": a frame no stack has: " p
					bad = 1; continue
				}
				e = want[p] / total * fw
				if (got[p] - e > 0.02 || e - got[p] > 0.02) {
					print what ": " p ": " got[p] " px, not " e
					bad = 1
				}
			}
			for (p in want)
				if (!(p in got) && want[p] / total * fw >= 0.2) {
					print what ": no frame for " p
					bad = 1
				}
			print what ": " nsvg " frames, each as wide as its value" \
			    (bad ? ": NO" : "")
			exit bad
		}' "$tmp/paths" "$2" || fail "frame widths in $1 are not their values"
}

# same_collapse WHAT "PROFDROP-OPTIONS" "PPROF-OPTIONS" FILE|DIR...:
# profdrop collapse prints the stacks go tool pprof -raw lists, of
# $pprof_files when DIRs are given, with the same values, in well-formed
# lines.
same_collapse() {
	_sc_what=$1 _sc_pd=$2 _sc_go=$3
	shift 3
	"$PROFDROP" collapse $_sc_pd "$@" >"$tmp/collapsed" ||
	    fail "profdrop collapse $_sc_pd $* failed"
	! grep -Evq '^[^;]+(;[^;]+)* [0-9]+$' "$tmp/collapsed" ||
	    fail "collapse: lines that are not \"a;b;c N\": $(grep -Ev '^[^;]+(;[^;]+)* [0-9]+$' "$tmp/collapsed" | head -3)"
	sort "$tmp/collapsed" >"$tmp/pd.folded"
	if [ -n "$pprof_files" ]; then
		raw_folded $_sc_go $pprof_files >"$tmp/go.folded"
	else
		raw_folded $_sc_go "$@" >"$tmp/go.folded"
	fi
	[ -s "$tmp/go.folded" ] || fail "$_sc_what: go tool pprof -raw lists no stack"
	cmp -s "$tmp/pd.folded" "$tmp/go.folded" || {
		diff "$tmp/go.folded" "$tmp/pd.folded" | head -20 >&2
		fail "profdrop collapse and go tool pprof -raw differ on $_sc_what"
	}
	echo "$_sc_what: collapse = go tool pprof -raw: $(wc -l <"$tmp/pd.folded") stacks," \
	    "$(awk '{ s += $NF } END { printf "%.0f", s }' "$tmp/pd.folded") in all"
}

# dom URL: the document Chromium has once the page's script ran.
dom() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$tmp/chromium" --virtual-time-budget=5000 \
	    --dump-dom "$1" >"$tmp/dom" 2>"$tmp/chromium.err" || {
		cat "$tmp/chromium.err" >&2
		fail "chromium --dump-dom $1 failed"
	}
}

# dom_frame NAME: the element of frame NAME in the dumped document, from
# its class to its text.
dom_frame() {
	awk -v n="$1" '
		/^<g class="f / { t = $0; sub(/^.*<title>/, "", t)
			if (t == n) { cls = $0; getline; print cls $0; exit } }' \
	    "$tmp/dom"
}

# attr TEXT NAME: attribute NAME of the first element in TEXT that has it.
attr() {
	echo "$1" | sed -n "s/.*<rect[^>]* $2=\"\\([^\"]*\\)\".*/\\1/p"
}

start_busy 10
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $busy_pid --duration 2 --rotate 60 \
    --frequency 499 --output-dir "$tmp/out"
cpu=$(ls "$tmp"/out/cpu-*.pb.gz)
# And windows of a second of the whole machine, for a drop directory of
# known times below.
run_profdropd_log "$tmp/log" --duration 3 --rotate 1 --frequency 499 \
    --output-dir "$tmp/win"

# A Go profile.
go_cpu_profile "$tmp/go.pb.gz"

for f in "$cpu" "$tmp/go.pb.gz"; do
	same_collapse "$(basename "$f")" "" "" "$f"
	"$PROFDROP" flamegraph -o "$tmp/flame.svg" "$f" ||
	    fail "profdrop flamegraph $f failed"
	xmllint --noout "$tmp/flame.svg" || fail "the SVG of $f is not well-formed"
	check_widths "$tmp/flame.svg" "$tmp/collapsed"
done
grep -q ';main\.burnA [0-9]*$' "$tmp/collapsed" || fail "no main.burnA in the Go profile"

# hot631: its leaves in 6:3:1, each under its callers.
"$PROFDROP" collapse "$cpu" >"$tmp/collapsed"
for st in 'main;run_loop;caller_a;hot_a' 'main;run_loop;mid_b;caller_b;hot_b' \
    'main;run_loop;mid_c;deep_c;caller_c;hot_c'; do
	grep -q ";$st [0-9]*\$" "$tmp/collapsed" || fail "collapse: no stack ...;$st"
done
"$PROFDROP" flamegraph -o "$tmp/flame.svg" "$cpu"
for kind in user kernel; do
	grep -q "^<g class=\"f $kind\"" "$tmp/flame.svg" || fail "no $kind frame"
done
grep -q '^<g class="f user" id="f[0-9]*"><title>hot_a$' "$tmp/flame.svg" ||
    fail "hot_a is not a user frame"
! grep -q '<script [^>]*src=\|https\?://[^w]' "$tmp/flame.svg" ||
    fail "the SVG loads something from outside"

# --reverse: the leaves next to the root, as wide as the samples they end.
"$PROFDROP" flamegraph --reverse -o "$tmp/icicle.svg" "$cpu"
xmllint --noout "$tmp/icicle.svg" || fail "the reversed SVG is not well-formed"
svg_frames "$tmp/icicle.svg" >"$tmp/icicle.frames"
total=$(awk '{ s += $NF } END { print s }' "$tmp/collapsed")
for leaf in hot_a hot_b hot_c; do
	want=$(awk -v l=$leaf -v t="$total" -v fw=$FRAMES_W '
		{ st = $0; sub(/ [0-9]+$/, "", st); n = split(st, f, ";")
		  if (f[n] == l) s += $NF }
		END { printf "%.2f\n", s / t * fw }' "$tmp/collapsed")
	got=$(awk -F '\t' -v l=$leaf '$1 == 1 && $4 == l { print $3 }' "$tmp/icicle.frames")
	assert_near "$got" "$want" 0.02 "--reverse: $leaf's width next to the root"
done

# The HTML page holds the same SVG.
"$PROFDROP" flamegraph -o "$tmp/flame.html" "$cpu"
sed -n '/^<svg /,/^<\/svg>/p' "$tmp/flame.html" >"$tmp/inner.svg"
cmp -s "$tmp/inner.svg" "$(sed -n '/^<svg /,/^<\/svg>/p' "$tmp/flame.svg" >"$tmp/outer.svg"; echo "$tmp/outer.svg")" ||
    fail "the HTML page does not hold the SVG"
xmllint --noout "$tmp/inner.svg" || fail "the SVG in the HTML page is not well-formed"

# Search in Chromium: the frames the expression matches are marked, and
# the share they cover said.
for page in flame.html flame.svg; do
	dom "file://$tmp/$page#search=hot_%5Bab%5D"
	grep -c '^<g class="f [a-z ]*match' "$tmp/dom" >"$tmp/n" || true
	[ "$(cat "$tmp/n")" = 2 ] || fail "$page: search hot_[ab] marked $(cat "$tmp/n") frames, not 2"
	for leaf in hot_a hot_b; do
		dom_frame $leaf | grep -q '^<g class="f user match"' ||
		    fail "$page: $leaf is not marked by the search"
	done
	want=$(awk -v t="$total" '{ st = $0; sub(/ [0-9]+$/, "", st)
		if (st ~ /;hot_[ab](;|$)/) s += $NF }
		END { printf "%.2f\n", 100 * s / t }' "$tmp/collapsed")
	got=$(sed -n 's/.*<text id="matched"[^>]*>Matched: \([0-9.]*\)%<.*/\1/p' "$tmp/dom")
	assert_near "$got" "$want" 0.02 "$page: Matched: % for hot_[ab]"
done

# Zoom in Chromium: the frame fills the width, what it calls widens with
# it, what calls it dims, the rest hides.
frame_id() {
	sed -n "s/^<g class=\"f user\" id=\"\(f[0-9]*\)\"><title>$1\$/\1/p" \
	    "$tmp/flame.svg"
}
width_of() {
	svg_frames "$tmp/flame.svg" | awk -F '\t' -v n="$1" '$4 == n { print $3 }'
}
dom "file://$tmp/flame.html#zoom=$(frame_id run_loop)"
f=$(dom_frame run_loop)
[ "$(attr "$f" x)" = 10.00 ] && [ "$(attr "$f" width)" = 1180.00 ] ||
    fail "zoomed on run_loop, it is at x=$(attr "$f" x), $(attr "$f" width) wide"
for fn in hot_a mid_b; do
	assert_near "$(attr "$(dom_frame $fn)" width)" "$(awk -v a="$(width_of $fn)" \
	    -v b="$(width_of run_loop)" 'BEGIN { printf "%.2f\n", a / b * 1180 }')" \
	    0.5 "zoomed on run_loop: $fn's width"
done
dom "file://$tmp/flame.html#zoom=$(frame_id mid_b)"
f=$(dom_frame mid_b)
[ "$(attr "$f" x)" = 10.00 ] && [ "$(attr "$f" width)" = 1180.00 ] ||
    fail "zoomed on mid_b, it is at x=$(attr "$f" x), $(attr "$f" width) wide"
dom_frame run_loop | grep -q '^<g class="f user dim"' ||
    fail "zoomed on mid_b, run_loop is not dimmed"
dom_frame hot_a | grep -q '^<g class="f user hide"' ||
    fail "zoomed on mid_b, hot_a is not hidden"
grep -q '<text id="reset" class="button"' "$tmp/dom" ||
    fail "zoomed, no Reset zoom button"
echo "zoom: run_loop and mid_b fill the width, callers dim, others hide"

# Hostile names: markup, quotes, control bytes, bytes that are not UTF-8,
# ";" and a newline. A profile written byte by byte: two samples of one
# frame each, function names strings 3 and 4.
str() { printf '\062'; printf "\\$(printf %03o "$(printf '%s' "$1" | wc -c)")"; printf '%s' "$1"; }
evil1='<script>alert("x")</script> & '\''q'\'' ]]>'
evil2=$(printf 'a;b\001\033[31m\377\376\300\200 \342\202 c\nd')
{
	printf '\012\004\010\001\020\002'			# sample_type
	printf '\022\004\010\001\020\005\022\004\010\002\020\003'	# samples
	printf '\042\006\010\001\042\002\010\001'		# locations
	printf '\042\006\010\002\042\002\010\002'
	printf '\052\004\010\001\020\003\052\004\010\002\020\004'	# functions
	printf '\062\000'; str samples; str count; str "$evil1"; str "$evil2"
} >"$tmp/evil.pb"
"$PROFDROP" collapse "$tmp/evil.pb" >"$tmp/evil.folded" ||
    fail "collapse of hostile names failed"
[ "$(wc -l <"$tmp/evil.folded")" = 2 ] ||
    fail "collapse: hostile names break lines: $(cat -v "$tmp/evil.folded")"
grep -q '^a:b??\[31m' "$tmp/evil.folded" ||
    fail "collapse: ; and control bytes are not replaced: $(cat -v "$tmp/evil.folded")"
for out in evil.svg evil.html; do
	"$PROFDROP" flamegraph -o "$tmp/$out" "$tmp/evil.pb" ||
	    fail "flamegraph of hostile names failed"
done
xmllint --noout "$tmp/evil.svg" || fail "hostile names make the SVG ill-formed"
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; ]]&gt;' \
    "$tmp/evil.svg" || fail "markup in a name is not escaped"
[ "$(grep -c '<script' "$tmp/evil.svg")" = 1 ] || fail "a name's <script> got through"
dom "file://$tmp/evil.html"
[ "$(grep -c '<script' "$tmp/dom")" = 1 ] || fail "a name's <script> got into the page"
echo "hostile names: escaped, the SVG well-formed, collapse one line a stack"

# A drop directory of windows of a minute from 2024-01-01T00:00:00Z, each
# a real window of the machine: --since, --until, --tag, --focus and
# --ignore select what go tool pprof -raw lists of the files of the
# windows they should select, with -tagfocus, -focus and -ignore.
store=$tmp/store
minute_store "$store" "$tmp/win"
range="--since 2024-01-01T00:01:30Z --until 2024-01-01T00:03:30Z"
pprof_files=$(store_window /cpu-20240101T0001 /cpu-20240101T0002 /cpu-20240101T0003)
same_collapse "the store, 00:01:30 to 00:03:30" "$range" "" "$store"
same_collapse "the store, 00:01:30 to 00:03:30, --tag comm=hot631" \
    "$range --tag comm=hot631" "-tagfocus=comm=^hot631\$" "$store"
grep -q ';main;run_loop;caller_a;hot_a [0-9]*$' "$tmp/collapsed" ||
    fail "--tag comm=hot631: no stack of hot_a"
sel="$range --tag pid=$busy_pid --focus caller_ --ignore hot_c"
same_collapse "the store, 00:01:30 to 00:03:30, --tag pid --focus --ignore" \
    "$sel" "-tagfocus=pid=$busy_pid -focus=caller_ -ignore=hot_c" "$store"
grep -q ';caller_b;hot_b [0-9]*$' "$tmp/collapsed" ||
    fail "--focus caller_: no stack of hot_b"
! grep -q 'hot_c' "$tmp/collapsed" || fail "--ignore hot_c: a stack of hot_c"
! grep -vq ';caller_' "$tmp/collapsed" ||
    fail "--focus caller_: a stack without caller_: $(grep -v ';caller_' "$tmp/collapsed" | head -1)"
"$PROFDROP" flamegraph -o "$tmp/store.svg" $sel "$store" ||
    fail "profdrop flamegraph $sel $store failed"
xmllint --noout "$tmp/store.svg" || fail "the SVG of the store is not well-formed"
check_widths "$tmp/store.svg" "$tmp/collapsed"
# With no file or directory, the one profdropd writes to; or --dir.
PROFDROP_OUTPUT_DIR=$store "$PROFDROP" flamegraph -o "$tmp/default.svg" $sel ||
    fail "profdrop flamegraph without a directory, PROFDROP_OUTPUT_DIR set, failed"
cmp -s "$tmp/default.svg" "$tmp/store.svg" ||
    fail "profdrop flamegraph draws another graph with the directory of PROFDROP_OUTPUT_DIR"
same_collapse "--dir" "$sel -d $store" \
    "-tagfocus=pid=$busy_pid -focus=caller_ -ignore=hot_c"
pprof_files=$(store_window /cpu-20240101T0000 /cpu-20240101T0001)
same_collapse "the store until 00:01:10" "--until 2024-01-01T00:01:10Z" "" \
    "$store"
pprof_files=$(store_window /offcpu-)
same_collapse "the store's off-CPU windows" "--profiles offcpu" "" "$store"
pprof_files=
echo "selected from the store as go tool pprof merges them: the same"

# Errors: one line naming the problem.
offcpu=$(ls "$tmp"/out/offcpu-*.pb.gz)
expect_error 2 "-o $tmp/x.png: name a file ending in .svg or .html" \
    flamegraph -o "$tmp/x.png" "$cpu"
expect_error 1 "$offcpu has sample types [switches/count off_cpu/nanoseconds], $cpu [samples/count cpu/nanoseconds]: profiles of different types do not merge" \
    flamegraph -o "$tmp/x.svg" "$cpu" "$offcpu"
expect_error 1 "$cpu: no sample type \"wall\"; it has samples/count, cpu/nanoseconds" \
    collapse -i wall "$cpu"
expect_error 1 "$tmp/none/x.svg: No such file or directory" \
    flamegraph -o "$tmp/none/x.svg" "$cpu"
expect_error 2 "usage: profdrop flamegraph" flamegraph "$cpu"
expect_error 1 "no cpu profile since 2024-01-01T00:05:00.000Z in $store" \
    collapse --since 2024-01-01T00:05:00Z "$store"
expect_error 1 "--focus (: " flamegraph -o "$tmp/x.svg" --focus "(" "$cpu"
expect_error 1 "--tag pid: give KEY=VALUE" collapse --tag pid "$cpu"
