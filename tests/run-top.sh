#!/bin/sh
# profdrop top against go tool pprof -top, row by row: every sample type of
# the cpu, off-CPU and wall profiles of the whole machine while hot631 and
# waiter run, and of a CPU profile that Go's runtime/pprof writes; --cum,
# --focus, --ignore and --tag against -cum, -focus, -ignore and -tagfocus;
# drop directories with --since and --until against the files of the
# windows they should select, merged by go tool pprof.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

PDRETIME=$top_builddir/tests/pdretime
require_built "$PDRETIME"

# pprof's -nodefraction and profdrop top's --node-fraction in same_top:
# 0 shows every node; the default of both is 0.005.
nodefraction=0

# same_top WHAT "PROFDROP-OPTIONS" "PPROF-OPTIONS" FILE|DIR...: the tables
# of profdrop top and of go tool pprof -top, on the files (go tool pprof
# has $pprof_files when DIRs are given), the same functions in the same
# order with the same values, to the rounding of what they print.
same_top() {
	_st_what=$1 _st_pd=$2 _st_go=$3
	shift 3
	if [ -n "$pprof_files" ]; then
		gopprof -top -nodefraction=$nodefraction -nodecount=1000 \
		    $_st_go $pprof_files >/dev/null
	else
		gopprof -top -nodefraction=$nodefraction -nodecount=1000 \
		    $_st_go "$@" >/dev/null
	fi
	sed -n '/^Showing nodes/,$p' "$tmp/pprof.out" >"$tmp/go.top"
	"$PROFDROP" top -n 1000 --node-fraction $nodefraction $_st_pd "$@" \
	    >"$tmp/pd.top" \
	    2>"$tmp/pd.err" || {
		cat "$tmp/pd.err" >&2
		fail "profdrop top $_st_pd $* failed"
	}
	grep -q . "$tmp/go.top" || fail "$_st_what: go tool pprof printed no table"
	awk -v what="$_st_what" '
		# A value as pprof prints it, in its base unit; *tol is
		# half of the last digit it shows.
		function value(s,   n, u, f) {
			n = s
			sub(/[a-zA-Z]+$/, "", n)
			u = substr(s, length(n) + 1)
			f = u == "" || u == "B" || u == "ns" ? 1 : \
			    u == "kB" ? 1024 : u == "MB" ? 1048576 : \
			    u == "GB" ? 1073741824 : u == "us" ? 1e3 : \
			    u == "ms" ? 1e6 : u == "s" ? 1e9 : \
			    u == "hrs" ? 3.6e12 : -1
			if (f < 0) {
				print what ": unknown unit in " s
				bad = 1
			}
			tol = 0.005 * f
			return n * f
		}
		function near(a, b, what2,   x, y, t) {
			x = value(a); t = tol
			y = value(b); if (tol > t) t = tol
			if (x - y > t * 1.01 || y - x > t * 1.01) {
				print what ": " what2 ": " a " against " b
				return 0
			}
			return 1
		}
		function pct(a, b) {
			sub(/%$/, "", a); sub(/%$/, "", b)
			return a - b <= 0.011 && b - a <= 0.011
		}
		function row(s, f,   name) {
			name = s
			sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+  /, "", name)
			split(s, f, " ")
			f["name"] = name
		}
		NR == FNR { go[FNR] = $0; ngo = FNR; next }
		{ pd[FNR] = $0; npd = FNR }
		END {
			for (i = 1; i <= ngo || i <= npd; i++) {
				a = go[i]; b = pd[i]
				if (a == b)
					continue
				ok = 0
				if (a ~ /^Showing nodes accounting/ &&
				    b ~ /^Showing nodes accounting/) {
					split(a, x, /[ ,]+/); split(b, y, /[ ,]+/)
					ok = near(x[5], y[5], "shown") &&
					    pct(x[6], y[6]) &&
					    near(x[8], y[8], "total")
				} else if (a !~ /^Showing/ && b !~ /^Showing/ &&
				    a != "" && b != "" && i > 2) {
					row(a, x); row(b, y)
					ok = x["name"] == y["name"] &&
					    near(x[1], y[1], "flat") &&
					    pct(x[2], y[2]) && pct(x[3], y[3]) &&
					    near(x[4], y[4], "cum") &&
					    pct(x[5], y[5])
				}
				if (!ok) {
					print what ": row " i " differs:"
					print "  go tool pprof: " a
					print "  profdrop:      " b
					bad = 1
				}
			}
			print what ": " npd - 2 " rows" (bad ? "" : ", the same")
			exit bad
		}' "$tmp/go.top" "$tmp/pd.top" ||
	    fail "profdrop top and go tool pprof -top differ on $_st_what"
}

