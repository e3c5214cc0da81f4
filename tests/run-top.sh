#!/bin/sh
# profdrop top against go tool pprof -top, row by row: every sample type of
# the cpu, off-CPU and wall profiles of the whole machine while hot631 and
# waiter run, and of a CPU profile that Go's runtime/pprof writes.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events
require_go_pprof
mount_tracefs

PROFDROP=$top_builddir/src/profdrop/profdrop
[ -x "$PROFDROP" ] || fail "$PROFDROP is missing: build it first (make check)"

# same_top FILE [TYPE]: both tables, the same functions in the same order
# with the same values, to the rounding of what they print.
same_top() {
	if [ -n "$2" ]; then
		gopprof -top -nodefraction=0 -nodecount=1000 -sample_index="$2" \
		    "$1" >/dev/null
	else
		gopprof -top -nodefraction=0 -nodecount=1000 "$1" >/dev/null
	fi
	sed -n '/^Showing nodes/,$p' "$tmp/pprof.out" >"$tmp/go.top"
	"$PROFDROP" top -n 1000 ${2:+-i "$2"} "$1" >"$tmp/pd.top" \
	    2>"$tmp/pd.err" || {
		cat "$tmp/pd.err" >&2
		fail "profdrop top ${2:+-i $2 }$1 failed"
	}
	awk -v what="$(basename "$1") ${2:-(default)}" '
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
	    fail "profdrop top and go tool pprof -top differ on ${2:-the default type} of $1"
}

# sample_types FILE: the profile's sample types, one a line.
sample_types() {
	gopprof -raw "$1" >/dev/null
	awk '/^Samples:/ { getline; for (i = 1; i <= NF; i++) {
		t = $i; sub(/\/.*/, "", t); print t }; exit }' "$tmp/pprof.out"
}

start_busy 10
start_program "$top_builddir/tests/waiter" 10 >/dev/null
mkdir "$tmp/out" "$tmp/drop"
run_profdropd_log "$tmp/log" --duration 3 --rotate 60 --frequency 499 \
    --output-dir "$tmp/out"
# And a profile whose drop_frames pprof applies: what those frames call
# goes with them.
run_profdropd_log "$tmp/log" --pid $busy_pid --duration 1 --rotate 60 \
    --frequency 499 --drop-frames 'caller_b|mid_c' --output-dir "$tmp/drop"

for kind in cpu offcpu wall; do
	f=$(ls "$tmp"/out/$kind-*.pb.gz)
	for t in $(sample_types "$f") ""; do
		same_top "$f" "$t"
	done
done
"$PROFDROP" top -i samples "$(ls "$tmp"/out/cpu-*.pb.gz)" >"$tmp/pd.top"
grep -q '  hot_a$' "$tmp/pd.top" || fail "no hot_a row in the cpu profile"
echo "the cpu profile, as profdrop top shows it:"
head -8 "$tmp/pd.top"

f=$(ls "$tmp"/drop/cpu-*.pb.gz)
for t in $(sample_types "$f"); do
	same_top "$f" "$t"
done
"$PROFDROP" top "$f" >"$tmp/pd.top"
grep -q '  hot_a$' "$tmp/pd.top" || fail "hot_a went with drop_frames"
! grep -Eq '  (hot_b|caller_b|hot_c|deep_c|mid_c)$' "$tmp/pd.top" ||
    fail "frames drop_frames names, or what they call, are left"

# A profile from Go's runtime/pprof, built and run offline.
mkdir "$tmp/go"
cp "$srcdir/gocpu.go" "$tmp/go/"
(cd "$tmp/go" && HOME=$tmp/home GOENV=off GOFLAGS=-mod=mod GOPROXY=off \
    GOTOOLCHAIN=local GOCACHE=$tmp/gocache GOPATH=$tmp/gopath \
    go build -o gocpu gocpu.go) || fail "cannot build gocpu.go"
"$tmp/go/gocpu" "$tmp/go.pb.gz" || fail "gocpu failed"
for t in $(sample_types "$tmp/go.pb.gz") ""; do
	same_top "$tmp/go.pb.gz" "$t"
done
"$PROFDROP" top "$tmp/go.pb.gz" >"$tmp/pd.top"
cat "$tmp/pd.top"
for fn in main.burnA main.burnB main.burnC; do
	grep -q "  $fn\$" "$tmp/pd.top" || fail "no $fn row in the Go profile"
done

# Errors: one line on stderr that names the file and the problem.
printf 'not a profile' >"$tmp/junk.pb"
gzip -c "$tmp/go.pb.gz" | head -c 100 >"$tmp/cut.pb.gz"
for c in "$tmp/none.pb.gz|No such file or directory|" \
    "$tmp/junk.pb|the profile has|" \
    "$tmp/cut.pb.gz|truncated gzip data|" \
    "$tmp/go.pb.gz|no sample type \"wall\"; it has samples, cpu|-i wall"; do
	f=${c%%|*} rest=${c#*|}
	want=${rest%|*} args=${rest#*|}
	rc=0
	"$PROFDROP" top $args "$f" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	echo "profdrop top $args $f: exit $rc: $(cat "$tmp/stderr")"
	[ $rc = 1 ] || fail "exit status $rc, not 1"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "stderr is not one line"
	grep -qF "$f: $want" "$tmp/stderr" || fail "the error does not say: $f: $want"
	[ ! -s "$tmp/stdout" ] || fail "output on stdout: $(cat "$tmp/stdout")"
done
rc=0
"$PROFDROP" frobnicate 2>"$tmp/stderr" || rc=$?
[ $rc = 2 ] && grep -q "unknown command: frobnicate" "$tmp/stderr" ||
    fail "an unknown command: exit $rc: $(cat "$tmp/stderr")"
"$PROFDROP" --version | grep -q '^profdrop [0-9]' || fail "no version"
"$PROFDROP" help top | grep -q '^usage: profdrop top ' || fail "no help for top"
