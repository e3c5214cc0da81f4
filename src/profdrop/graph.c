/*
 * A profile's call graph as go tool pprof builds it at its default
 * granularity, functions: a node per function name (a frame without one
 * is its binary's), inlined frames nodes of their own, and an edge from
 * each caller to its callee. Frames the profile's drop_frames names are
 * pruned first, as pprof does when it reads a profile.
 */

#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

static uint64_t
graph_hash(const void *p, size_t len, uint64_t h)
{
	const unsigned char	*s = p;

	/* FNV-1a. */
	while (len-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return (h);
}

static int
graph_same_node(const struct graph *g, size_t i, const void *key)
{
	const struct graph_node	*a = &g->nodes[i], *b = key;

	return (strcmp(a->name, b->name) == 0 &&
	    strcmp(a->objfile, b->objfile) == 0 &&
	    a->start_line == b->start_line);
}

static int
graph_same_edge(const struct graph *g, size_t i, const void *key)
{
	const struct graph_edge	*a = &g->edges[i], *b = key;

	return (a->src == b->src && a->dst == b->dst);
}

/* The slot of the element same() says is key, else an empty one. */
static size_t *
graph_slot(const struct graph *g, struct graph_table *t, uint64_t h,
    int (*same)(const struct graph *, size_t, const void *), const void *key)
{
	size_t	 i;

	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		if (t->slots[i] == 0 ||
		    (t->hashes[i] == h && same(g, t->slots[i] - 1, key)))
			return (&t->slots[i]);
	}
}

/*
 * Index idx under hash h, into an empty slot; the table doubles when half
 * full, and slots move.
 */
static void
graph_insert(struct graph_table *t, size_t *slot, uint64_t h, size_t idx)
{
	size_t	*slots = t->slots, n = t->mask + 1, i, j;
	uint64_t *hashes = t->hashes;

	*slot = idx + 1;
	t->hashes[slot - t->slots] = h;
	if (++t->count <= n / 2)
		return;
	t->mask = 2 * n - 1;
	t->slots = alloc_zero(2 * n, sizeof *t->slots);
	t->hashes = alloc_zero(2 * n, sizeof *t->hashes);
	for (i = 0; i < n; i++) {
		if (slots[i] == 0)
			continue;
		for (j = hashes[i] & t->mask; t->slots[j] != 0;
		    j = (j + 1) & t->mask)
			;
		t->slots[j] = slots[i];
		t->hashes[j] = hashes[i];
	}
	free(slots);
	free(hashes);
}

static void
graph_table_init(struct graph_table *t)
{
	t->mask = 1023;
	t->count = 0;
	t->slots = alloc_zero(t->mask + 1, sizeof *t->slots);
	t->hashes = alloc_zero(t->mask + 1, sizeof *t->hashes);
}

/* The node of a line of a location (line NULL if it has none). */
static size_t
graph_node(struct graph *g, const struct pd_location *loc,
    const struct pd_line *line)
{
	struct graph_node	 key;
	size_t			*slot;
	uint64_t		 h;

	memset(&key, 0, sizeof key);
	key.name = key.objfile = "";
	if (line != NULL && line->function != NULL &&
	    *line->function->name != '\0')
		key.name = line->function->name;
	else {
		if (loc->mapping != NULL)
			key.objfile = loc->mapping->filename;
		if (line != NULL && line->function != NULL)
			key.start_line = line->function->start_line;
	}
	h = graph_hash(key.name, strlen(key.name) + 1, 0xcbf29ce484222325ULL);
	h = graph_hash(key.objfile, strlen(key.objfile) + 1, h);
	h = graph_hash(&key.start_line, sizeof key.start_line, h);
	slot = graph_slot(g, &g->nodetab, h, graph_same_node, &key);
	if (*slot != 0)
		return (*slot - 1);
	if (g->nnodes == g->nodecap) {
		g->nodecap = 2 * g->nodecap + 64;
		g->nodes = alloc_resize(g->nodes, g->nodecap, sizeof *g->nodes);
	}
	key.shown = pd_node_name(key.name, key.objfile);
	g->nodes[g->nnodes] = key;
	graph_insert(&g->nodetab, slot, h, g->nnodes);
	return (g->nnodes++);
}

struct graph *
graph_new(const struct pd_profile *p)
{
	struct graph			*g;
	const struct pd_location	*loc;
	size_t				 i, j, n = 0, skip;

	g = alloc_zero(1, sizeof *g);
	g->p = p;
	graph_table_init(&g->nodetab);
	graph_table_init(&g->edgetab);
	g->prune = pd_profile_prune(p);
	g->first = alloc_zero(p->nlocations + 1, sizeof *g->first);
	for (i = 0; i < p->nlocations; i++) {
		g->first[i] = n;
		loc = &p->locations[i];
		skip = g->prune != NULL ? g->prune[i].skip : 0;
		n += loc->nlines > skip ? loc->nlines - skip : 1;
	}
	g->first[p->nlocations] = n;
	g->line_nodes = alloc_zero(n, sizeof *g->line_nodes);
	for (i = 0; i < p->nlocations; i++) {
		loc = &p->locations[i];
		skip = g->prune != NULL ? g->prune[i].skip : 0;
		if (loc->nlines == 0)
			g->line_nodes[g->first[i]] = graph_node(g, loc, NULL);
		for (j = skip; j < loc->nlines; j++)
			g->line_nodes[g->first[i] + j - skip] =
			    graph_node(g, loc, &loc->lines[j]);
	}
	return (g);
}