# same_type_top FILE [TYPE]: same_top on a sample type, the default if none.
same_type_top() {
	same_top "$(basename "$1") ${2:-(default)}" "${2:+-i $2}" \
	    "${2:+-sample_index=$2}" "$1"
}

# sample_types FILE: the profile's sample types, one a line.
sample_types() {
	gopprof -raw "$1" >/dev/null
	awk '/^Samples:/ { getline; for (i = 1; i <= NF; i++) {
		t = $i; sub(/\/.*/, "", t); print t }; exit }' "$tmp/pprof.out"
}

start_busy 15
start_program "$top_builddir/tests/waiter" 10 >/dev/null
mkdir "$tmp/out" "$tmp/drop"
run_profdropd_log "$tmp/log" --duration 3 --rotate 60 --frequency 499 \
    --output-dir "$tmp/out"
# And a profile whose drop_frames pprof applies: what those frames call
# goes with them.
run_profdropd_log "$tmp/log" --pid $busy_pid --duration 1 --rotate 60 \
    --frequency 499 --drop-frames 'caller_b|mid_c' --output-dir "$tmp/drop"
# And windows of a second, for a drop directory of known times below.
run_profdropd_log "$tmp/log" --duration 3 --rotate 1 --frequency 499 \
    --output-dir "$tmp/win"

for kind in cpu offcpu wall; do
	f=$(ls "$tmp"/out/$kind-*.pb.gz)
	for t in $(sample_types "$f") ""; do
		same_type_top "$f" "$t"
	done
done
"$PROFDROP" top -i samples "$(ls "$tmp"/out/cpu-*.pb.gz)" >"$tmp/pd.top"
grep -q '  hot_a$' "$tmp/pd.top" || fail "no hot_a row in the cpu profile"
echo "the cpu profile, as profdrop top shows it:"
head -8 "$tmp/pd.top"

f=$(ls "$tmp"/drop/cpu-*.pb.gz)
for t in $(sample_types "$f"); do
	same_type_top "$f" "$t"
done
"$PROFDROP" top "$f" >"$tmp/pd.top"
grep -q '  hot_a$' "$tmp/pd.top" || fail "hot_a went with drop_frames"
! grep -Eq '  (hot_b|caller_b|hot_c|deep_c|mid_c)$' "$tmp/pd.top" ||
    fail "frames drop_frames names, or what they call, are left"

# has_rows WHAT REGEX: the last table has rows for the functions REGEX
# matches; lacks_rows WHAT REGEX: none.
has_rows() {
	grep -Eq "  ($2)\$" "$tmp/pd.top" || fail "$1: no row $2"
}
lacks_rows() {
	! grep -Eq "  ($2)\$" "$tmp/pd.top" || fail "$1: a row $2"
}

