/*
 * A frame tree drawn as a self-contained interactive SVG (or an HTML page
 * holding it): a rectangle per frame, as wide as its value, coloured by
 * the kind of code it is, or by how it changed in a differential graph;
 * an inline script shows details on hover, zooms on click and searches.
 * Names come from profiles, which are untrusted: everything shown is
 * escaped, and the script reads names from the document, never from code.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdrop.h"
#include "cli.h"

#define SVG_WIDTH	1200
#define SVG_PAD		10		/* either side of the frames */
#define SVG_FRAMES	(SVG_WIDTH - 2 * SVG_PAD)
#define SVG_FRAME_H	16
#define SVG_TOP		72		/* title, subtitle, legend */
#define SVG_BOTTOM	28		/* the details line */
#define SVG_CHAR_W	7.0		/* a character at 12px, about */
/* Narrower frames are left out: they cannot be seen or pointed at. */
#define SVG_MIN_WIDTH	0.1
#define SVG_NEUTRAL	224		/* grey: no change */

static const char *const svg_kind_names[FLAME_NKINDS] = {
	"user", "kernel", "jit", "unknown"
};

static const char svg_style[] =
"text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
"#title { font-size: 17px; text-anchor: middle; }\n"
"#subtitle { fill: #555; text-anchor: middle; }\n"
".button { cursor: pointer; fill: #1a5fb4; }\n"
".f { cursor: pointer; }\n"
".f text { pointer-events: none; }\n"
".f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
".hide { display: none; }\n"
".dim rect { opacity: 0.45; }\n"
".match rect { fill: rgb(230, 0, 230); }\n"
".gone rect { stroke: #1c3f94; stroke-dasharray: 2 1; }\n";

/*
 * The script. Frames are found by class; a frame's name is the first line
 * of its <title>, the rest its details. "#search=RE&zoom=ID" in the
 * address searches and zooms on load.
 */
