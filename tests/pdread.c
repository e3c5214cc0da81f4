/*
 * pdread: what the integration scripts read from a profile, through the
 * profile model, in the forms test-subr.sh's helpers print. The profile
 * is seen as go tool pprof -symbolize=none sees it, since that is what the
 * scripts' assertions were written against: drop_frames and keep_frames
 * prune its stacks, a frame is named as pprof names it, a function
 * inlined into the next frame is "NAME (inline)".
 *
 * The profile is untrusted: what the reader refuses is printed and pdread
 * exits 1, as it does on a negative count; control characters in names
 * and labels print as '?', so that they cannot make lines or fields.
 *
 *   traces FILE [FLAG]		per sample, its "samples" value and its
 *				frames leaf first, tab-separated (-traces)
 *   raw-traces FILE [FLAG]	per sample, its first value and its frames,
 *				a location without lines its address (-raw)
 *   raw-lines FILE [FLAG]	raw-traces, each frame followed by
 *				" FILE:LINE"
 *   samples FILE [FLAG]		per sample "VALUE...|KEY=VALUE...|FRAME;..."
 *   functions FILE		the functions of the locations' lines: NAME,
 *				a tab, SYSTEM-NAME
 *   locations FILE		per location its address, a tab, its
 *				innermost line's function
 *   total FILE			the sum of the "samples" values
 *   flat FILE FUNC		FUNC's flat % of the samples, as -top rounds it
 *   tags FILE KEY		the values of label KEY
 *   field FILE NUMBER		the string of field 7 (drop_frames), 8
 *				(keep_frames) or 14 (default_sample_type)
 *   time FILE			time_nanos as SECONDS.NANOSECONDS, or nothing
 *
 * FLAG, -tagfocus=KEY=REGEX,..., keeps the samples with a string label KEY
 * that one REGEX matches; -tagfocus=KEY=NUMBER those with the number as
 * label KEY, as go tool pprof does.
 */

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"

/* pprof -top's -edgefraction: a lighter edge says nothing of inlining. */
#define EDGE_FRACTION	0.001

/* One -tagfocus. */
struct focus {
	char		*key;
	regex_t		*res;
	size_t		 nres;
	int		 numeric;
	int64_t		 num;
};

/* A profile as pprof shows it. */
struct view {
	const char		*file;
	struct pd_profile	*p;
	struct pd_prune		*prune;		/* NULL if nothing is pruned */
	struct focus		*focus;
	size_t			 nfocus;
};

/* A node of pprof's graph at its default granularity, functions. */
struct node {
	const char	*name;		/* the function's, "" if none; else */
	const char	*objfile;	/* its binary */
	int64_t		 start_line;	/* and its function's first line */
};

/* An edge into a node flat counts for: its caller, weight, inlining. */
struct edge {
	struct node	 from;
	int64_t		 weight;
	int		 is_inline;
	size_t		 seen;		/* the last sample it was in, + 1 */
};

/* A node flat counts for, and what calls it. */
struct row {
	struct node	 node;
	int64_t		 flat;
	struct edge	*edges;
	size_t		 nedges;
};

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "pdread: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pdread traces|raw-traces|raw-lines|samples "
	    "file [-tagfocus=key=value]\n"
	    "       pdread functions|locations|total|time file\n"
	    "       pdread flat file function\n"
	    "       pdread tags file key\n"
	    "       pdread field file number\n");
	exit(2);
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		die("out of memory");
	return (p);
}

static void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		die("out of memory");
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		die("out of memory");
	return (p);
}

static char * __attribute__((format(printf, 1, 2)))
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		die("out of memory");
	va_end(ap);
	return (s);
}

/* a + b as Go adds int64s, wrapping. */
static int64_t
add64(int64_t a, int64_t b)
{
	return ((int64_t)((uint64_t)a + (uint64_t)b));
}

