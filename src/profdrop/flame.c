/*
 * The frame tree of flame graphs: every stack of a profile from its root
 * (or, reversed, from its leaf), frames named as the call graph names them
 * and inlined ones innermost last, a node per distinct path. A second
 * profile can be added beside the first, for differential graphs.
 */

#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* Kernel text is in the upper half of the address space. */
#define FLAME_KERNEL_ADDRESS	(1ULL << 63)

/* A name's hash, seeded with its parent's node. */
uint64_t
flame_hash(const char *s, size_t parent)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ parent;

	/* FNV-1a. */
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (h);
}

/* a + b, held at INT64_MAX: widths must never wrap negative. */
static int64_t
flame_add_value(int64_t a, int64_t b)
{
	return (a > INT64_MAX - b ? INT64_MAX : a + b);
}

struct flame_tree *
flame_new(int reverse)
{
	struct flame_tree	*t;

	t = alloc_zero(1, sizeof *t);
	t->reverse = reverse;
	t->mask = 1023;
	t->slots = alloc_zero(t->mask + 1, sizeof *t->slots);
	t->cap = 64;
	t->nodes = alloc_zero(t->cap, sizeof *t->nodes);
	t->nodes[0].name = "all";
	t->nodes[0].parent = SIZE_MAX;
	t->nnodes = 1;
	return (t);
}

static void
flame_grow_table(struct flame_tree *t)
{
	size_t	 i, j;

	free(t->slots);
	t->mask = 2 * t->mask + 1;
	t->slots = alloc_zero(t->mask + 1, sizeof *t->slots);
	for (i = 1; i < t->nnodes; i++) {
		for (j = t->nodes[i].hash & t->mask; t->slots[j] != 0;
		    j = (j + 1) & t->mask)
			;
		t->slots[j] = i + 1;
	}
}

/* The child of parent named name, made if new. */
static size_t
flame_child(struct flame_tree *t, size_t parent, const char *name, int kind)
{
	struct flame_node	*n;
	uint64_t		 h = flame_hash(name, parent);
	size_t			 i;

	for (i = h & t->mask; t->slots[i] != 0; i = (i + 1) & t->mask) {
		n = &t->nodes[t->slots[i] - 1];
		if (n->hash == h && n->parent == parent &&
		    strcmp(n->name, name) == 0)
			return (t->slots[i] - 1);
	}
	if (t->nnodes == t->cap) {
		t->cap *= 2;
		t->nodes = alloc_resize(t->nodes, t->cap, sizeof *t->nodes);
	}
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof *n);
	n->name = name;
	n->hash = h;
	n->kind = kind;
	n->parent = parent;
	n->depth = t->nodes[parent].depth + 1;
	if (n->depth > t->maxdepth)
		t->maxdepth = n->depth;
	t->slots[i] = ++t->nnodes;
	if (t->nnodes > (t->mask + 1) / 2)
		flame_grow_table(t);
	return (t->nnodes - 1);
}

/* What a frame is, for its colour: unknown by its name, else by its place. */
static int
flame_kind(const struct pd_location *loc, const char *name)
{
	const char	*file = loc->mapping != NULL ? loc->mapping->filename : "";

	/* "[binary]" and "<unknown>" stand for frames without a function. */
	if (*name == '[' || *name == '<')
		return (FLAME_UNKNOWN);
	if (strncmp(file, "[kernel", 7) == 0 ||
	    (loc->address & FLAME_KERNEL_ADDRESS) != 0)
		return (FLAME_KERNEL);
	/* Code in memory no file backs is a JIT's: perf maps name it. */
	if (loc->mapping != NULL && (*file == '\0' ||
	    strcmp(file, "[anon]") == 0 || strncmp(file, "[anon:", 6) == 0 ||
	    strncmp(file, "//anon", 6) == 0 || strncmp(file, "/memfd:", 7) == 0))
		return (FLAME_JIT);
	return (FLAME_USER);
}

