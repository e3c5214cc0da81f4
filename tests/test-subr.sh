# test-subr.sh: sourced by every tests/run-*.sh.
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.  Skip only when the
# kernel forbids a feature; PROFDROP_NO_SKIP=1 turns skips into failures.

set -e
LC_ALL=C
export LC_ALL

test_dir=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$test_dir}
# The harness runs from the build directory: tests/ (recursive make) or the top.
if [ -z "$top_builddir" ]; then
	if [ -f config.status ] && [ ! -f ../config.status ]; then
		top_builddir=.
	else
		top_builddir=..
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
PROFDROPD=$top_builddir/src/profdropd
HOT631=$top_builddir/tests/hot631

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	if [ "$PROFDROP_NO_SKIP" = 1 ]; then
		echo "SKIP counted as FAIL (PROFDROP_NO_SKIP=1): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

# Background processes and commands to run when the test ends, however it ends.
bg_pids=
exit_cmds=
bg_track() { bg_pids="$bg_pids $1"; }
at_exit() { exit_cmds="$exit_cmds
$1"; }

cleanup() {
	rc=$?
	set +e
	for p in $bg_pids; do kill -KILL "$p" 2>/dev/null; done
	for p in $bg_pids; do wait "$p" 2>/dev/null; done
	eval "$exit_cmds"
	rm -rf "$tmp"
	exit $rc
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/profdrop-test.XXXXXX")
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

for p in "$PROFDROPD" "$HOT631"; do
	[ -x "$p" ] || fail "$p is missing: build it first (make check)"
done

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

require_perf_events() {
	[ -e /proc/sys/kernel/perf_event_paranoid ] ||
	    skip "kernel without perf events (no /proc/sys/kernel/perf_event_paranoid)"
}

mount_tracefs() {
	[ -d /sys/kernel/tracing/events ] && return 0
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	    skip "cannot mount tracefs at /sys/kernel/tracing"
	at_exit "umount /sys/kernel/tracing"
}

require_go_pprof() {
	command -v go >/dev/null 2>&1 ||
	    fail "go not found: install golang-go (contrib/install-deps.sh)"
}

# go tool pprof offline: no network, no writes to the real HOME, and the
# function names as written by profdropd (never re-symbolized from binaries).
# Output goes through a file so that a failure stops the test even inside $().
gopprof() {
	mkdir -p "$tmp/home" "$tmp/nobin"
	HOME=$tmp/home GOENV=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
	GOCACHE=$tmp/gocache PPROF_TMPDIR=$tmp/home \
	PPROF_BINARY_PATH=$tmp/nobin TZ=UTC \
	    go tool pprof -symbolize=none "$@" >"$tmp/pprof.out" 2>"$tmp/pprof.err" || {
		cat "$tmp/pprof.err" >&2
		fail "go tool pprof $* failed"
	}
	cat "$tmp/pprof.out"
}

# pprof_top FILE [FLAGS...]
pprof_top() {
	f=$1; shift
	gopprof -top -nodecount=200 "$@" "$f"
}

# flat_share FILE FUNC: FUNC's flat percentage of all samples (0 if absent).
flat_share() {
	pprof_top "$1" -sample_index=samples -nodefraction=0 >/dev/null
	awk -v fn="$2" '
		/^ *flat  *flat%/ { body = 1; next }
		body { name = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", name)
		       if (name == fn) { sub(/%$/, "", $2); s += $2 } }
		END { print s + 0 }' "$tmp/pprof.out"
}

# sample_count FILE: number of samples in the profile.
sample_count() {
	pprof_top "$1" -sample_index=samples >/dev/null
	sed -n 's/^Showing nodes accounting for .* of \([0-9]*\) total$/\1/p' "$tmp/pprof.out"
}

# tag_values FILE KEY: the values of label KEY, one per line.
tag_values() {
	gopprof -tags "$1" >/dev/null
	awk -v key="$2" '
		/^ [^ ].*: Total / { cur = $1; next }
		cur == key ":" && /\): / { sub(/^[^)]*\): /, ""); print }' "$tmp/pprof.out"
}

