/*
 * profdrop collapse: profiles, merged, as folded stacks, "root;...;leaf
 * value" a line, the form flamegraph.pl, inferno and speedscope read.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

static int	cmd_collapse_exec(int, char **);

const struct cmd_entry cmd_collapse_entry = {
	"collapse", "[-i type] file ...",
	"print profiles, merged, as folded stacks for flame graph tools",
	cmd_collapse_exec
};

/*
 * name at the end of path, from len: ";" would split the frame and a
 * control character end the line, so they become ":" and "?".
 */
static size_t
collapse_append(char **path, size_t *cap, size_t len, const char *name)
{
	size_t	 n = strlen(name), i;

	if (len + n + 2 > *cap) {
		*cap = 2 * (len + n + 2);
		*path = alloc_resize(*path, *cap, 1);
	}
	if (len > 0)
		(*path)[len++] = ';';
	for (i = 0; i < n; i++) {
		if (name[i] == ';')
			(*path)[len++] = ':';
		else if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			(*path)[len++] = '?';
		else
			(*path)[len++] = name[i];
	}
	(*path)[len] = '\0';
	return (len);
}

/* Every path that ends samples, depth first in the order of names. */
static void
collapse_print(const struct flame_tree *t)
{
	const struct flame_node	*n;
	size_t			*ends, cur, cap = 256;
	char			*path;

	path = alloc_zero(cap, 1);
	/* Where the path ends at each depth. */
	ends = alloc_zero(t->maxdepth + 1, sizeof *ends);
	for (cur = t->nodes[0].child; cur != SIZE_MAX;) {
		n = &t->nodes[cur];
		ends[n->depth] = collapse_append(&path, &cap,
		    ends[n->depth - 1], n->name);
		if (n->self[0] > 0)
			printf("%s %" PRId64 "\n", path, n->self[0]);
		if (n->child != SIZE_MAX) {
			cur = n->child;
			continue;
		}
		while (cur != 0 && t->nodes[cur].sibling == SIZE_MAX)
			cur = t->nodes[cur].parent;
		if (cur == 0)
			break;
		cur = t->nodes[cur].sibling;
	}
	free(ends);
	free(path);
}

static int
cmd_collapse_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct pd_profile	*p;
	struct graph		*g;
	struct flame_tree	*t;
	const char		*type = NULL;
	int			 ch, index;

	while ((ch = getopt_long(argc, argv, "i:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			type = optarg;
			break;
		default:
			return (cmd_usage(&cmd_collapse_entry));
		}
	}
	if (optind == argc)
		return (cmd_usage(&cmd_collapse_entry));
	if ((index = load_graph(argv[0], argv + optind, argc - optind, type,
	    &p, &g)) == -1)
		return (1);
	t = flame_new(0);
	flame_add(t, g, index, 0);
	flame_layout(t, 1);
	collapse_print(t);
	flame_free(t);
	graph_free(g);
	pd_profile_free(p);
	return (fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
}
