/*
 * profdrop top: the functions that take the most, the table go tool
 * pprof -top prints with -nodefraction=0, for one sample type.
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

static int	cmd_top_exec(int, char **);

const struct cmd_entry cmd_top_entry = {
	"top", "[-n count] [-i type] file",
	"show the functions that take the most, as go tool pprof -top",
	cmd_top_exec
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

/* pprof's order for -top: flat, name, cum. */
static int
top_compare(const void *pa, const void *pb)
{
	const struct graph_node	*a = *(const struct graph_node *const *)pa;
	const struct graph_node	*b = *(const struct graph_node *const *)pb;
	int			 c;

	if (cli_abs(a->flat) != cli_abs(b->flat))
		return (cli_abs(a->flat) > cli_abs(b->flat) ? -1 : 1);
	if ((c = strcmp(a->shown, b->shown)) != 0)
		return (c);
	if (cli_abs(a->cum) != cli_abs(b->cum))
		return (cli_abs(a->cum) > cli_abs(b->cum) ? -1 : 1);
	return (top_compare_info(a, b));
}

/* The nodes with a value, kept ones only if only_kept, in pprof's order. */
static size_t
top_order(struct graph *g, struct graph_node **order, int only_kept)
{
	size_t	 i, n = 0;

	for (i = 0; i < g->nnodes; i++) {
		if (only_kept && !g->nodes[i].kept)
			continue;
		if (g->nodes[i].flat != 0 || g->nodes[i].cum != 0)
			order[n++] = &g->nodes[i];
	}
	qsort(order, n, sizeof *order, top_compare);
	return (n);
}

static void
top_print(const struct pd_profile *p, int index, struct graph_node **order,
    size_t n, size_t all)
{
	const char	*unit = p->sample_types[index].unit, *out;
	char		 a[64], b[64], c[64], d[64], e[64];
	int64_t		 total = 0, min = 0, sum = 0, v;
	size_t		 i;

	for (i = 0; i < p->nsamples; i++)
		total = cli_add(total, cli_abs(p->samples[i].values[index]));
	for (i = 0; i < n; i++) {
		sum = cli_add(sum, order[i]->flat);
		if ((v = cli_abs(order[i]->flat)) == 0)
			v = cli_abs(order[i]->cum);
		if (v > 0 && (min == 0 || v < min))
			min = v;
	}
	/* Without a row, pprof leaves each value its own unit. */
	out = n != 0 ? units_choose(min, total, unit) : "minimum";

	units_label(sum, unit, out, a, sizeof a);
	units_percentage(sum, total, b, sizeof b);
	units_label(total, unit, out, c, sizeof c);
	printf("Showing nodes accounting for %s, %s of %s total\n", a,
	    b + strspn(b, " "), c);
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

/* The sample types of p, "samples, cpu", allocated. */
static char *
top_types(const struct pd_profile *p)
{
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < p->nsample_types; i++) {
		t = alloc_printf("%s%s%s", s != NULL ? s : "",
		    i == 0 ? "" : ", ", p->sample_types[i].type);
		free(s);
		s = t;
	}
	return (s);
}

static int
cmd_top_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct pd_profile	 *p;
	struct graph		 *g;
	struct graph_node	**order;
	const char		 *type = NULL;
	char			 *cause, *end, *types;
	long long		  count = 0;
	size_t			  n, all, i;
	int64_t			  flat = 0;
	int			  ch, index;

	while ((ch = getopt_long(argc, argv, "i:n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			type = optarg;
			break;
		case 'n':
			count = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 0) {
				fprintf(stderr, "profdrop top: -n %s: not a "
				    "count of rows\n", optarg);
				return (2);
			}
			break;
		default:
			return (cmd_usage(&cmd_top_entry));
		}
	}
	if (argc - optind != 1)
		return (cmd_usage(&cmd_top_entry));

	if (pd_profile_read_file(argv[optind], 0, &p, &cause) != 0) {
		fprintf(stderr, "profdrop top: %s\n", cause);
		free(cause);
		return (1);
	}
	if ((index = pd_profile_sample_index(p, type)) == -1) {
		types = top_types(p);
		fprintf(stderr, "profdrop top: %s: no sample type \"%s\"; it "
		    "has %s\n", argv[optind], type, types);
		free(types);
		pd_profile_free(p);
		return (1);
	}

	g = graph_new(p);
	graph_fill(g, index, 0);
	order = alloc_zero(g->nnodes, sizeof *order);
	all = n = top_order(g, order, 0);
	for (i = 0; i < n; i++)
		flat = cli_add(flat, order[i]->flat);
	/* Past -n rows, pprof weighs the graph again with the rest left out. */
	if (count > 0 && n > (size_t)count) {
		for (i = 0; i < (size_t)count; i++)
			order[i]->kept = 1;
		graph_fill(g, index, 1);
		n = top_order(g, order, 1);
	}
	graph_mark_inline(g, cli_abs((int64_t)((double)flat *
	    TOP_EDGE_FRACTION)));
	top_print(p, index, order, n, all);

	free(order);
	graph_free(g);
	pd_profile_free(p);
	return (0);
}