/* Where sample s starts, leaf first, once pruned. */
static size_t
graph_sample_start(const struct graph *g, const struct pd_sample *s)
{
	return (pd_sample_pruned_start(g->p, g->prune, s));
}

static void
graph_edge(struct graph *g, size_t src, size_t dst, int64_t w, int is_inline,
    size_t sample)
{
	struct graph_edge	 key, *e;
	size_t			*slot, i;
	uint64_t		 h;

	key.src = src;
	key.dst = dst;
	h = graph_hash(&src, sizeof src, 0xcbf29ce484222325ULL);
	h = graph_hash(&dst, sizeof dst, h);
	slot = graph_slot(g, &g->edgetab, h, graph_same_edge, &key);
	if ((i = *slot) == 0) {
		if (g->nedges == g->edgecap) {
			g->edgecap = 2 * g->edgecap + 256;
			g->edges = alloc_resize(g->edges, g->edgecap,
			    sizeof *g->edges);
		}
		e = &g->edges[g->nedges];
		memset(e, 0, sizeof *e);
		e->src = src;
		e->dst = dst;
		e->is_inline = is_inline;
		/* The slot goes if the table grows. */
		graph_insert(&g->edgetab, slot, h, g->nedges);
		i = ++g->nedges;
	}
	e = &g->edges[i - 1];
	/* An edge counts once a sample, recursion or not. */
	if (e->seen == sample + 1)
		return;
	e->seen = sample + 1;
	e->weight = cli_add(e->weight, w);
	if (!is_inline)
		e->is_inline = 0;
}

/*
 * Weigh nodes and edges by sample type index, counting only kept nodes if
 * only_kept: a sample's value is the flat of its leaf and the cum of every
 * node in its stack, once.
 */
void
graph_fill(struct graph *g, int index, int only_kept)
{
	const struct pd_profile		*p = g->p;
	const struct pd_sample		*s;
	struct graph_node		*n;
	size_t				 i, j, k, l, start, first, count;
	size_t				 parent;
	int64_t				 w;
	int				 residual;

	for (i = 0; i < g->nnodes; i++) {
		g->nodes[i].flat = g->nodes[i].cum = 0;
		g->nodes[i].seen = 0;
	}
	g->nedges = 0;
	free(g->edgetab.slots);
	free(g->edgetab.hashes);
	graph_table_init(&g->edgetab);

	for (i = 0; i < p->nsamples; i++) {
		s = &p->samples[i];
		if ((w = s->values[index]) == 0)
			continue;
		parent = SIZE_MAX;
		residual = 0;
		start = graph_sample_start(g, s);
		for (j = s->nlocations; j-- > start;) {
			l = s->locations[j] - p->locations;
			first = g->first[l];
			count = g->first[l + 1] - first;
			for (k = count; k-- > 0;) {
				n = &g->nodes[g->line_nodes[first + k]];
				if (only_kept && !n->kept) {
					residual = 1;
					continue;
				}
				if (n->seen != i + 1) {
					n->seen = i + 1;
					n->cum = cli_add(n->cum, w);
				}
				if (parent != SIZE_MAX &&
				    parent != (size_t)(n - g->nodes))
					graph_edge(g, parent, n - g->nodes, w,
					    k != count - 1, i);
				parent = n - g->nodes;
				residual = 0;
			}
		}
		if (parent != SIZE_MAX && !residual)
			g->nodes[parent].flat = cli_add(
			    g->nodes[parent].flat, w);
	}
}

/* Mark the nodes with an edge in of weight cutoff or more, by kind. */
void
graph_mark_inline(struct graph *g, int64_t cutoff)
{
	struct graph_edge	*e;
	size_t			 i;

	for (i = 0; i < g->nnodes; i++)
		g->nodes[i].inline_in = g->nodes[i].plain_in = 0;
	for (i = 0; i < g->nedges; i++) {
		e = &g->edges[i];
		if (cli_abs(e->weight) < cutoff)
			continue;
		if (e->is_inline)
			g->nodes[e->dst].inline_in = 1;
		else
			g->nodes[e->dst].plain_in = 1;
	}
}

void
graph_free(struct graph *g)
{
	size_t	 i;

	for (i = 0; i < g->nnodes; i++)
		free(g->nodes[i].shown);
	free(g->nodes);
	free(g->edges);
	free(g->nodetab.slots);
	free(g->nodetab.hashes);
	free(g->edgetab.slots);
	free(g->edgetab.hashes);
	free(g->prune);
	free(g->first);
	free(g->line_nodes);
	free(g);
}