static const char svg_script[] =
"(function () {\n"
"\"use strict\";\n"
"var FW = %d, PAD = %d, CHAR = %.1f, REVERSE = %d;\n"
"var frames = [], root = null, details, matched, reset;\n"
"function label(f, w) {\n"
"\tvar n = Math.floor((w - 6) / CHAR), s = f.name;\n"
"\tif (n < 3)\n"
"\t\ts = \"\";\n"
"\telse if (s.length > n)\n"
"\t\ts = s.substring(0, n - 2) + \"..\";\n"
"\tf.text.textContent = s;\n"
"}\n"
"function place(f, x, w) {\n"
"\tf.rect.setAttribute(\"x\", x.toFixed(2));\n"
"\tf.rect.setAttribute(\"width\", w.toFixed(2));\n"
"\tf.text.setAttribute(\"x\", (x + 3).toFixed(2));\n"
"\tlabel(f, w);\n"
"}\n"
"function unzoom() {\n"
"\tframes.forEach(function (f) {\n"
"\t\tf.g.classList.remove(\"hide\", \"dim\");\n"
"\t\tplace(f, PAD + f.x, f.w);\n"
"\t});\n"
"\treset.classList.add(\"hide\");\n"
"}\n"
"/* z fills the width; what it calls widens, what calls it dims. */\n"
"function zoom(z) {\n"
"\tvar scale = FW / z.w, e = 1e-6;\n"
"\tframes.forEach(function (f) {\n"
"\t\tvar outer = REVERSE ? f.y < z.y : f.y > z.y;\n"
"\t\tf.g.classList.remove(\"hide\", \"dim\");\n"
"\t\tif (outer && f.x <= z.x + e && f.x + f.w >= z.x + z.w - e) {\n"
"\t\t\tf.g.classList.add(\"dim\");\n"
"\t\t\tplace(f, PAD, FW);\n"
"\t\t} else if (!outer && f.x >= z.x - e &&\n"
"\t\t    f.x + f.w <= z.x + z.w + e)\n"
"\t\t\tplace(f, PAD + (f.x - z.x) * scale, f.w * scale);\n"
"\t\telse\n"
"\t\t\tf.g.classList.add(\"hide\");\n"
"\t});\n"
"\treset.classList.remove(\"hide\");\n"
"}\n"
"/* Mark the frames re matches; say what share of the whole they cover. */\n"
"function search(re) {\n"
"\tvar spans = [], sum = 0, end = -1;\n"
"\tframes.forEach(function (f) {\n"
"\t\tvar m = re !== null && re.test(f.name);\n"
"\t\tf.g.classList.toggle(\"match\", m);\n"
"\t\tif (m)\n"
"\t\t\tspans.push([f.x, f.x + f.w]);\n"
"\t});\n"
"\tspans.sort(function (a, b) { return a[0] - b[0]; });\n"
"\tspans.forEach(function (s) {\n"
"\t\tif (s[1] <= end)\n"
"\t\t\treturn;\n"
"\t\tsum += s[1] - Math.max(s[0], end);\n"
"\t\tend = s[1];\n"
"\t});\n"
"\tmatched.textContent = re === null ? \"\" : \"Matched: \" +\n"
"\t    (100 * sum / root.w).toFixed(2) + \"%%\";\n"
"}\n"
"function ask() {\n"
"\tvar s = window.prompt(\"Search for (a regular expression; empty \" +\n"
"\t    \"to clear)\", \"\");\n"
"\tif (s === null)\n"
"\t\treturn;\n"
"\ttry {\n"
"\t\tsearch(s === \"\" ? null : new RegExp(s));\n"
"\t} catch (e) {\n"
"\t\tmatched.textContent = \"Not a regular expression: \" + s;\n"
"\t}\n"
"}\n"
"function fromAddress() {\n"
"\tlocation.hash.replace(/^#/, \"\").split(\"&\").forEach(function (kv) {\n"
"\t\tvar i = kv.indexOf(\"=\"), k, v, z;\n"
"\t\tif (i < 0)\n"
"\t\t\treturn;\n"
"\t\tk = kv.substring(0, i);\n"
"\t\tv = decodeURIComponent(kv.substring(i + 1));\n"
"\t\tif (k === \"search\") {\n"
"\t\t\ttry {\n"
"\t\t\t\tsearch(new RegExp(v));\n"
"\t\t\t} catch (e) {\n"
"\t\t\t\tmatched.textContent = \"Not a regular expression: \" + v;\n"
"\t\t\t}\n"
"\t\t} else if (k === \"zoom\") {\n"
"\t\t\tz = frames.filter(function (f) { return f.g.id === v; });\n"
"\t\t\tif (z.length === 1)\n"
"\t\t\t\tzoom(z[0]);\n"
"\t\t}\n"
"\t});\n"
"}\n"
"function init() {\n"
"\tdetails = document.getElementById(\"details\");\n"
"\tmatched = document.getElementById(\"matched\");\n"
"\treset = document.getElementById(\"reset\");\n"
"\tArray.prototype.forEach.call(document.querySelectorAll(\"g.f\"),\n"
"\t    function (g) {\n"
"\t\tvar r = g.querySelector(\"rect\"), t = g.querySelector(\"title\");\n"
"\t\tvar lines = t.textContent.split(\"\\n\"), f = {\n"
"\t\t\tg: g, rect: r, text: g.querySelector(\"text\"),\n"
"\t\t\tname: lines[0], info: lines.join(\" \\u2014 \"),\n"
"\t\t\tx: parseFloat(r.getAttribute(\"x\")) - PAD,\n"
"\t\t\tw: parseFloat(r.getAttribute(\"width\")),\n"
"\t\t\ty: parseFloat(r.getAttribute(\"y\"))\n"
"\t\t};\n"
"\t\tif (root === null || f.w > root.w)\n"
"\t\t\troot = f;\n"
"\t\tframes.push(f);\n"
"\t\tg.addEventListener(\"click\", function () { zoom(f); });\n"
"\t\tg.addEventListener(\"mouseover\", function () {\n"
"\t\t\tdetails.textContent = f.info;\n"
"\t\t});\n"
"\t\tg.addEventListener(\"mouseout\", function () {\n"
"\t\t\tdetails.textContent = \" \";\n"
"\t\t});\n"
"\t});\n"
"\treset.addEventListener(\"click\", unzoom);\n"
"\tdocument.getElementById(\"search\").addEventListener(\"click\", ask);\n"
"\tdocument.addEventListener(\"keydown\", function (e) {\n"
"\t\tif (e.key === \"Escape\") {\n"
"\t\t\tunzoom();\n"
"\t\t\tsearch(null);\n"
"\t\t} else if ((e.ctrlKey || e.metaKey) && e.key === \"f\") {\n"
"\t\t\te.preventDefault();\n"
"\t\t\task();\n"
"\t\t}\n"
"\t});\n"
"\tif (root !== null)\n"
"\t\tfromAddress();\n"
"}\n"
"if (document.readyState === \"loading\")\n"
"\tdocument.addEventListener(\"DOMContentLoaded\", init);\n"
"else\n"
"\twindow.addEventListener(\"load\", init);\n"
"})();\n";

