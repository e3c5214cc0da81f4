/*
 * The profile model through the pprof encoder (pprof.c): to write a
 * profile, and to build the new ones that filtering and merging make.
 * Merging makes equal mappings and locations one (the encoder already
 * does so for functions) and sums samples of the same stack and labels.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

struct encode_mapping {
	struct hnode		 node;
	const struct pd_mapping	*m;
	uint64_t		 id;
};

/* A location as the encoder has it: ids, not pointers. */
struct encode_location {
	struct hnode		 node;
	uint64_t		 id;
	uint64_t		 mapping_id;
	uint64_t		 address;
	int			 is_folded;
	struct pprof_line	*lines;
	size_t			 nlines;
};

/* A sample being summed; labels sorted, to compare them as a set. */
struct encode_sample {
	struct hnode		 node;
	uint64_t		*ids;
	size_t			 nids;
	const struct pd_label	**labels;
	size_t			 nlabels;
	int64_t			*values;
};

struct profile_encoder {
	struct pprof		 *pp;
	size_t			  ntypes;
	int			  merge;
	struct htable		  mappings;
	struct htable		  locations;
	struct htable		  samples;
	struct encode_sample	**order;	/* samples, first seen first */
	size_t			  nsamples;
	size_t			  samplecap;

	/* The encoder's ids of the elements of the profile being added. */
	uint64_t		 *mapping_ids;
	uint64_t		 *function_ids;
	uint64_t		 *location_ids;

	/* Room for one location's lines or one sample's ids and labels. */
	struct pprof_line	 *lines;
	size_t			  linecap;
	uint64_t		 *ids;
	size_t			  idcap;
	struct pprof_label	 *labels;
	size_t			  labelcap;
	const struct pd_label	**sorted;
	size_t			  sortedcap;
};

static void *
encode_room(void *array, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return (array);
	*cap = n;
	return (xreallocarray(array, n, size));
}

/* n elements of size bytes for the ids of a profile's elements. */
static uint64_t *
encode_ids(uint64_t *ids, size_t n)
{
	free(ids);
	return (n != 0 ? xreallocarray(NULL, n, sizeof *ids) : NULL);
}

/*
 * The index of ptr in an array of n elements of size bytes, or -1: a
 * profile built by hand may point anywhere.
 */
static ssize_t
encode_index(const void *array, size_t n, size_t size, const void *ptr)
{
	uintptr_t	 base = (uintptr_t)array, at = (uintptr_t)ptr;

	if (array == NULL || at < base || (at - base) % size != 0 ||
	    (at - base) / size >= n)
		return (-1);
	return ((ssize_t)((at - base) / size));
}

static uint64_t
encode_hash_string(const char *s, uint64_t h)
{
	return (hash_bytes(s, strlen(s), h));
}

/* The header of p: types, period, times, comments, frames to drop. */
struct profile_encoder *
profile_encode_new(const struct pd_profile *p, int merge)
{
	struct profile_encoder	*e;
	struct pprof_value_type	*types, period_type;
	size_t			 i;

	if (p->nsample_types == 0)
		fatalx("profile_encode_new: no sample types");
	e = xcalloc(1, sizeof *e);
	e->ntypes = p->nsample_types;
	e->merge = merge;
	htable_init(&e->mappings, 64);
	htable_init(&e->locations, 1024);
	htable_init(&e->samples, 1024);

	types = xreallocarray(NULL, p->nsample_types, sizeof *types);
	for (i = 0; i < p->nsample_types; i++) {
		types[i].type = p->sample_types[i].type;
		types[i].unit = p->sample_types[i].unit;
	}
	period_type.type = p->period_type.type;
	period_type.unit = p->period_type.unit;
	e->pp = pprof_new(types, p->nsample_types, &period_type, p->period,
	    p->time_nanos, p->duration_nanos);
	free(types);
	pprof_set_drop_frames(e->pp, p->drop_frames);
	pprof_set_keep_frames(e->pp, p->keep_frames);
	pprof_set_default_type(e->pp, p->default_sample_type);
	for (i = 0; i < p->ncomments; i++)
		pprof_add_comment(e->pp, p->comments[i]);
	return (e);
}

