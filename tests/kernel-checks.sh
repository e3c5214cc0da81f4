# kernel-checks.sh: sourced after test-subr.sh by the tests that run
# tests/kernel-workload.sh under an old kernel, real or emulated, to
# assert the same things on what it left.

# check_kernel_run DIR NAME MISSING TRACING EXACT: the workload's results
# in DIR, for kernel NAME, which lacks the features MISSING lists (names as
# the daemon says them, comma-separated, in any order) and has its tracing
# directory at TRACING. EXACT is yes when the
# off-CPU waits must match what the program measured, per round, in their
# user frames: the kernel gives switch records, and the user registers of
# a thread blocked in a system call. Otherwise the waits must be there, by
# the wait class their kernel frames give.
check_kernel_run() {
	_kd=$1 _kn=$2 _km=$3 _kt=$4 _ke=$5
	[ "$(cat "$_kd/status" 2>/dev/null)" = 0 ] || {
		cat "$_kd/daemon.log" >&2
		fail "$_kn: profdropd exited with status $(cat "$_kd/status" 2>/dev/null)"
	}
	_got=$(sed -n 's/^profdropd: the kernel lacks \(.*\) (Linux [0-9.]*): .*/\1/p' \
	    "$_kd/daemon.log" | sort | paste -sd, -)
	_want=$(echo "$_km" | tr ',' '\n' | sed '/^$/d' | sort | paste -sd, -)
	echo "$_kn: the daemon says the kernel lacks: ${_got:-nothing}"
	grep '^profdropd: kernel feature: ' "$_kd/daemon.log" | sed "s/^/$_kn: /"
	[ "$_got" = "$_want" ] ||
	    fail "$_kn: the daemon says the kernel lacks '$_got', not '$_want'"
	grep -q "^profdropd: kernel feature: tracing: $_kt\$" "$_kd/daemon.log" ||
	    fail "$_kn: the daemon did not find tracing at $_kt"
	# sched_switch writes into the CPU sampler's ring of each CPU where
	# records carry the id of their event; else it maps rings of its own.
	case ,$_km, in
	*,PERF_SAMPLE_IDENTIFIER,*) _kr="two per CPU" _krn=2 ;;
	*) _kr="one per CPU shared with sched_switch" _krn=1 ;;
	esac
	_krn=$((_krn * $(cat "$_kd/ncpus")))
	grep '^profdropd: rings: ' "$_kd/daemon.log" | sed "s/^/$_kn: /"
	grep -q "^profdropd: rings: .* CPUs, $_kr " "$_kd/daemon.log" ||
	    fail "$_kn: the daemon does not say its rings are $_kr"
	read -r _krm _krk <"$_kd/rings" || fail "$_kn: no rings recorded"
	echo "$_kn: $_krm perf rings mapped, $_krk KiB, on $(cat "$_kd/ncpus") CPUs"
	[ "$_krm" = $_krn ] || fail "$_kn: $_krm perf rings mapped, not $_krn"

	# Least privilege: read access kept, CAP_CHECKPOINT_RESTORE where the
	# kernel has it (5.9+).
	_kc=$(( (1 << 2) | (1 << 19) ))
	[ "$(cat "$_kd/cap_last_cap")" -lt 40 ] || _kc=$((_kc | (1 << 40)))
	_kc=$(printf '%016x' $_kc)
	sed "s/^/$_kn: capabilities kept: /" "$_kd/caps"
	for _kp in profdropd profdropd-sym; do
		grep -qx "$_kp $_kc" "$_kd/caps" ||
		    fail "$_kn: $_kp does not hold exactly $_kc"
	done

	# Rotation: two windows of each kind, three when the first was cut
	# short to end on a UTC multiple of the rotation.
	_kw1=$(ls "$_kd" | grep -c '^cpu-.*\.pb\.gz$' || true)
	for _kk in cpu offcpu wall; do
		_kc=$(ls "$_kd" | grep -c "^$_kk-.*\.pb\.gz\$" || true)
		[ "$_kc" -ge 2 ] && [ "$_kc" -le 3 ] && [ "$_kc" = "$_kw1" ] ||
		    fail "$_kn: $_kc $_kk profiles, not 2 or 3 windows like cpu's"
	done

	# The 6:3:1 program, without frame pointers: shares and whole stacks.
	for _kf in "$_kd"/cpu-*.pb.gz; do
		trace_lines "$_kf" '-tagfocus=process=^hot631-nofp$'
	done >"$tmp/$_kn.hot"
	traces_with "$tmp/$_kn.hot" 'hot_[abc]' >"$tmp/$_kn.abc"
	_kt=$(trace_count "$tmp/$_kn.abc")
	assert_ge "$_kt" 200 "$_kn: hot631-nofp samples in hot_[abc]"
	# Shares among the three leaves, as run-hot631.sh counts them.
	_kl=0
	for _kp in hot_a hot_b hot_c; do
		traces_leaf "$tmp/$_kn.abc" $_kp >"$tmp/$_kn.$_kp"
		_kl=$((_kl + $(trace_count "$tmp/$_kn.$_kp")))
	done
	for _kp in hot_a:60 hot_b:30 hot_c:10; do
		assert_near "$(pct "$(trace_count "$tmp/$_kn.${_kp%:*}")" $_kl)" \
		    ${_kp#*:} 5 "$_kn: ${_kp%:*} % of the three leaves"
	done
	assert_ge "$(trace_share "$tmp/$_kn.abc" traces_with main _start)" 97 \
	    "$_kn: % of them whose stack reaches main and _start"

	# Short-lived processes: named and unwound after they are gone. (In
	# an emulated CPU most of their time goes to the dynamic loader.)
	for _kf in "$_kd"/cpu-*.pb.gz; do
		trace_lines "$_kf" '-tagfocus=process=^shortlived$'
	done >"$tmp/$_kn.short"
	traces_with "$tmp/$_kn.short" short_hot >"$tmp/$_kn.sh"
	echo "$_kn: short-lived processes: $(trace_count "$tmp/$_kn.short")" \
	    "samples, $(trace_count "$tmp/$_kn.sh") in short_hot"
	assert_ge "$(trace_count "$tmp/$_kn.sh")" 20 \
	    "$_kn: samples of the short-lived processes in short_hot"
	assert_ge "$(trace_share "$tmp/$_kn.sh" traces_with main _start)" 90 \
	    "$_kn: % of those that reach main and _start"

	# The off-CPU program's three waits, by the wait class the kernel
	# frames give; where EXACT, also per round in the user frames, against
	# what the program measured. (3.10's system call fast path, RHEL 7's
	# too, does not save the user stack pointer where perf reads it: a
	# thread blocked in a system call has its user frames marked failed.
	# Without switch records, a switch-in sched_switch does not report is
	# seen only at the thread's next sample or switch-out.)
	echo "$_kn: waiter says: $(cat "$_kd/waits")"
	for _kw in sleep io lock; do
		_kns=0
		for _kf in "$_kd"/offcpu-*.pb.gz; do
			_kns=$((_kns + $(sum_where "$_kf" 2 "comm=worker.*wait=$_kw" '')))
		done
		assert_ge "$_kns" 1000000 "$_kn: worker's off-CPU ns labelled wait=$_kw"
	done
	# The state letters come from the kernel's own format file.
	_kss=0 _ksa=0
	for _kf in "$_kd"/offcpu-*.pb.gz; do
		_kss=$((_kss + $(sum_where "$_kf" 2 'comm=worker.*state=S.*wait=sleep' '')))
		_ksa=$((_ksa + $(sum_where "$_kf" 2 'comm=worker.*wait=sleep' '')))
	done
	assert_ge "$(pct $_kss $_ksa)" 90 "$_kn: % of the worker's sleep in state S"
	# Wall time: the thread that only sleeps is in the wall profile for
	# the whole run, two windows of 4 s.
	_kws=0
	for _kf in "$_kd"/wall-*.pb.gz; do
		_kws=$((_kws + $(sum_where "$_kf" 1 'comm=sleeper' '')))
	done
	assert_near "$(awk "BEGIN { print $_kws / 1e9 }")" 8 0.8 \
	    "$_kn: sleeper's wall seconds"
	[ "$_ke" = yes ] || return 0
	_kr=0
	for _kf in "$_kd"/offcpu-*.pb.gz; do
		_kr=$((_kr + $(sum_where "$_kf" 1 'comm=worker.*wait=sleep' \
		    '(^|;)wait_sleep(;|$)')))
	done
	assert_ge "$_kr" 40 "$_kn: rounds seen sleeping"
	for _kw in wait_sleep:sleep wait_pipe:pipe wait_lock:lock; do
		_kns=0
		for _kf in "$_kd"/offcpu-*.pb.gz; do
			_kns=$((_kns + $(sum_where "$_kf" 2 'comm=worker' \
			    "(^|;)${_kw%:*}(;|\$)")))
		done
		_kms=$(awk -v k=${_kw#*:} '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' \
		    "$_kd/waits")
		assert_near "$(awk "BEGIN { print $_kns / $_kr / 1e6 }")" "$_kms" \
		    "$(awk "BEGIN { print $_kms * 0.15 }")" \
		    "$_kn: ms off-CPU per round in ${_kw%:*}"
	done
}
