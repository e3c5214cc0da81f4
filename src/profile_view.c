/*
 * A profile as pprof shows it: pruned as pprof does when it reads one (the
 * outermost frame drop_frames names, and keep_frames does not, goes with
 * what it calls), and its nodes named as pprof names them.
 */

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

char *
pd_function_simple_name(const char *name)
{
	static const char *const reserved[] = {
		"(anonymous namespace)", "operator()"
	};
	const char	*s;
	size_t		 i, n = sizeof reserved / sizeof reserved[0];
	char		*simple;

	if (*name == '.')
		name++;
	for (s = name; *s != '\0'; s++) {
		for (i = 0; i < n; i++) {
			if (strncmp(s, reserved[i], strlen(reserved[i])) == 0)
				break;
		}
		if (i < n)
			s += strlen(reserved[i]) - 1;
		else if (*s == '(')
			break;
	}
	xasprintf(&simple, "%.*s", (int)(s - name), name);
	return (simple);
}

/* Compile "^(pattern)$" into re; 0 if it does. */
static int
prune_compile(regex_t *re, const char *pattern)
{
	char	*whole;
	int	 rc;

	xasprintf(&whole, "^(%s)$", pattern);
	rc = regcomp(re, whole, REG_EXTENDED | REG_NOSUB);
	free(whole);
	return (rc);
}

/* The innermost line of loc to cut at, or -1 for none. */
static ssize_t
prune_cut(const struct pd_location *loc, const regex_t *drop,
    const regex_t *keep)
{
	const struct pd_function	*f;
	char				*name;
	size_t				 j;
	int				 cut;

	for (j = loc->nlines; j-- > 0;) {
		if ((f = loc->lines[j].function) == NULL || *f->name == '\0')
			continue;
		name = pd_function_simple_name(f->name);
		cut = regexec(drop, name, 0, NULL, 0) == 0 && (keep == NULL ||
		    regexec(keep, name, 0, NULL, 0) != 0);
		free(name);
		if (cut)
			return ((ssize_t)j);
	}
	return (-1);
}

struct pd_prune *
pd_profile_prune(const struct pd_profile *p)
{
	struct pd_prune	*prune;
	regex_t		 drop, keep;
	ssize_t		 j;
	size_t		 i;
	int		 has_keep;

	if (*p->drop_frames == '\0' || prune_compile(&drop, p->drop_frames))
		return (NULL);
	if ((has_keep = *p->keep_frames != '\0') &&
	    prune_compile(&keep, p->keep_frames) != 0) {
		regfree(&drop);
		return (NULL);
	}
	/* + 1: a profile may have no locations. */
	prune = xcalloc(p->nlocations + 1, sizeof *prune);
	for (i = 0; i < p->nlocations; i++) {
		if ((j = prune_cut(&p->locations[i], &drop,
		    has_keep ? &keep : NULL)) == -1)
			continue;
		prune[i].beneath = 1;
		if ((size_t)j == p->locations[i].nlines - 1)
			prune[i].whole = 1;
		else
			prune[i].skip = j + 1;
	}
	regfree(&drop);
	if (has_keep)
		regfree(&keep);
	return (prune);
}

size_t
pd_sample_pruned_start(const struct pd_profile *p,
    const struct pd_prune *prune, const struct pd_sample *s)
{
	const struct pd_prune	*pr;
	size_t			 i;
	int			 user = 0;

	if (prune == NULL)
		return (0);
	/* From the root; what it calls before a frame of its own stays. */
	for (i = s->nlocations; i-- > 0;) {
		pr = &prune[s->locations[i] - p->locations];
		if (!pr->beneath) {
			user = 1;
			continue;
		}
		if (user)
			return (pr->whole ? i + 1 : i);
	}
	return (0);
}

char *
pd_node_name(const char *function, const char *objfile)
{
	const char	*base, *end;
	char		*name;

	if (*function != '\0')
		return (xstrdup(function));
	if (*objfile == '\0')
		return (xstrdup("<unknown>"));
	/* Go's filepath.Base: the last element, trailing slashes aside. */
	end = objfile + strlen(objfile);
	while (end > objfile + 1 && end[-1] == '/')
		end--;
	for (base = end; base > objfile && base[-1] != '/'; base--)
		;
	if (base == end)
		base--;
	xasprintf(&name, "[%.*s]", (int)(end - base), base);
	return (name);
}
