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

/*
 * A window starts on its boundary and lasts what the daemon's monotonic
 * clock measured: its end may pass the next one's start by milliseconds.
 * Overlaps no longer than this at either end do not count.
 */
#define QUERY_SLACK	(INT64_C(50) * 1000000)

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
	const char		 *dir;
	const char		 *out;
	int			  list;
	unsigned int		  kinds;
	const char		**tags;
	size_t			  ntags;
	struct timespan		  range;	/* --since, --until */
	int			  since_given;
	int			  until_given;
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
	struct timespan	 w = *window;
	int64_t		 slack;

	slack = (w.end - w.start) / 4 < QUERY_SLACK ? (w.end - w.start) / 4 :
	    QUERY_SLACK;
	w.start += slack;
	w.end -= slack;
	if (w.start >= q->range.end || w.end <= q->range.start)
		return (0);
	return (q->when == NULL || timearg_overlaps(&w, q->spans, q->nspans));
}

/* What was asked, for the message that nothing matches; allocated. */
static char *
query_asked(const struct query *q)
{
	char	 a[40], b[40], *s, *t;
	size_t	 i;
	int	 k;

	s = alloc_printf("%s", "");
	for (k = 0; k < PD_NKINDS; k++) {
		if ((q->kinds & (1U << k)) == 0)
			continue;
		t = alloc_printf("%s%s%s", s, *s == '\0' ? "" : " or ",
		    pd_kind_name(k));
		free(s);
		s = t;
	}
	timearg_format(q->range.start, a, sizeof a);
	timearg_format(q->range.end, b, sizeof b);
	t = alloc_printf("%s profile%s%s%s%s", s,
	    q->since_given ? " since " : "", q->since_given ? a : "",
	    q->until_given ? " until " : "", q->until_given ? b : "");
	free(s);
	s = t;
	if (q->when != NULL) {
		t = alloc_printf("%s when %s was true (%zu intervals)", s,
		    q->when, q->nspans);
		free(s);
		s = t;
	}
	for (i = 0; i < q->ntags; i++) {
		t = alloc_printf("%s%s %s", s, i == 0 ? " with samples tagged" :
		    " and", q->tags[i]);
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
	struct timespan		 asked = q->range, last;
	struct pd_profile	*p;

	if (ds->nfiles == 0)
		return (0);
	if (!q->since_given)
		asked.start = ds->files[0].named;
	if (!q->until_given) {
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
		if (dropsel_read(&ds->files[i], q->tags, q->ntags, &p, &w,
		    cause) != 0)
			return (-1);
		if (!query_wanted(q, &w) || (q->ntags != 0 &&
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
		{ "dir",	required_argument,	NULL, 'd' },
		{ "list",	no_argument,		NULL, 'l' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "profiles",	required_argument,	NULL, 'P' },
		{ "prometheus",	required_argument,	NULL, 'U' },
		{ "since",	required_argument,	NULL, 'S' },
		{ "step",	required_argument,	NULL, 'T' },
		{ "tag",	required_argument,	NULL, 't' },
		{ "until",	required_argument,	NULL, 'E' },
		{ "when",	required_argument,	NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t	 now = timearg_now();
	int	 ch;

	while ((ch = getopt_long(argc, argv, "d:lo:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			q->dir = optarg;
			break;
		case 'l':
			q->list = 1;
			break;
		case 'o':
			q->out = optarg;
			break;
		case 'P':
			if (dropsel_kinds(optarg, &q->kinds, cause) != 0)
				return (-1);
			break;
		case 'U':
			q->prometheus = optarg;
			break;
		case 'S':
			if (timearg_parse("--since", optarg, now,
			    &q->range.start, cause) != 0)
				return (-1);
			q->since_given = 1;
			break;
		case 'T':
			if (timearg_duration("--step", optarg, &q->step,
			    cause) != 0)
				return (-1);
			break;
		case 't':
			if (strchr(optarg, '=') == NULL || *optarg == '=') {
				*cause = alloc_printf("--tag %s: give "
				    "KEY=VALUE", optarg);
				return (-1);
			}
			q->tags[q->ntags++] = optarg;
			break;
		case 'E':
			if (timearg_parse("--until", optarg, now,
			    &q->range.end, cause) != 0)
				return (-1);
			q->until_given = 1;
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
	if (q->range.start >= q->range.end) {
		*cause = alloc_printf("--since is not before --until");
		return (-1);
	}
	/* Profiles of different types have nothing to add up. */
	if (q->out != NULL && (q->kinds & (q->kinds - 1)) != 0) {
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
	char		*cause = NULL, *dir = NULL, *asked;
	int		 rc, n;

	memset(&q, 0, sizeof q);
	memset(&ds, 0, sizeof ds);
	q.kinds = 1U << PD_KIND_CPU;
	q.range.end = INT64_MAX;
	q.step = QUERY_STEP;
	q.tags = alloc_zero(argc, sizeof *q.tags);
	if ((rc = query_options(&q, argc, argv, &cause)) == 1) {
		free(q.tags);
		return (cmd_usage(&cmd_query_entry));
	}
	if (rc != 0)
		goto fail;
	if (q.dir == NULL) {
		if ((dir = cliconf_drop_dir(&cause)) == NULL)
			goto fail;
		q.dir = dir;
	}
	if (dropsel_scan(q.dir, q.kinds, q.range.end, &ds, &cause) != 0)
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
		cause = alloc_printf("no %s in %s", asked, q.dir);
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
	free(q.tags);
	free(dir);
	return (rc);
}
