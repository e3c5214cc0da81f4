#!/bin/sh
# debuginfod: a binary stripped of symbols and debug info, whose debug file
# only a debuginfod server has, is named with lines when the daemon is
# given the server (--debuginfod or DEBUGINFOD_URLS), and the server is
# never asked otherwise.  With the server gone or hung, the run still ends
# on time: frames unnamed, every request cut at --debuginfod-timeout.
. "$(dirname "$0")/test-subr.sh"
require_perf_events
command -v debuginfod >/dev/null 2>&1 && command -v debuginfod-find >/dev/null 2>&1 ||
    fail "debuginfod not found: install debuginfod (contrib/install-deps.sh)"
unset DEBUGINFOD_URLS
# Whatever client cache the daemon defaults to stays in $tmp.
HOME=$tmp/home XDG_CACHE_HOME=$tmp/home/.cache
export HOME XDG_CACHE_HOME
mkdir -p "$HOME"

hz=199 secs=3 timeout=2
src=$srcdir/hot631.c
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || fail "no C compiler: set CC"
hot_a_line=$(hot_a_line)

# hot631 with a build ID of its own, stripped of everything; only the
# server has its debug file.
mkdir "$tmp/srv"
$cc -O2 -g -Wl,--build-id=0x$(random_hex 20) -o "$tmp/hot-dbgd.full" "$src" ||
    fail "cannot build hot-dbgd"
objcopy --only-keep-debug "$tmp/hot-dbgd.full" "$tmp/srv/hot-dbgd.debug"
objcopy --strip-all "$tmp/hot-dbgd.full" "$tmp/hot-dbgd"
rm "$tmp/hot-dbgd.full"
id=$(build_id "$tmp/hot-dbgd")
start_program "$tmp/hot-dbgd" 120

# The server, on a free port, once it serves the debug file.
for try in 1 2 3; do
	port=$(free_port)
	debuginfod -F -d "$tmp/dbgd.sqlite" -p $port -t 0 -g 0 -v "$tmp/srv" \
	    >"$tmp/dbgd.log" 2>&1 &
	dbgd_pid=$!
	bg_track $dbgd_pid
	n=0
	while kill -0 $dbgd_pid 2>/dev/null && ! port_listening $port; do
		[ $n -lt 200 ] || fail "debuginfod did not listen within 10 s"
		sleep 0.05
		n=$((n + 1))
	done
	port_listening $port && break
done
url=http://127.0.0.1:$port
n=0
# A fresh client cache each time: it remembers misses.
until DEBUGINFOD_URLS=$url DEBUGINFOD_CACHE_PATH=$tmp/findcache.$n \
    debuginfod-find debuginfo $id >/dev/null 2>&1; do
	[ $n -lt 100 ] || { cat "$tmp/dbgd.log" >&2; fail "debuginfod does not serve $id"; }
	sleep 0.1
	n=$((n + 1))
done
asked() { grep -c "GET /buildid/" "$tmp/dbgd.log" || true; }
echo "debuginfod at $url serves $id"

# profile NAME ENV... -- ARGS...: profile the program with ENV in the
# daemon's environment; the stacks go to $tmp/NAME.traces and
# $tmp/NAME.lines, the run's wall time in ms to $elapsed.
profile() {
	_pn=$1
	shift
	_pe=
	while [ "$1" != -- ]; do _pe="$_pe $1"; shift; done
	shift
	mkdir "$tmp/$_pn"
	_t0=$(now_ms)
	env $_pe timeout -s KILL 60 "$PROFDROPD" --foreground --pid $prog_pid \
	    --frequency $hz --duration $secs --output-dir "$tmp/$_pn" "$@" \
	    2>"$tmp/$_pn.log" || {
		cat "$tmp/$_pn.log" >&2
		fail "$_pn: profdropd $* failed"
	}
	elapsed=$(($(now_ms) - _t0))
	_pp=$tmp/$_pn/$(profiles "$tmp/$_pn")
	raw_traces "$_pp" >"$tmp/$_pn.traces"
	raw_line_traces "$_pp" >"$tmp/$_pn.lines"
	echo "$_pn: $(trace_count "$tmp/$_pn.traces") samples in $elapsed ms"
}

