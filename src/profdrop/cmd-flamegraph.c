/*
 * profdrop flamegraph: profiles, merged, drawn as an interactive flame
 * graph in one self-contained SVG or HTML file.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "profdrop.h"
#include "cli.h"

static int	cmd_flamegraph_exec(int, char **);

const struct cmd_entry cmd_flamegraph_entry = {
	"flamegraph", "-o out.svg|out.html [-r] [-i type] file ...",
	"draw profiles, merged, as an interactive flame graph",
	cmd_flamegraph_exec
};

static int
cmd_flamegraph_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct pd_profile	*p;
	struct graph		*g;
	struct flame_tree	*t;
	struct flame_svg	 o;
	const char		*out = NULL, *type = NULL;
	char			 total[64];
	int			 ch, index, reverse = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "i:o:r", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			type = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			reverse = 1;
			break;
		default:
			return (cmd_usage(&cmd_flamegraph_entry));
		}
	}
	if (out == NULL || optind == argc)
		return (cmd_usage(&cmd_flamegraph_entry));
	if (flamesvg_check_path(argv[0], out) != 0)
		return (2);
	if ((index = load_graph(argv[0], argv + optind, argc - optind, type,
	    &p, &g)) == -1)
		return (1);

	t = flame_new(reverse);
	flame_add(t, g, index, 0);
	if (t->nodes[0].total[0] == 0) {
		fprintf(stderr, "%s: %s: no sample has a %s value above 0: "
		    "nothing to draw\n", argv[0], argv[optind],
		    p->sample_types[index].type);
		goto out;
	}
	flame_layout(t, 1);
	units_label(t->nodes[0].total[0], p->sample_types[index].unit, "auto",
	    total, sizeof total);
	o.title = reverse ? "Icicle graph, by leaf" : "Flame graph";
	o.subtitle = alloc_printf("%s: %s in all, %s%s",
	    p->sample_types[index].type, total, argv[optind],
	    argc - optind > 1 ? " and more, merged" : "");
	o.unit = p->sample_types[index].unit;
	o.diff = 0;
	o.base_scale = 1;
	if (flamesvg_save(argv[0], out, t, &o) == 0)
		rc = 0;
	free((char *)o.subtitle);
out:
	flame_free(t);
	graph_free(g);
	pd_profile_free(p);
	return (rc);
}
