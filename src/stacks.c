/*
 * Stack interning and per-window totals: each distinct chain of frames is
 * stored once, and values are summed per (stack, pid, tid).
 */

#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

#define STACKS_MAX_VALUES	4

struct stack {
	struct hnode	 node;
	size_t		 nframes;
	struct frame	 frames[];
};

struct entry {
	struct hnode	 node;
	struct stack	*stack;
	pid_t		 pid;
	pid_t		 tid;
	uint32_t	 tag;
	int64_t		 values[STACKS_MAX_VALUES];
};

struct stacks {
	struct htable	 stacks;
	struct htable	 entries;
	size_t		 nvalues;
};

struct stacks *
stacks_new(size_t nvalues)
{
	struct stacks	*st;

	if (nvalues == 0 || nvalues > STACKS_MAX_VALUES)
		fatalx("stacks_new: %zu values", nvalues);
	st = xcalloc(1, sizeof *st);
	st->nvalues = nvalues;
	htable_init(&st->stacks, 4096);
	htable_init(&st->entries, 4096);
	return (st);
}

static struct stack *
stack_intern(struct stacks *st, const struct frame *frames, size_t n)
{
	struct hnode	*node;
	struct stack	*s;
	uint64_t	 h;

	h = hash_bytes(frames, n * sizeof *frames, n);
	for (node = htable_find(&st->stacks, h); node != NULL;
	    node = htable_next_same(node)) {
		s = container_of(node, struct stack, node);
		if (s->nframes == n &&
		    memcmp(s->frames, frames, n * sizeof *frames) == 0)
			return (s);
	}
	s = xmalloc(sizeof *s + n * sizeof *frames);
	s->nframes = n;
	memcpy(s->frames, frames, n * sizeof *frames);
	htable_insert(&st->stacks, &s->node, h);
	return (s);
}

void
stacks_add(struct stacks *st, pid_t pid, pid_t tid, uint32_t tag,
    const struct frame *frames, size_t n, const int64_t *values)
{
	struct hnode	*node;
	struct entry	*e;
	struct stack	*s;
	uint64_t	 h;
	size_t		 i;

	s = stack_intern(st, frames, n);
	h = hash_bytes(&s, sizeof s, ((uint64_t)pid << 32 | (uint32_t)tid) ^
	    (uint64_t)tag << 20);
	for (node = htable_find(&st->entries, h); node != NULL;
	    node = htable_next_same(node)) {
		e = container_of(node, struct entry, node);
		if (e->stack == s && e->pid == pid && e->tid == tid &&
		    e->tag == tag)
			break;
	}
	if (node == NULL) {
		e = xcalloc(1, sizeof *e);
		e->stack = s;
		e->pid = pid;
		e->tid = tid;
		e->tag = tag;
		htable_insert(&st->entries, &e->node, h);
	}
	for (i = 0; i < st->nvalues; i++)
		e->values[i] += values[i];
}

struct foreach_arg {
	stacks_cb	 cb;
	void		*arg;
};

static void
entry_visit(struct hnode *node, void *arg)
{
	struct foreach_arg	*fa = arg;
	struct entry		*e = container_of(node, struct entry, node);

	fa->cb(e->pid, e->tid, e->tag, e->stack->frames, e->stack->nframes,
	    e->values, fa->arg);
}

void
stacks_foreach(struct stacks *st, stacks_cb cb, void *arg)
{
	struct foreach_arg	 fa = { cb, arg };

	htable_foreach(&st->entries, entry_visit, &fa);
}

size_t
stacks_count(struct stacks *st)
{
	return (st->stacks.count);
}

static void
free_entry(struct hnode *node, void *arg)
{
	struct htable	*t = arg;

	htable_remove(t, node);
	free(container_of(node, struct entry, node));
}

static void
free_stack(struct hnode *node, void *arg)
{
	struct htable	*t = arg;

	htable_remove(t, node);
	free(container_of(node, struct stack, node));
}

void
stacks_free(struct stacks *st)
{
	if (st == NULL)
		return;
	htable_foreach(&st->entries, free_entry, &st->entries);
	htable_foreach(&st->stacks, free_stack, &st->stacks);
	htable_free(&st->stacks);
	htable_free(&st->entries);
	free(st);
}
