#!/bin/sh
# tests/kemu, the test-time kernel emulator: under each kernel it knows,
# kemu-probe gets the answers kemu-probe.expected lists, every refusal is
# a line in kemu's log, and kemu passes on exit status and signals.
#
# With --real, also boot the real kernels of ../shared/kernels (one boot
# each, under QEMU's software emulation: about 10 s each) and fail where
# the emulator and the real kernel answer differently, printing both.
# That part is not in make check; CI runs it after the test suite:
#     sh tests/run-kemu.sh --real
. "$(dirname "$0")/test-subr.sh"
require_root
require_kemu

KEMU=$top_builddir/tests/kemu
PROBE=$top_builddir/tests/kemu-probe
for p in "$KEMU" "$PROBE"; do
	[ -x "$p" ] || fail "$p is missing: build it first (make check)"
done
real=0
[ "$1" != --real ] || real=1

# kemu needs root and seccomp user notification with CONTINUE (Linux 5.5+).
rc=0
"$KEMU" -l "$tmp/log-try" 4.9 -- true 2>"$tmp/try.err" || rc=$?
if [ $rc != 0 ]; then
	cat "$tmp/try.err" >&2
	[ $rc != 125 ] || skip "kemu cannot run on this kernel"
	fail "kemu 4.9 -- true exited $rc"
fi

# answers FILE: "question<TAB>answer" lines from kemu-probe's output.
answers() {
	sed -n 's/^\([^:]*\): /\1	/p' "$1"
}

# check_table KERNEL: kemu-probe's answers under KERNEL are the expected.
check_table() {
	answers "$tmp/emu-$1" >"$tmp/emu-$1.tab"
	awk -v row="$1" '
		FILENAME == ARGV[1] { split($0, f, "\t"); got[f[1]] = f[2]; next }
		/^#/ || NF == 0 { next }
		{ n = split($0, f, /  +/) }
		f[1] == "question" {
			for (i = 2; i <= n; i++)
				if (f[i] == row)
					col = i
			if (!col) {
				print "no column " row " in kemu-probe.expected"
				bad = 1
				exit
			}
			next
		}
		{
			seen[f[1]] = 1
			a = f[1] in got ? got[f[1]] : "(no answer)"
			if (a != f[col]) {
				printf "%s %s: kemu answered %s, expected %s\n",
				    row, f[1], a, f[col]
				bad = 1
			}
		}
		END {
			for (q in got)
				if (!(q in seen) && q != "uname") {
					print row " " q ": not in kemu-probe.expected"
					bad = 1
				}
			exit bad
		}' "$tmp/emu-$1.tab" "$srcdir/kemu-probe.expected"
}

# check_log KERNEL: one log line per refusal, and the counts line agrees.
check_log() {
	for e in EINVAL E2BIG ENOTTY ENODEV; do
		n_answers=$(grep -c ": $e\( \|\$\)" "$tmp/emu-$1" || true)
		n_lines=$(grep -c "^kemu: [^:]*: $e\(: \|\$\)" "$tmp/log-$1" || true)
		n_count=$(sed -n "s/^kemu: counts: .*\\b$e=\\([0-9]*\\).*/\\1/p" \
		    "$tmp/log-$1")
		[ "$n_answers" = "$n_lines" ] && [ "$n_lines" = "$n_count" ] ||
		    fail "$1: $n_answers $e answers, $n_lines log lines," \
			"counts line says ${n_count:-nothing}"
	done
}

kernels=$("$KEMU" -L | cut -d' ' -f1)
for k in $kernels; do
	"$KEMU" -l "$tmp/log-$k" "$k" -- "$PROBE" >"$tmp/emu-$k" ||
	    fail "kemu $k -- kemu-probe: exit status $?"
	check_table "$k" || fail "$k: kemu-probe's answers are not the table's"
	release=$("$KEMU" -L | awk -v k="$k" '$1 == k { print $2 }')
	grep -qx "uname: $release" "$tmp/emu-$k" ||
	    fail "$k: uname is not $release"
	check_log "$k"
	echo "$k: $(grep -c . "$tmp/emu-$k") answers as the table says"
done

