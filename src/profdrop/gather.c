/*
 * The profiles a command names, merged a batch at a time: files as they
 * are, and drop directories for their windows of one profile type that
 * overlap the time range, as profdrop query selects them.
 */

#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>

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
