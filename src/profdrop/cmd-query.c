/*
 * profdrop query: the drop directory as a profile store. The windows that
 * overlap a time range (or the intervals a Prometheus expression was true
 * in), their samples that carry the tags asked for, merged into one
 * profile or listed.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* Prometheus' step when none is given, its default scrape interval. */
#define QUERY_STEP	(INT64_C(15) * 1000000000)

static int	cmd_query_exec(int, char **);

const struct cmd_entry cmd_query_entry = {
	"query", "[-l] [-d dir] [-o output] [--since time] [--until time] "
	"[--profiles types] [--tag key=value] [--when expression "
	"--prometheus url [--step duration]]",
	"merge or list the profiles of a drop directory by time and tag",
	cmd_query_exec
};

struct query {
	struct selopt		  sel;
	const char		 *out;
	int			  list;
	const char		 *when;
	const char		 *prometheus;
	int64_t			  step;
	struct timespan		 *spans;	/* when --when was true */
	size_t			  nspans;
};

/* A profile's totals, "samples=12,cpu=120000000", allocated. */
static char *
query_totals(const struct pd_profile *p)
{
	int64_t	 total;
	char	*s, *t;
	size_t	 i, j;

	s = alloc_printf("%s", "");
	for (i = 0; i < p->nsample_types; i++) {
		total = 0;
		for (j = 0; j < p->nsamples; j++)
			total = cli_add(total, p->samples[j].values[i]);
		t = alloc_printf("%s%s%s=%" PRId64, s, i == 0 ? "" : ",",
		    p->sample_types[i].type, total);
		free(s);
		s = t;
	}
	return (s);
}

static void
query_print(const struct dropsel_file *f, const struct timespan *w,
    const struct pd_profile *p)
{
	char	 start[40], *totals;

	timearg_format(w->start, start, sizeof start);
	totals = query_totals(p);
	printf("%s %8.3fs %-6s %s %s\n", start,
	    (double)(w->end - w->start) / 1e9, f->kind, totals, f->path);
	free(totals);
}

/* Whether the file's window is in the range and, with --when, in a span. */
static int
query_wanted(const struct query *q, const struct timespan *window)
{
	struct timespan	 w;

	if (!dropsel_overlaps(window, &q->sel.range, &w))
		return (0);
	return (q->when == NULL || timearg_overlaps(&w, q->spans, q->nspans));
}

/* What was asked, for the message that nothing matches; allocated. */
static char *
query_asked(const struct query *q)
{
	char	*s, *t;
	size_t	 i;

	s = selopt_asked(&q->sel);
	if (q->when != NULL) {
		t = alloc_printf("%s when %s was true (%zu intervals)", s,
		    q->when, q->nspans);
		free(s);
		s = t;
	}
	for (i = 0; i < q->sel.ntags; i++) {
		t = alloc_printf("%s%s %s", s, i == 0 ? " with samples tagged" :
		    " and", q->sel.tags[i]);
		free(s);
		s = t;
	}
	return (s);
}

/* With -l, the intervals --when was true in, (start, end] as points say. */
static void
query_print_spans(const struct query *q)
{
	char	 a[40], b[40];
	size_t	 i;

	for (i = 0; i < q->nspans; i++) {
		timearg_format(q->spans[i].start - 1, a, sizeof a);
		timearg_format(q->spans[i].end - 1, b, sizeof b);
		printf("# when: (%s, %s]\n", a, b);
	}
}

/*
 * Ask Prometheus when --when was true, over the range asked, else from the
 * first window to the end of the last.
 */
static int
query_when(struct query *q, const struct dropsel *ds, char **cause)
{
	struct timespan		 asked = q->sel.range, last;
	struct pd_profile	*p;

	if (ds->nfiles == 0)
		return (0);
	if (!q->sel.since_given)
		asked.start = ds->files[0].named;
	if (!q->sel.until_given) {
		if (dropsel_read(&ds->files[ds->nfiles - 1], NULL, 0, &p,
		    &last, cause) != 0)
			return (-1);
		pd_profile_free(p);
		asked.end = last.end;
	}
	if (asked.start >= asked.end)
		return (0);
	return (promql_when(q->prometheus, q->when, &asked, q->step,
	    &q->spans, &q->nspans, cause));
}

