#!/bin/sh
# The modules call each other in one direction only: the graph of which
# object uses a symbol another defines, read from the built objects with
# nm, has no cycle (tsort finds none). The library is checked, and each
# program together with it.
. "$(dirname "$0")/test-subr.sh"

lib=$top_builddir/src/libprofdrop.a
[ -f "$lib" ] || fail "$lib is missing: build it first (make check)"
command -v nm >/dev/null 2>&1 || fail "nm not found: install binutils"

# edges OBJECT...: "USER DEFINER" for each symbol USER takes from DEFINER;
# an archive stands for its members.
edges() {
	nm -A -g -P "$@" 2>/dev/null | awk '
		# POSIX form: "archive[member.o]: sym T ..." or "file.o: sym U"
		NF >= 3 {
			obj = $1
			sub(/:$/, "", obj)
			sub(/\]$/, "", obj)
			sub(/^.*[\/[]/, "", obj)
			sub(/\.o$/, "", obj)
			sub(/^[^-]*-/, "", obj)	# the target prefix automake adds
			if ($3 == "U")
				used[obj, $2] = 1
			else if ($3 ~ /^[TDBRVWGSC]$/)
				defined[$2] = obj
		}
		END {
			for (k in used) {
				split(k, p, SUBSEP)
				if ((p[2] in defined) && defined[p[2]] != p[1])
					print p[1], defined[p[2]]
			}
		}' | sort -u
}

# check NAME OBJECT...: the module graph of the objects has no cycle.
check() {
	_name=$1
	shift
	edges "$@" >"$tmp/$_name.edges"
	[ -s "$tmp/$_name.edges" ] || fail "$_name: no edges read from $*"
	echo "$_name: $(wc -l <"$tmp/$_name.edges") edges between" \
	    "$(tr ' ' '\n' <"$tmp/$_name.edges" | sort -u | wc -l) modules"
	tsort "$tmp/$_name.edges" >"$tmp/$_name.order" 2>"$tmp/$_name.loops" || true
	if [ -s "$tmp/$_name.loops" ]; then
		cat "$tmp/$_name.loops" >&2
		fail "$_name: the modules call each other in a cycle"
	fi
	echo "$_name: no cycle; from the lowest layer up: $(tac "$tmp/$_name.order" | paste -sd ' ' -)"
}

check libprofdrop "$lib"
daemon=$(ls "$top_builddir"/src/profdropd/*.o 2>/dev/null)
[ -n "$daemon" ] || fail "no objects in src/profdropd: build the daemon first"
check profdropd $daemon "$lib"
cli=$(ls "$top_builddir"/src/profdrop/*.o 2>/dev/null || true)
[ -z "$cli" ] || check profdrop $cli "$lib"

# The check itself must see a cycle when there is one.
printf 'a b\nb c\nc a\n' >"$tmp/loop.edges"
tsort "$tmp/loop.edges" >/dev/null 2>"$tmp/loop.err" || true
[ -s "$tmp/loop.err" ] || fail "tsort did not report a planted cycle"
