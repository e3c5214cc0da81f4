/*
 * The profiles a command names, merged a batch at a time: files as they
 * are, and drop directories for their windows of one profile type that
 * overlap the time range, as profdrop query selects them; then the samples
 * --tag, --focus and --ignore keep.
 */

#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* The windows of dir that sel selects, added; how many, or -1. */
static int
gather_dir(const struct selopt *sel, const char *dir, struct mergeout *mo,
    char **cause)
{
	struct pd_profile	*p;
	struct dropsel		 ds;
	struct timespan		 w, core;
	size_t			 i;
	int			 n = 0;

	if (dropsel_scan(dir, sel->kinds, sel->range.end, &ds, cause) != 0)
		return (-1);
	for (i = 0; i < ds.nfiles; i++) {
		if (dropsel_read(&ds.files[i], NULL, 0, &p, &w, cause) != 0)
			goto fail;
		if (!dropsel_overlaps(&w, &sel->range, &core)) {
			pd_profile_free(p);
			continue;
		}
		if (mergeout_add(mo, p, ds.files[i].path, cause) != 0)
			goto fail;
		n++;
	}
	dropsel_free(&ds);
	return (n);

fail:
	dropsel_free(&ds);
	return (-1);
}

/*
 * Add what paths name (sel's directory if none) to mo: a file, or the
 * windows of a directory sel selects; one kind of profile only. 0, or -1
 * if a file is not a profile, a directory cannot be read or nothing is
 * selected.
 */
int
gather_profiles(struct selopt *sel, char **paths, size_t npaths,
    struct mergeout *mo, char **cause)
{
	struct pd_profile	*p;
	struct stat		 st;
	char			*asked;
	size_t			 i;
	int			 n = 0, got;

	if ((sel->kinds & (sel->kinds - 1)) != 0) {
		*cause = alloc_printf("--profiles: one type, whose samples "
		    "add up");
		return (-1);
	}
	if (npaths == 0) {
		if (selopt_dir(sel, cause) != 0)
			return (-1);
		paths = (char **)&sel->dir;
		npaths = 1;
	}
	for (i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((got = gather_dir(sel, paths[i], mo, cause)) == -1)
				return (-1);
			n += got;
			continue;
		}
		if (pd_profile_read_file(paths[i], 0, &p, cause) != 0 ||
		    mergeout_add(mo, p, paths[i], cause) != 0)
			return (-1);
		n++;
	}
	if (n == 0) {
		asked = selopt_asked(sel);
		*cause = alloc_printf("no %s in %s%s", asked, paths[0],
		    npaths > 1 ? " and the rest" : "");
		free(asked);
		return (-1);
	}
	return (0);
}

/* The samples of p --tag, --focus and --ignore keep; *out NULL if all. */
static int
gather_filter(const struct selopt *sel, const struct pd_profile *p,
    struct pd_profile **out, char **cause)
{
	struct pd_profile	*tagged = NULL;
	int			 rc;

	*out = NULL;
	if (sel->ntags != 0 && pd_profile_filter(p, sel->tags, sel->ntags,
	    &tagged, cause) != 0)
		return (-1);
	if (!sel->has_focus && !sel->has_ignore) {
		*out = tagged;
		return (0);
	}
	rc = focus_apply(tagged != NULL ? tagged : p, sel->has_focus ?
	    &sel->focus : NULL, sel->has_ignore ? &sel->ignore : NULL, out,
	    cause);
	if (tagged != NULL)
		pd_profile_free(tagged);
	if (rc != 0)
		*out = NULL;
	return (rc);
}

/*
 * What paths name, as gather_profiles takes them, merged, with the index
 * of sample type type (NULL for the default) and the samples sel keeps.
 * 0, or -1 with g freed.
 */
int
gather_select(struct selopt *sel, char **paths, size_t npaths,
    const char *type, struct gathered *g, char **cause)
{
	memset(g, 0, sizeof *g);
	g->mo = mergeout_new();
	if (gather_profiles(sel, paths, npaths, g->mo, cause) != 0 ||
	    (g->all = mergeout_sum(g->mo, cause)) == NULL)
		goto fail;
	g->what = npaths != 0 ? paths[0] : sel->dir;
	if ((g->index = load_sample_index(g->all, type, g->what,
	    cause)) == -1 || gather_filter(sel, g->all, &g->filtered,
	    cause) != 0)
		goto fail;
	g->shown = g->filtered != NULL ? g->filtered : g->all;
	return (0);

fail:
	gather_free(g);
	return (-1);
}

void
gather_free(struct gathered *g)
{
	if (g->filtered != NULL)
		pd_profile_free(g->filtered);
	if (g->mo != NULL)
		mergeout_free(g->mo);
	memset(g, 0, sizeof *g);
}