/* Go's abs64, that leaves the smallest int64 as it is. */
static int64_t
abs64(int64_t v)
{
	return (v < 0 ? (int64_t)(0 - (uint64_t)v) : v);
}

/* Print s, control characters as '?'. */
static void
put(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int
matches(const regex_t *re, const char *s)
{
	return (regexec(re, s, 0, NULL, 0) == 0);
}

/* The inner lines of location loc that pruning takes away. */
static size_t
view_skip(const struct view *v, const struct pd_location *loc)
{
	return (v->prune != NULL ? v->prune[loc - v->p->locations].skip : 0);
}

/* Where sample s starts, leaf first, once pruned. */
static size_t
view_start(const struct view *v, const struct pd_sample *s)
{
	return (pd_sample_pruned_start(v->p, v->prune, s));
}

static void
focus_parse(struct focus *f, const char *arg)
{
	regex_t		 range;
	const char	*eq, *value, *comma;
	char		*re, *end;
	int		 rc;

	if ((eq = strchr(arg, '=')) == NULL)
		die("-tagfocus=%s: not KEY=VALUE", arg);
	f->key = xprintf("%.*s", (int)(eq - arg), arg);
	value = eq + 1;
	if (*value != '\0') {
		errno = 0;
		f->num = strtoll(value, &end, 10);
		if (*end == '\0' && errno == 0 && strspn(value, "+-0123456789")
		    == strlen(value)) {
			f->numeric = 1;
			return;
		}
	}
	/* pprof takes these for ranges of numbers, with units. */
	if (regcomp(&range, "^(:[+-]?[0-9]+[[:alpha:]]*|[+-]?[0-9]+"
	    "[[:alpha:]]*(:([+-]?[0-9]+[[:alpha:]]*)?)?)$",
	    REG_EXTENDED | REG_NOSUB) != 0)
		die("cannot compile a regular expression");
	rc = matches(&range, value);
	regfree(&range);
	if (rc)
		die("-tagfocus=%s: ranges of numbers are not supported", arg);
	for (;;) {
		comma = strchr(value, ',');
		re = comma != NULL ? xprintf("%.*s", (int)(comma - value),
		    value) : xprintf("%s", value);
		f->res = xreallocarray(f->res, f->nres + 1, sizeof *f->res);
		if (regcomp(&f->res[f->nres], re, REG_EXTENDED | REG_NOSUB) != 0)
			die("-tagfocus=%s: bad regular expression %s", arg, re);
		f->nres++;
		free(re);
		if (comma == NULL)
			break;
		value = comma + 1;
	}
}

/* Whether sample s passes f, as pprof's -tagfocus. */
static int
focus_match(const struct focus *f, const struct pd_sample *s)
{
	const struct pd_label	*l;
	size_t			 i, j;

	if (f->numeric) {
		for (i = 0; i < s->nlabels; i++) {
			l = &s->labels[i];
			if (l->str == NULL && strcmp(l->key, f->key) == 0 &&
			    l->num == f->num)
				return (1);
		}
		return (0);
	}
	for (i = 0; i < s->nlabels; i++) {
		l = &s->labels[i];
		if (l->str == NULL || strcmp(l->key, f->key) != 0)
			continue;
		for (j = 0; j < f->nres; j++) {
			if (matches(&f->res[j], l->str))
				return (1);
		}
	}
	return (0);
}

/*
 * Whether pprof keeps sample s: it merges even a single profile, which
 * drops the samples whose values are all 0.
 */
static int
view_merged(const struct view *v, const struct pd_sample *s)
{
	size_t	 i;

	for (i = 0; i < v->p->nsample_types; i++) {
		if (s->values[i] != 0)
			return (1);
	}
	return (0);
}

/*
 * Whether sample s is seen: merged, and past pprof's filters, which drop
 * a sample without locations whatever they are, and -tagfocus.
 */
static int
view_kept(const struct view *v, const struct pd_sample *s)
{
	size_t	 i;

	if (!view_merged(v, s) || s->nlocations == 0)
		return (0);
	for (i = 0; i < v->nfocus; i++) {
		if (!focus_match(&v->focus[i], s))
			return (0);
	}
	return (1);
}

/* Read file; flags (-tagfocus) in argv if flags is set, else none. */
static void
view_open(struct view *v, const char *file, int argc, char **argv,
    int flags)
{
	const char	*arg;
	char		*cause;
	int		 i;

	memset(v, 0, sizeof *v);
	v->file = file;
	for (i = 0; i < argc; i++) {
		if (!flags)
			usage();
		arg = argv[i];
		if (strncmp(arg, "--", 2) == 0)
			arg++;
		if (strncmp(arg, "-tagfocus=", 10) == 0)
			arg += 10;
		else if (strcmp(arg, "-tagfocus") == 0 && i + 1 < argc)
			arg = argv[++i];
		else
			die("%s: not a flag pdread knows", argv[i]);
		v->focus = xreallocarray(v->focus, v->nfocus + 1,
		    sizeof *v->focus);
		memset(&v->focus[v->nfocus], 0, sizeof *v->focus);
		focus_parse(&v->focus[v->nfocus++], arg);
	}
	if (pd_profile_read_file(file, 0, &v->p, &cause) != 0)
		die("%s", cause);
	v->prune = pd_profile_prune(v->p);
}

static void
view_close(struct view *v)
{
	size_t	 i, j;

	for (i = 0; i < v->nfocus; i++) {
		for (j = 0; j < v->focus[i].nres; j++)
			regfree(&v->focus[i].res[j]);
		free(v->focus[i].res);
		free(v->focus[i].key);
	}
	free(v->focus);
	free(v->prune);
	pd_profile_free(v->p);
}

static int
sample_index(const struct view *v, const char *type)
{
	int	 i;

	if ((i = pd_profile_sample_index(v->p, type)) == -1)
		die("%s: no sample type \"%s\"", v->file, type);
	return (i);
}

/* Value i of sample s, never negative: a count. */
static int64_t
count(const struct view *v, const struct pd_sample *s, size_t i)
{
	if (s->values[i] < 0)
		die("%s: sample %zu has %" PRId64 " %s", v->file,
		    (size_t)(s - v->p->samples), s->values[i],
		    v->p->sample_types[i].type);
	return (s->values[i]);
}

/* The node of a line of a location (line NULL if it has none). */
static struct node
node_of(const struct pd_location *loc, const struct pd_line *line)
{
	struct node	 n;

	n.name = n.objfile = "";
	n.start_line = 0;
	if (line != NULL && line->function != NULL &&
	    *line->function->name != '\0')
		n.name = line->function->name;
	else {
		if (loc->mapping != NULL)
			n.objfile = loc->mapping->filename;
		if (line != NULL && line->function != NULL)
			n.start_line = line->function->start_line;
	}
	return (n);
}

static int
node_same(const struct node *a, const struct node *b)
{
	return (strcmp(a->name, b->name) == 0 &&
	    strcmp(a->objfile, b->objfile) == 0 &&
	    a->start_line == b->start_line);
}

/* The node's name as pprof shows it: the function's, else "[BINARY]". */
static char *
node_shown(const struct node *n)
{
	return (pd_node_name(n->name, n->objfile));
}

static void
put_node(const struct pd_location *loc, const struct pd_line *line)
{
	struct node	 n = node_of(loc, line);
	char		*shown = node_shown(&n);

	put(shown);
	free(shown);
}

/* go tool pprof -traces -sample_index=samples. */
static void
mode_traces(struct view *v)
{
	const struct pd_sample		*s;
	const struct pd_location	*loc;
	size_t				 i, j, k, start;
	int				 index = sample_index(v, "samples");

	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		/* -traces leaves out a sample without frames. */
		if (!view_kept(v, s) ||
		    (start = view_start(v, s)) == s->nlocations)
			continue;
		printf("%" PRId64, count(v, s, index));
		for (j = start; j < s->nlocations; j++) {
			loc = s->locations[j];
			if (loc->nlines == 0) {
				putchar('\t');
				put_node(loc, NULL);
			}
			for (k = view_skip(v, loc); k < loc->nlines; k++) {
				putchar('\t');
				put_node(loc, &loc->lines[k]);
				if (k != loc->nlines - 1)
					printf(" (inline)");
			}
		}
		putchar('\n');
	}
}

