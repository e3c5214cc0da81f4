/*
 * A drop directory as a store of profiles: the files profdropd names
 * KIND-YYYYmmddTHHMMSSZ-HOST[.N].pb.gz, in it and in an uploader's sent/,
 * by the time their window starts.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdrop.h"
#include "cli.h"

#define NS	INT64_C(1000000000)

/*
 * A window starts on its boundary and lasts what the daemon's monotonic
 * clock measured: its end may pass the next one's start by milliseconds.
 * Overlaps no longer than this at either end do not count.
 */
#define DROPSEL_SLACK	(INT64_C(50) * 1000000)

/* "cpu,offcpu" or "cpu offcpu" as a mask of kinds (1 << PD_KIND_*). */
int
dropsel_kinds(const char *arg, unsigned int *mask, char **cause)
{
	char		*copy, *word, *last;
	int		 k;

	*mask = 0;
	copy = alloc_printf("%s", arg);
	for (word = strtok_r(copy, ", ", &last); word != NULL;
	    word = strtok_r(NULL, ", ", &last)) {
		for (k = 0; k < PD_NKINDS; k++) {
			if (strcmp(word, pd_kind_name(k)) == 0)
				break;
		}
		if (k == PD_NKINDS) {
			*cause = alloc_printf("--profiles %s: no profile type "
			    "\"%s\"; give some of cpu, offcpu, wall", arg,
			    word);
			free(copy);
			return (-1);
		}
		*mask |= 1U << k;
	}
	free(copy);
	if (*mask == 0) {
		*cause = alloc_printf("--profiles: give some of cpu, offcpu, "
		    "wall");
		return (-1);
	}
	return (0);
}

/*
 * The kind and window start of a name profdropd gives; 0 if name is one
 * of a kind in kinds.
 */
static int
dropsel_name(const char *name, unsigned int kinds, int *kind, int64_t *ns)
{
	const char	*dash, *p, *suffix;
	struct tm	 tm;
	size_t		 len = strlen(name);
	time_t		 t;
	int		 k;

	if ((dash = strchr(name, '-')) == NULL || len < 6 ||
	    strcmp(name + len - 6, ".pb.gz") != 0)
		return (-1);
	for (k = 0; k < PD_NKINDS; k++) {
		if (strlen(pd_kind_name(k)) == (size_t)(dash - name) &&
		    strncmp(name, pd_kind_name(k), dash - name) == 0)
			break;
	}
	if (k == PD_NKINDS || (kinds & (1U << k)) == 0)
		return (-1);
	memset(&tm, 0, sizeof tm);
	p = strptime(dash + 1, "%Y%m%dT%H%M%SZ", &tm);
	if (p != dash + 17 || *p != '-' || p + 1 >= name + len - 6)
		return (-1);
	for (suffix = p + 1; suffix < name + len - 6; suffix++) {
		if (!((*suffix >= 'a' && *suffix <= 'z') ||
		    (*suffix >= 'A' && *suffix <= 'Z') ||
		    (*suffix >= '0' && *suffix <= '9') ||
		    *suffix == '.' || *suffix == '_' || *suffix == '-'))
			return (-1);
	}
	if ((t = timegm(&tm)) == (time_t)-1 || t < 0)
		return (-1);
	*kind = k;
	*ns = (int64_t)t * NS;
	return (0);
}

/* The profiles of dir named for a window starting before until. */
static int
dropsel_scan_dir(const char *dir, unsigned int kinds, int64_t until,
    struct dropsel *ds, size_t *cap, char **cause)
{
	struct dropsel_file	*f;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	int64_t			 named;
	int			 kind, fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		*cause = alloc_printf("%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (dropsel_name(de->d_name, kinds, &kind, &named) != 0 ||
		    named >= until)
			continue;
		/* Only files: a link could lead anywhere. */
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (ds->nfiles == *cap) {
			*cap = *cap != 0 ? *cap * 2 : 64;
			ds->files = alloc_resize(ds->files, *cap,
			    sizeof *ds->files);
		}
		f = &ds->files[ds->nfiles++];
		f->path = alloc_printf("%s/%s", dir, de->d_name);
		f->kind = pd_kind_name(kind);
		f->named = named;
	}
	closedir(d);
	return (0);
}

static int
dropsel_compare(const void *pa, const void *pb)
{
	const struct dropsel_file	*a = pa, *b = pb;

	if (a->named != b->named)
		return (a->named < b->named ? -1 : 1);
	return (strcmp(a->path, b->path));
}

/*
 * The profiles of the kinds asked for in dir and dir/sent whose window,
 * by their names, starts before until.
 */
int
dropsel_scan(const char *dir, unsigned int kinds, int64_t until,
    struct dropsel *ds, char **cause)
{
	struct stat	 st;
	size_t		 cap = 0;
	char		*sent, *inner;
	int		 rc;

	memset(ds, 0, sizeof *ds);
	if (dropsel_scan_dir(dir, kinds, until, ds, &cap, cause) != 0) {
		inner = *cause;
		*cause = alloc_printf("drop directory %s; name the one "
		    "profdropd writes with --dir", inner);
		free(inner);
		return (-1);
	}
	sent = alloc_printf("%s/sent", dir);
	rc = 0;
	if (lstat(sent, &st) == 0 && S_ISDIR(st.st_mode))
		rc = dropsel_scan_dir(sent, kinds, until, ds, &cap, cause);
	free(sent);
	if (rc != 0) {
		dropsel_free(ds);
		return (-1);
	}
	qsort(ds->files, ds->nfiles, sizeof *ds->files, dropsel_compare);
	return (0);
}

/*
 * Read a file's profile, only the samples that carry every tag, and the
 * window it covers: its time_nanos and duration_nanos, else its name's.
 */
int
dropsel_read(const struct dropsel_file *f, const char *const *tags,
    size_t ntags, struct pd_profile **out, struct timespan *window,
    char **cause)
{
	struct pd_profile	*p, *kept;

	if (pd_profile_read_file(f->path, 0, &p, cause) != 0)
		return (-1);
	window->start = p->time_nanos != 0 ? p->time_nanos : f->named;
	window->end = window->start + 1;
	if (p->duration_nanos > 0 && p->duration_nanos < INT64_MAX -
	    window->start)
		window->end = window->start + p->duration_nanos;
	if (ntags == 0) {
		*out = p;
		return (0);
	}
	if (pd_profile_filter(p, tags, ntags, &kept, cause) != 0) {
		pd_profile_free(p);
		return (-1);
	}
	pd_profile_free(p);
	*out = kept;
	return (0);
}

/*
 * Whether a window overlaps range by more than the slack at its ends;
 * *core is the window without them.
 */
int
dropsel_overlaps(const struct timespan *window, const struct timespan *range,
    struct timespan *core)
{
	int64_t	 slack;

	*core = *window;
	slack = (core->end - core->start) / 4 < DROPSEL_SLACK ?
	    (core->end - core->start) / 4 : DROPSEL_SLACK;
	core->start += slack;
	core->end -= slack;
	return (core->start < range->end && core->end > range->start);
}

void
dropsel_free(struct dropsel *ds)
{
	size_t	 i;

	for (i = 0; i < ds->nfiles; i++)
		free(ds->files[i].path);
	free(ds->files);
	memset(ds, 0, sizeof *ds);
}
