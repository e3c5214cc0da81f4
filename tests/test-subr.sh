# test-subr.sh: sourced by every tests/run-*.sh.
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.  Skip only when the
# kernel forbids a feature; PROFDROP_TEST_NO_SKIP=1 turns skips into failures.

set -e
LC_ALL=C
export LC_ALL

test_dir=$(cd "$(dirname "$0")" && pwd)
# Sources beside the scripts: automake's srcdir names the top directory.
srcdir=$test_dir
# The harness runs from the build directory: tests/ (recursive make) or the top.
if [ -z "$top_builddir" ]; then
	if [ -f config.status ] && [ ! -f ../config.status ]; then
		top_builddir=.
	else
		top_builddir=..
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
PROFDROPD=$top_builddir/src/profdropd/profdropd
PROFDROP=$top_builddir/src/profdrop/profdrop
# A command profdropd runs behind (tests/kemu), none by default.
PROFDROPD_WRAP=
HOT631=$top_builddir/tests/hot631
PDREAD=$top_builddir/tests/pdread

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	if [ "$PROFDROP_TEST_NO_SKIP" = 1 ]; then
		echo "SKIP counted as FAIL (PROFDROP_TEST_NO_SKIP=1): $*" >&2
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

# require_built FILE...: the programs a test runs are built.
require_built() {
	for _rb in "$@"; do
		[ -x "$_rb" ] || fail "$_rb is missing: build it first (make check)"
	done
}
require_built "$PROFDROPD" "$PROFDROP" "$HOT631" "$PDREAD"

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
# The tests read profiles with pdread; go tool pprof is the independent
# reader some of them check it against.
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

# gopprof_flat_share FILE FUNC: FUNC's flat percentage of all samples (0
# if absent), from go tool pprof -top.
gopprof_flat_share() {
	gopprof -top -nodecount=200 -sample_index=samples -nodefraction=0 \
	    "$1" >/dev/null
	awk -v fn="$2" '
		/^ *flat  *flat%/ { body = 1; next }
		body { name = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", name)
		       if (name == fn) { sub(/%$/, "", $2); s += $2 } }
		END { print s + 0 }' "$tmp/pprof.out"
}

# pdread MODE FILE ARGS...: what tests/pdread reads of profile FILE, as go
# tool pprof -symbolize=none shows it; see tests/pdread.c.  Output goes
# through a file so that a failure stops the test even inside $().
pdread() {
	"$PDREAD" "$@" >"$tmp/pdread.out" 2>"$tmp/pdread.err" || {
		cat "$tmp/pdread.err" >&2
		fail "cannot read $2: pdread $1 failed"
	}
	cat "$tmp/pdread.out"
}

# flat_share FILE FUNC: FUNC's flat percentage of all samples (0 if absent),
# rounded as go tool pprof -top -sample_index=samples -nodefraction=0
# rounds it: the samples FUNC is the leaf of, summed over the rows named
# FUNC ("NAME (inline)" for a function always inlined).
flat_share() { pdread flat "$1" "$2"; }

# sample_count FILE: number of samples in the profile.
sample_count() { pdread total "$1"; }

# tag_values FILE KEY: the values of label KEY, one per line.
tag_values() { pdread tags "$1" "$2"; }