# --cum, --focus, --ignore and --tag as -cum, -focus, -ignore and
# -tagfocus: on the machine's profile, with the frames of hot631 and its
# tags, and on the pruned one.
cpu=$(ls "$tmp"/out/cpu-*.pb.gz)
# The defaults: nodes under 0.5% of the total dropped first, as pprof's
# header says ("Dropped N nodes (cum <= V)").
nodefraction=0.005
same_top "cpu, default node fraction" "" "" "$cpu"
grep '^Dropped ' "$tmp/pd.top" || fail "no node dropped from $cpu by default"
same_top "cpu -n 8, default node fraction" "-n 8" "-nodecount=8" "$cpu"
nodefraction=0
same_top "cpu --cum" "--cum" "-cum" "$cpu"
same_top "cpu -n 5 --cum" "-n 5 --cum" "-nodecount=5 -cum" "$cpu"
same_top "cpu --focus hot_a" "--focus hot_a" "-focus=hot_a" "$cpu"
has_rows "--focus hot_a" "hot_a|main"
lacks_rows "--focus hot_a" "hot_b|hot_c"
same_top "cpu --ignore hot_b" "--ignore hot_b" "-ignore=hot_b" "$cpu"
has_rows "--ignore hot_b" "hot_a"
lacks_rows "--ignore hot_b" "hot_b"
same_top "cpu --focus caller_b|deep_c" "--focus caller_b|deep_c" \
    "-focus=caller_b|deep_c" "$cpu"
# hot631.c, the file its functions are in, and the binary.
same_top "cpu --focus hot631" "--focus hot631" "-focus=hot631" "$cpu"
same_top "cpu --focus hot_ --ignore hot_c --cum" \
    "--focus hot_ --ignore hot_c --cum" "-focus=hot_ -ignore=hot_c -cum" "$cpu"
same_top "cpu --tag comm=hot631" "--tag comm=hot631" \
    "-tagfocus=comm=^hot631\$" "$cpu"
has_rows "--tag comm=hot631" "hot_a"
lacks_rows "--tag comm=hot631" "waiter_sleep|main.burnA"
same_top "cpu --tag pid" "--tag pid=$busy_pid" "-tagfocus=pid=$busy_pid" "$cpu"
same_top "cpu --tag pid --focus caller_ --cum -n 4" \
    "--tag pid=$busy_pid --focus caller_ --cum -n 4" \
    "-tagfocus=pid=$busy_pid -focus=caller_ -cum -nodecount=4" "$cpu"
offcpu=$(ls "$tmp"/out/offcpu-*.pb.gz)
same_top "offcpu --focus waiter --cum" "--focus waiter --cum" \
    "-focus=waiter -cum" "$offcpu"
same_top "offcpu --ignore waiter" "--ignore waiter" "-ignore=waiter" "$offcpu"
# Frames drop_frames prunes are not there to match.
f=$(ls "$tmp"/drop/cpu-*.pb.gz)
same_top "pruned --focus hot_" "--focus hot_" "-focus=hot_" "$f"
same_top "pruned --focus caller_b" "--focus caller_b" "-focus=caller_b" "$f"
same_top "pruned --ignore main" "--ignore main" "-ignore=main" "$f"

# A profile from Go's runtime/pprof.
go_cpu_profile "$tmp/go.pb.gz"
for t in $(sample_types "$tmp/go.pb.gz") ""; do
	same_type_top "$tmp/go.pb.gz" "$t"
done
"$PROFDROP" top "$tmp/go.pb.gz" >"$tmp/pd.top"
cat "$tmp/pd.top"
for fn in main.burnA main.burnB main.burnC; do
	grep -q "  $fn\$" "$tmp/pd.top" || fail "no $fn row in the Go profile"
done
same_top "Go --cum" "--cum" "-cum" "$tmp/go.pb.gz"
same_top "Go --focus burnA|burnB" "--focus main\.burn(A|B)" \
    "-focus=main\.burn(A|B)" "$tmp/go.pb.gz"
has_rows "Go --focus" "main.burnA|main.burnB"
lacks_rows "Go --focus" "main.burnC"
same_top "Go --ignore burnC -n 3" "--ignore burnC -n 3" \
    "-ignore=burnC -nodecount=3" "$tmp/go.pb.gz"
