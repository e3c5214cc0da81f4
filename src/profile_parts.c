/*
 * Cut a profile into parts a server takes: labels it does not want
 * dropped (the samples that then look alike summed), and runs of samples
 * carrying only the locations they use.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

static int
parts_dropped(const char *key, const char *const *keys, size_t nkeys)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (strcmp(key, keys[i]) == 0)
			return (1);
	}
	return (0);
}

int
pd_profile_drop_labels(const struct pd_profile *p, const char *const *keys,
    size_t nkeys, struct pd_profile **out, char **cause)
{
	struct profile_encoder	*e;
	struct pd_profile	 copy;
	struct pd_sample	*samples;
	struct pd_label		*labels;
	size_t			 i, j, n, total = 0;
	int			 rc;

	*out = NULL;
	if (p->nsample_types == 0) {
		xasprintf(cause, "the profile has no sample types");
		return (-1);
	}
	for (i = 0; i < p->nsamples; i++)
		total += p->samples[i].nlabels;
	samples = xcalloc(p->nsamples + 1, sizeof *samples);
	labels = xcalloc(total + 1, sizeof *labels);
	for (i = 0, n = 0; i < p->nsamples; i++) {
		samples[i] = p->samples[i];
		samples[i].labels = labels + n;
		samples[i].nlabels = 0;
		for (j = 0; j < p->samples[i].nlabels; j++) {
			if (parts_dropped(p->samples[i].labels[j].key, keys,
			    nkeys))
				continue;
			labels[n++] = p->samples[i].labels[j];
			samples[i].nlabels++;
		}
	}
	copy = *p;
	copy.samples = samples;
	/* The merging encoder sums samples of one stack and label set. */
	e = profile_encode_new(p, 1);
	if ((rc = profile_encode_add(e, &copy, NULL, cause)) == 0)
		*out = profile_encode_model(e);
	else
		profile_encode_free(e);
	free(samples);
	free(labels);
	return (rc);
}

/* What a selection keeps of p's functions and mappings: those it names. */
struct select_tables {
	struct pd_function	*functions;
	size_t			 nfunctions;
	struct pd_mapping	*mappings;
	size_t			 nmappings;
	struct pd_line		*lines;
	size_t			*findex;	/* place among the kept, plus one */
	size_t			*mindex;
};

/*
 * Point the nlocs locations kept at copies of only the functions and
 * mappings they name, so that a part of a large profile does not carry
 * all of its tables. A pointer outside p's tables is left for the
 * encoder to refuse.
 */
static void
select_tables(const struct pd_profile *p, struct pd_location *locs,
    size_t nlocs, struct select_tables *t)
{
	struct pd_location	*loc;
	size_t			 i, j, k, nlines = 0;

	for (i = 0; i < nlocs; i++)
		nlines += locs[i].nlines;
	t->functions = xcalloc(p->nfunctions + 1, sizeof *t->functions);
	t->mappings = xcalloc(p->nmappings + 1, sizeof *t->mappings);
	t->lines = xcalloc(nlines + 1, sizeof *t->lines);
	t->findex = xcalloc(p->nfunctions + 1, sizeof *t->findex);
	t->mindex = xcalloc(p->nmappings + 1, sizeof *t->mindex);
	t->nfunctions = t->nmappings = 0;
	for (i = 0, nlines = 0; i < nlocs; i++) {
		loc = &locs[i];
		if (loc->mapping >= p->mappings &&
		    (k = loc->mapping - p->mappings) < p->nmappings) {
			if (t->mindex[k] == 0) {
				t->mappings[t->nmappings] = p->mappings[k];
				t->mindex[k] = ++t->nmappings;
			}
			loc->mapping = &t->mappings[t->mindex[k] - 1];
		}
		for (j = 0; j < loc->nlines; j++) {
			t->lines[nlines + j] = loc->lines[j];
			if (loc->lines[j].function < p->functions ||
			    (k = loc->lines[j].function - p->functions) >=
			    p->nfunctions)
				continue;
			if (t->findex[k] == 0) {
				t->functions[t->nfunctions] = p->functions[k];
				t->findex[k] = ++t->nfunctions;
			}
			t->lines[nlines + j].function =
			    &t->functions[t->findex[k] - 1];
		}
		loc->lines = t->lines + nlines;
		nlines += loc->nlines;
	}
}

int
pd_profile_select(const struct pd_profile *p, const size_t *which, size_t n,
    struct pd_profile **out, char **cause)
{
	struct select_tables		 t;
	struct profile_encoder		*e;
	struct pd_profile		 copy;
	struct pd_sample		*samples;
	struct pd_location		*locations;
	const struct pd_location	**refs;
	const struct pd_sample		*s;
	size_t				*index, i, j, l, nrefs = 0, nlocs = 0;
	int				 rc = -1;

	*out = NULL;
	if (p->nsample_types == 0) {
		xasprintf(cause, "the profile has no sample types");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (which[i] >= p->nsamples) {
			xasprintf(cause, "there is no sample %zu", which[i]);
			return (-1);
		}
		nrefs += p->samples[which[i]].nlocations;
	}
	/* index[l]: location l's place among the kept ones, plus one. */
	index = xcalloc(p->nlocations + 1, sizeof *index);
	locations = xcalloc(p->nlocations + 1, sizeof *locations);
	refs = xcalloc(nrefs + 1, sizeof *refs);
	samples = xcalloc(n + 1, sizeof *samples);
	for (i = 0, nrefs = 0; i < n; i++) {
		s = &p->samples[which[i]];
		samples[i] = *s;
		samples[i].locations = refs + nrefs;
		for (j = 0; j < s->nlocations; j++) {
			if (s->locations[j] < p->locations ||
			    (l = s->locations[j] - p->locations) >=
			    p->nlocations) {
				xasprintf(cause, "sample %zu names a location "
				    "that is not in its profile", which[i]);
				goto out;
			}
			if (index[l] == 0) {
				locations[nlocs] = p->locations[l];
				index[l] = ++nlocs;
			}
			refs[nrefs++] = &locations[index[l] - 1];
		}
	}
	select_tables(p, locations, nlocs, &t);
	copy = *p;
	copy.samples = samples;
	copy.nsamples = n;
	copy.locations = locations;
	copy.nlocations = nlocs;
	copy.functions = t.functions;
	copy.nfunctions = t.nfunctions;
	copy.mappings = t.mappings;
	copy.nmappings = t.nmappings;
	e = profile_encode_new(p, 0);
	if ((rc = profile_encode_add(e, &copy, NULL, cause)) == 0)
		*out = profile_encode_model(e);
	else
		profile_encode_free(e);
	free(t.functions);
	free(t.mappings);
	free(t.lines);
	free(t.findex);
	free(t.mindex);
out:
	free(index);
	free(locations);
	free(refs);
	free(samples);
	return (rc);
}