# stack_samples FILE FRAME...: samples whose stack, leaf first, begins with
# the frames given.
stack_samples() {
	_sk_f=$1
	shift
	trace_lines "$_sk_f" >"$tmp/stack.traces"
	awk -F '\t' -v want="$*" '
		{ st = $2; for (i = 3; i <= NF; i++) st = st " " $i }
		index(st " ", want " ") == 1 { s += $1 }
		END { print s + 0 }' "$tmp/stack.traces"
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

# hot_a_line: the line of tests/hot631.c where hot_a begins.
hot_a_line() {
	grep -n '^NOINLINE void hot_a(' "$srcdir/hot631.c" | cut -d: -f1
}

# wait_profile DIR: wait, 5 s at most, for a finished profile in DIR.
wait_profile() {
	_wp_n=0
	until [ -n "$(profiles "$1")" ]; do
		[ $_wp_n -lt 100 ] || fail "no profile in $1 within 5 s"
		sleep 0.05
		_wp_n=$((_wp_n + 1))
	done
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
	timeout -s KILL 60 $PROFDROPD_WRAP "$PROFDROPD" --foreground "$@"
}

# start_profdropd ARGS...: run the daemon in the background with the default
# SIGINT/SIGQUIT handling a non-interactive shell takes from background jobs;
# sets pd_pid.
start_profdropd() {
	if env --default-signal=INT true 2>/dev/null; then
		env --default-signal=INT,QUIT $PROFDROPD_WRAP "$PROFDROPD" \
		    --foreground "$@" &
	else
		perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die' \
		    $PROFDROPD_WRAP "$PROFDROPD" --foreground "$@" &
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

# require_kemu: the kernel emulator, which needs seccomp user notification
# (Linux 5.5) in the kernel and in the build's headers.
require_kemu() {
	[ -x "$top_builddir/tests/kemu" ] ||
	    skip "tests/kemu was not built: the build host's headers lack seccomp user notification (Linux 5.5)"
}

require_perf_tool() {
	command -v perf >/dev/null 2>&1 ||
	    fail "perf not found: install linux-perf"
}

# start_program EXE ARGS...: run EXE in the background and wait until it has
# replaced the forked shell; sets prog_pid.
start_program() {
	"$@" &
	prog_pid=$!
	bg_track $prog_pid
	_sp_exe=$(readlink -f "$1")
	_sp_n=0
	while [ "$(readlink "/proc/$prog_pid/exe" 2>/dev/null)" != "$_sp_exe" ]; do
		kill -0 $prog_pid 2>/dev/null || fail "$1 exited at once"
		[ $_sp_n -lt 100 ] || fail "$1 did not start within 5 s"
		sleep 0.05
		_sp_n=$((_sp_n + 1))
	done
}

# stop_program: end the program start_program started.
stop_program() {
	kill -KILL $prog_pid 2>/dev/null || true
	wait $prog_pid 2>/dev/null || true
}

# wait_sampling PID: wait until the daemon PID has a perf event open on
# every online CPU and waits in poll(2) for samples: it has read /proc and
# learns of whatever starts from now on through the kernel's records.
wait_sampling() {
	_ws_cpus=$(getconf _NPROCESSORS_ONLN)
	_ws_n=0
	_ws_pid=$1
	until [ "$(ls -l "/proc/$_ws_pid/fd" 2>/dev/null | grep -c 'perf_event')" -ge "$_ws_cpus" ] &&
	    grep -q poll "/proc/$_ws_pid/wchan" 2>/dev/null; do
		# Behind $PROFDROPD_WRAP (tests/kemu) the daemon is its child.
		[ -z "$PROFDROPD_WRAP" ] ||
		    _ws_pid=$(pgrep -n -P "$1" profdropd || echo "$1")
		kill -0 "$1" 2>/dev/null || fail "profdropd exited before sampling"
		[ $_ws_n -lt 200 ] || fail "profdropd was not sampling after 10 s"
		sleep 0.05
		_ws_n=$((_ws_n + 1))
	done
}

# start_sampling LOG ARGS...: start_profdropd with its messages in LOG and
# its metrics in LOG.prom, and wait until it samples.
start_sampling() {
	_ss_log=$1
	shift
	start_profdropd --metrics-file "$(readlink -f "$_ss_log").prom" "$@" \
	    2>"$_ss_log"
	wait_sampling $pd_pid
}

# finish_profdropd LOG [SIGNAL]: wait for the daemon start_profdropd
# started to exit, after sending it SIGNAL if given; it must exit 0.
finish_profdropd() {
	[ -z "$2" ] || kill -"$2" $pd_pid
	wait_exit $pd_pid 20
	[ $exit_rc = 0 ] || {
		cat "$1" >&2
		fail "profdropd exited with status $exit_rc"
	}
}

# run_profdropd_log LOG ARGS...: run_profdropd with its messages in LOG,
# shown if it fails, and its metrics in LOG.prom.
run_profdropd_log() {
	_rl_log=$1
	shift
	run_profdropd --metrics-file "$(readlink -f "$_rl_log").prom" "$@" \
	    2>"$_rl_log" || {
		cat "$_rl_log" >&2
		fail "profdropd $* failed"
	}
}

# window_counter LOG NAME: a counter of the daemon that start_sampling or
# run_profdropd_log ran with its messages in LOG, from the metrics file it
# wrote beside LOG: samples, kept, lost, throttled, switches, unwound, or
# complete, truncated, failed (unwinds by result), summed over the windows.
window_counter() {
	[ -s "$1.prom" ] || fail "no metrics file $1.prom"
	awk -v name="$2" '
		BEGIN {
			m["samples"] = "profdrop_samples_total"
			m["kept"] = "profdrop_samples_kept_total"
			m["lost"] = "profdrop_lost_records_total"
			m["throttled"] = "profdrop_throttles_total"
			m["switches"] = "profdrop_context_switches_total"
			m["unwound"] = "profdrop_unwinds_total"
			m["complete"] = "profdrop_unwinds_total{result=\"complete\"}"
			m["truncated"] = "profdrop_unwinds_total{result=\"truncated\"}"
			m["failed"] = "profdrop_unwinds_total{result=\"failed\"}"
			if (!(name in m)) {
				print "window_counter: no counter " name > "/dev/stderr"
				exit 1
			}
		}
		$1 == m[name] || (name == "unwound" && index($1, m[name] "{") == 1) {
			s += $2
		}
		END { printf "%d\n", s }' "$1.prom"
}

# unwind_summary LOG: the daemon's sample and unwinding counters in LOG.
unwind_summary() {
	echo "daemon: $(window_counter "$1" samples) samples," \
	    "$(window_counter "$1" lost) lost; unwound" \
	    "$(window_counter "$1" unwound): $(window_counter "$1" complete)" \
	    "complete, $(window_counter "$1" truncated) truncated," \
	    "$(window_counter "$1" failed) failed"
}

# trace_lines PROFILE [-tagfocus=FILTER]: the profile's stacks, one line
# per sample, as go tool pprof -traces shows them: its sample count, then
# its frames leaf first, a function inlined into the next frame "NAME
# (inline)", all tab-separated. The other trace helpers read and write
# this form.
trace_lines() { pdread traces "$@"; }

# perf_trace_lines PERF-DATA: perf record's call graphs in trace_lines form,
# one line per sample.
perf_trace_lines() {
	perf script -i "$1" -F ip,sym --no-inline >"$tmp/perf-script.out" \
	    2>"$tmp/perf-script.err" || {
		cat "$tmp/perf-script.err" >&2
		fail "perf script -i $1 failed"
	}
	awk '
		function flush() { if (st != "") print "1" st; st = "" }
		NF == 0 { flush(); next }
		{ sub(/^[ \t]*[0-9a-f]+ /, ""); st = st "\t" $0 }
		END { flush() }' "$tmp/perf-script.out"
}

# trace_select MODE TRACES ARGS...: the stacks of TRACES that MODE keeps;
# see the traces_* helpers below.  Patterns are extended regular
# expressions matched against whole frame names: 'hot_a|hot_b' is either
# frame, '\[truncated]' the placeholder.
trace_select() {
	_tsel_mode=$1
	shift
	awk -F '\t' -v mode="$_tsel_mode" '
		BEGIN {
			npat = ARGC - 2
			if (mode == "count") {
				want = ARGV[3] + 0
				npat = 1
			}
			for (i = 1; i <= npat; i++)
				pat[i] = "^(" ARGV[i + 1] ")$"
			ARGC = 2
		}
		mode == "with" {
			for (i = 1; i <= npat; i++) {
				for (j = 2; j <= NF && $j !~ pat[i]; j++)
					;
				if (j > NF)
					next
			}
			print
		}
		mode == "leaf" && $2 ~ pat[1]
		mode == "end" && $NF ~ pat[1]
		mode == "count" {
			c = 0
			for (j = 2; j <= NF; j++)
				if ($j ~ pat[1])
					c++
			if (c == want)
				print
		}' "$@"
}

# traces_with TRACES PATTERN...: the stacks with a frame matching each PATTERN.
traces_with() { trace_select with "$@"; }
# traces_leaf TRACES PATTERN: the stacks whose leaf frame matches PATTERN.
traces_leaf() { trace_select leaf "$@"; }
# traces_ending TRACES PATTERN: the stacks whose outermost frame matches PATTERN.
traces_ending() { trace_select end "$@"; }
# traces_repeating TRACES PATTERN N: the stacks with exactly N frames matching PATTERN.
traces_repeating() { trace_select count "$@"; }

# trace_count TRACES: the samples in TRACES.
trace_count() {
	awk -F '\t' '{ s += $1 } END { print s + 0 }' "$1"
}

# trace_share TRACES SELECT ARGS...: the % of the samples in TRACES that
# "SELECT TRACES ARGS..." (traces_with, traces_leaf...) keeps.
trace_share() {
	_tsh_in=$1 _tsh_sel=$2
	shift 2
	"$_tsh_sel" "$_tsh_in" "$@" >"$tmp/share.out"
	pct "$(trace_count "$tmp/share.out")" "$(trace_count "$_tsh_in")"
}

# raw_samples FILE: one line per sample, as `go tool pprof -raw` lists
# them: "VALUE VALUE...|key=value key=value...|frame;frame;..." with the
# string labels sorted, then the numeric ones, and the frames leaf first
# (inlined functions innermost first).
raw_samples() { pdread samples "$1"; }

# sum_where FILE COLUMN LABEL-REGEX FRAME-REGEX: the sum of value COLUMN
# (1-based) over samples whose labels and frames match.
sum_where() {
	raw_samples "$1" | awk -F'|' -v c="$2" -v lr="$3" -v fr="$4" '
		$2 ~ lr && $3 ~ fr { split($1, v, " "); t += v[c] }
		END { printf "%.0f\n", t }'
}

# raw_traces FILE [-tagfocus=FILTER]: the profile's samples in trace_lines
# form as `go tool pprof -raw` lists them, counted in the first sample
# type: a function inlined into the next frame is "NAME (inline)" and a
# location without lines is its address.
raw_traces() { pdread raw-traces "$@"; }
# raw_line_traces FILE [-tagfocus=FILTER]: raw_traces with every frame
# followed by " FILE:LINE".
raw_line_traces() { pdread raw-lines "$@"; }
# raw_functions FILE: the functions the profile's locations name, one a
# line: NAME, a tab, SYSTEM-NAME.
raw_functions() { pdread functions "$@"; }
# raw_locations FILE: the profile's locations, one a line: the address
# (0x...), a tab, the function of its innermost line.
raw_locations() { pdread locations "$1"; }

# profile_string_field FILE NUMBER: the string that the profile's field
# NUMBER (7 drop_frames, 8 keep_frames) indexes; empty when unset.
profile_string_field() { pdread field "$1" "$2"; }

# profile_time FILE: the profile's start time (time_nanos) in seconds since
# the epoch, SECONDS.NANOSECONDS; empty when unset.
profile_time() { pdread time "$1"; }

require_rustc() {
	command -v rustc >/dev/null 2>&1 ||
	    fail "rustc not found: install rustc (contrib/install-deps.sh)"
}

# random_hex BYTES: BYTES random bytes in hex.
random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# build_id ELF: the ELF file's GNU build ID in hex.
build_id() {
	readelf -n "$1" | sed -n 's/^ *Build ID: *//p'
}

# build_stripped SRC OUT: SRC built with -O2 -g as OUT, with a build ID of
# its own, stripped of everything (symbols too); its debug info in OUT.debug.
build_stripped() {
	command -v "${CC:-cc}" >/dev/null 2>&1 || fail "no C compiler: set CC"
	${CC:-cc} -O2 -g -Wl,--build-id=0x$(random_hex 20) -o "$2.full" "$1" ||
	    fail "cannot build $2"
	objcopy --only-keep-debug "$2.full" "$2.debug"
	objcopy --strip-all "$2.full" "$2"
	rm "$2.full"
}

# install_debug_file ELF: move ELF.debug to where debuggers look for it by
# build ID, under /usr/lib/debug/.build-id, as debug_file. It is removed at
# exit, with the directories made for it.
install_debug_file() {
	_idf_id=$(build_id "$1")
	_idf_dir=/usr/lib/debug/.build-id/$(echo $_idf_id | cut -c1-2)
	debug_file=$_idf_dir/$(echo $_idf_id | cut -c3-).debug
	[ ! -e "$debug_file" ] || fail "$debug_file exists already"
	at_exit "rm -f '$debug_file'"
	_idf_made=
	for _idf_d in /usr/lib/debug /usr/lib/debug/.build-id "$_idf_dir"; do
		[ -d "$_idf_d" ] && continue
		mkdir "$_idf_d"
		_idf_made="'$_idf_d' $_idf_made"
	done
	[ -z "$_idf_made" ] || at_exit "rmdir $_idf_made"
	mv "$1.debug" "$debug_file"
}

# now_ms: the time in milliseconds, to time runs.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# port_listening PORT: whether something listens on TCP PORT.
port_listening() {
	awk -v p=":$(printf '%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port: a TCP port that nothing listens on (yet), from 20000-29999,
# below the usual ephemeral range.
free_port() {
	while :; do
		_fp=$(($(od -An -N2 -tu2 /dev/urandom) % 10000 + 20000))
		port_listening $_fp || break
	done
	echo $_fp
}

# cgroup2_root: where the cgroup v2 hierarchy is mounted; empty if nowhere.
cgroup2_root() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

# traces_with_frame TRACES NAME...: the stacks with a frame that is NAME,
# as a string, not a pattern, for each NAME.
traces_with_frame() {
	awk -F '\t' '
		BEGIN {
			for (i = 2; i < ARGC; i++)
				want[i] = ARGV[i]
			n = ARGC
			ARGC = 2
		}
		{
			for (i = 2; i < n; i++) {
				for (j = 2; j <= NF && $j != want[i]; j++)
					;
				if (j > NF)
					next
			}
			print
		}' "$@"
}

# assert_le ACTUAL MAX MSG
assert_le() {
	echo "$3: $1 (expected <= $2)"
	awk -v a="$1" -v m="$2" 'BEGIN { exit !(a <= m) }' ||
	    fail "$3: $1 is above $2"
}

# hot631_named TRACES WHAT: hot631's samples in TRACES are named: nearly
# all have a leaf hot_a, hot_b or hot_c, and each of the three is there.
# The 6:3:1 ratio is for run-hot631.sh and the unwinding tests to check.
hot631_named() {
	assert_ge "$(trace_share "$1" traces_leaf 'hot_[abc]')" 90 \
	    "$2: % of samples in hot_a, hot_b or hot_c"
	for _hn in hot_a hot_b hot_c; do
		traces_leaf "$1" $_hn >"$tmp/hn"
		assert_ge "$(trace_count "$tmp/hn")" 1 "$2: samples in $_hn"
	done
}

# raw_totals FILE [PPROF-FLAG...]: the total of each sample type of the
# profile, space-separated, as go tool pprof -raw lists its samples.
raw_totals() {
	_rt_f=$1
	shift
	gopprof -raw "$@" "$_rt_f" >/dev/null
	awk '
		/^Samples:/ { getline; n = NF; on = 1; next }
		on && /^ *-?[0-9]+( +-?[0-9]+)*: / {
			split($0, part, ":")
			split(part[1], v, " ")
			for (i = 1; i <= n; i++)
				t[i] += v[i]
			next
		}
		on && /^[A-Z]/ { on = 0 }
		END {
			for (i = 1; i <= n; i++)
				printf "%s%.0f", (i > 1 ? " " : ""), t[i]
			print ""
		}' "$tmp/pprof.out"
}

# sum_columns [FILE]: the sums of the columns of the lines, space-separated.
sum_columns() {
	awk '{ for (i = 1; i <= NF; i++) t[i] += $i; if (NF > n) n = NF }
	    END { for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? " " : ""), t[i]
		  print "" }' "$@"
}

# start_httpd DIR: busybox httpd serving DIR (its cgi-bin/ runs) on a free
# port of 127.0.0.1, listening when this returns; sets httpd_port.
start_httpd() {
	command -v busybox >/dev/null 2>&1 ||
	    fail "busybox not found: install busybox-static (contrib/install-deps.sh)"
	httpd_port=$(free_port)
	busybox httpd -f -p 127.0.0.1:$httpd_port -h "$1" &
	bg_track $!
	_sh_n=0
	until port_listening $httpd_port; do
		[ $_sh_n -lt 100 ] || fail "busybox httpd did not listen within 5 s"
		sleep 0.05
		_sh_n=$((_sh_n + 1))
	done
}

# retime_store DIR KIND COUNT SENT FILE...: a drop directory of COUNT
# windows of a minute from 2024-01-01T00:00:00Z (t0), named as profdropd
# names them, the first SENT in DIR/sent as an uploader leaves them: each
# FILE in turn, from the first again when they run out, given that time by
# tests/pdretime. Their paths are added to $tmp/store.files.
t0=1704067200
retime_store() {
	_rs_dir=$1 _rs_kind=$2 _rs_count=$3 _rs_sent=$4
	shift 4
	_rs_files="$*"
	mkdir -p "$_rs_dir/sent"
	_rs_i=0
	while [ $_rs_i -lt "$_rs_count" ]; do
		[ $# -gt 0 ] || set -- $_rs_files
		_rs_d=$_rs_dir
		[ $_rs_i -ge "$_rs_sent" ] || _rs_d=$_rs_dir/sent
		_rs_f=$_rs_d/$_rs_kind-20240101T000${_rs_i}00Z-testhost.pb.gz
		"$top_builddir/tests/pdretime" "$1" "$_rs_f" \
		    $((t0 + 60 * _rs_i)) 60 || fail "pdretime $1 failed"
		echo "$_rs_f" >>"$tmp/store.files"
		shift
		_rs_i=$((_rs_i + 1))
	done
}

# minute_store DIR WINDIR: a drop directory of retime_store in DIR, five
# cpu windows of a minute from t0, the first two in DIR/sent, and two
# off-CPU ones at 00:00 and 00:01, made of the windows a run with
# --rotate 1 wrote into WINDIR.
minute_store() {
	[ "$(ls "$2"/cpu-*.pb.gz | wc -l)" -ge 2 ] ||
	    fail "too few windows from a run with --rotate 1"
	retime_store "$1" cpu 5 2 $(ls "$2"/cpu-*.pb.gz)
	retime_store "$1" offcpu 2 0 $(ls "$2"/offcpu-*.pb.gz)
}

# store_window PATTERN...: the files retime_store wrote that match, one a
# line.
store_window() {
	for _sw; do
		grep -e "$_sw" "$tmp/store.files"
	done
}

# go_build SRC OUT: the Go program SRC (standard library only) built
# offline into OUT.
go_build() {
	mkdir -p "$tmp/home"
	HOME=$tmp/home GOENV=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
	    GOCACHE=$tmp/gocache GOPATH=$tmp/gopath go build -o "$2" "$1" ||
	    fail "cannot build $1"
}

# go_cpu_profile OUT: a CPU profile written by Go's runtime/pprof (the
# program tests/gocpu.go) in OUT.
go_cpu_profile() {
	go_build "$srcdir/gocpu.go" "$tmp/gocpu"
	"$tmp/gocpu" "$1" || fail "gocpu failed"
}