/* A line's function name as go tool pprof -raw prints it, "??" if none. */
static const char *
raw_name(const struct pd_line *line)
{
	return (line->function != NULL ? line->function->name : "??");
}

/* Samples from go tool pprof -raw, one a line; lines: with FILE:LINE. */
static void
mode_raw_traces(struct view *v, int lines)
{
	const struct pd_sample		*s;
	const struct pd_location	*loc;
	const struct pd_line		*line;
	size_t				 i, j, k;

	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		if (!view_kept(v, s))
			continue;
		printf("%" PRId64, count(v, s, 0));
		for (j = view_start(v, s); j < s->nlocations; j++) {
			loc = s->locations[j];
			if (loc->nlines == 0)
				printf("\t0x%" PRIx64, loc->address);
			for (k = view_skip(v, loc); k < loc->nlines; k++) {
				line = &loc->lines[k];
				putchar('\t');
				put(raw_name(line));
				if (k != loc->nlines - 1)
					printf(" (inline)");
				if (!lines)
					continue;
				putchar(' ');
				if (line->function == NULL)
					continue;
				put(line->function->filename);
				printf(":%" PRId64, line->line);
			}
		}
		putchar('\n');
	}
}

/*
 * The locations that go tool pprof -raw lists: those of the merged
 * samples, in the order they first appear, leaf first.
 */