/* One frame more on the path of a sample; its node. */
static size_t
flame_step(struct flame_tree *t, const struct graph *g, size_t cur,
    size_t loc, size_t line, int which, int64_t w)
{
	const struct pd_location	*l = &g->p->locations[loc];
	const char			*name;

	name = g->nodes[g->line_nodes[g->first[loc] + line]].shown;
	cur = flame_child(t, cur, name, flame_kind(l, name));
	t->nodes[cur].total[which] = flame_add_value(t->nodes[cur].total[which],
	    w);
	return (cur);
}

void
flame_add(struct flame_tree *t, const struct graph *g, int index, int which)
{
	const struct pd_profile	*p = g->p;
	const struct pd_sample	*s;
	size_t			 i, j, k, l, start, count, cur;
	int64_t			 w;

	for (i = 0; i < p->nsamples; i++) {
		s = &p->samples[i];
		/* Widths are amounts: a negative value has none. */
		if ((w = s->values[index]) <= 0)
			continue;
		start = pd_sample_pruned_start(p, g->prune, s);
		cur = 0;
		t->nodes[0].total[which] = flame_add_value(
		    t->nodes[0].total[which], w);
		for (j = start; j < s->nlocations; j++) {
			l = s->locations[t->reverse ? j :
			    s->nlocations - 1 - (j - start)] - p->locations;
			count = g->first[l + 1] - g->first[l];
			for (k = 0; k < count; k++)
				cur = flame_step(t, g, cur, l,
				    t->reverse ? k : count - 1 - k, which, w);
		}
		t->nodes[cur].self[which] = flame_add_value(
		    t->nodes[cur].self[which], w);
	}
}

static int
flame_compare(const void *pa, const void *pb)
{
	const struct flame_node	*a = *(const struct flame_node *const *)pa;
	const struct flame_node	*b = *(const struct flame_node *const *)pb;

	if (a->parent != b->parent)
		return (a->parent < b->parent ? -1 : 1);
	return (strcmp(a->name, b->name));
}

/* Link each node's children in the order of their names. */
static void
flame_sort(struct flame_tree *t)
{
	struct flame_node	**order, *n;
	size_t			  i;

	order = alloc_zero(t->nnodes, sizeof *order);
	for (i = 1; i < t->nnodes; i++)
		order[i - 1] = &t->nodes[i];
	qsort(order, t->nnodes - 1, sizeof *order, flame_compare);
	for (i = 0; i < t->nnodes; i++)
		t->nodes[i].child = t->nodes[i].sibling = SIZE_MAX;
	for (i = t->nnodes - 1; i-- > 0;) {
		n = order[i];
		n->sibling = t->nodes[n->parent].child;
		t->nodes[n->parent].child = n - t->nodes;
	}
	free(order);
}

/*
 * Sort and place the nodes, in units of the first profile's values. With a
 * second profile scaled by base_scale, a path only it has keeps its width
 * there, and the paths around it widen to hold it.
 */
void
flame_layout(struct flame_tree *t, double base_scale)
{
	struct flame_node	*n, *parent;
	size_t			 i, c;
	double			 x;

	flame_sort(t);
	for (i = 0; i < t->nnodes; i++) {
		n = &t->nodes[i];
		n->width = n->total[0] > 0 ? (double)n->total[0] :
		    (double)n->total[1] * base_scale;
	}
	/* Children come after their parent: from the end, each is whole. */
	for (i = t->nnodes; i-- > 1;) {
		n = &t->nodes[i];
		parent = &t->nodes[n->parent];
		if (parent->total[0] > 0)
			parent->width += n->width - (double)n->total[0];
	}
	t->nodes[0].x = 0;
	for (i = 0; i < t->nnodes; i++) {
		x = t->nodes[i].x;
		for (c = t->nodes[i].child; c != SIZE_MAX;
		    c = t->nodes[c].sibling) {
			t->nodes[c].x = x;
			x += t->nodes[c].width;
		}
	}
}

void
flame_free(struct flame_tree *t)
{
	free(t->nodes);
	free(t->slots);
	free(t);
}
