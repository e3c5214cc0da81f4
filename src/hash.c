/* A small intrusive hash table that grows by doubling. */

#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

void
htable_init(struct htable *t, size_t nbuckets)
{
	size_t	 n = 16;

	while (n < nbuckets)
		n <<= 1;
	t->buckets = xcalloc(n, sizeof *t->buckets);
	t->nbuckets = n;
	t->count = 0;
}

void
htable_free(struct htable *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

static void
htable_grow(struct htable *t)
{
	struct hnode	**old = t->buckets, *n, *next;
	size_t		  oldn = t->nbuckets, i;

	t->nbuckets = oldn * 2;
	t->buckets = xcalloc(t->nbuckets, sizeof *t->buckets);
	for (i = 0; i < oldn; i++) {
		for (n = old[i]; n != NULL; n = next) {
			next = n->next;
			n->next = t->buckets[n->hash & (t->nbuckets - 1)];
			t->buckets[n->hash & (t->nbuckets - 1)] = n;
		}
	}
	free(old);
}

void
htable_insert(struct htable *t, struct hnode *n, uint64_t hash)
{
	struct hnode	**b;

	if (t->count >= t->nbuckets)
		htable_grow(t);
	n->hash = hash;
	b = &t->buckets[hash & (t->nbuckets - 1)];
	n->next = *b;
	*b = n;
	t->count++;
}

void
htable_remove(struct htable *t, struct hnode *n)
{
	struct hnode	**p;

	for (p = &t->buckets[n->hash & (t->nbuckets - 1)]; *p != NULL;
	    p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			t->count--;
			return;
		}
	}
	fatalx("htable_remove: node not in table");
}

struct hnode *
htable_find(struct htable *t, uint64_t hash)
{
	struct hnode	*n;

	for (n = t->buckets[hash & (t->nbuckets - 1)]; n != NULL; n = n->next) {
		if (n->hash == hash)
			return (n);
	}
	return (NULL);
}

struct hnode *
htable_next_same(struct hnode *n)
{
	uint64_t	 hash = n->hash;

	for (n = n->next; n != NULL; n = n->next) {
		if (n->hash == hash)
			return (n);
	}
	return (NULL);
}

/* The callback may remove the node it is given. */
void
htable_foreach(struct htable *t, void (*cb)(struct hnode *, void *), void *arg)
{
	struct hnode	*n, *next;
	size_t		 i;

	for (i = 0; i < t->nbuckets; i++) {
		for (n = t->buckets[i]; n != NULL; n = next) {
			next = n->next;
			cb(n, arg);
		}
	}
}

/*
 * Eight bytes a step, each mixed in by a multiply, and the result mixed
 * once more (the final step of MurmurHash3) so that the low bits the
 * buckets use depend on every input bit. Seeded so callers can chain
 * fields.
 */
uint64_t
hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const unsigned char	*s = p;
	uint64_t		 h = seed ^ (len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (h);
}
