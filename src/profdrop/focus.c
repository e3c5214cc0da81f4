/*
 * Samples kept or dropped by the frames of their stack, as go tool pprof's
 * -focus and -ignore: a location matches when an expression matches the
 * name or file name of one of its functions, or its binary's name; a sample
 * is kept when one of its locations matches focus and none ignore. Stacks
 * are seen as pprof sees them, pruned by the profile's drop_frames.
 */

#include <regex.h>
#include <stdlib.h>

#include "profdrop.h"
#include "cli.h"

enum focus_mark {
	FOCUS_NONE,
	FOCUS_KEPT,
	FOCUS_IGNORED
};

/* Compile the pattern of option opt; one line that says why not. */
int
focus_compile(const char *opt, const char *pattern, regex_t *re,
    char **cause)
{
	char	 msg[256];
	int	 rc;

	if ((rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB)) == 0)
		return (0);
	regerror(rc, re, msg, sizeof msg);
	*cause = alloc_printf("%s %s: %s: give a POSIX extended regular "
	    "expression", opt, pattern, msg);
	return (-1);
}

static int
focus_match_location(const struct pd_location *loc, size_t skip,
    const regex_t *re)
{
	const struct pd_function	*f;
	size_t				 i;

	for (i = skip; i < loc->nlines; i++) {
		if ((f = loc->lines[i].function) == NULL)
			continue;
		if (regexec(re, f->name, 0, NULL, 0) == 0 ||
		    regexec(re, f->filename, 0, NULL, 0) == 0)
			return (1);
	}
	return (loc->mapping != NULL &&
	    regexec(re, loc->mapping->filename, 0, NULL, 0) == 0);
}

/* Each location's mark; ignore wins, and no focus keeps every other. */
static unsigned char *
focus_marks(const struct pd_profile *p, const struct pd_prune *prune,
    const regex_t *focus, const regex_t *ignore)
{
	unsigned char	*marks;
	size_t		 i, skip;

	marks = alloc_zero(p->nlocations, 1);
	for (i = 0; i < p->nlocations; i++) {
		skip = prune != NULL ? prune[i].skip : 0;
		if (ignore != NULL &&
		    focus_match_location(&p->locations[i], skip, ignore))
			marks[i] = FOCUS_IGNORED;
		else if (focus == NULL ||
		    focus_match_location(&p->locations[i], skip, focus))
			marks[i] = FOCUS_KEPT;
	}
	return (marks);
}

static int
focus_keeps(const struct pd_profile *p, const struct pd_prune *prune,
    const unsigned char *marks, const struct pd_sample *s)
{
	size_t	 i;
	int	 kept = 0;

	for (i = pd_sample_pruned_start(p, prune, s); i < s->nlocations; i++) {
		switch (marks[s->locations[i] - p->locations]) {
		case FOCUS_IGNORED:
			return (0);
		case FOCUS_KEPT:
			kept = 1;
			break;
		}
	}
	return (kept);
}

/* The samples of p focus and ignore (either may be NULL) keep. */
int
focus_apply(const struct pd_profile *p, const regex_t *focus,
    const regex_t *ignore, struct pd_profile **out, char **cause)
{
	struct pd_prune	*prune;
	unsigned char	*marks;
	size_t		*kept, i, n = 0;
	int		 rc;

	prune = pd_profile_prune(p);
	marks = focus_marks(p, prune, focus, ignore);
	kept = alloc_zero(p->nsamples + 1, sizeof *kept);
	for (i = 0; i < p->nsamples; i++) {
		if (focus_keeps(p, prune, marks, &p->samples[i]))
			kept[n++] = i;
	}
	rc = pd_profile_select(p, kept, n, out, cause);
	free(kept);
	free(marks);
	free(prune);
	return (rc);
}