/*
 * The character at s: its length in bytes, *cp the code point, or U+FFFD
 * for a control character or bytes that are not UTF-8 (XML allows neither).
 */
static size_t
svg_char(const unsigned char *s, uint32_t *cp)
{
	uint32_t	 c = s[0], min;
	size_t		 n, i;

	*cp = 0xfffd;
	if (c < 0x80) {
		if (c >= 0x20 && c != 0x7f)
			*cp = c;
		return (1);
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		c &= 0x07;
	} else
		return (1);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (i);
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
	    (c >= 0x80 && c <= 0x9f) || c == 0xfffe || c == 0xffff)
		return (n);
	*cp = c;
	return (n);
}

static size_t
svg_length(const char *s)
{
	uint32_t	 cp;
	size_t		 n = 0;

	while (*s != '\0') {
		s += svg_char((const unsigned char *)s, &cp);
		n++;
	}
	return (n);
}

/* s as XML text, cut to max characters with ".." if longer. */
static void
svg_text(FILE *f, const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n, shown = 0;
	int			 cut;

	if ((cut = svg_length(s) > max))
		max -= 2;
	while (*u != '\0' && shown++ < max) {
		n = svg_char(u, &cp);
		switch (cp) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		case 0xfffd:
			fputs("\xef\xbf\xbd", f);
			break;
		default:
			fwrite(u, 1, n, f);
		}
		u += n;
	}
	if (cut)
		fputs("..", f);
}

static void
svg_kind_colour(const struct flame_node *n, int *r, int *g, int *b)
{
	uint64_t	 h = flame_hash(n->name, 0);
	double		 v1 = (h & 0xff) / 255.0, v2 = (h >> 8 & 0xff) / 255.0;
	double		 v3 = (h >> 16 & 0xff) / 255.0;

	switch (n->kind) {
	case FLAME_KERNEL:
		*r = 70 + 40 * v1;
		*g = 130 + 50 * v2;
		*b = 210 + 40 * v3;
		break;
	case FLAME_JIT:
		*r = 50 + 60 * v1;
		*g = 170 + 60 * v2;
		*b = 50 + 60 * v3;
		break;
	case FLAME_UNKNOWN:
		*r = *g = *b = 160 + 40 * v1;
		break;
	default:
		/* Warm: red to yellow. */
		*r = 205 + 50 * v1;
		*g = 230 * v2;
		*b = 55 * v3;
		break;
	}
}

