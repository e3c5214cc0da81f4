/*
 * The profiles a command is given: read, merged into one when there are
 * several, and the sample type it shows chosen, with one line on stderr
 * naming the file and the fix when something is wrong.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* The sample types of p, "samples/count, cpu/nanoseconds", allocated. */
static char *
load_types(const struct pd_profile *p)
{
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < p->nsample_types; i++) {
		t = alloc_printf("%s%s%s/%s", s != NULL ? s : "",
		    i == 0 ? "" : ", ", p->sample_types[i].type,
		    p->sample_types[i].unit);
		free(s);
		s = t;
	}
	return (s);
}

static int
load_same_types(const struct pd_profile *a, const struct pd_profile *b)
{
	size_t	 i;

	if (a->nsample_types != b->nsample_types)
		return (0);
	for (i = 0; i < a->nsample_types; i++) {
		if (strcmp(a->sample_types[i].type,
		    b->sample_types[i].type) != 0 ||
		    strcmp(a->sample_types[i].unit,
		    b->sample_types[i].unit) != 0)
			return (0);
	}
	return (1);
}

/* Profiles of one kind can merge; say which file is not. */
static int
load_check_types(const char *cmd, struct pd_profile **ps, char **files,
    size_t n)
{
	char	*a, *b;
	size_t	 i;

	for (i = 1; i < n; i++) {
		if (load_same_types(ps[0], ps[i]))
			continue;
		a = load_types(ps[i]);
		b = load_types(ps[0]);
		fprintf(stderr, "%s: %s: sample types [%s], but %s has [%s]: "
		    "give profiles of one kind (cpu, offcpu or wall)\n", cmd,
		    files[i], a, files[0], b);
		free(a);
		free(b);
		return (-1);
	}
	return (0);
}

struct pd_profile *
load_profiles(const char *cmd, char **files, size_t n)
{
	struct pd_profile	**ps, *merged = NULL;
	char			 *cause;
	size_t			  i, nread;

	ps = alloc_zero(n, sizeof *ps);
	for (nread = 0; nread < n; nread++) {
		if (pd_profile_read_file(files[nread], 0, &ps[nread],
		    &cause) != 0) {
			fprintf(stderr, "%s: %s\n", cmd, cause);
			free(cause);
			goto out;
		}
	}
	if (n == 1) {
		merged = ps[0];
		nread = 0;
	} else if (load_check_types(cmd, ps, files, n) == 0 &&
	    pd_profile_merge((const struct pd_profile *const *)ps, n, &merged,
	    &cause) != 0) {
		fprintf(stderr, "%s: merging %s and the rest: %s\n", cmd,
		    files[0], cause);
		free(cause);
	}
out:
	for (i = 0; i < nread; i++)
		pd_profile_free(ps[i]);
	free(ps);
	return (merged);
}

/* The index of sample type type in p, read from what; NULL the default. */
int
load_sample_index(const struct pd_profile *p, const char *type,
    const char *what, char **cause)
{
	char	*types;
	int	 index;

	if ((index = pd_profile_sample_index(p, type)) != -1)
		return (index);
	types = load_types(p);
	*cause = alloc_printf("%s: no sample type \"%s\"; it has %s", what,
	    type != NULL ? type : "", types);
	free(types);
	return (-1);
}

/*
 * The profiles in files, merged, and their call graph; the index of the
 * sample type type (NULL for the default), or -1 after saying why not.
 */
int
load_graph(const char *cmd, char **files, size_t n, const char *type,
    struct pd_profile **p, struct graph **g)
{
	char	*cause;
	int	 index;

	if ((*p = load_profiles(cmd, files, n)) == NULL)
		return (-1);
	if ((index = load_sample_index(*p, type, files[0], &cause)) == -1) {
		fprintf(stderr, "%s: %s\n", cmd, cause);
		free(cause);
		pd_profile_free(*p);
		*p = NULL;
		return (-1);
	}
	*g = graph_new(*p);
	return (index);
}
