/*
 * profdrop diff: how NEW differs from BASE, as a differential flame graph
 * (frames as wide as in NEW, red where NEW spends more, blue where less,
 * what only BASE has still drawn) and, on stdout, a table of the functions
 * that changed most. Both are normalised by the totals unless told not.
 */

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

#define DIFF_ROWS	20

static int	cmd_diff_exec(int, char **);

const struct cmd_entry cmd_diff_entry = {
	"diff", "-o out.svg|out.html [-r] [-N] [-n count] [-i type] base new",
	"draw how profile new differs from base, and list the largest changes",
	cmd_diff_exec
};

/* A function's values in BASE [0] and NEW [1]. */
struct diff_row {
	const char	*name;
	double		 flat[2];
	double		 cum[2];
};

static int
diff_compare_name(const void *pa, const void *pb)
{
	const struct diff_row	*a = pa, *b = pb;

	return (strcmp(a->name, b->name));
}

static int
diff_compare_change(const void *pa, const void *pb)
{
	const struct diff_row	*a = pa, *b = pb;
	double			 x, y;

	x = fabs(a->flat[1] - a->flat[0]);
	y = fabs(b->flat[1] - b->flat[0]);
	if (x != y)
		return (x > y ? -1 : 1);
	x = fabs(a->cum[1] - a->cum[0]);
	y = fabs(b->cum[1] - b->cum[0]);
	if (x != y)
		return (x > y ? -1 : 1);
	return (strcmp(a->name, b->name));
}

/* The functions of both graphs, one row per name, values times scale. */
static struct diff_row *
diff_rows(struct graph *const *g, const double *scale, size_t *nrows)
{
	struct diff_row	*rows, *r;
	size_t		 i, j, n = 0;

	rows = alloc_zero(g[0]->nnodes + g[1]->nnodes, sizeof *rows);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < g[i]->nnodes; j++) {
			r = &rows[n++];
			r->name = g[i]->nodes[j].shown;
			r->flat[i] = (double)g[i]->nodes[j].flat * scale[i];
			r->cum[i] = (double)g[i]->nodes[j].cum * scale[i];
		}
	}
	qsort(rows, n, sizeof *rows, diff_compare_name);
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(rows[j - 1].name, rows[i].name) == 0) {
			r = &rows[j - 1];
			r->flat[0] += rows[i].flat[0];
			r->flat[1] += rows[i].flat[1];
			r->cum[0] += rows[i].cum[0];
			r->cum[1] += rows[i].cum[1];
		} else
			rows[j++] = rows[i];
	}
	qsort(rows, j, sizeof *rows, diff_compare_change);
	*nrows = j;
	return (rows);
}

static void
diff_cell(double v, const char *unit, int normalise, int sign, char *buf,
    size_t len)
{
	if (normalise)
		snprintf(buf, len, sign ? "%+.2f%%" : "%.2f%%", v);
	else {
		units_label((int64_t)llround(v), unit, "auto", buf, len);
		if (sign && v > 0 && len > 1) {
			memmove(buf + 1, buf, len - 1);
			buf[0] = '+';
			buf[len - 1] = '\0';
		}
	}
}

/* The rows that changed, largest first; in % of each total if normalised. */
static void
diff_table(struct graph *const *g, int index, const int64_t *total,
    int normalise, long long count)
{
	const char	*unit = g[1]->p->sample_types[index].unit;
	struct diff_row	*rows, *r;
	double		 scale[2];
	char		 c[6][32];
	size_t		 i, n;
	int		 k;

	for (k = 0; k < 2; k++)
		scale[k] = !normalise ? 1 : total[k] > 0 ?
		    100.0 / (double)total[k] : 0;
	for (k = 0; k < 2; k++)
		graph_fill(g[k], index, 0);
	rows = diff_rows(g, scale, &n);
	printf("%12s %12s %12s %12s %12s %12s  %s\n", "flat base", "flat new",
	    "flat change", "cum base", "cum new", "cum change", "function");
	for (i = 0; i < n && (count == 0 || i < (size_t)count); i++) {
		r = &rows[i];
		if (r->flat[0] == r->flat[1] && r->cum[0] == r->cum[1])
			break;
		diff_cell(r->flat[0], unit, normalise, 0, c[0], sizeof c[0]);
		diff_cell(r->flat[1], unit, normalise, 0, c[1], sizeof c[1]);
		diff_cell(r->flat[1] - r->flat[0], unit, normalise, 1, c[2],
		    sizeof c[2]);
		diff_cell(r->cum[0], unit, normalise, 0, c[3], sizeof c[3]);
		diff_cell(r->cum[1], unit, normalise, 0, c[4], sizeof c[4]);
		diff_cell(r->cum[1] - r->cum[0], unit, normalise, 1, c[5],
		    sizeof c[5]);
		printf("%12s %12s %12s %12s %12s %12s  %s\n", c[0], c[1], c[2],
		    c[3], c[4], c[5], r->name);
	}
	if (i == 0)
		printf("no change\n");
	free(rows);
}