static const struct pd_location **
view_locations(const struct view *v, size_t *np)
{
	const struct pd_location	**order;
	const struct pd_sample		 *s;
	unsigned char			 *seen;
	size_t				  i, j, l, n = 0;

	order = xcalloc(v->p->nlocations, sizeof *order);
	seen = xcalloc(v->p->nlocations, 1);
	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		if (!view_merged(v, s))
			continue;
		for (j = 0; j < s->nlocations; j++) {
			l = s->locations[j] - v->p->locations;
			if (!seen[l]) {
				seen[l] = 1;
				order[n++] = s->locations[j];
			}
		}
	}
	free(seen);
	*np = n;
	return (order);
}

/* A function's pair of names, where it first appears. */
struct pair {
	const char	*name;
	const char	*system_name;
	size_t		 order;
};

static int
pair_compare(const void *pa, const void *pb)
{
	const struct pair	*a = pa, *b = pb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return (c);
	if ((c = strcmp(a->system_name, b->system_name)) != 0)
		return (c);
	return (a->order < b->order ? -1 : a->order > b->order);
}

static int
pair_order(const void *pa, const void *pb)
{
	const struct pair	*a = pa, *b = pb;

	return (a->order < b->order ? -1 : a->order > b->order);
}

/*
 * The names of the locations' lines, each pair once, in the order they
 * first appear: a system name that go tool pprof -raw does not print
 * (empty, or the name itself) is the name.
 */