# The refusals are named as the kernel's perf names them.
for line in \
    "3.10 kemu: perf_event_open: E2BIG: attr.size 128 > 96, byte 127 non-zero" \
    "3.10 kemu: perf_event_open: EINVAL: open flag 0x8 (PERF_FLAG_FD_CLOEXEC) unknown to 3.10" \
    "3.10 kemu: perf_event_open: EINVAL: sample_type bit 16 (IDENTIFIER) unknown to 3.10" \
    "3.10 kemu: ioctl PERF_EVENT_IOC_ID: ENOTTY" \
    "3.10 kemu: mount tracefs: ENODEV" \
    "3.13 kemu: perf_event_open: EINVAL: attr flag bit 23 (mmap2) refused by 3.13 (disabled from 3.12 to 3.15)" \
    "rhel73 kemu: perf_event_open: EINVAL: attr flag bit 26 (context_switch) unknown to rhel73" \
    "4.4 kemu: perf_event_open: IGNORED: attr bytes 108-111 (sample_max_stack) non-zero, unread by 4.4: cleared"; do
	k=${line%% *}
	grep -qxF "${line#* }" "$tmp/log-$k" || {
		cat "$tmp/log-$k" >&2
		fail "$k: no log line \"${line#* }\""
	}
done
tail -n 1 "$tmp/log-3.10" | grep -q '^kemu: counts: EINVAL=[0-9]* ' ||
    fail "3.10: the log does not end with the counts"

# The command's exit status and signals go through kemu.
rc=0
"$KEMU" -l "$tmp/log-status" 3.10 -- sh -c 'exit 3' || rc=$?
[ $rc = 3 ] || fail "kemu -- sh -c 'exit 3' exited $rc"
"$KEMU" -l "$tmp/log-signal" 3.10 -- \
    sh -c ': >"$1"; exec sleep 30' sh "$tmp/started" &
kemu_pid=$!
bg_track $kemu_pid
wait_for_file "$tmp/started" 5
kill -TERM $kemu_pid
wait_exit $kemu_pid 5
[ $exit_rc = 143 ] || fail "kemu -- sleep, sent SIGTERM, exited $exit_rc"
echo "exit status and SIGTERM passed on"

[ $real = 1 ] || exit 0

# One boot per real kernel: kemu-probe there, compared line by line.
shared=${top_srcdir:-$srcdir/..}/../shared/kernels
[ -x "$shared/run-in-kernel" ] || skip "no $shared/run-in-kernel"
cat >"$tmp/guest.sh" <<EOF
# Tracing as kemu leaves it, and as distributions mount it at boot.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
$PROBE >/out/probe.txt 2>&1
EOF
disagree=0
for pair in "3.10 bzImage-3.10.108" "rhel79 bzImage-3.10.0-1160.el7" \
    "4.4 bzImage-4.4.178"; do
	k=${pair%% *} image=${pair#* }
	[ -r "$shared/$image" ] || fail "no $shared/$image"
	"$shared/run-in-kernel" -k "$shared/$image" -c "$PROBE" \
	    -o "$tmp/real-$k" "$tmp/guest.sh" >"$tmp/console-$k" 2>&1 || {
		cat "$tmp/console-$k" >&2
		fail "$image: run-in-kernel failed"
	}
	answers "$tmp/real-$k/probe.txt" >"$tmp/real-$k.tab"
	awk -F '\t' -v k="$k" -v image="$image" '
		FILENAME == ARGV[1] { emu[$1] = $2; next }
		{ real[$1] = $2 }
		END {
			for (q in real)
				if (!(q in emu))
					emu[q] = "(no answer)"
			for (q in emu) {
				n++
				r = q in real ? real[q] : "(no answer)"
				if (emu[q] != r) {
					printf "DIFFER %s %s: kemu %s, real %s\n",
					    k, q, emu[q], r
					bad++
				}
			}
			printf "%s (%s): %d of %d answers agree\n", k, image,
			    n - bad, n
			exit bad != 0
		}' "$tmp/emu-$k.tab" "$tmp/real-$k.tab" || disagree=1
done
[ $disagree = 0 ] || fail "kemu and the real kernels disagree (fix tests/kemu-kernels.c)"