# stack_samples FILE FRAME...: samples whose stack, leaf first, begins with
# the frames given.
stack_samples() {
	f=$1; shift
	gopprof -traces -sample_index=samples "$f" >/dev/null
	awk -v want="$*" '
		function flush() { if (index(st " ", want " ") == 1) s += n; st = "" }
		/^-+\+-+$/ { flush(); lab = 1; next }
		lab && $1 ~ /:$/ { next }
		lab { lab = 0; n = $1; sub(/^ *[^ ]+ +/, ""); st = $0; next }
		st != "" { sub(/^ +/, ""); st = st " " $0 }
		END { flush(); print s + 0 }' "$tmp/pprof.out"
}

# assert_near ACTUAL EXPECTED TOL MSG
assert_near() {
	echo "$4: $1 (expected $2 +- $3)"
	awk -v a="$1" -v e="$2" -v t="$3" 'BEGIN { exit !(a - e <= t && e - a <= t) }' ||
	    fail "$4: $1 is not within $3 of $2"
}

# assert_ge ACTUAL MIN MSG
assert_ge() {
	echo "$3: $1 (expected >= $2)"
	awk -v a="$1" -v m="$2" 'BEGIN { exit !(a >= m) }' ||
	    fail "$3: $1 is below $2"
}

# pct PART WHOLE: PART as a percentage of WHOLE.
pct() {
	awk -v p="$1" -v w="$2" 'BEGIN { printf "%.2f\n", w ? 100 * p / w : 0 }'
}

# cpu_ticks PID: CPU time (user + system) PID has used, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# samples_for HZ TICKS: the samples HZ gives over TICKS of CPU time.
samples_for() {
	awk -v hz="$1" -v t="$2" -v tck="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%d\n", hz * t / tck + 0.5 }'
}

# wait_for_file PATH TIMEOUT
wait_for_file() {
	n=0
	while [ ! -e "$1" ]; do
		[ $n -lt $(($2 * 20)) ] || fail "$1 did not appear within $2 s"
		sleep 0.05
		n=$((n + 1))
	done
}

gunzip_ok() {
	gzip -t "$1" 2>/dev/null
}

# profiles DIR: the finished profiles in DIR, in ls order.
profiles() {
	ls "$1" | grep '^cpu-.*\.pb\.gz$' || true
}

# start_busy SECONDS [NAME]: run hot631 (as NAME) in the background; sets busy_pid.
start_busy() {
	exe=$HOT631
	if [ -n "$2" ]; then
		exe=$tmp/$2
		cp "$HOT631" "$exe"
	fi
	rm -f "$tmp/ready"
	"$exe" "$1" "$tmp/ready" &
	busy_pid=$!
	bg_track $busy_pid
	wait_for_file "$tmp/ready" 5
}

# run_profdropd ARGS...: run the daemon in the foreground, killed after 60 s.
run_profdropd() {
	timeout -s KILL 60 "$PROFDROPD" --foreground "$@"
}

# start_profdropd ARGS...: run the daemon in the background with the default
# SIGINT/SIGQUIT handling a non-interactive shell takes from background jobs;
# sets pd_pid.
start_profdropd() {
	if env --default-signal=INT true 2>/dev/null; then
		env --default-signal=INT,QUIT "$PROFDROPD" --foreground "$@" &
	else
		perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die' \
		    "$PROFDROPD" --foreground "$@" &
	fi
	pd_pid=$!
	bg_track $pd_pid
}

# wait_exit PID TIMEOUT: wait for a background child to exit; sets exit_rc.
wait_exit() {
	n=0
	while [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ] &&
	    [ -e "/proc/$1" ]; do
		[ $n -lt $(($2 * 20)) ] || fail "process $1 did not exit within $2 s"
		sleep 0.05
		n=$((n + 1))
	done
	exit_rc=0
	wait "$1" || exit_rc=$?
}
