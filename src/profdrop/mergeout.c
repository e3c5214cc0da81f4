/*
 * Profiles merged as they are read, a batch at a time, so that memory
 * holds a batch and the sum rather than every input; then written.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdrop.h"
#include "cli.h"

#define MERGEOUT_BATCH	16

struct mergeout {
	/* The sum of the batches before first, then the ones to add. */
	struct pd_profile	*batch[MERGEOUT_BATCH + 1];
	size_t			 n;
	char			*first;	/* the first input's name */
	char			*first_types;
};

struct mergeout *
mergeout_new(void)
{
	return (alloc_zero(1, sizeof (struct mergeout)));
}

/* "samples/count cpu/nanoseconds", allocated. */
static char *
mergeout_types(const struct pd_profile *p)
{
	char	*s, *t;
	size_t	 i;

	s = alloc_printf("%s", "");
	for (i = 0; i < p->nsample_types; i++) {
		t = alloc_printf("%s%s%s/%s", s, i == 0 ? "" : " ",
		    p->sample_types[i].type, p->sample_types[i].unit);
		free(s);
		s = t;
	}
	return (s);
}

/* The sum of the batch, in place of the batch. */
static int
mergeout_flush(struct mergeout *mo, char **cause)
{
	struct pd_profile	*sum;
	size_t			 i;

	if (mo->n <= 1)
		return (0);
	if (pd_profile_merge((const struct pd_profile *const *)mo->batch,
	    mo->n, &sum, cause) != 0)
		return (-1);
	for (i = 0; i < mo->n; i++)
		pd_profile_free(mo->batch[i]);
	mo->batch[0] = sum;
	mo->n = 1;
	return (0);
}

/* Add p, read from name; the merge owns p from now on, even on error. */
int
mergeout_add(struct mergeout *mo, struct pd_profile *p, const char *name,
    char **cause)
{
	char	*types;

	types = mergeout_types(p);
	if (mo->first == NULL) {
		mo->first = alloc_printf("%s", name);
		mo->first_types = types;
	} else if (strcmp(types, mo->first_types) != 0) {
		*cause = alloc_printf("%s has sample types [%s], %s [%s]: "
		    "profiles of different types do not merge", name, types,
		    mo->first, mo->first_types);
		free(types);
		pd_profile_free(p);
		return (-1);
	} else
		free(types);
	mo->batch[mo->n++] = p;
	if (mo->n == MERGEOUT_BATCH + 1)
		return (mergeout_flush(mo, cause));
	return (0);
}

/* The sum of what was added; the merge keeps it. */
const struct pd_profile *
mergeout_sum(struct mergeout *mo, char **cause)
{
	if (mo->n == 0) {
		*cause = alloc_printf("no profiles to merge");
		return (NULL);
	}
	if (mergeout_flush(mo, cause) != 0)
		return (NULL);
	return (mo->batch[0]);
}

/* Write the sum to path, replacing it; nothing is left there on error. */
int
mergeout_write(struct mergeout *mo, const char *path, char **cause)
{
	const struct pd_profile	*sum;
	char			*inner;
	int			 fd, error;

	if ((sum = mergeout_sum(mo, cause)) == NULL)
		return (-1);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1) {
		*cause = alloc_printf("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (pd_profile_write(sum, fd, cause) != 0) {
		inner = *cause;
		*cause = alloc_printf("%s: %s", path, inner);
		free(inner);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		*cause = alloc_printf("%s: %s", path, strerror(errno));
		goto fail;
	}
	return (0);

fail:
	error = errno;
	if (fd != -1)
		close(fd);
	unlink(path);
	errno = error;
	return (-1);
}

void
mergeout_free(struct mergeout *mo)
{
	size_t	 i;

	for (i = 0; i < mo->n; i++)
		pd_profile_free(mo->batch[i]);
	free(mo->first);
	free(mo->first_types);
	free(mo);
}
