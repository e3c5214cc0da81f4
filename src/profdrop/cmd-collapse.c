/*
 * profdrop collapse: profiles and drop directories, merged, as folded
 * stacks, "root;...;leaf value" a line, the form flamegraph.pl, inferno and
 * speedscope read; the samples kept as profdrop top keeps them.
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
	"collapse", "[-i type] [--focus regex] [--ignore regex] "
	"[-t key=value] [--profiles type] [--since time] [--until time] "
	"[-d dir] [file | dir ...]",
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
		SELOPT_LONGOPTS,
		SELOPT_STACK_LONGOPTS,
		{ "sample-index", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct selopt		 sel;
	struct gathered		 g;
	struct graph		*graph;
	struct flame_tree	*t;
	const char		*type = NULL;
	char			*cause = NULL;
	int			 ch, rc = 1;

	selopt_init(&sel, argc);
	while ((ch = selopt_next(&sel, argc, argv, "d:i:t:", longopts,
	    &cause)) != -1) {
		switch (ch) {
		case SELOPT_WRONG:
			goto fail;
		case 'i':
			type = optarg;
			break;
		default:
			rc = cmd_usage(&cmd_collapse_entry);
			goto out;
		}
	}
	if (selopt_check(&sel, &cause) != 0 || gather_select(&sel,
	    argv + optind, argc - optind, type, &g, &cause) != 0)
		goto fail;
	graph = graph_new(g.shown);
	t = flame_new(0);
	flame_add(t, graph, g.index, 0);
	flame_layout(t, 1);
	collapse_print(t);
	flame_free(t);
	graph_free(graph);
	gather_free(&g);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	goto out;

fail:
	fprintf(stderr, "%s: %s\n", argv[0], cause);
	free(cause);
out:
	selopt_free(&sel);
	return (rc);
}