static void
mode_functions(struct view *v)
{
	const struct pd_location	**locs, *loc;
	const struct pd_function	 *f;
	struct pair			 *pairs;
	size_t				  nlocs, n = 0, i, j, kept;

	locs = view_locations(v, &nlocs);
	for (i = 0; i < nlocs; i++)
		n += locs[i]->nlines;
	pairs = xcalloc(n, sizeof *pairs);
	n = 0;
	for (i = 0; i < nlocs; i++) {
		loc = locs[i];
		for (j = view_skip(v, loc); j < loc->nlines; j++) {
			f = loc->lines[j].function;
			pairs[n].name = raw_name(&loc->lines[j]);
			pairs[n].system_name = f != NULL &&
			    *f->system_name != '\0' ? f->system_name :
			    pairs[n].name;
			pairs[n].order = n;
			n++;
		}
	}
	qsort(pairs, n, sizeof *pairs, pair_compare);
	for (i = kept = 0; i < n; i++) {
		if (kept > 0 &&
		    strcmp(pairs[i].name, pairs[kept - 1].name) == 0 &&
		    strcmp(pairs[i].system_name,
		    pairs[kept - 1].system_name) == 0)
			continue;
		pairs[kept++] = pairs[i];
	}
	qsort(pairs, kept, sizeof *pairs, pair_order);
	for (i = 0; i < kept; i++) {
		put(pairs[i].name);
		putchar('\t');
		put(pairs[i].system_name);
		putchar('\n');
	}
	free(pairs);
	free(locs);
}

static int
string_compare(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The labels of s as go tool pprof -raw groups them, "KEY:[VALUE VALUE]"
 * sorted, strings then numbers, printed as "KEY=VALUE VALUE". A number
 * of 0 without a unit is no label to pprof.
 */
static void
put_labels(const struct pd_sample *s)
{
	const struct pd_label	*l, *m;
	char			**groups, *g, *t;
	size_t			 n, i, j;
	int			 numeric, units, first = 1;

	groups = xcalloc(s->nlabels, sizeof *groups);
	for (numeric = 0; numeric < 2; numeric++) {
		n = 0;
		for (i = 0; i < s->nlabels; i++) {
			l = &s->labels[i];
			if ((l->str == NULL) != numeric ||
			    (numeric && l->num == 0 && *l->num_unit == '\0'))
				continue;
			/* Once a key, where it first appears. */
			for (j = 0; j < i; j++) {
				m = &s->labels[j];
				if ((m->str == NULL) == numeric &&
				    !(numeric && m->num == 0 &&
				    *m->num_unit == '\0') &&
				    strcmp(m->key, l->key) == 0)
					break;
			}
			if (j < i)
				continue;
			units = 0;
			for (j = i; numeric && j < s->nlabels; j++) {
				m = &s->labels[j];
				if (m->str == NULL && *m->num_unit != '\0' &&
				    strcmp(m->key, l->key) == 0)
					units = 1;
			}
			g = xprintf("%s:[", l->key);
			for (j = i; j < s->nlabels; j++) {
				m = &s->labels[j];
				if ((m->str == NULL) != numeric ||
				    strcmp(m->key, l->key) != 0 ||
				    (numeric && m->num == 0 &&
				    *m->num_unit == '\0'))
					continue;
				if (!numeric)
					t = xprintf("%s%s%s", g, j > i ?
					    " " : "", m->str);
				else
					t = xprintf("%s%s%" PRId64 "%s%s", g,
					    j > i ? " " : "", m->num,
					    units ? " " : "",
					    units ? m->num_unit : "");
				free(g);
				g = t;
			}
			groups[n++] = xprintf("%s]", g);
			free(g);
		}
		qsort(groups, n, sizeof *groups, string_compare);
		for (i = 0; i < n; i++) {
			g = groups[i];
			if (!first)
				putchar(' ');
			first = 0;
			/* "KEY:[V V]" as "KEY=V V". */
			t = strstr(g, ":[");
			*t = '\0';
			put(g);
			putchar('=');
			t += 2;
			t[strlen(t) - 1] = '\0';
			put(t);
			free(g);
		}
	}
	free(groups);
}

/* Samples from go tool pprof -raw: "VALUE...|KEY=VALUE...|FRAME;...". */
static void
mode_samples(struct view *v)
{
	const struct pd_sample		*s;
	const struct pd_location	*loc;
	size_t				 i, j, k;
	const char			*sep;

	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		if (!view_kept(v, s))
			continue;
		for (j = 0; j < v->p->nsample_types; j++)
			printf("%s%" PRId64, j > 0 ? " " : "", count(v, s, j));
		putchar('|');
		put_labels(s);
		putchar('|');
		/* A location without lines is an empty frame. */
		sep = "";
		for (j = view_start(v, s); j < s->nlocations; j++) {
			loc = s->locations[j];
			printf("%s", sep);
			sep = ";";
			for (k = view_skip(v, loc); k < loc->nlines; k++) {
				if (k > view_skip(v, loc))
					putchar(';');
				put(raw_name(&loc->lines[k]));
			}
		}
		putchar('\n');
	}
}

