#!/bin/sh
# Corrupt profiles through every reader of the CLI: top, collapse,
# flamegraph, diff, merge, and query on a drop directory holding the file.
# The inputs: a small profile (test-profile crafted) cut at every length,
# raw and gzip-compressed, with a byte flipped at many positions, and
# profiles with ids and string indexes out of range, counts that do not
# add up and a length of 2 GiB. Each command either reads the input (exit
# 0, nothing on stderr) or refuses it with exit status 1 and one line on
# stderr that names the file; never a crash, a timeout or more memory
# than the limit (ulimit -t and -v). The readers that read the whole profile agree on which.
. "$(dirname "$0")/test-subr.sh"

TEST_PROFILE=$top_builddir/tests/test-profile
require_built "$TEST_PROFILE"

# What a sanitizer finds is an exit status of its own, never 0 or 1.
ASAN_OPTIONS=exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}
UBSAN_OPTIONS=halt_on_error=1:exitcode=99${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export ASAN_OPTIONS UBSAN_OPTIONS

# AddressSanitizer reserves terabytes of address space: no limit for it.
limit=524288
if grep -q __asan_init "$PROFDROP"; then
	limit=unlimited
	echo "built with AddressSanitizer: no memory limit"
fi

in=$tmp/in
mkdir "$in" "$tmp/crafted" "$tmp/run" "$tmp/drop"
"$TEST_PROFILE" crafted "$tmp/crafted" || fail "test-profile crafted failed"
good=$tmp/crafted/good.pb
gzip -n -c "$good" >"$tmp/good.pb.gz"

# cut FILE NAME: FILE cut at every length before its end, as NAME-cut-N.
cut() {
	_c_len=$(wc -c <"$1")
	_c_n=0
	while [ $_c_n -lt "$_c_len" ]; do
		head -c $_c_n "$1" >"$in/$2-cut-$_c_n"
		_c_n=$((_c_n + 1))
	done
}

# flip FILE NAME STEP: FILE with the byte at every STEPth position
# inverted, as NAME-flip-N.
flip() {
	_f_n=-1
	for _f_b in $(od -An -v -tu1 "$1"); do
		_f_n=$((_f_n + 1))
		[ $((_f_n % $3)) = 0 ] || continue
		{
			head -c $_f_n "$1"
			printf "\\$(printf %o $((_f_b ^ 255)))"
			tail -c +$((_f_n + 2)) "$1"
		} >"$in/$2-flip-$_f_n"
	done
}

cut "$good" raw
cut "$tmp/good.pb.gz" gz
flip "$good" raw 1
# gzip's checksum refuses most: fewer of them.
flip "$tmp/good.pb.gz" gz 3
for f in "$tmp"/crafted/broken-*.pb "$tmp"/crafted/huge.pb; do
	b=$(basename "$f" .pb)
	cp "$f" "$in/$b"
	gzip -n -c "$f" >"$in/$b-gz"
done
echo "$(ls "$in" | wc -l) inputs from a profile of $(wc -c <"$good") bytes," \
    "$(wc -c <"$tmp/good.pb.gz") gzip-compressed"

# reader NAME FILE COMMAND...: run a reader on FILE in the current
# directory, $tmp/run, its exit status in $rc; fail on a crash, a timeout,
# an error that is not one line naming FILE, output left after one, or
# any file but out.* written. Shell built-ins only, for speed.
reader() {
	_r_name=$1 _r_file=$2
	shift 2
	for _r_out in *; do
		[ ! -e "$_r_out" ] || rm -f -- "$_r_out"
	done
	rc=0
	"$PROFDROP" "$@" </dev/null >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	_r_1= _r_2=
	{ read -r _r_1; read -r _r_2; } <"$tmp/stderr" || :
	case $rc in
	0)
		[ -z "$_r_1" ] || fail "$_r_name $_r_file: exit 0, but: $_r_1"
		;;
	1)
		[ -n "$_r_1" ] && [ -z "$_r_2" ] ||
		    fail "$_r_name $_r_file: stderr is not one line: $_r_1 $_r_2"
		case $_r_1 in
		*"$_r_file"*) ;;
		*) fail "$_r_name $_r_file: the error does not name the file: $_r_1" ;;
		esac
		for _r_out in *; do
			[ ! -e "$_r_out" ] ||
			    fail "$_r_name $_r_file: left $_r_out after an error"
		done
		;;
	*)
		fail "$_r_name $_r_file: exit status $rc: $_r_1"
		;;
	esac
	for _r_out in *; do
		case $_r_out in
		"*"|out.*) ;;
		*) fail "$_r_name $_r_file: wrote $_r_out" ;;
		esac
	done
}

start=$(date +%s)
(
	# CPU seconds: a reader that loops is killed, and fails the test.
	ulimit -t 10
	ulimit -v $limit
	cd "$tmp/run" || exit 1
	read=0 refused=0
	q=$tmp/drop/cpu-20240101T000000Z-host.pb.gz
	for f in "$in"/*; do
		cp "$f" "$q"
		reader top "$f" top "$f"
		top=$rc
		reader collapse "$f" collapse "$f"
		collapse=$rc
		reader merge "$f" merge -o out.pb.gz "$f"
		merge=$rc
		reader query "$q" query -d "$tmp/drop" -o out.pb.gz
		query=$rc
		[ $top = $collapse ] && [ $top = $merge ] && [ $top = $query ] ||
		    fail "$f: top exits $top, collapse $collapse, merge $merge, query $query"
		reader flamegraph "$f" flamegraph -o out.svg "$f"
		[ $top = 0 ] || [ $rc = 1 ] || fail "$f: flamegraph reads what top refuses"
		reader diff "$f" diff -o out.svg "$f" "$f"
		[ $top = 0 ] || [ $rc = 1 ] || fail "$f: diff reads what top refuses"
		# What cannot be a profile must be refused.
		case $(basename "$f") in
		gz-cut-*|broken-*|huge*)
			[ $top = 1 ] || fail "$f: top reads it"
			;;
		esac
		if [ $top = 0 ]; then
			read=$((read + 1))
		else
			refused=$((refused + 1))
		fi
	done
	echo "$refused inputs refused by every reader, $read read by every one"
	[ $refused -gt 0 ] && [ $read -gt 0 ] || fail "the inputs are not a mix"
) || exit 1
echo "$(($(date +%s) - start)) s for $(ls "$in" | wc -l) inputs through six readers"