static uint64_t
encode_mapping(struct profile_encoder *e, const struct pd_mapping *m)
{
	struct encode_mapping	*em;
	struct hnode		*n;
	uint64_t		 h;
	int			 flags;

	flags = (m->has_functions ? PPROF_HAS_FUNCTIONS : 0) |
	    (m->has_filenames ? PPROF_HAS_FILENAMES : 0) |
	    (m->has_line_numbers ? PPROF_HAS_LINE_NUMBERS : 0) |
	    (m->has_inline_frames ? PPROF_HAS_INLINE_FRAMES : 0);
	if (!e->merge)
		return (pprof_add_mapping(e->pp, m->memory_start,
		    m->memory_limit, m->file_offset, m->filename, m->build_id,
		    flags));

	h = hash_bytes(&m->memory_start, sizeof m->memory_start, 0);
	h = hash_bytes(&m->memory_limit, sizeof m->memory_limit, h);
	h = hash_bytes(&m->file_offset, sizeof m->file_offset, h);
	h = encode_hash_string(m->build_id, encode_hash_string(m->filename,
	    h));
	for (n = htable_find(&e->mappings, h); n != NULL;
	    n = htable_next_same(n)) {
		em = container_of(n, struct encode_mapping, node);
		if (em->m->memory_start == m->memory_start &&
		    em->m->memory_limit == m->memory_limit &&
		    em->m->file_offset == m->file_offset &&
		    strcmp(em->m->filename, m->filename) == 0 &&
		    strcmp(em->m->build_id, m->build_id) == 0) {
			pprof_mapping_flags(e->pp, em->id, flags);
			return (em->id);
		}
	}
	em = xmalloc(sizeof *em);
	em->m = m;
	em->id = pprof_add_mapping(e->pp, m->memory_start, m->memory_limit,
	    m->file_offset, m->filename, m->build_id, flags);
	htable_insert(&e->mappings, &em->node, h);
	return (em->id);
}

/* Location i of p with its mapping and functions as the encoder has them. */
static int
encode_lines(struct profile_encoder *e, const struct pd_profile *p, size_t i,
    uint64_t *mapping_id, char **cause)
{
	const struct pd_location	*loc = &p->locations[i];
	ssize_t				 m = -1, f;
	size_t				 j;

	if (loc->mapping != NULL && (m = encode_index(p->mappings,
	    p->nmappings, sizeof *p->mappings, loc->mapping)) == -1) {
		xasprintf(cause, "location %zu names a mapping that is not in "
		    "its profile", i);
		return (-1);
	}
	*mapping_id = m == -1 ? 0 : e->mapping_ids[m];
	e->lines = encode_room(e->lines, &e->linecap, loc->nlines,
	    sizeof *e->lines);
	for (j = 0; j < loc->nlines; j++) {
		e->lines[j].function_id = 0;
		if (loc->lines[j].function != NULL) {
			if ((f = encode_index(p->functions, p->nfunctions,
			    sizeof *p->functions,
			    loc->lines[j].function)) == -1) {
				xasprintf(cause, "location %zu line %zu names "
				    "a function that is not in its profile",
				    i, j);
				return (-1);
			}
			e->lines[j].function_id = e->function_ids[f];
		}
		e->lines[j].line = loc->lines[j].line;
		e->lines[j].column = loc->lines[j].column;
	}
	return (0);
}