static int
cmd_diff_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-normalize", no_argument, NULL, 'N' },
		{ "output", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct pd_profile	*p[2] = { NULL, NULL };
	struct graph		*g[2] = { NULL, NULL };
	struct flame_tree	*t = NULL;
	struct flame_svg	 o;
	const char		*out = NULL, *type = NULL;
	char			*end;
	long long		 count = DIFF_ROWS;
	int64_t			 total[2];
	int			 ch, k, index[2], reverse = 0, normalise = 1;
	int			 rc = 1;

	while ((ch = getopt_long(argc, argv, "i:n:No:r", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
			type = optarg;
			break;
		case 'n':
			count = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 0) {
				fprintf(stderr, "%s: -n %s: not a count of "
				    "rows\n", argv[0], optarg);
				return (2);
			}
			break;
		case 'N':
			normalise = 0;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			reverse = 1;
			break;
		default:
			return (cmd_usage(&cmd_diff_entry));
		}
	}
	if (out == NULL || argc - optind != 2)
		return (cmd_usage(&cmd_diff_entry));
	if (flamesvg_check_path(argv[0], out) != 0)
		return (2);
	/* NEW first: BASE is read for the type NEW shows. */
	if ((index[1] = load_graph(argv[0], argv + optind + 1, 1, type,
	    &p[1], &g[1])) == -1 ||
	    (index[0] = load_graph(argv[0], argv + optind, 1,
	    p[1]->sample_types[index[1]].type, &p[0], &g[0])) == -1)
		goto out;
	if (strcmp(p[0]->sample_types[index[0]].unit,
	    p[1]->sample_types[index[1]].unit) != 0) {
		fprintf(stderr, "%s: %s counts %s in %s, %s in %s: give "
		    "profiles of one kind\n", argv[0], argv[optind],
		    p[0]->sample_types[index[0]].type,
		    p[0]->sample_types[index[0]].unit, argv[optind + 1],
		    p[1]->sample_types[index[1]].unit);
		goto out;
	}

	t = flame_new(reverse);
	for (k = 0; k < 2; k++) {
		flame_add(t, g[k], index[k], k == 0 ? 1 : 0);
		total[k] = t->nodes[0].total[k == 0 ? 1 : 0];
	}
	o.base_scale = normalise && total[0] > 0 ?
	    (double)total[1] / (double)total[0] : 1;
	flame_layout(t, o.base_scale);
	o.title = "Differential flame graph";
	o.subtitle = alloc_printf("%s, %s: %s (base) to %s (new)",
	    p[1]->sample_types[index[1]].type, normalise ?
	    "normalised by total" : "as measured", argv[optind],
	    argv[optind + 1]);
	o.unit = p[1]->sample_types[index[1]].unit;
	o.diff = 1;
	if (flamesvg_save(argv[0], out, t, &o) == 0) {
		diff_table(g, index[1], total, normalise, count);
		rc = 0;
	}
	free((char *)o.subtitle);
out:
	if (t != NULL)
		flame_free(t);
	for (k = 0; k < 2; k++) {
		if (g[k] != NULL)
			graph_free(g[k]);
		if (p[k] != NULL)
			pd_profile_free(p[k]);
	}
	return (rc);
}