/* Each location: its address, a tab, its innermost line's function. */
static void
mode_locations(struct view *v)
{
	const struct pd_location	**locs, *loc;
	size_t				  nlocs, i, skip;

	locs = view_locations(v, &nlocs);
	for (i = 0; i < nlocs; i++) {
		loc = locs[i];
		printf("0x%" PRIx64 "\t", loc->address);
		if ((skip = view_skip(v, loc)) < loc->nlines)
			put(raw_name(&loc->lines[skip]));
		putchar('\n');
	}
	free(locs);
}

/* The total of a sample type, as go tool pprof sums it. */
static int64_t
total(const struct view *v, int index)
{
	int64_t	 t = 0;
	size_t	 i;

	for (i = 0; i < v->p->nsamples; i++)
		t = add64(t, abs64(v->p->samples[i].values[index]));
	return (t);
}

static void
mode_total(struct view *v)
{
	printf("%" PRId64 "\n", total(v, sample_index(v, "samples")));
}

/* The row of node n in rows, if it is one. */
static struct row *
row_find(struct row *rows, size_t nrows, const struct node *n)
{
	size_t	 i;

	for (i = 0; i < nrows; i++) {
		if (node_same(&rows[i].node, n))
			return (&rows[i]);
	}
	return (NULL);
}

/* Weigh the edge from "from" into row r for sample i. */
static void
row_edge(struct row *r, const struct node *from, int64_t w, int is_inline,
    size_t i)
{
	struct edge	*e;
	size_t		 j;

	for (j = 0; j < r->nedges; j++) {
		if (node_same(&r->edges[j].from, from))
			break;
	}
	if (j == r->nedges) {
		r->edges = xreallocarray(r->edges, ++r->nedges,
		    sizeof *r->edges);
		e = &r->edges[j];
		e->from = *from;
		e->weight = 0;
		e->is_inline = is_inline;
		e->seen = 0;
	}
	e = &r->edges[j];
	/* An edge counts once a sample, recursion or not. */
	if (e->seen == i + 1)
		return;
	e->seen = i + 1;
	e->weight = add64(e->weight, w);
	if (!is_inline)
		e->is_inline = 0;
}

/*
 * A percentage as go tool pprof -top prints it (measurement.Percentage),
 * read back as a number.
 */
static double
percentage(int64_t value, int64_t all)
{
	char	 buf[64];
	double	 ratio = 0;

	if (all != 0)
		ratio = (double)value / (double)all * 100;
	if (ratio < 0)
		ratio = -ratio;
	if (ratio >= 99.95 && ratio <= 100.05)
		return (100);
	snprintf(buf, sizeof buf, ratio >= 1 ? "%.2f" : "%.2g", ratio);
	return (strtod(buf, NULL));
}

/*
 * The flat % of the rows of go tool pprof -top -sample_index=samples
 * -nodefraction=0 named func ("NAME", "NAME (inline)"...), summed: the
 * samples a node is the leaf of, over all samples. Only nodes that func
 * may name are weighed.
 */
