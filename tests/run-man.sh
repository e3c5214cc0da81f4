#!/bin/sh
# The manual pages: clean under groff -mandoc -ww, and every option of
# profdropd in its --help, in profdropd(8), and (as a key) in
# profdrop.conf(5).
. "$(dirname "$0")/test-subr.sh"
command -v groff >/dev/null 2>&1 || fail "groff not found: install groff (contrib/install-deps.sh)"

for page in doc/profdropd.8 doc/profdrop.conf.5 doc/profdrop.1; do
	f=$top_builddir/$page
	[ -f "$f" ] || f=$top_srcdir/$page
	groff -mandoc -ww -z "$f" >"$tmp/groff" 2>&1
	[ ! -s "$tmp/groff" ] || fail "$page: $(cat "$tmp/groff")"
done

"$PROFDROPD" --help >"$tmp/help"
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p' \
    "$top_srcdir/src/profdropd/options.c")
[ "$(echo "$keys" | grep -c .)" -ge 30 ] || fail "options not found in options.c"
for k in $keys; do
	case $k in
	config) grep -q -- "-c FILE" "$tmp/help" || fail "--help lacks -c" ;;
	*) grep -q -- "--$k\b" "$tmp/help" || fail "--help lacks --$k" ;;
	esac
	grep -q "^\.It Fl \\\\-$k\b\|^\.It Fl c\b" "$top_builddir/doc/profdropd.8" ||
	    [ $k = config ] || fail "profdropd.8 does not describe --$k"
	case $k in
	help|version|config|check-config|enabled) ;;
	*) grep -q "\b$k\b" "$top_builddir/doc/profdrop.conf.5" ||
	    fail "profdrop.conf.5 does not list the key $k" ;;
	esac
done
echo "$(echo "$keys" | grep -c .) options: in --help, profdropd.8, profdrop.conf.5"
