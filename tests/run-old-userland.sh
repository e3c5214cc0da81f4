#!/bin/sh
# The tarball builds on RHEL/CentOS 7's userland (gcc 4.8, glibc 2.17,
# libunwind 1.2, elfutils 0.176, protobuf-c 1.0.2, libcurl 7.29, zlib 1.2.7).
# No such machine here, so by proxy (doc/portability.md):
#  a) the distributed tree builds out of tree with clang, then gcc, in
#     -std=gnu99, with glibc's functions after 2.17 poisoned and its and
#     Linux's newer macros hidden (tests/glibc-2.17.h), configure told
#     there is no strlcpy and (for gcc) no rust_demangle, as on RHEL 7;
#     so do the test programs, but for a reviewed few;
#  b) the two programs of this build import no symbol version newer than
#     glibc 2.17, elfutils 0.176, protobuf-c 1.0.2, zlib 1.2.7 or gcc 4.8's
#     libgcc, nor a libunwind function 1.2 lacks, apart from a reviewed list;
#  c) every curl_*() call and CURL*_ name in the sources is in libcurl 7.29.0
#     (tests/libcurl-symbols.txt).
. "$(dirname "$0")/test-subr.sh"

# The builds below are makes of their own, not part of this one's.
unset MAKEFLAGS MFLAGS MAKELEVEL
top_srcdir=${top_srcdir:-$(cd "$srcdir/.." && pwd)}

command -v objdump >/dev/null 2>&1 || fail "objdump (binutils) is missing"

# vle A B: is version A at most version B?
vle() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# --- a) builds with the old userland's headers, as far as they can be faked
make -C "$top_builddir" distdir distdir="$tmp/src" >"$tmp/distdir.log" 2>&1 ||
    fail "make distdir: $(tail -n 5 "$tmp/distdir.log")"
proxy_cflags="-std=gnu99 -include $tmp/src/tests/glibc-2.17.h"
proxy_cflags="$proxy_cflags -Werror=implicit-function-declaration -O1 -g0"

# Test programs that cannot be built with RHEL 7's headers, and why.
not_built_ok="tests/kemu: the kernel emulator needs seccomp user notification (Linux 5.0 headers, 5.5 for SECCOMP_USER_NOTIF_FLAG_CONTINUE) and SYS_seccomp (3.17)"

# build NAME CC [CONFIGURE-ARGS...]: configure and make (programs, then
# test programs) in $tmp/NAME; say what configure decided. The header
# declares strchr in every test program, so autoconf 2.70's probe for an
# option that makes undeclared builtins errors would find none: it is told.
build() {
	_name=$1 _cc=$2
	shift 2
	mkdir "$tmp/$_name"
	(cd "$tmp/$_name" && "$tmp/src/configure" CC="$_cc" \
	    CFLAGS="$proxy_cflags" ac_cv_func_strlcpy=no \
	    ac_cv_c_undeclared_builtin_options='none needed' "$@" \
	    >configure.log 2>&1) ||
	    fail "$_name: configure failed: $(tail -n 8 "$tmp/$_name/configure.log")"
	(cd "$tmp/$_name" && make -j2 >make.log 2>&1) ||
	    fail "$_name: build failed: $(grep -m 5 -E 'error|Error' "$tmp/$_name/make.log")"
	for _p in src/profdropd/profdropd src/profdrop/profdrop; do
		[ -x "$tmp/$_name/$_p" ] || fail "$_name: no $_p"
	done
	! grep -q '^#define HAVE_STRLCPY' "$tmp/$_name/config.h" ||
	    fail "$_name: built with the C library's strlcpy, not ours"
	echo "$_name build: ok ($($_cc --version | head -n 1))"
	sed -n 's/^  \(compiler\|Rust demangling\): */  \1: /p' \
	    "$tmp/$_name/configure.log"
	(cd "$tmp/$_name" && make -k -j2 check TESTS= >check.log 2>&1) || :
	sed -n "s/.*Target '\([^']*\)' not remade because of errors.*/\1/p" \
	    "$tmp/$_name/check.log" | sort -u >"$tmp/$_name/not-built"
	while read -r _p; do
		_why=$(echo "$not_built_ok" | sed -n "s|^$_p: ||p")
		[ -n "$_why" ] || fail "$_name: test program $_p does not build:" \
		    "$(grep -m 3 -E 'error' "$tmp/$_name/check.log")"
		echo "  not built (reviewed): $_p: $_why"
	done <"$tmp/$_name/not-built"
	if [ ! -s "$tmp/$_name/not-built" ]; then
		! grep -q 'Error [0-9]' "$tmp/$_name/check.log" ||
		    fail "$_name: test programs: $(grep -m 3 -E 'error|Error' "$tmp/$_name/check.log")"
		echo "  test programs: all built"
	fi
}

