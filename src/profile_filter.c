/* Keep the samples of a profile that carry given labels. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

/* Whether sample s has a label key=value, where key is len bytes. */
static int
filter_match(const struct pd_sample *s, const char *key, size_t len,
    const char *value)
{
	const struct pd_label	*l;
	char			 num[32];
	size_t			 i;

	for (i = 0; i < s->nlabels; i++) {
		l = &s->labels[i];
		if (strncmp(l->key, key, len) != 0 || l->key[len] != '\0')
			continue;
		if (l->str != NULL) {
			if (strcmp(l->str, value) == 0)
				return (1);
			continue;
		}
		snprintf(num, sizeof num, "%" PRId64, l->num);
		if (strcmp(num, value) == 0)
			return (1);
	}
	return (0);
}

int
pd_profile_filter(const struct pd_profile *p, const char *const *tags,
    size_t ntags, struct pd_profile **out, char **cause)
{
	struct profile_encoder	*e;
	unsigned char		*keep;
	const char		*eq;
	size_t			 i, j;

	*out = NULL;
	for (j = 0; j < ntags; j++) {
		if ((eq = strchr(tags[j], '=')) == NULL || eq == tags[j]) {
			xasprintf(cause, "\"%s\" is not KEY=VALUE", tags[j]);
			return (-1);
		}
	}
	if (p->nsample_types == 0) {
		xasprintf(cause, "the profile has no sample types");
		return (-1);
	}
	keep = xcalloc(p->nsamples + 1, 1);
	for (i = 0; i < p->nsamples; i++) {
		keep[i] = 1;
		for (j = 0; j < ntags && keep[i]; j++) {
			eq = strchr(tags[j], '=');
			keep[i] = filter_match(&p->samples[i], tags[j],
			    eq - tags[j], eq + 1);
		}
	}
	e = profile_encode_new(p, 0);
	if (profile_encode_add(e, p, keep, cause) != 0) {
		free(keep);
		profile_encode_free(e);
		return (-1);
	}
	free(keep);
	*out = profile_encode_model(e);
	return (0);
}
