/*
 * profdrop flamegraph: profiles and drop directories, merged, drawn as an
 * interactive flame graph in one self-contained SVG or HTML file; the
 * samples kept as profdrop top keeps them.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

static int	cmd_flamegraph_exec(int, char **);

const struct cmd_entry cmd_flamegraph_entry = {
	"flamegraph", "-o out.svg|out.html [-r] [-i type] [--focus regex] "
	"[--ignore regex] [-t key=value] [--profiles type] [--since time] "
	"[--until time] [-d dir] [file | dir ...]",
	"draw profiles, merged, as an interactive flame graph",
	cmd_flamegraph_exec
};

struct flamegraph {
	struct selopt	 sel;
	const char	*out;
	const char	*type;
	int		 reverse;	/* from the leaf: an icicle graph */
};

/* The options: 1 for a usage error, -1 for a wrong argument. */
static int
flamegraph_options(struct flamegraph *f, int argc, char **argv,
    char **cause)
{
	static const struct option longopts[] = {
		SELOPT_LONGOPTS,
		SELOPT_STACK_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	while ((ch = selopt_next(&f->sel, argc, argv, "d:i:o:rt:", longopts,
	    cause)) != -1) {
		switch (ch) {
		case SELOPT_WRONG:
			return (-1);
		case 'i':
			f->type = optarg;
			break;
		case 'o':
			f->out = optarg;
			break;
		case 'r':
			f->reverse = 1;
			break;
		default:
			return (1);
		}
	}
	if (f->out == NULL)
		return (1);
	return (selopt_check(&f->sel, cause));
}

/* The flame graph of what g holds, saved to out. */
static int
flamegraph_draw(const char *cmd, const struct flamegraph *f,
    const struct gathered *g, int merged)
{
	const struct pd_profile	*p = g->shown;
	struct graph		*graph;
	struct flame_tree	*t;
	struct flame_svg	 o;
	char			 total[64];
	int			 rc = -1;

	graph = graph_new(p);
	t = flame_new(f->reverse);
	flame_add(t, graph, g->index, 0);
	if (t->nodes[0].total[0] == 0) {
		fprintf(stderr, "%s: %s: no sample has a %s value above 0: "
		    "nothing to draw\n", cmd, g->what,
		    p->sample_types[g->index].type);
		goto out;
	}
	flame_layout(t, 1);
	units_label(t->nodes[0].total[0], p->sample_types[g->index].unit,
	    "auto", total, sizeof total);
	o.title = f->reverse ? "Icicle graph, by leaf" : "Flame graph";
	o.subtitle = alloc_printf("%s: %s in all, %s%s",
	    p->sample_types[g->index].type, total, g->what,
	    merged ? " and more, merged" : "");
	o.unit = p->sample_types[g->index].unit;
	o.diff = 0;
	o.base_scale = 1;
	if (flamesvg_save(cmd, f->out, t, &o) == 0)
		rc = 0;
	free((char *)o.subtitle);
out:
	flame_free(t);
	graph_free(graph);
	return (rc);
}

static int
cmd_flamegraph_exec(int argc, char **argv)
{
	struct flamegraph	 f;
	struct gathered		 g;
	char			*cause = NULL;
	int			 rc;

	memset(&f, 0, sizeof f);
	selopt_init(&f.sel, argc);
	if ((rc = flamegraph_options(&f, argc, argv, &cause)) == 1) {
		rc = cmd_usage(&cmd_flamegraph_entry);
		goto out;
	}
	if (rc != 0)
		goto fail;
	if (flamesvg_check_path(argv[0], f.out) != 0) {
		rc = 2;
		goto out;
	}
	if (gather_select(&f.sel, argv + optind, argc - optind, f.type, &g,
	    &cause) != 0)
		goto fail;
	rc = flamegraph_draw(argv[0], &f, &g, argc - optind > 1) == 0 ? 0 : 1;
	gather_free(&g);
	goto out;

fail:
	fprintf(stderr, "%s: %s\n", argv[0], cause);
	free(cause);
	rc = 1;
out:
	selopt_free(&f.sel);
	return (rc);
}
