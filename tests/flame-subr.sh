# flame-subr.sh: what run-flamegraph.sh and run-diff.sh read of the SVG
# profdrop draws; sourced after test-subr.sh.

require_xmllint() {
	command -v xmllint >/dev/null 2>&1 ||
	    fail "xmllint not found: install libxml2-utils (contrib/install-deps.sh)"
}

# svg_frames SVG: the frames of a flame graph, one a line: depth, x,
# width, name (unescaped), class and fill, tab-separated.
svg_frames() {
	awk -v OFS='\t' '
		function unescape(s) {
			gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s)
			gsub(/&quot;/, "\"", s); gsub(/&#39;/, "\047", s)
			gsub(/&amp;/, "\\&", s)
			return s
		}
		/^<g class="f / {
			cls = $0; sub(/^<g class="/, "", cls); sub(/".*/, "", cls)
			nm = $0; sub(/^.*<title>/, "", nm)
			getline
			x = $0; sub(/.*<rect x="/, "", x); sub(/".*/, "", x)
			y = $0; sub(/.*<rect [^>]*y="/, "", y); sub(/".*/, "", y)
			w = $0; sub(/.*<rect [^>]*width="/, "", w); sub(/".*/, "", w)
			f = $0; sub(/.*fill="/, "", f); sub(/".*/, "", f)
			y += 0
			n++; X[n] = x; Y[n] = y; W[n] = w; N[n] = unescape(nm)
			C[n] = cls; F[n] = f
			if (n == 1 || y > ymax) ymax = y
			if (n == 1 || y < ymin) ymin = y
		}
		END {
			rev = Y[1] == ymin
			for (i = 1; i <= n; i++)
				print (rev ? Y[i] - ymin : ymax - Y[i]) / 16, X[i],
				    W[i], N[i], C[i], F[i]
		}' "$1"
}

# expect_error STATUS TEXT ARGS...: profdrop ARGS exits with STATUS, says
# one line on stderr that holds TEXT, and nothing on stdout.
expect_error() {
	_ee_status=$1 _ee_want=$2
	shift 2
	_ee_rc=0
	"$PROFDROP" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || _ee_rc=$?
	echo "profdrop $*: exit $_ee_rc: $(cat "$tmp/stderr")"
	[ $_ee_rc = "$_ee_status" ] || fail "exit status $_ee_rc, not $_ee_status"
	[ "$(grep -c . "$tmp/stderr")" = 1 ] || fail "stderr is not one line"
	grep -qF -- "$_ee_want" "$tmp/stderr" ||
	    fail "the error does not say: $_ee_want"
	[ ! -s "$tmp/stdout" ] || fail "output on stdout: $(cat "$tmp/stdout")"
}