/* Grey for no change, to red where NEW spends more, blue where less. */
static void
svg_diff_colour(double t, int *r, int *g, int *b)
{
	if (t >= 0) {
		*r = SVG_NEUTRAL + (255 - SVG_NEUTRAL) * t;
		*g = *b = SVG_NEUTRAL - (SVG_NEUTRAL - 40) * t;
	} else {
		*r = SVG_NEUTRAL + (SVG_NEUTRAL - 40) * t;
		*g = SVG_NEUTRAL + (SVG_NEUTRAL - 80) * t;
		*b = SVG_NEUTRAL - (255 - SVG_NEUTRAL) * t;
	}
}

/* A node's change, in NEW's values: what it has less what BASE had. */
static double
svg_delta(const struct flame_node *n, const struct flame_svg *o)
{
	return ((double)n->total[0] - (double)n->total[1] * o->base_scale);
}

/* A change as a shade, -1 to 1: the root lifts small changes into sight. */
static double
svg_shade(double delta, double maxabs)
{
	if (maxabs <= 0)
		return (0);
	return (delta < 0 ? -sqrt(-delta / maxabs) : sqrt(delta / maxabs));
}

static void
svg_details(FILE *f, const struct flame_tree *t, const struct flame_node *n,
    const struct flame_svg *o)
{
	const struct flame_node	*root = &t->nodes[0];
	char			 v[64], pct[32], bv[64], bpct[32], d[32];

	units_label(n->total[0], o->unit, "auto", v, sizeof v);
	units_percentage(n->total[0], root->total[0], pct, sizeof pct);
	if (!o->diff) {
		fprintf(f, "%s, %s", v, pct + strspn(pct, " "));
		return;
	}
	units_label(n->total[1], o->unit, "auto", bv, sizeof bv);
	units_percentage(n->total[1], root->total[1], bpct, sizeof bpct);
	snprintf(d, sizeof d, "%+.2f%%", root->total[0] == 0 ? 0 :
	    100 * svg_delta(n, o) / (double)root->total[0]);
	fprintf(f, "base %s (%s), new %s (%s), change %s of new",
	    bv, bpct + strspn(bpct, " "), v, pct + strspn(pct, " "), d);
}

static void
svg_frames(FILE *f, const struct flame_tree *t, const struct flame_svg *o)
{
	const struct flame_node	*n;
	double			 scale, x, w, y, maxabs = 0;
	size_t			 i, depths = t->maxdepth + 1;
	int			 r, g, b;

	scale = t->nodes[0].width > 0 ? SVG_FRAMES / t->nodes[0].width : 0;
	for (i = 0; i < t->nnodes && o->diff; i++) {
		if (fabs(svg_delta(&t->nodes[i], o)) > maxabs)
			maxabs = fabs(svg_delta(&t->nodes[i], o));
	}
	fputs("<g id=\"frames\">\n", f);
	for (i = 0; i < t->nnodes; i++) {
		n = &t->nodes[i];
		if ((w = n->width * scale) < SVG_MIN_WIDTH)
			continue;
		x = SVG_PAD + n->x * scale;
		y = SVG_TOP + (t->reverse ? n->depth : depths - 1 - n->depth) *
		    SVG_FRAME_H;
		if (o->diff)
			svg_diff_colour(svg_shade(svg_delta(n, o), maxabs), &r,
			    &g, &b);
		else
			svg_kind_colour(n, &r, &g, &b);
		fprintf(f, "<g class=\"f %s%s\" id=\"f%zu\"><title>",
		    svg_kind_names[n->kind], o->diff && n->total[0] == 0 ?
		    " gone" : "", i);
		svg_text(f, n->name, SIZE_MAX);
		fputc('\n', f);
		svg_details(f, t, n, o);
		fprintf(f, "</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" "
		    "height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>"
		    "<text x=\"%.2f\" y=\"%.0f\">", x, y, w, SVG_FRAME_H - 1,
		    r, g, b, x + 3, y + SVG_FRAME_H - 4);
		if (w - 6 >= 3 * SVG_CHAR_W)
			svg_text(f, n->name, (size_t)((w - 6) / SVG_CHAR_W));
		fputs("</text></g>\n", f);
	}
	fputs("</g>\n", f);
}

