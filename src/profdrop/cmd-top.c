/*
 * profdrop top: the functions that take the most, the table go tool
 * pprof -top prints, for one sample type of profiles
 * and drop directories merged, with pprof's -cum, -focus, -ignore and a
 * tag filter.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* pprof's -edgefraction: a lighter edge says nothing of inlining. */
#define TOP_EDGE_FRACTION	0.001
/* pprof's -nodefraction by default: lighter nodes are dropped first. */
#define TOP_NODE_FRACTION	0.005

#define TOP_CUM		0x200
#define TOP_NODE_FRACTION_OPT	0x201

static int	cmd_top_exec(int, char **);

const struct cmd_entry cmd_top_entry = {
	"top", "[-n count] [-i type] [--cum] [--node-fraction fraction] "
	"[--focus regex] "
	"[--ignore regex] [-t key=value] [--profiles type] [--since time] "
	"[--until time] [-d dir] [file | dir ...]",
	"show the functions that take the most, as go tool pprof -top",
	cmd_top_exec
};

struct top {
	struct selopt	 sel;
	const char	*type;
	long long	 count;
	int		 cum;		/* sort by cum, as pprof's -cum */
	double		 node_fraction;	/* pprof's -nodefraction */
};

/* pprof's last resort: the nodes' fields printed, compared as text. */
static int
top_compare_info(const struct graph_node *a, const struct graph_node *b)
{
	char	*x, *y;
	int	 c;

	x = alloc_printf("{%s  0  %" PRId64 " 0 %s}", a->name, a->start_line,
	    a->objfile);
	y = alloc_printf("{%s  0  %" PRId64 " 0 %s}", b->name, b->start_line,
	    b->objfile);
	c = strcmp(x, y);
	free(x);
	free(y);
	return (c);
}

/* a before b if it weighs more: pprof compares absolute values. */
static int
top_compare_weight(int64_t a, int64_t b)
{
	if (cli_abs(a) == cli_abs(b))
		return (0);
	return (cli_abs(a) > cli_abs(b) ? -1 : 1);
}

/* pprof's order for -top: flat, name, cum; with -cum, cum, name, flat. */
static int
top_compare_nodes(const struct graph_node *a, const struct graph_node *b,
    int cum)
{
	int	 c;

	if ((c = top_compare_weight(cum ? a->cum : a->flat,
	    cum ? b->cum : b->flat)) != 0 ||
	    (c = strcmp(a->shown, b->shown)) != 0 ||
	    (c = top_compare_weight(cum ? a->flat : a->cum,
	    cum ? b->flat : b->cum)) != 0)
		return (c);
	return (top_compare_info(a, b));
}

static int
top_compare_flat(const void *a, const void *b)
{
	return (top_compare_nodes(*(const struct graph_node *const *)a,
	    *(const struct graph_node *const *)b, 0));
}

static int
top_compare_cum(const void *a, const void *b)
{
	return (top_compare_nodes(*(const struct graph_node *const *)a,
	    *(const struct graph_node *const *)b, 1));
}

/* The nodes with a value, kept ones only if only_kept, in pprof's order. */
static size_t
top_order(struct graph *g, struct graph_node **order, int only_kept,
    int cum)
{
	size_t	 i, n = 0;

	for (i = 0; i < g->nnodes; i++) {
		if (only_kept && !g->nodes[i].kept)
			continue;
		if (g->nodes[i].flat != 0 || g->nodes[i].cum != 0)
			order[n++] = &g->nodes[i];
	}
	qsort(order, n, sizeof *order, cum ? top_compare_cum :
	    top_compare_flat);
	return (n);
}

/* The table, in percent of total: what the profile held before filters. */
static void
top_print(const struct pd_profile *p, int index, int64_t total,
    struct graph_node **order, size_t n, size_t all, size_t dropped,
    int64_t cutoff)
{
	const char	*unit = p->sample_types[index].unit, *out;
	char		 a[64], b[64], c[64], d[64], e[64];
	int64_t		 min = 0, max = 0, sum = 0, v;
	size_t		 i;

	for (i = 0; i < n; i++) {
		sum = cli_add(sum, order[i]->flat);
		if ((v = cli_abs(order[i]->flat)) == 0)
			v = cli_abs(order[i]->cum);
		if (v > 0 && (min == 0 || v < min))
			min = v;
		if (cli_abs(order[i]->cum) > max)
			max = cli_abs(order[i]->cum);
	}
	/* Without a row, pprof leaves each value its own unit. */
	out = n != 0 ? units_choose(min, max, unit) : "minimum";

	units_label(sum, unit, out, a, sizeof a);
	units_percentage(sum, total, b, sizeof b);
	units_label(total, unit, out, c, sizeof c);
	printf("Showing nodes accounting for %s, %s of %s total\n", a,
	    b + strspn(b, " "), c);
	if (total != 0 && dropped > 0) {
		units_label(cutoff, unit, out, a, sizeof a);
		printf("Dropped %zu node%s (cum <= %s)\n", dropped,
		    dropped == 1 ? "" : "s", a);
	}
	if (total != 0 && n > 0 && n < all)
		printf("Showing top %zu nodes out of %zu\n", n, all);
	printf("%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum",
	    "cum");
	sum = 0;
	for (i = 0; i < n; i++) {
		sum = cli_add(sum, order[i]->flat);
		units_label(order[i]->flat, unit, out, a, sizeof a);
		units_percentage(order[i]->flat, total, b, sizeof b);
		units_percentage(sum, total, c, sizeof c);
		units_label(order[i]->cum, unit, out, d, sizeof d);
		units_percentage(order[i]->cum, total, e, sizeof e);
		printf("%10s %s %s %10s %s  %s%s\n", a, b, c, d, e,
		    order[i]->shown, !order[i]->inline_in ? "" :
		    order[i]->plain_in ? " (partial-inline)" : " (inline)");
	}
}