static void
mode_flat(struct view *v, const char *func)
{
	const struct pd_sample		*s;
	const struct pd_location	*loc;
	struct row			*rows = NULL, *r;
	struct node			 n, parent;
	char				*shown, *name;
	size_t				 nrows = 0, i, j, k, first, start;
	int64_t				 w, flat = 0, cutoff;
	int				 index = sample_index(v, "samples");
	int				 has_parent, inline_in, plain_in;
	double				 share = 0;

	for (i = 0; i < v->p->nlocations; i++) {
		loc = &v->p->locations[i];
		first = view_skip(v, loc);
		for (j = first; j < loc->nlines || j == first; j++) {
			n = node_of(loc, j < loc->nlines ? &loc->lines[j] :
			    NULL);
			if (row_find(rows, nrows, &n) != NULL)
				continue;
			shown = node_shown(&n);
			if (strncmp(func, shown, strlen(shown)) == 0) {
				rows = xreallocarray(rows, nrows + 1,
				    sizeof *rows);
				memset(&rows[nrows], 0, sizeof *rows);
				rows[nrows++].node = n;
			}
			free(shown);
		}
	}

	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		if (!view_kept(v, s))
			continue;
		w = s->values[index];
		has_parent = 0;
		start = view_start(v, s);
		/* From the root to the leaf, the outermost line first. */
		for (j = s->nlocations; j-- > start;) {
			loc = s->locations[j];
			first = view_skip(v, loc);
			for (k = loc->nlines > first ? loc->nlines : first + 1;
			    k-- > first;) {
				n = node_of(loc, k < loc->nlines ?
				    &loc->lines[k] : NULL);
				if (has_parent && !node_same(&parent, &n) &&
				    (r = row_find(rows, nrows, &n)) != NULL)
					row_edge(r, &parent, w,
					    loc->nlines > 0 &&
					    k != loc->nlines - 1, i);
				parent = n;
				has_parent = 1;
			}
		}
		if (!has_parent)
			continue;
		flat = add64(flat, w);
		if ((r = row_find(rows, nrows, &parent)) != NULL)
			r->flat = add64(r->flat, w);
	}

	/* -top drops the edges under -edgefraction before it labels rows. */
	cutoff = abs64((int64_t)((double)flat * EDGE_FRACTION));
	for (i = 0; i < nrows; i++) {
		r = &rows[i];
		inline_in = plain_in = 0;
		for (j = 0; j < r->nedges; j++) {
			if (abs64(r->edges[j].weight) < cutoff)
				continue;
			if (r->edges[j].is_inline)
				inline_in = 1;
			else
				plain_in = 1;
		}
		shown = node_shown(&r->node);
		name = xprintf("%s%s", shown, !inline_in ? "" : plain_in ?
		    " (partial-inline)" : " (inline)");
		if (strcmp(name, func) == 0)
			share += percentage(r->flat, total(v, index));
		free(name);
		free(shown);
		free(r->edges);
	}
	free(rows);
	/* As awk prints a sum: whole numbers whole. */
	if (share == (double)(long long)share)
		printf("%lld\n", (long long)share);
	else
		printf("%.6g\n", share);
}

/* A label's value, from pprof's -tags. */
struct tag {
	char	*value;
	int64_t	 weight;
};

static int
tag_compare(const void *pa, const void *pb)
{
	const struct tag	*a = pa, *b = pb;

	if (abs64(a->weight) != abs64(b->weight))
		return (abs64(a->weight) > abs64(b->weight) ? -1 : 1);
	return (strcmp(a->value, b->value));
}

/*
 * The values of label key, each once, the heaviest in the default sample
 * type first, as go tool pprof -tags lists them; numbers in decimal
 * (pprof would scale one with a unit it knows).
 */