if command -v clang >/dev/null 2>&1; then
	build clang clang
else
	echo "clang build: not done (clang is not installed)"
fi
# RHEL 7's libiberty (binutils 2.27) has no rust_demangle.
build gcc gcc ac_cv_lib_iberty_rust_demangle=no
grep -q '^#define HAVE_RUST_DEMANGLE' "$tmp/gcc/config.h" &&
    fail "gcc: HAVE_RUST_DEMANGLE defined without rust_demangle"
grep -q 'Rust demangling: *no (libiberty lacks rust_demangle' \
    "$tmp/gcc/configure.log" ||
    fail "gcc: configure's summary does not say Rust demangling is off"

# --- b) the symbol versions the programs of this build import
# Reviewed exceptions: glibc versions after 2.17 on symbols 2.17 has under
# an older version. VERSION REGEX REASON; a name tests/glibc-2.17.h
# poisons (new after 2.17) is never excused.
cat >"$tmp/reviewed" <<'EOF'
GLIBC_2.34 ^__libc_start_main$ new version so that 2.34's crt1.o needs a 2.34 libc; GLIBC_2.2.5 in 2.17
GLIBC_2.33 ^(f|l)?stat(at)?(64)?$ made real symbols in 2.33; 2.17's headers call __xstat, __fxstat, __lxstat, __fxstatat@GLIBC_2.2.5
GLIBC_2.33 ^mknod(at)?$ made real symbols in 2.33; 2.17's headers call __xmknod(at)@GLIBC_2.2.5
GLIBC_2.34 ^(pthread|sem)_ libpthread merged into libc in 2.34; 2.17 has them in libpthread (GLIBC_2.2.5 to 2.12)
GLIBC_2.34 ^(dlopen|dlclose|dlsym|dlvsym|dlerror|dladdr1?|dlinfo|dlmopen)$ libdl merged into libc in 2.34; 2.17 has them in libdl (GLIBC_2.2.5, 2.3.3)
GLIBC_2.34 ^(shm_open|shm_unlink|timer_[a-z]+|mq_[a-z]+|aio_[a-z]+|lio_listio)$ librt merged into libc in 2.34; 2.17 has them in librt (GLIBC_2.2.5, 2.3.4)
GLIBC_2.29 ^(exp|exp2|log|log2|pow)$ new implementations in 2.29; GLIBC_2.2.5 in 2.17's libm
GLIBC_2.27 ^(expf|exp2f|logf|log2f|powf)$ new implementations in 2.27; GLIBC_2.2.5 in 2.17's libm
GLIBC_2.38 ^__isoc23_ C2x strtol and scanf family (0b prefixes) picked by 2.38's headers; 2.17 has strtol@GLIBC_2.2.5 and __isoc99_*@GLIBC_2.7
EOF
sed -n 's/^#pragma GCC poison //p' "$srcdir/glibc-2.17.h" | tr ' ' '\n' |
    grep . >"$tmp/poisoned"

# libunwind has no symbol versions: its API in 1.2, by name.
unw12="create_addr_space destroy_addr_space get_accessors init_local
init_remote step resume get_proc_info get_proc_info_by_ip get_reg set_reg
get_fpreg set_fpreg get_save_loc is_signal_frame get_proc_name
set_caching_policy flush_cache regname strerror getcontext local_addr_space
dwarf_search_unwind_table dwarf_find_proc_info"

bins="$top_builddir/src/profdropd/profdropd $top_builddir/src/profdrop/profdrop"
for b in $bins; do
	objdump -T "$b" >"$tmp/objdump.out" || fail "objdump -T $b"
	awk '/\*UND\*/ { v = $(NF - 1); gsub(/[()]/, "", v)
		if (v ~ /^[0-9a-f]+$/) v = "Base"; print v, $NF }' \
	    "$tmp/objdump.out"
done | sort -u >"$tmp/imports"
[ -s "$tmp/imports" ] || fail "objdump -T found no imported symbols"

