/* The profile model's own operations. */

#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

/* A profile is one allocation: see profile_decode.c. */
void
pd_profile_free(struct pd_profile *p)
{
	free(p);
}

int
pd_profile_sample_index(const struct pd_profile *p, const char *type)
{
	size_t	 i;
	int	 fallback = -1;

	/* As pprof: the default type, or the last if that names none. */
	if (type == NULL || *type == '\0') {
		type = p->default_sample_type;
		fallback = (int)p->nsample_types - 1;
	}
	for (i = 0; i < p->nsample_types; i++) {
		if (strcmp(p->sample_types[i].type, type) == 0)
			return ((int)i);
	}
	return (fallback);
}