/*
 * The options: 1 for a usage error, 2 and -1 for a wrong argument, as the
 * exit status says: a misused command, or an error.
 */
static int
top_options(struct top *t, int argc, char **argv, char **cause)
{
	static const struct option longopts[] = {
		SELOPT_LONGOPTS,
		SELOPT_STACK_LONGOPTS,
		{ "cum",	no_argument,		NULL, TOP_CUM },
		{ "node-fraction", required_argument,	NULL,
		    TOP_NODE_FRACTION_OPT },
		{ "sample-index", required_argument,	NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	int	 ch;

	while ((ch = selopt_next(&t->sel, argc, argv, "d:i:n:t:", longopts,
	    cause)) != -1) {
		switch (ch) {
		case SELOPT_WRONG:
			return (-1);
		case 'i':
			t->type = optarg;
			break;
		case 'n':
			t->count = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || t->count < 0) {
				*cause = alloc_printf("-n %s: not a count of "
				    "rows", optarg);
				return (2);
			}
			break;
		case TOP_CUM:
			t->cum = 1;
			break;
		case TOP_NODE_FRACTION_OPT:
			t->node_fraction = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(t->node_fraction >= 0 && t->node_fraction <= 1)) {
				*cause = alloc_printf("--node-fraction %s: give "
				    "a fraction from 0 to 1", optarg);
				return (2);
			}
			break;
		default:
			return (1);
		}
	}
	return (selopt_check(&t->sel, cause));
}

/* The table of the profile of sample type index; total before filters. */
static void
top_show(struct top *t, const struct pd_profile *p, int index,
    int64_t total)
{
	struct graph		 *g;
	struct graph_node	**order;
	size_t			  n, all, i, dropped = 0;
	int64_t			  flat = 0, cutoff;

	g = graph_new(p);
	graph_fill(g, index, 0);
	order = alloc_zero(g->nnodes + 1, sizeof *order);
	all = n = top_order(g, order, 0, t->cum);
	for (i = 0; i < n; i++)
		flat = cli_add(flat, order[i]->flat);
	/* Nodes under the fraction of the flat sum go, and the graph is
	 * weighed again without them. */
	cutoff = cli_abs((int64_t)((double)flat * t->node_fraction));
	for (i = 0; cutoff > 0 && i < n; i++) {
		if ((order[i]->kept = cli_abs(order[i]->cum) >= cutoff) == 0)
			dropped++;
	}
	if (dropped > 0) {
		graph_fill(g, index, 1);
		all = n = top_order(g, order, 1, t->cum);
	}
	/* Past -n rows, pprof weighs the graph again with the rest left out. */
	if (t->count > 0 && n > (size_t)t->count) {
		for (i = 0; i < g->nnodes; i++)
			g->nodes[i].kept = 0;
		for (i = 0; i < (size_t)t->count; i++)
			order[i]->kept = 1;
		graph_fill(g, index, 1);
		n = top_order(g, order, 1, t->cum);
	}
	graph_mark_inline(g, cli_abs((int64_t)((double)flat *
	    TOP_EDGE_FRACTION)));
	top_print(p, index, total, order, n, all, dropped,
	    cli_abs((int64_t)((double)total * t->node_fraction)));
	free(order);
	graph_free(g);
}

static int
cmd_top_exec(int argc, char **argv)
{
	struct top		 t;
	struct gathered		 g;
	char			*cause = NULL;
	int64_t			 total = 0;
	size_t			 i;
	int			 rc;

	memset(&t, 0, sizeof t);
	t.node_fraction = TOP_NODE_FRACTION;
	selopt_init(&t.sel, argc);
	if ((rc = top_options(&t, argc, argv, &cause)) == 1) {
		rc = cmd_usage(&cmd_top_entry);
		goto out;
	}
	if (rc == 2) {
		fprintf(stderr, "%s: %s\n", argv[0], cause);
		free(cause);
		goto out;
	}
	if (rc != 0 || gather_select(&t.sel, argv + optind, argc - optind,
	    t.type, &g, &cause) != 0)
		goto fail;
	/* pprof's percentages are of every sample, whatever it shows. */
	for (i = 0; i < g.all->nsamples; i++)
		total = cli_add(total,
		    cli_abs(g.all->samples[i].values[g.index]));
	top_show(&t, g.shown, g.index, total);
	gather_free(&g);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	goto out;

fail:
	fprintf(stderr, "%s: %s\n", argv[0], cause);
	free(cause);
	rc = 1;
out:
	selopt_free(&t.sel);
	return (rc);
}