static uint64_t
encode_location(struct profile_encoder *e, const struct pd_location *loc,
    uint64_t mapping_id)
{
	struct encode_location	*el;
	struct hnode		*n;
	uint64_t		 h;
	size_t			 size = loc->nlines * sizeof *e->lines;

	if (!e->merge)
		return (pprof_add_location_lines(e->pp, mapping_id,
		    loc->address, e->lines, loc->nlines, loc->is_folded));

	h = hash_bytes(&mapping_id, sizeof mapping_id, 0);
	h = hash_bytes(&loc->address, sizeof loc->address, h);
	h = hash_bytes(e->lines, size, h + (loc->is_folded != 0));
	for (n = htable_find(&e->locations, h); n != NULL;
	    n = htable_next_same(n)) {
		el = container_of(n, struct encode_location, node);
		if (el->mapping_id == mapping_id &&
		    el->address == loc->address &&
		    el->is_folded == (loc->is_folded != 0) &&
		    el->nlines == loc->nlines &&
		    (size == 0 || memcmp(el->lines, e->lines, size) == 0))
			return (el->id);
	}
	el = xcalloc(1, sizeof *el);
	el->mapping_id = mapping_id;
	el->address = loc->address;
	el->is_folded = loc->is_folded != 0;
	el->nlines = loc->nlines;
	if (size != 0) {
		el->lines = xmalloc(size);
		memcpy(el->lines, e->lines, size);
	}
	el->id = pprof_add_location_lines(e->pp, mapping_id, loc->address,
	    e->lines, loc->nlines, loc->is_folded);
	htable_insert(&e->locations, &el->node, h);
	return (el->id);
}

static int
encode_label_compare(const void *a, const void *b)
{
	const struct pd_label	*x = *(const struct pd_label *const *)a;
	const struct pd_label	*y = *(const struct pd_label *const *)b;
	int			 c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return (c);
	if ((x->str == NULL) != (y->str == NULL))
		return (x->str == NULL ? -1 : 1);
	if (x->str != NULL)
		return (strcmp(x->str, y->str));
	if (x->num != y->num)
		return (x->num < y->num ? -1 : 1);
	return (strcmp(x->num_unit, y->num_unit));
}

static uint64_t
encode_hash_labels(const struct pd_label *const *labels, size_t n,
    uint64_t h)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		h = encode_hash_string(labels[i]->key, h);
		if (labels[i]->str != NULL)
			h = encode_hash_string(labels[i]->str, h);
		else {
			h = hash_bytes(&labels[i]->num, sizeof labels[i]->num,
			    h + 1);
			h = encode_hash_string(labels[i]->num_unit, h);
		}
	}
	return (h);
}

static int
encode_same_labels(const struct pd_label *const *a,
    const struct pd_label *const *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (encode_label_compare(&a[i], &b[i]) != 0)
			return (0);
	}
	return (1);
}

/* Sum v into *sum, unless that overflows. */
static int
encode_sum(int64_t *sum, int64_t v)
{
	if ((v > 0 && *sum > INT64_MAX - v) || (v < 0 && *sum < INT64_MIN - v))
		return (-1);
	*sum += v;
	return (0);
}

/* Sum sample s, whose location ids are in e->ids, into an equal one. */
static int
encode_merge_sample(struct profile_encoder *e, const struct pd_sample *s,
    size_t i, char **cause)
{
	struct encode_sample	*es;
	struct hnode		*n;
	size_t			 j, size = s->nlocations * sizeof *e->ids;
	uint64_t		 h;

	e->sorted = encode_room(e->sorted, &e->sortedcap, s->nlabels,
	    sizeof *e->sorted);
	for (j = 0; j < s->nlabels; j++)
		e->sorted[j] = &s->labels[j];
	if (s->nlabels > 1)
		qsort(e->sorted, s->nlabels, sizeof *e->sorted,
		    encode_label_compare);
	h = encode_hash_labels(e->sorted, s->nlabels,
	    hash_bytes(e->ids, size, 0));
	for (n = htable_find(&e->samples, h); n != NULL;
	    n = htable_next_same(n)) {
		es = container_of(n, struct encode_sample, node);
		if (es->nids != s->nlocations || es->nlabels != s->nlabels ||
		    (size != 0 && memcmp(es->ids, e->ids, size) != 0) ||
		    !encode_same_labels(es->labels, e->sorted, s->nlabels))
			continue;
		for (j = 0; j < e->ntypes; j++) {
			if (encode_sum(&es->values[j], s->values[j]) != 0) {
				xasprintf(cause, "sample %zu: the sum of its "
				    "value %zu overflows", i, j);
				return (-1);
			}
		}
		return (0);
	}
	es = xcalloc(1, sizeof *es);
	es->nids = s->nlocations;
	if (size != 0) {
		es->ids = xmalloc(size);
		memcpy(es->ids, e->ids, size);
	}
	es->nlabels = s->nlabels;
	if (s->nlabels != 0) {
		es->labels = xreallocarray(NULL, s->nlabels,
		    sizeof *es->labels);
		memcpy(es->labels, e->sorted, s->nlabels * sizeof *es->labels);
	}
	es->values = xreallocarray(NULL, e->ntypes, sizeof *es->values);
	memcpy(es->values, s->values, e->ntypes * sizeof *es->values);
	htable_insert(&e->samples, &es->node, h);
	if (e->nsamples == e->samplecap) {
		e->samplecap = 2 * e->samplecap + 64;
		e->order = xreallocarray(e->order, e->samplecap,
		    sizeof *e->order);
	}
	e->order[e->nsamples++] = es;
	return (0);
}

