#!/bin/sh
# C++ names come out demangled, inlined frames too: a class template
# method, a lambda called through std::function and std::sort's templates
# each have their share of the time, no function name is left mangled, and
# the mangled name is kept as the function's system name.
. "$(dirname "$0")/test-subr.sh"
require_perf_events

hz=499 secs=4
method='ns::Type<double>::method(int)'
mangled=_ZN2ns4TypeIdE6methodEi
lambda='main::{lambda(int)#1}::operator()(int) const'

start_program "$top_builddir/tests/names-cxx" $((secs + 5))
mkdir "$tmp/out"
run_profdropd_log "$tmp/log" --pid $prog_pid --frequency $hz \
    --duration $secs --output-dir "$tmp/out"
stop_program
p=$tmp/out/$(profiles "$tmp/out")
raw_traces "$p" >"$tmp/traces"
raw_functions "$p" >"$tmp/functions"
echo "$(trace_count "$tmp/traces") samples, $(wc -l <"$tmp/functions") functions"

# Program design: about 1/2, 1/4 and 1/4 of the time.
assert_ge "$(trace_share "$tmp/traces" traces_with_frame "$method")" 25 \
    "% of samples in $method"
assert_ge "$(trace_share "$tmp/traces" traces_with_frame "$lambda")" 8 \
    "% of samples in $lambda"
assert_ge "$(trace_share "$tmp/traces" traces_with 'void std::__introsort_loop<.*')" 8 \
    "% of samples in std::__introsort_loop"

mangled_names=$(awk -F '\t' '$1 ~ /^_Z/ { print $1 }' "$tmp/functions")
echo "functions named _Z...: $(echo "$mangled_names" | grep -c . || true)"
[ -z "$mangled_names" ] ||
    fail "mangled function names: $(echo "$mangled_names" | head -3)"
sys=$(awk -F '\t' -v n="$method" '$1 == n { print $2 }' "$tmp/functions")
echo "system name of $method: $sys"
[ "$sys" = $mangled ] || fail "system name of $method is '$sys', not $mangled"