/* Read, select and list or merge; the number of files selected, or -1. */
static int
query_run(struct query *q, const struct dropsel *ds, struct mergeout *mo,
    char **cause)
{
	struct pd_profile	*p;
	struct timespan		 w;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < ds->nfiles; i++) {
		if (dropsel_read(&ds->files[i], q->sel.tags, q->sel.ntags, &p,
		    &w, cause) != 0)
			return (-1);
		if (!query_wanted(q, &w) || (q->sel.ntags != 0 &&
		    p->nsamples == 0)) {
			pd_profile_free(p);
			continue;
		}
		n++;
		if (q->list)
			query_print(&ds->files[i], &w, p);
		if (q->out == NULL)
			pd_profile_free(p);
		else if (mergeout_add(mo, p, ds->files[i].path, cause) != 0)
			return (-1);
	}
	return (n);
}

static int
query_options(struct query *q, int argc, char **argv, char **cause)
{
	static const struct option longopts[] = {
		SELOPT_LONGOPTS,
		{ "list",	no_argument,		NULL, 'l' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "prometheus",	required_argument,	NULL, 'U' },
		{ "step",	required_argument,	NULL, 'T' },
		{ "when",	required_argument,	NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch, rc;

	while ((ch = getopt_long(argc, argv, "d:lo:t:", longopts,
	    NULL)) != -1) {
		if ((rc = selopt_set(&q->sel, ch, optarg, cause)) != 1) {
			if (rc != 0)
				return (-1);
			continue;
		}
		switch (ch) {
		case 'l':
			q->list = 1;
			break;
		case 'o':
			q->out = optarg;
			break;
		case 'U':
			q->prometheus = optarg;
			break;
		case 'T':
			if (timearg_duration("--step", optarg, &q->step,
			    cause) != 0)
				return (-1);
			break;
		case 'W':
			q->when = optarg;
			break;
		default:
			return (1);
		}
	}
	if (optind != argc || (q->out == NULL && !q->list))
		return (1);
	if ((q->when == NULL) != (q->prometheus == NULL)) {
		*cause = alloc_printf("--when and --prometheus go together: "
		    "the expression and the server that answers it");
		return (-1);
	}
	if (selopt_check(&q->sel, cause) != 0)
		return (-1);
	/* Profiles of different types have nothing to add up. */
	if (q->out != NULL && (q->sel.kinds & (q->sel.kinds - 1)) != 0) {
		*cause = alloc_printf("--profiles: one type to merge into "
		    "one profile; list them all with -l");
		return (-1);
	}
	return (0);
}

static int
cmd_query_exec(int argc, char **argv)
{
	struct query	 q;
	struct dropsel	 ds;
	struct mergeout	*mo = NULL;
	char		*cause = NULL, *asked;
	int		 rc, n;

	memset(&q, 0, sizeof q);
	memset(&ds, 0, sizeof ds);
	selopt_init(&q.sel, argc);
	q.step = QUERY_STEP;
	if ((rc = query_options(&q, argc, argv, &cause)) == 1) {
		selopt_free(&q.sel);
		return (cmd_usage(&cmd_query_entry));
	}
	if (rc != 0 || selopt_dir(&q.sel, &cause) != 0)
		goto fail;
	if (dropsel_scan(q.sel.dir, q.sel.kinds, q.sel.range.end, &ds,
	    &cause) != 0)
		goto fail;
	if (q.when != NULL) {
		if (query_when(&q, &ds, &cause) != 0)
			goto fail;
		if (q.list)
			query_print_spans(&q);
	}
	if (q.out != NULL)
		mo = mergeout_new();
	if ((n = query_run(&q, &ds, mo, &cause)) == -1)
		goto fail;
	if (n == 0) {
		asked = query_asked(&q);
		cause = alloc_printf("no %s in %s", asked, q.sel.dir);
		free(asked);
		goto fail;
	}
	if (mo != NULL && mergeout_write(mo, q.out, &cause) != 0)
		goto fail;
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "profdrop query: %s\n", cause);
	free(cause);
	rc = 1;
out:
	if (mo != NULL)
		mergeout_free(mo);
	dropsel_free(&ds);
	free(q.spans);
	selopt_free(&q.sel);
	return (rc);
}