static void
encode_sample(struct profile_encoder *e, const uint64_t *ids, size_t nids,
    const int64_t *values, const struct pd_label *const *labels,
    size_t nlabels)
{
	size_t	 i;

	e->labels = encode_room(e->labels, &e->labelcap, nlabels,
	    sizeof *e->labels);
	for (i = 0; i < nlabels; i++) {
		e->labels[i].key = labels[i]->key;
		e->labels[i].str = labels[i]->str;
		e->labels[i].num = labels[i]->num;
		e->labels[i].num_unit = labels[i]->num_unit;
	}
	pprof_add_sample(e->pp, ids, nids, values, e->labels, nlabels);
}

static int
encode_samples(struct profile_encoder *e, const struct pd_profile *p,
    const unsigned char *keep, char **cause)
{
	const struct pd_sample	*s;
	ssize_t			 l;
	size_t			 i, j;

	for (i = 0; i < p->nsamples; i++) {
		if (keep != NULL && !keep[i])
			continue;
		s = &p->samples[i];
		e->ids = encode_room(e->ids, &e->idcap, s->nlocations,
		    sizeof *e->ids);
		for (j = 0; j < s->nlocations; j++) {
			if ((l = encode_index(p->locations, p->nlocations,
			    sizeof *p->locations, s->locations[j])) == -1) {
				xasprintf(cause, "sample %zu names a location "
				    "that is not in its profile", i);
				return (-1);
			}
			e->ids[j] = e->location_ids[l];
		}
		if (e->merge) {
			if (encode_merge_sample(e, s, i, cause) != 0)
				return (-1);
			continue;
		}
		e->sorted = encode_room(e->sorted, &e->sortedcap, s->nlabels,
		    sizeof *e->sorted);
		for (j = 0; j < s->nlabels; j++)
			e->sorted[j] = &s->labels[j];
		encode_sample(e, e->ids, s->nlocations, s->values, e->sorted,
		    s->nlabels);
	}
	return (0);
}

/*
 * Add the elements of p, and the samples that keep says (all if NULL);
 * p must have the sample types the encoder was made with, and outlive it.
 */
int
profile_encode_add(struct profile_encoder *e, const struct pd_profile *p,
    const unsigned char *keep, char **cause)
{
	const struct pd_function	*f;
	uint64_t			 mapping_id;
	size_t				 i;

	if (p->nsample_types != e->ntypes)
		fatalx("profile_encode_add: %zu sample types, not %zu",
		    p->nsample_types, e->ntypes);
	e->mapping_ids = encode_ids(e->mapping_ids, p->nmappings);
	e->function_ids = encode_ids(e->function_ids, p->nfunctions);
	e->location_ids = encode_ids(e->location_ids, p->nlocations);
	for (i = 0; i < p->nmappings; i++)
		e->mapping_ids[i] = encode_mapping(e, &p->mappings[i]);
	for (i = 0; i < p->nfunctions; i++) {
		f = &p->functions[i];
		e->function_ids[i] = pprof_add_function(e->pp, f->name,
		    f->system_name, f->filename, f->start_line);
	}
	for (i = 0; i < p->nlocations; i++) {
		if (encode_lines(e, p, i, &mapping_id, cause) != 0)
			return (-1);
		e->location_ids[i] = encode_location(e, &p->locations[i],
		    mapping_id);
	}
	return (encode_samples(e, p, keep, cause));
}