# named NAME: the profile has hot631's names and lines.
named() {
	hot631_named "$tmp/$1.traces" "$1"
	traces_leaf "$tmp/$1.lines" 'hot_a .*' >"$tmp/$1.hot_a"
	assert_ge "$(trace_share "$tmp/$1.hot_a" traces_leaf \
	    "hot_a ([^ ]*/)?hot631\.c:$hot_a_line")" 99 \
	    "$1: % of hot_a's samples at hot631.c:$hot_a_line"
}

# unnamed NAME: the program's own frames are not named.
unnamed() {
	assert_ge "$(trace_share "$tmp/$1.traces" traces_leaf '\[unknown\] hot-dbgd.*')" 80 \
	    "$1: % of samples with an unnamed leaf in hot-dbgd"
	assert_near "$(trace_share "$tmp/$1.traces" traces_with 'hot_[abc]')" 0 0 \
	    "$1: % of samples in hot_[abc]"
}

profile option -- --debuginfod $url --debuginfod-cache "$tmp/cache1"
named option
echo "option: $(find "$tmp/cache1" -type f | wc -l) files in the cache"
[ -n "$(find "$tmp/cache1" -type f)" ] || fail "option: nothing in --debuginfod-cache"

profile env DEBUGINFOD_URLS=$url -- --debuginfod-cache "$tmp/cache2"
named env

before=$(asked)
profile none --
unnamed none
echo "none: $(($(asked) - before)) requests to the server"
[ "$(asked)" = "$before" ] || fail "none: the server was asked without being given"

# The server stopped: connections are refused at once.
kill $dbgd_pid
wait $dbgd_pid 2>/dev/null || true
profile stopped -- --debuginfod $url --debuginfod-timeout $timeout \
    --debuginfod-cache "$tmp/cache3"
unnamed stopped
assert_le $elapsed $((secs * 1000 + 1500)) "stopped: ms for the run"

# A server that takes connections and never answers: each request waits
# --debuginfod-timeout.  Allowed: the duration, the timeout and 0.5 s for
# each binary asked for, and 1.5 s.
port=$(free_port)
perl -MIO::Socket::INET -e '
	$| = 1;
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
	    LocalPort => $ARGV[0], Listen => 64, ReuseAddr => 1) or die "$!\n";
	print "listening\n";
	my @held;
	while (my $c = $s->accept) {
		push @held, $c;
		my $l = <$c>;
		print "request ", time - $^T, " s: $l";
	}' $port >"$tmp/blackhole.log" 2>&1 &
bg_track $!
n=0
until grep -q listening "$tmp/blackhole.log"; do
	[ $n -lt 100 ] || fail "hung server: $(cat "$tmp/blackhole.log")"
	sleep 0.05
	n=$((n + 1))
done
profile hung -- --debuginfod http://127.0.0.1:$port --debuginfod-timeout $timeout \
    --debuginfod-cache "$tmp/cache4"
unnamed hung
nreq=$(grep -c '^request' "$tmp/blackhole.log" || true)
nbin=$(sed -n 's|^request .* GET /buildid/\([0-9a-f]*\)/.*|\1|p' "$tmp/blackhole.log" |
    sort -u | wc -l)
echo "hung: $nreq requests for $nbin build IDs, at (s after the server started):"
sed -n 's/^request \(.*\) HTTP.*/  \1/p' "$tmp/blackhole.log"
[ "$nreq" -gt 0 ] || fail "hung: the server was not asked"
assert_le $elapsed $((secs * 1000 + nbin * (timeout * 1000 + 500) + 1500)) \
    "hung: ms for the run, $nbin binaries asked for"
