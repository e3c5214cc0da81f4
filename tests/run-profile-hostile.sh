#!/bin/sh
# Hostile profiles in 512 MiB of address space: a gzip bomb (1 GiB of
# zeros in 1 MiB) and 100 bytes that claim a sample of 2^31 bytes fail
# within a second, with an error that names the problem.
. "$(dirname "$0")/test-subr.sh"

TEST_PROFILE=$top_builddir/tests/test-profile
[ -x "$TEST_PROFILE" ] || fail "$TEST_PROFILE is missing: build it first (make check)"
"$TEST_PROFILE" bomb "$tmp/bomb.pb.gz"
"$TEST_PROFILE" huge "$tmp/huge.pb"
echo "bomb: $(wc -c <"$tmp/bomb.pb.gz") bytes; huge: $(wc -c <"$tmp/huge.pb") bytes"

# AddressSanitizer reserves terabytes of address space: no limit for it;
# and its checks make each byte inflated cost several times as much.
limit=524288 cpu_ms=1000
if grep -q __asan_init "$TEST_PROFILE"; then
	limit=unlimited cpu_ms=5000
	echo "built with AddressSanitizer: no memory limit, $cpu_ms ms of CPU"
fi

for c in "bomb.pb.gz|decompressed size passes the 256 MiB cap" \
    "huge.pb|the profile has field 2 at byte 24 of 2147483648 bytes, past its end"; do
	f=${c%%|*} want=${c#*|}
	rc=0
	# CPU time, not elapsed time: the suite runs tests side by side.
	(ulimit -v $limit && exec /usr/bin/time -f '%e %U %S' -o "$tmp/time" \
	    timeout -s KILL 10 "$TEST_PROFILE" read "$tmp/$f") >"$tmp/out" \
	    2>&1 || rc=$?
	# time says how the command exited first: its figures come last.
	ms=$(tail -n 1 "$tmp/time" | awk '{ printf "%d\n", ($2 + $3) * 1000 }')
	echo "$f: exit $rc after $(tail -n 1 "$tmp/time" | awk '{ print $1 }') s," \
	    "$ms ms of CPU: $(cat "$tmp/out")"
	[ $rc = 1 ] || fail "$f: exit status $rc, not 1 (an error)"
	grep -qF "$want" "$tmp/out" || fail "$f: the error does not say: $want"
	assert_le "$ms" $cpu_ms "$f: CPU milliseconds to fail"
done