static void
encode_free_mapping(struct hnode *n, void *arg)
{
	free(container_of(n, struct encode_mapping, node));
}

static void
encode_free_location(struct hnode *n, void *arg)
{
	struct encode_location	*el;

	el = container_of(n, struct encode_location, node);
	free(el->lines);
	free(el);
}

static void
encode_free_sample(struct hnode *n, void *arg)
{
	struct encode_sample	*es;

	es = container_of(n, struct encode_sample, node);
	free(es->ids);
	free(es->labels);
	free(es->values);
	free(es);
}

void
profile_encode_free(struct profile_encoder *e)
{
	htable_foreach(&e->mappings, encode_free_mapping, NULL);
	htable_foreach(&e->locations, encode_free_location, NULL);
	htable_foreach(&e->samples, encode_free_sample, NULL);
	htable_free(&e->mappings);
	htable_free(&e->locations);
	htable_free(&e->samples);
	free(e->order);
	free(e->mapping_ids);
	free(e->function_ids);
	free(e->location_ids);
	free(e->lines);
	free(e->ids);
	free(e->labels);
	free(e->sorted);
	pprof_free(e->pp);
	free(e);
}

/* The encoder's profile, for pprof_write; the encoder is freed. */
struct pprof *
profile_encode_finish(struct profile_encoder *e)
{
	struct encode_sample	*es;
	struct pprof		*pp;
	size_t			 i;

	for (i = 0; i < e->nsamples; i++) {
		es = e->order[i];
		encode_sample(e, es->ids, es->nids, es->values, es->labels,
		    es->nlabels);
	}
	pp = e->pp;
	e->pp = NULL;
	profile_encode_free(e);
	return (pp);
}

/* The encoder's profile as a model of its own; the encoder is freed. */
struct pd_profile *
profile_encode_model(struct profile_encoder *e)
{
	struct pprof		*pp = profile_encode_finish(e);
	struct pd_profile	*p;
	unsigned char		*buf;
	size_t			 len;
	char			*cause;

	buf = pprof_pack(pp, &len);
	if (profile_decode(buf, len, &p, &cause) != 0)
		fatalx("profile_encode_model: %s", cause);
	free(buf);
	pprof_free(pp);
	return (p);
}

/* p through the encoder as it is; NULL with *cause if it cannot be. */
static struct pprof *
encode_profile(const struct pd_profile *p, char **cause)
{
	struct profile_encoder	*e;

	if (p->nsample_types == 0) {
		xasprintf(cause, "the profile has no sample types");
		return (NULL);
	}
	e = profile_encode_new(p, 0);
	if (profile_encode_add(e, p, NULL, cause) != 0) {
		profile_encode_free(e);
		return (NULL);
	}
	return (profile_encode_finish(e));
}

int
pd_profile_write(const struct pd_profile *p, int fd, char **cause)
{
	struct pprof	*pp;
	int		 rc;

	if ((pp = encode_profile(p, cause)) == NULL)
		return (-1);
	rc = pprof_write(pp, fd, cause);
	pprof_free(pp);
	return (rc);
}

int
pd_profile_pack(const struct pd_profile *p, unsigned char **buf,
    size_t *len, char **cause)
{
	struct pprof	*pp;

	*buf = NULL;
	if ((pp = encode_profile(p, cause)) == NULL)
		return (-1);
	*buf = pprof_pack(pp, len);
	pprof_free(pp);
	return (0);
}
