/*
 * Merge profiles of the same sample types into one: the header from them
 * all, the rest through a merging encoder (profile_encode.c).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

struct merge_comment {
	struct hnode	 node;
	const char	*text;
};

static int
merge_same_types(const struct pd_profile *a, const struct pd_profile *b)
{
	size_t	 i;

	if (a->nsample_types != b->nsample_types)
		return (0);
	for (i = 0; i < a->nsample_types; i++) {
		if (strcmp(a->sample_types[i].type, b->sample_types[i].type) !=
		    0 || strcmp(a->sample_types[i].unit,
		    b->sample_types[i].unit) != 0)
			return (0);
	}
	return (1);
}

/* "samples/count cpu/nanoseconds", allocated. */
static char *
merge_types_text(const struct pd_profile *p)
{
	char	*s, *t;
	size_t	 i;

	s = xstrdup("");
	for (i = 0; i < p->nsample_types; i++) {
		xasprintf(&t, "%s%s%s/%s", s, i == 0 ? "" : " ",
		    p->sample_types[i].type, p->sample_types[i].unit);
		free(s);
		s = t;
	}
	return (s);
}

static int64_t
merge_end(const struct pd_profile *p)
{
	if (p->duration_nanos > 0 && p->time_nanos > INT64_MAX -
	    p->duration_nanos)
		return (INT64_MAX);
	return (p->time_nanos + p->duration_nanos);
}

static void
merge_free_comment(struct hnode *n, void *arg)
{
	free(container_of(n, struct merge_comment, node));
}

/* The comments of all profiles, each once, in the order first seen. */
static const char **
merge_comments(const struct pd_profile *const *ps, size_t n, size_t *count)
{
	struct merge_comment	*mc;
	struct htable		 seen;
	struct hnode		*hn;
	const char		**out = NULL, *c;
	size_t			 i, j, cap = 0;
	uint64_t		 h;

	*count = 0;
	htable_init(&seen, 64);
	for (i = 0; i < n; i++) {
		for (j = 0; j < ps[i]->ncomments; j++) {
			c = ps[i]->comments[j];
			h = hash_bytes(c, strlen(c), 0);
			for (hn = htable_find(&seen, h); hn != NULL;
			    hn = htable_next_same(hn)) {
				mc = container_of(hn, struct merge_comment,
				    node);
				if (strcmp(mc->text, c) == 0)
					break;
			}
			if (hn != NULL)
				continue;
			mc = xmalloc(sizeof *mc);
			mc->text = c;
			htable_insert(&seen, &mc->node, h);
			if (*count == cap) {
				cap = 2 * cap + 16;
				out = xreallocarray(out, cap, sizeof *out);
			}
			out[(*count)++] = c;
		}
	}
	htable_foreach(&seen, merge_free_comment, NULL);
	htable_free(&seen);
	return (out);
}

int
pd_profile_merge(const struct pd_profile *const *ps, size_t n,
    struct pd_profile **out, char **cause)
{
	struct profile_encoder	*e;
	struct pd_profile	 header;
	const char		**comments;
	char			*a, *b;
	int64_t			 start = 0, end = 0, sum = 0;
	size_t			 i;

	*out = NULL;
	if (n == 0) {
		xasprintf(cause, "no profiles to merge");
		return (-1);
	}
	if (ps[0]->nsample_types == 0) {
		xasprintf(cause, "profile 0 has no sample types");
		return (-1);
	}
	for (i = 1; i < n; i++) {
		if (merge_same_types(ps[0], ps[i]))
			continue;
		a = merge_types_text(ps[0]);
		b = merge_types_text(ps[i]);
		xasprintf(cause, "profile %zu has sample types [%s], profile "
		    "0 [%s]", i, b, a);
		free(a);
		free(b);
		return (-1);
	}

	header = *ps[0];
	for (i = 0; i < n; i++) {
		if (ps[i]->period > header.period)
			header.period = ps[i]->period;
		if (*header.default_sample_type == '\0')
			header.default_sample_type =
			    ps[i]->default_sample_type;
		/* Without a time, durations add up, as pprof merges. */
		if (ps[i]->time_nanos == 0) {
			if (ps[i]->duration_nanos > 0)
				sum += ps[i]->duration_nanos > INT64_MAX - sum ?
				    INT64_MAX - sum : ps[i]->duration_nanos;
			continue;
		}
		if (start == 0 || ps[i]->time_nanos < start)
			start = ps[i]->time_nanos;
		if (end == 0 || merge_end(ps[i]) > end)
			end = merge_end(ps[i]);
	}
	header.time_nanos = start;
	header.duration_nanos = start != 0 ? end - start : sum;
	comments = merge_comments(ps, n, &header.ncomments);
	header.comments = comments;

	e = profile_encode_new(&header, 1);
	free(comments);
	for (i = 0; i < n; i++) {
		if (profile_encode_add(e, ps[i], NULL, cause) == 0)
			continue;
		a = *cause;
		xasprintf(cause, "profile %zu: %s", i, a);
		free(a);
		profile_encode_free(e);
		return (-1);
	}
	*out = profile_encode_model(e);
	return (0);
}
