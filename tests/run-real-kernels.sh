#!/bin/sh
# The real old kernels, for real: each image of ../shared/kernels (mainline
# 3.10.108, RHEL 7.9's 3.10.0-1160.el7, mainline 4.4.178) boots under QEMU
# with run-in-kernel and runs tests/kernel-workload.sh with the built
# daemon; the profiles come back and are checked as under the emulator.
# Not part of make check (the images live outside the project): .ci/run
# runs it after the test suite. Usage: run-real-kernels.sh [IMAGE-NAME...]
. "$(dirname "$0")/test-subr.sh"
. "$srcdir/kernel-checks.sh"

shared=${PROFDROP_SHARED:-$top_srcdir/../shared}
run=$shared/kernels/run-in-kernel
[ -x "$run" ] || fail "no $run: the real kernels are missing"
for t in qemu-system-x86_64 cpio busybox; do
	command -v $t >/dev/null 2>&1 ||
	    fail "$t not found: install qemu-system-x86, cpio and busybox-static (contrib/install-deps.sh)"
done

debug=/sys/kernel/debug/tracing

# kernel NAME: sets img, where its tracing is, what it lacks (missing) and
# whether its off-CPU waits can be checked exactly (see kernel-checks.sh).
kernel() {
	case $1 in
	3.10.108)
		img=bzImage-3.10.108 exact=no tracing=$debug
		missing="context_switch records,comm_exec,mmap2 records,PERF_FLAG_FD_CLOEXEC,PERF_SAMPLE_IDENTIFIER" ;;
	3.10.0-1160.el7)
		img=bzImage-3.10.0-1160.el7 exact=no tracing=$debug missing= ;;
	4.4.178)
		# run-in-kernel mounts debugfs, which shows tracefs inside.
		img=bzImage-4.4.178 exact=yes tracing=$debug missing= ;;
	*)
		fail "no such kernel: $1" ;;
	esac
	img=$shared/kernels/$img
	[ -r "$img" ] || fail "$img is missing"
}

t=$top_builddir/tests
for name in ${*:-3.10.108 3.10.0-1160.el7 4.4.178}; do
	kernel "$name"
	# Files come back base64 on the console: no kernel message between.
	printf '#!/bin/sh\ndmesg -n 1\nsh %s/kernel-workload.sh /out %s %s\n' \
	    "$srcdir" "$t" "$PROFDROPD" >"$tmp/guest.sh"
	echo "$name: booting $img"
	start=$(now_ms)
	"$run" -k "$img" -t 240 -c "$PROFDROPD" -c "$t/hot631-nofp" \
	    -c "$t/waiter" -c "$t/shortlived" -c "$srcdir/kernel-workload.sh" \
	    -o "$tmp/$name" "$tmp/guest.sh" >"$tmp/$name.console" 2>&1 || {
		tail -30 "$tmp/$name.console" >&2
		fail "$name: the guest failed"
	}
	echo "$name: done in $(( ($(now_ms) - start) / 1000 )) s"
	check_kernel_run "$tmp/$name" "$name" "$missing" "$tracing" "$exact"
done