same_top "Go --focus runtime" "--focus ^runtime\." "-focus=^runtime\." \
    "$tmp/go.pb.gz"

# Drop directories: five windows of a minute from 2024-01-01T00:00:00Z,
# each a real window of the run with --rotate 1 given that time.
store=$tmp/store
minute_store "$store" "$tmp/win"
range="--since 2024-01-01T00:01:30Z --until 2024-01-01T00:03:30Z"
pprof_files=$(store_window /cpu-20240101T0001 /cpu-20240101T0002 /cpu-20240101T0003)
same_top "the store, 00:01:30 to 00:03:30" "$range" "" "$store"
same_top "the store, 00:01:30 to 00:03:30, --focus hot_a" \
    "$range --focus hot_a" "-focus=hot_a" "$store"
same_top "the store, 00:01:30 to 00:03:30, --tag pid --cum" \
    "$range --tag pid=$busy_pid --cum" "-tagfocus=pid=$busy_pid -cum" "$store"
has_rows "the store, --tag pid" "hot_a"
PROFDROP_OUTPUT_DIR=$store "$PROFDROP" top -n 1000 --node-fraction 0 $range >"$tmp/default.top" ||
    fail "profdrop top without a directory, PROFDROP_OUTPUT_DIR set, failed"
same_top "--dir" "$range -d $store" ""
cmp "$tmp/default.top" "$tmp/pd.top" ||
    fail "profdrop top shows another table with the directory of PROFDROP_OUTPUT_DIR"
pprof_files=$(store_window /cpu-20240101T0000 /cpu-20240101T0001)
same_top "the store until 00:01:10" \
    "--until 2024-01-01T00:01:10Z" "" "$store"
pprof_files=$(store_window /offcpu-)
same_top "the store's off-CPU windows" "--profiles offcpu" "" "$store"
pprof_files=
echo "selected from the store as go tool pprof merges them: the same"


# Errors: one line on stderr that names the file, or the option, and the
# problem.
printf 'not a profile' >"$tmp/junk.pb"
gzip -c "$tmp/go.pb.gz" | head -c 100 >"$tmp/cut.pb.gz"
for c in "$tmp/none.pb.gz|$tmp/none.pb.gz: No such file or directory|" \
    "$tmp/junk.pb|$tmp/junk.pb: the profile has|" \
    "$tmp/cut.pb.gz|$tmp/cut.pb.gz: truncated gzip data|" \
    "$tmp/go.pb.gz|$tmp/go.pb.gz: no sample type \"wall\"; it has samples/count, cpu/nanoseconds|-i wall" \
    "$store|no cpu profile since 2024-01-01T00:05:00.000Z in $store|--since 2024-01-01T00:05:00Z" \
    "$store|--profiles: one type, whose samples add up|--profiles cpu,wall" \
    "$tmp/go.pb.gz|--focus (: |--focus (" \
    "$tmp/go.pb.gz|--since is not before --until|--since now --until -1h"; do
	f=${c%%|*} rest=${c#*|}
	want=${rest%|*} args=${rest#*|}
	rc=0
	"$PROFDROP" top $args "$f" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	echo "profdrop top $args $f: exit $rc: $(cat "$tmp/stderr")"
	[ $rc = 1 ] || fail "exit status $rc, not 1"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "stderr is not one line"
	grep -qF -- "$want" "$tmp/stderr" || fail "the error does not say: $want"
	[ ! -s "$tmp/stdout" ] || fail "output on stdout: $(cat "$tmp/stdout")"
done
rc=0
"$PROFDROP" frobnicate 2>"$tmp/stderr" || rc=$?
[ $rc = 2 ] && grep -q "unknown command: frobnicate" "$tmp/stderr" ||
    fail "an unknown command: exit $rc: $(cat "$tmp/stderr")"
"$PROFDROP" --version | grep -q '^profdrop [0-9]' || fail "no version"
"$PROFDROP" help top | grep -q '^usage: profdrop top ' || fail "no help for top"