/* The kinds and their colours, or what the colours of a diff mean. */
static void
svg_legend(FILE *f, const struct flame_svg *o)
{
	static const char *const diff[] = { "more in new", "less in new" };
	struct flame_node	 n;
	int			 i, r, g, b, x = SVG_PAD;

	memset(&n, 0, sizeof n);
	for (i = 0; i < (o->diff ? 2 : FLAME_NKINDS); i++) {
		if (o->diff)
			svg_diff_colour(i == 0 ? 1 : -1, &r, &g, &b);
		else {
			n.kind = i;
			n.name = "";
			svg_kind_colour(&n, &r, &g, &b);
		}
		fprintf(f, "<rect x=\"%d\" y=\"48\" width=\"12\" height=\"12\" "
		    "fill=\"rgb(%d,%d,%d)\"/><text x=\"%d\" y=\"58\">%s</text>\n",
		    x, r, g, b, x + 16, o->diff ? diff[i] : svg_kind_names[i]);
		x += 100;
	}
}

/* Whether path names an SVG or HTML file; if not, say so. */
int
flamesvg_check_path(const char *cmd, const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot != NULL && (strcmp(dot, ".svg") == 0 ||
	    strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0))
		return (0);
	fprintf(stderr, "%s: -o %s: name a file ending in .svg or .html\n",
	    cmd, path);
	return (-1);
}

static int
svg_write(FILE *f, const struct flame_tree *t, const struct flame_svg *o,
    int html)
{
	int	 height = SVG_TOP + (int)(t->maxdepth + 1) * SVG_FRAME_H +
		    SVG_BOTTOM;

	if (html) {
		fputs("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">"
		    "\n<title>", f);
		svg_text(f, o->title, SIZE_MAX);
		fputs("</title>\n<style>body { margin: 0; }</style>\n</head>\n"
		    "<body>\n", f);
	} else
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" "
		    "standalone=\"no\"?>\n", f);
	fprintf(f, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	    SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(f, "<style>\n%s</style>\n<script><![CDATA[\n", svg_style);
	fprintf(f, svg_script, SVG_FRAMES, SVG_PAD, SVG_CHAR_W, t->reverse);
	fprintf(f, "]]></script>\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"#f8f8f8\"/>\n<text id=\"title\" x=\"%d\" y=\"20\">",
	    SVG_WIDTH / 2);
	svg_text(f, o->title, SIZE_MAX);
	fprintf(f, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"38\">",
	    SVG_WIDTH / 2);
	svg_text(f, o->subtitle, 140);
	fprintf(f, "</text>\n<text id=\"reset\" class=\"button hide\" "
	    "x=\"%d\" y=\"20\">Reset zoom</text>\n<text id=\"search\" "
	    "class=\"button\" x=\"%d\" y=\"20\">Search</text>\n",
	    SVG_PAD, SVG_WIDTH - SVG_PAD - 60);
	svg_legend(f, o);
	svg_frames(f, t, o);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
	    "<text id=\"matched\" x=\"%d\" y=\"%d\"></text>\n</svg>\n",
	    SVG_PAD, height - 10, SVG_WIDTH - SVG_PAD - 160, height - 10);
	if (html)
		fputs("</body>\n</html>\n", f);
	return (ferror(f) ? -1 : 0);
}

/* Draw t into path, HTML unless it ends in .svg; if it fails, say why. */
int
flamesvg_save(const char *cmd, const char *path, const struct flame_tree *t,
    const struct flame_svg *o)
{
	const char	*dot = strrchr(path, '.');
	FILE		*f;
	int		 rc, html = dot == NULL || strcmp(dot, ".svg") != 0;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", cmd, path, strerror(errno));
		return (-1);
	}
	rc = svg_write(f, t, o, html);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", cmd, path, strerror(errno));
		unlink(path);
		return (-1);
	}
	return (0);
}
