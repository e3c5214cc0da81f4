#!/bin/sh
# C++ names come out demangled, inlined frames too: a class template
# method, a lambda called through std::function and std::sort's templates
# each have their share of the time, no function name is left mangled, and
# the mangled name is kept as the function's system name. Inlined frames
# whose DWARF has no linkage name get their full names too.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=4
method='ns::Type<double>::method(int)'
mangled=_ZN2ns4TypeIdE6methodEi
lambda='main::{lambda(int)#1}::operator()(int) const'

# profile PROGRAM NAME: profile tests/PROGRAM into $tmp/NAME/; $p is its
# CPU profile, $tmp/NAME.traces and $tmp/NAME.functions what it holds.
profile() {
	start_program "$top_builddir/tests/$1" $((secs + 5))
	mkdir "$tmp/$2"
	run_profdropd_log "$tmp/$2.log" --pid $prog_pid --frequency $hz \
	    --duration $secs --output-dir "$tmp/$2"
	stop_program
	p=$tmp/$2/$(profiles "$tmp/$2")
	raw_traces "$p" >"$tmp/$2.traces"
	raw_functions "$p" >"$tmp/$2.functions"
	echo "tests/$1: $(trace_count "$tmp/$2.traces") samples," \
	    "$(wc -l <"$tmp/$2.functions") functions"
}

profile names-cxx out

# Program design: about 1/2, 1/4 and 1/4 of the time.
assert_ge "$(trace_share "$tmp/out.traces" traces_with_frame "$method")" 25 \
    "% of samples in $method"
assert_ge "$(trace_share "$tmp/out.traces" traces_with_frame "$lambda")" 8 \
    "% of samples in $lambda"
assert_ge "$(trace_share "$tmp/out.traces" traces_with 'void std::__introsort_loop<.*')" 8 \
    "% of samples in std::__introsort_loop"

mangled_names=$(awk -F '\t' '$1 ~ /^_Z/ { print $1 }' "$tmp/out.functions")
echo "functions named _Z...: $(echo "$mangled_names" | grep -c . || true)"
[ -z "$mangled_names" ] ||
    fail "mangled function names: $(echo "$mangled_names" | head -3)"
sys=$(awk -F '\t' -v n="$method" '$1 == n { print $2 }' "$tmp/out.functions")
echo "system name of $method: $sys"
[ "$sys" = $mangled ] || fail "system name of $method is '$sys', not $mangled"

# Inlined frames without linkage names in the DWARF (GCC leaves them out
# of std::sort's instances over a plain function's lambda and of the
# lambda's operator()) are named in full all the same, as their
# out-of-line copies would be: the lambda as the compiler mangles it in
# the symbols of std::sort's out-of-line parts, read back by c++filt.
closure='shapes::sort_many(std::vector<int, std::allocator<int> >&, unsigned int)::{lambda(int, int)#1}'
nm -C "$top_builddir/tests/cxx" | grep -qF "$closure" ||
    fail "no symbol of tests/cxx names $closure"
call="$closure::operator()(int, int) const"
profile cxx sort
assert_ge "$(trace_share "$tmp/sort.traces" traces_with \
    "shapes::sort_many\(.*")" 25 "% of samples in shapes::sort_many"
# The lambda is called from std::__unguarded_partition, itself inlined.
traces_with "$tmp/sort.traces" 'std::__unguarded_partition<.*\(inline\)' \
    >"$tmp/partition.traces"
assert_ge "$(trace_share "$tmp/partition.traces" traces_with_frame \
    "$call (inline)")" 5 \
    "% of std::__unguarded_partition's samples in $call inlined into it"
short=$(cut -f1 "$tmp/sort.functions" |
    grep -E '^(operator|[_a-z][_a-z0-9]*<)' || true)
echo "functions without their scope: $(echo "$short" | grep -c . || true)"
[ -z "$short" ] || fail "short names: $(echo "$short" | head -3)"

# go tool pprof reads the same names.
require_go_pprof
n=$(gopprof -traces "$p" | grep -cF "$call (inline)" || true)
echo "go tool pprof -traces: $n frames of $call"
[ "$n" -gt 0 ] || fail "go tool pprof -traces shows no $call"

# A profile of one process is named after its executable, not after the
# kernel that off-CPU and wall stacks begin in: go tool pprof's "File:".
for f in "$tmp"/sort/*.pb.gz; do
	file=$(gopprof -top "$f" | sed -n 's/^File: //p')
	echo "$(basename "$f"): File: $file"
	[ "$file" = cxx ] || fail "$(basename "$f") is named '$file', not cxx"
done
