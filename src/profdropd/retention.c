/*
 * Retention: the drop directory is kept under --max-age, --max-files and
 * --max-bytes by removing profiles, oldest first, so that a host nobody
 * collects from never fills. Only regular files named as profdropd names
 * profiles are removed; every file counts towards --max-bytes, and what
 * is under subdirectories (an uploader's sent/ or failed/) too. With an
 * uploader, a profile removed from the top directory was never sent, and
 * is counted as such.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

/* How deep subdirectories are read: sent/, failed/ and a level more. */
#define RETENTION_DEPTH	4

struct retention_file {
	char		*path;		/* under the drop directory */
	time_t		 time;		/* in its name */
	struct timespec	 mtime;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
};

/* Why a file goes, in the order the limits are looked at. */
enum retention_why {
	RETENTION_AGE,
	RETENTION_COUNT,
	RETENTION_BYTES,
	RETENTION_NWHY
};

struct retention_scan {
	struct retention_file	*files;
	size_t			 n;
	size_t			 size;
	uint64_t		 bytes;		/* of all regular files */
};

/* Add what is under fd (path, depth deep) to the scan. */
static void
retention_walk(struct retention_scan *rs, int fd, const char *path,
    int depth)
{
	DIR			*dir;
	struct dirent		*de;
	struct stat		 st;
	struct retention_file	*rf;
	char			*sub;
	time_t			 t;
	int			 subfd;

	if ((dir = fdopendir(fd)) == NULL) {
		log_warn("retention: reading %s", path);
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* Symbolic links are neither followed nor counted. */
		if (fstatat(dirfd(dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < RETENTION_DEPTH) {
			subfd = openat(dirfd(dir), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (subfd == -1)
				continue;
			xasprintf(&sub, "%s/%s", path, de->d_name);
			retention_walk(rs, subfd, sub, depth + 1);
			free(sub);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		rs->bytes += st.st_size;
		if (dropdir_name_time(de->d_name, &t) != 0)
			continue;
		if (rs->n == rs->size) {
			rs->size = rs->size == 0 ? 64 : rs->size * 2;
			rs->files = xreallocarray(rs->files, rs->size,
			    sizeof *rs->files);
		}
		rf = &rs->files[rs->n++];
		xasprintf(&rf->path, "%s/%s", path, de->d_name);
		rf->time = t;
		rf->mtime = st.st_mtim;
		rf->dev = st.st_dev;
		rf->ino = st.st_ino;
		rf->size = st.st_size;
	}
	closedir(dir);
}

/* Oldest first: by the time in the name, then mtime, then name. */
static int
retention_cmp(const void *a, const void *b)
{
	const struct retention_file	*fa = a, *fb = b;

	if (fa->time != fb->time)
		return (fa->time < fb->time ? -1 : 1);
	if (fa->mtime.tv_sec != fb->mtime.tv_sec)
		return (fa->mtime.tv_sec < fb->mtime.tv_sec ? -1 : 1);
	if (fa->mtime.tv_nsec != fb->mtime.tv_nsec)
		return (fa->mtime.tv_nsec < fb->mtime.tv_nsec ? -1 : 1);
	return (strcmp(fa->path, fb->path));
}

/*
 * Remove the file scanned as rf, reaching it one directory at a time
 * without following links, and only if it is still that regular file.
 * Returns 0, or -1 with errno set.
 */
static int
retention_remove(int top, const struct retention_file *rf)
{
	struct stat	 st;
	char		*path, *name, *slash;
	int		 fd, next, rc = -1, error;

	path = xstrdup(rf->path + 2);	/* past "./" */
	if ((fd = dup(top)) == -1)
		fatal("dup");
	name = path;
	while ((slash = strchr(name, '/')) != NULL) {
		*slash = '\0';
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1)
			goto fail;
		close(fd);
		fd = next;
		name = slash + 1;
	}
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_dev != rf->dev ||
	    st.st_ino != rf->ino) {
		errno = ENOENT;
		goto fail;
	}
	rc = unlinkat(fd, name, 0);

fail:
	error = errno;
	close(fd);
	free(path);
	errno = error;
	return (rc);
}

void
retention_apply(struct dropdir *dd, const struct daemon_config *dc)
{
	struct retention_scan	 rs;
	struct retention_file	*rf;
	uint64_t		 files, n[RETENTION_NWHY], total, removed = 0;
	uint64_t		 unsent = 0;
	enum retention_why	 why;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 fd;

	if (dc->max_age == 0 && dc->max_files == 0 && dc->max_bytes == 0)
		return;
	memset(&rs, 0, sizeof rs);
	memset(n, 0, sizeof n);
	if ((fd = openat(dropdir_fd(dd), ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		log_warn("retention: opening %s", dropdir_path(dd));
		return;
	}
	retention_walk(&rs, fd, ".", 0);
	qsort(rs.files, rs.n, sizeof *rs.files, retention_cmp);

	files = rs.n;
	for (i = 0; i < rs.n; i++) {
		rf = &rs.files[i];
		if (dc->max_age != 0 && rf->time < now &&
		    (uint64_t)(now - rf->time) > dc->max_age)
			why = RETENTION_AGE;
		else if (dc->max_files != 0 && files > dc->max_files)
			why = RETENTION_COUNT;
		else if (dc->max_bytes != 0 && rs.bytes > dc->max_bytes)
			why = RETENTION_BYTES;
		else
			break;
		if (retention_remove(dropdir_fd(dd), rf) != 0) {
			if (errno != ENOENT)
				log_warn("retention: removing %s/%s",
				    dropdir_path(dd), rf->path + 2);
			continue;
		}
		files--;
		rs.bytes -= rf->size;
		removed += rf->size;
		n[why]++;
		/* "./NAME": the uploader had not moved it to sent/ yet. */
		if (dc->upload.kind != UPLOAD_NONE &&
		    strchr(rf->path + 2, '/') == NULL)
			unsent++;
	}
	total = n[RETENTION_AGE] + n[RETENTION_COUNT] + n[RETENTION_BYTES];
	if (total != 0) {
		log_info("retention: removed %" PRIu64 " files (%" PRIu64
		    " bytes) from %s: %" PRIu64 " older than --max-age, %"
		    PRIu64 " over --max-files, %" PRIu64 " over --max-bytes; "
		    "%" PRIu64 " profiles and %" PRIu64 " bytes left",
		    total, removed, dropdir_path(dd), n[RETENTION_AGE],
		    n[RETENTION_COUNT], n[RETENTION_BYTES], files, rs.bytes);
		if (unsent != 0)
			log_warnx("retention: %" PRIu64 " of them were never "
			    "sent: the uploader is behind (see its messages); "
			    "raise the limits or fix the server", unsent);
		dropdir_removed(dd, total, removed, unsent);
	}
	for (i = 0; i < rs.n; i++)
		free(rs.files[i].path);
	free(rs.files);
}