static void
mode_tags(struct view *v, const char *key)
{
	const struct pd_sample	*s;
	const struct pd_label	*l;
	struct tag		*tags = NULL;
	char			*value;
	size_t			 ntags = 0, i, j, k;
	int			 index = pd_profile_sample_index(v->p, NULL);

	for (i = 0; i < v->p->nsamples; i++) {
		s = &v->p->samples[i];
		if (!view_kept(v, s))
			continue;
		for (j = 0; j < s->nlabels; j++) {
			l = &s->labels[j];
			if (strcmp(l->key, key) != 0 || (l->str == NULL &&
			    l->num == 0 && *l->num_unit == '\0'))
				continue;
			value = l->str != NULL ? xprintf("%s", l->str) :
			    xprintf("%" PRId64, l->num);
			for (k = 0; k < ntags; k++) {
				if (strcmp(tags[k].value, value) == 0)
					break;
			}
			if (k == ntags) {
				tags = xreallocarray(tags, ntags + 1,
				    sizeof *tags);
				tags[ntags].value = value;
				tags[ntags++].weight = 0;
			} else
				free(value);
			tags[k].weight = add64(tags[k].weight,
			    s->values[index]);
		}
	}
	if (ntags > 0)
		qsort(tags, ntags, sizeof *tags, tag_compare);
	for (i = 0; i < ntags; i++) {
		put(tags[i].value);
		putchar('\n');
		free(tags[i].value);
	}
	free(tags);
}

static void
mode_field(struct view *v, const char *number)
{
	const char	*s;

	if (strcmp(number, "7") == 0)
		s = v->p->drop_frames;
	else if (strcmp(number, "8") == 0)
		s = v->p->keep_frames;
	else if (strcmp(number, "14") == 0)
		s = v->p->default_sample_type;
	else
		die("field %s: not 7 (drop_frames), 8 (keep_frames) or 14 "
		    "(default_sample_type)", number);
	put(s);
	putchar('\n');
}

static void
mode_time(struct view *v)
{
	int64_t	 t = v->p->time_nanos, sec, nsec;

	if (t == 0)
		return;
	sec = t / 1000000000;
	if ((nsec = t % 1000000000) < 0) {
		sec--;
		nsec += 1000000000;
	}
	printf("%" PRId64 ".%09" PRId64 "\n", sec, nsec);
}

int
main(int argc, char **argv)
{
	struct view	 v;
	const char	*mode;

	if (argc < 3)
		usage();
	mode = argv[1];
	if (strcmp(mode, "traces") == 0 || strcmp(mode, "raw-traces") == 0 ||
	    strcmp(mode, "raw-lines") == 0 || strcmp(mode, "samples") == 0) {
		view_open(&v, argv[2], argc - 3, argv + 3, 1);
		if (strcmp(mode, "traces") == 0)
			mode_traces(&v);
		else if (strcmp(mode, "samples") == 0)
			mode_samples(&v);
		else
			mode_raw_traces(&v, strcmp(mode, "raw-lines") == 0);
	} else if (strcmp(mode, "functions") == 0 ||
	    strcmp(mode, "locations") == 0 || strcmp(mode, "total") == 0 ||
	    strcmp(mode, "time") == 0) {
		view_open(&v, argv[2], argc - 3, argv + 3, 0);
		if (strcmp(mode, "functions") == 0)
			mode_functions(&v);
		else if (strcmp(mode, "locations") == 0)
			mode_locations(&v);
		else if (strcmp(mode, "total") == 0)
			mode_total(&v);
		else
			mode_time(&v);
	} else if (strcmp(mode, "flat") == 0 || strcmp(mode, "tags") == 0 ||
	    strcmp(mode, "field") == 0) {
		if (argc != 4)
			usage();
		view_open(&v, argv[2], 0, NULL, 0);
		if (strcmp(mode, "flat") == 0)
			mode_flat(&v, argv[3]);
		else if (strcmp(mode, "tags") == 0)
			mode_tags(&v, argv[3]);
		else
			mode_field(&v, argv[3]);
	} else
		usage();
	view_close(&v);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing: %s", strerror(errno));
	return (0);
}