echo "imported symbol versions (src/profdropd/profdropd, src/profdrop/profdrop):"
bad=0
: >"$tmp/verdicts"
while read -r ver sym; do
	verdict=
	case $ver in
	GLIBC_PRIVATE|ELFUTILS_PRIVATE)
		verdict="FAIL private" ;;
	GLIBC_*)
		if vle "${ver#GLIBC_}" 2.17; then
			verdict="ok (<= 2.17)"
		elif ! grep -qx "$sym" "$tmp/poisoned"; then
			while read -r rver rre reason; do
				[ "$rver" = "$ver" ] || continue
				echo "$sym" | grep -Eq "$rre" || continue
				verdict="reviewed: $sym: $reason"
				break
			done <"$tmp/reviewed"
		fi
		[ -n "$verdict" ] || verdict="FAIL newer than glibc 2.17" ;;
	ELFUTILS_0.*)
		vle "${ver#ELFUTILS_}" 0.176 && verdict="ok (<= 0.176)" ||
		    verdict="FAIL newer than elfutils 0.176" ;;
	ELFUTILS_1.*)
		# libelf's own numbering: 1.7 came with elfutils 0.165.
		vle "${ver#ELFUTILS_}" 1.7 && verdict="ok (libelf numbering: <= 1.7, which is elfutils 0.165)" ||
		    verdict="FAIL libelf newer than 1.7 (elfutils 0.165; check it against 0.176)" ;;
	LIBPROTOBUF_C_*)
		vle "${ver#LIBPROTOBUF_C_}" 1.0.2 && verdict="ok (<= 1.0.2)" ||
		    verdict="FAIL newer than protobuf-c 1.0.2" ;;
	ZLIB_*)
		vle "${ver#ZLIB_}" 1.2.7 && verdict="ok (<= 1.2.7)" ||
		    verdict="FAIL newer than zlib 1.2.7" ;;
	GCC_*)
		vle "${ver#GCC_}" 4.8.0 && verdict="ok (libgcc <= 4.8)" ||
		    verdict="FAIL newer than gcc 4.8's libgcc" ;;
	CURL_*)
		verdict="ok (libcurl: by name, below)" ;;
	Base|'')
		case $sym in
		_UPT_*|_U_dyn_*)
			verdict="ok (libunwind 1.2)" ;;
		_Ux86_64_*|_ULx86_64_*)
			f=${sym#_U}
			f=${f#L}
			f=${f#x86_64_}
			if echo "$unw12" | tr ' ' '\n' | grep -qx "$f"; then
				verdict="ok (libunwind 1.2)"
			else
				verdict="FAIL not in libunwind 1.2's API"
			fi ;;
		*)
			verdict="ok (unversioned: zlib's first interface, weak hooks)" ;;
		esac ;;
	*)
		verdict="FAIL no rule for this version in tests/run-old-userland.sh" ;;
	esac
	case $verdict in
	FAIL*)	echo "FAIL: $sym@$ver: ${verdict#FAIL }" >&2
		bad=$((bad + 1)) ;;
	esac
	echo "$ver|$sym|$verdict" >>"$tmp/verdicts"
done <"$tmp/imports"
# One line a version and verdict: how many symbols, and their names
# unless they are many or glibc's oldest.
sort -t'|' -k1,1V -k3,3 -k2,2 "$tmp/verdicts" | awk -F'|' '
	function flush() {
		if (key == "")
			return
		line = sprintf("  %-20s %4d  %s", ver, n, v)
		if (ver !~ /^GLIBC_2\.(2\.5|3|3\.[0-9]|[4-9]|1[0-7])$/ &&
		    v !~ /^reviewed/ && n <= 12)
			line = line ": " names
		print line
	}
	($1 "|" $3) != key {
		flush(); key = $1 "|" $3; ver = $1; v = $3; n = 0; names = ""
	}
	{ n++; names = names (names == "" ? "" : " ") $2 }
	END { flush() }'
[ "$bad" = 0 ] || fail "$bad imported symbols newer than the old userland"

# --- c) libcurl: each name the sources use against the release it came in
table=$srcdir/libcurl-symbols.txt
find "$top_srcdir/src" "$top_srcdir/include" -name '*.[ch]' \
    ! -name '*.pb-c.*' >"$tmp/sources"
# shellcheck disable=SC2046
{
	grep -ohE '\bcurl_[a-z0-9_]+[[:space:]]*\(' $(cat "$tmp/sources") |
	    sed 's/[[:space:]]*($//'
	grep -ohE '\bCURL[A-Z0-9]*_[A-Z0-9_]+\b' $(cat "$tmp/sources")
} 2>/dev/null | sort -u >"$tmp/curl-names" || true
nt=$(grep -cv '^#\|^$' "$table")
if [ ! -s "$tmp/curl-names" ]; then
	echo "libcurl: no curl_*() call or CURL*_ name in src/ or include/:" \
	    "nothing to check yet ($nt names in tests/libcurl-symbols.txt)"
else
	newest=0
	while read -r name; do
		v=$(awk -v n="$name" '$1 == n { print $2; exit }' "$table")
		[ -n "$v" ] || fail "libcurl: $name is not in" \
		    "tests/libcurl-symbols.txt: add it with the version" \
		    "curl's symbols-in-versions gives"
		vle "$v" 7.29.0 || fail "libcurl: $name is $v, newer than" \
		    "RHEL 7's 7.29.0"
		vle "$v" "$newest" || newest=$v
	done <"$tmp/curl-names"
	echo "libcurl: $(wc -l <"$tmp/curl-names") names used, the newest" \
	    "from $newest (<= 7.29.0)"
fi
exit 0
