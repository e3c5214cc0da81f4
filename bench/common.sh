# common.sh: sourced by bench/run-*.sh.  Checks, the workload, timing and
# the parsing of profdropd's --verbose log.

set -e
LC_ALL=C
export LC_ALL

bench_dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$bench_dir/.." && pwd)
PROFDROPD=${PROFDROPD:-$top/src/profdropd/profdropd}
BENCH_RUNS=${BENCH_RUNS:-2}
BENCH_HZ=${BENCH_HZ:-999}

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# Shows the usage block: the script's leading comment lines.
usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

case $1 in
-h|--help) usage 0 ;;
'') ;;
*) usage 2 >&2 ;;
esac

[ "$(id -u)" = 0 ] || die "run as root (system-wide perf events)"
[ -x /usr/bin/time ] || die "GNU time is missing (apt-get install time)"
[ -x "$PROFDROPD" ] || die "$PROFDROPD is missing: build profdrop first"
command -v gcc >/dev/null || die "gcc is missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/profdrop-bench.XXXXXX")
bg_pids=
cleanup() {
	for p in $bg_pids; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	if [ "$BENCH_KEEP" = 1 ]; then
		echo "logs kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# A copy, so a rebuild during the bench does not mix two daemons.
cp "$PROFDROPD" "$tmp/profdropd"
pd_version="$("$tmp/profdropd" --version 2>&1) (built $(date -r "$PROFDROPD" +%FT%T))"
# perf record -F samples the CPU only; so must profdropd where it can do more.
pd_args=
if "$tmp/profdropd" --help 2>&1 | grep -q -- '--profiles'; then
	pd_args="--profiles cpu"
fi

gcc -O2 -g -fomit-frame-pointer -pthread -o "$tmp/busy" "$bench_dir/busy.c" ||
    die "cannot build bench/busy.c"
BUSY=$tmp/busy

# busy_ticks: the CPU time the whole machine has used, in clock ticks.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# quiet: wait, two minutes at most, for a second with under 10% of a CPU
# busy: builds and tests running beside the bench would skew its numbers.
quiet() {
	for _i in $(seq 120); do
		_b=$(busy_ticks)
		sleep 1
		[ $(($(busy_ticks) - _b)) -lt $(($(getconf CLK_TCK) / 10)) ] && return
	done
	echo "warning: the machine is not idle; the numbers will show it" >&2
}

# start PROGRAM ARGS...: once the machine is quiet, run a workload in the
# background; its pid in $prog, its output in $tmp/prog.out.
start() {
	quiet
	"$@" >"$tmp/prog.out" &
	prog=$!
	bg_pids="$bg_pids $prog"
	sleep 0.5
}

# finish: wait for the workload; its output in $out.
finish() {
	wait "$prog" || die "workload $prog failed"
	out=$(cat "$tmp/prog.out")
}

# timed OUT COMMAND...: run COMMAND under GNU time; "user sys maxrss-KiB" in
# OUT.  The times include every child the command reaped, and the max RSS
# is the largest of the command's and those children's.
timed() {
	_out=$1
	shift
	/usr/bin/time -f '%U %S %M' -o "$_out" "$@"
}

# profdropd OUT LOG ARGS...: timed profdropd --verbose --foreground ARGS,
# its stderr in LOG, its metrics in LOG.prom.  Its /proc/PID/stat is read every second (with no
# process started but sleep, not to add work for a system-wide profiler);
# the last reading, in OUT.stat, has the CPU time of the writer children
# it reaped (cutime + cstime): all of them, as the last window is written
# in-process after the last child is reaped.  The symbolizer's stat, if
# the daemon has one (a child named profdropd-sym), goes to OUT.symstat:
# it is reaped only at exit, after the last reading.
profdropd() {
	_out=$1 _log=$2
	shift 2
	rm -f "$tmp/pd.pid" "$_out.symstat"
	timed "$_out" sh -c 'echo $$ >"$0"; exec "$@"' "$tmp/pd.pid" \
	    "$tmp/profdropd" --foreground --verbose $pd_args \
	    --metrics-file "$(readlink -f "$_log").prom" "$@" 2>"$_log" &
	_t=$!
	while [ ! -s "$tmp/pd.pid" ]; do sleep 0.05; done
	_p=$(cat "$tmp/pd.pid") _sym=
	while read -r _s 2>/dev/null <"/proc/$_p/stat"; do
		echo "$_s" >"$_out.stat"
		[ -n "$_sym" ] || _sym=$(symbolizer_of "$_p")
		if [ -n "$_sym" ] &&
		    read -r _ss 2>/dev/null <"/proc/$_sym/stat"; then
			echo "$_ss" >"$_out.symstat"
		fi
		sleep 1
	done
	wait "$_t" || { cat "$_log" >&2; die "profdropd failed"; }
}

# symbolizer_of PID: the pid of PID's child named profdropd-sym, if any.
symbolizer_of() {
	for _f in /proc/[0-9]*/stat; do
		read -r _l 2>/dev/null <"$_f" || continue
		case $_l in
		*" (profdropd-sym) "?" $1 "*)
			echo "${_l%% *}"
			return ;;
		esac
	done
}

# cpu OUT: user + sys seconds; rss_mib OUT: max RSS in MiB.
cpu() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
rss_mib() { awk '{ printf "%.0f", $3 / 1024 }' "$1"; }

# children_cpu OUT: seconds the profdropd's reaped children used.
children_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($16 + $17) / hz }' \
	    "$1.stat"
}

# symbolizer_cpu OUT: seconds its symbolizer used, at the last reading.
symbolizer_cpu() {
	[ -s "$1.symstat" ] || { echo 0.00; return; }
	sed 's/^.*) //' "$1.symstat" | awk -v hz="$(getconf CLK_TCK)" \
	    '{ printf "%.2f", ($12 + $13) / hz }'
}

# us_per N SECONDS: microseconds per item.
us_per() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n ? s * 1e6 / n : 0 }'; }

# windows LOG: the daemon's counters from the metrics file it wrote beside
# LOG, "samples kept lost throttled unwound complete truncated failed", then
# the range (lowest-highest) over the windows after the first (or the only
# one) of the median and of the p99 unwind time in ns, from its log.
windows() {
	awk '
	function range(lo, hi) {
		return lo == hi ? lo : lo "-" hi
	}
	FILENAME != logfile {
		v[$1] = $2
		next
	}
	/: unwind time per stack: / {
		if (++n <= 2) { m0 = m1 = $7; p0 = p1 = $10; next }
		m0 = $7 < m0 ? $7 : m0; m1 = $7 > m1 ? $7 : m1
		p0 = $10 < p0 ? $10 : p0; p1 = $10 > p1 ? $10 : p1
	}
	END {
		c = v["profdrop_unwinds_total{result=\"complete\"}"]
		tr = v["profdrop_unwinds_total{result=\"truncated\"}"]
		f = v["profdrop_unwinds_total{result=\"failed\"}"]
		printf "%d %d %d %d %d %d %d %d %s %s\n",
		    v["profdrop_samples_total"], v["profdrop_samples_kept_total"],
		    v["profdrop_lost_records_total"],
		    v["profdrop_throttles_total"], c + tr + f, c, tr, f,
		    range(m0, m1), range(p0, p1)
	}' logfile="$1" "$1.prom" "$1"
}

# pct A B: A as a percentage of B.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
