#!/bin/sh
# make install puts the programs, the manuals and a commented
# configuration in place, and a second install keeps an edited
# configuration as it is.
. "$(dirname "$0")/test-subr.sh"

dest=$tmp/inst
make -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install1" 2>&1 || {
	cat "$tmp/install1" >&2
	fail "make install failed"
}
conf=$(find "$dest" -name profdrop.conf -type f)
[ -n "$conf" ] || fail "no profdrop.conf installed"
for f in profdropd profdrop profdropd.8 profdrop.conf.5; do
	[ -n "$(find "$dest" -name "$f" -type f)" ] || fail "$f not installed"
done
# The installed one is valid as it is, everything commented out.
"$PROFDROPD" -c "$conf" --output-dir "$tmp" --check-config ||
    fail "the installed profdrop.conf is not valid"
echo "output-dir = /srv/profiles" >>"$conf"
make -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install2" 2>&1 || {
	cat "$tmp/install2" >&2
	fail "the second make install failed"
}
grep -q "keeping .*profdrop.conf" "$tmp/install2" ||
    fail "the second install did not say it kept the configuration"
tail -1 "$conf" | grep -qx "output-dir = /srv/profiles" ||
    fail "the second install replaced the edited configuration"
echo "installed $(find "$dest" -type f | wc -l) files; the edit survived"
