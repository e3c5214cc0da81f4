/*
 * A file sent in parts keeps its progress beside it, in a hidden sidecar
 * (.NAME.parts) replaced atomically and synced before and after every
 * request: after a restart only the parts the server has not taken are
 * sent, and a part goes twice only if the uploader died between the
 * server's answer and the sidecar's update (counted as a resend).
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
#include <unistd.h>

#include "upload.h"

#define SIDECAR_SUFFIX	".parts"

static void
sidecar_name(char *buf, size_t size, const char *name, const char *more)
{
	snprintf(buf, size, ".%s" SIDECAR_SUFFIX "%s", name, more);
}

/* The progress of job's file; none kept means from the start. */
void
upload_progress_read(struct upload_job *job, struct upload_progress *p)
{
	char		 path[NAME_MAX + 1], buf[128];
	unsigned int	 done, inflight;
	unsigned long long split;
	ssize_t		 n;
	int		 fd;

	memset(p, 0, sizeof *p);
	p->max_samples = job->cfg->max_samples;
	sidecar_name(path, sizeof path, job->name, "");
	if ((fd = openat(job->dirfd, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "done %u inflight %u split %llu", &done, &inflight,
	    &split) != 3 || inflight > 1 || split == 0 || split > 10000000) {
		log_warnx("upload: %s: progress not readable; sending it whole",
		    path);
		return;
	}
	p->done = done;
	p->inflight = inflight;
	p->max_samples = split;
}

/* Replace the sidecar with p, synced; a failure is said, not fatal. */
static void
sidecar_write(struct upload_job *job, const struct upload_progress *p)
{
	char	 path[NAME_MAX + 1], tmp[NAME_MAX + 1], buf[128];
	int	 fd, n, ok;

	sidecar_name(path, sizeof path, job->name, "");
	sidecar_name(tmp, sizeof tmp, job->name, ".tmp");
	n = snprintf(buf, sizeof buf, "done %u inflight %d split %llu\n",
	    p->done, p->inflight, p->max_samples);
	if ((fd = openat(job->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		log_warn("upload: %s", tmp);
		return;
	}
	ok = write(fd, buf, n) == n && fsync(fd) == 0;
	close(fd);
	if (!ok || renameat(job->dirfd, tmp, job->dirfd, path) != 0) {
		log_warn("upload: writing %s", path);
		unlinkat(job->dirfd, tmp, 0);
		return;
	}
	fsync(job->dirfd);
}

/*
 * Send the next part: its body and headers given. The sidecar says it
 * is under way first, and taken once the server says so.
 */
enum upload_result
upload_part_send(struct upload_job *job, struct upload_progress *p,
    const char *const *headers, size_t nheaders, const void *body,
    size_t len)
{
	enum upload_result	 rc;

	if (p->inflight)
		__atomic_fetch_add(&job->stats->parts_resent, 1,
		    __ATOMIC_RELAXED);
	p->inflight = 1;
	sidecar_write(job, p);
	rc = upload_session_post(job->session, headers, nheaders, body, len,
	    &job->answer);
	if (rc == UPLOAD_DONE) {
		p->done++;
		p->inflight = 0;
		sidecar_write(job, p);
		__atomic_fetch_add(&job->stats->parts_sent, 1,
		    __ATOMIC_RELAXED);
		__atomic_fetch_add(&job->stats->bytes_sent, len,
		    __ATOMIC_RELAXED);
	} else if (job->answer.status != 0) {
		/* The server answered no: it does not have the part. */
		p->inflight = 0;
		sidecar_write(job, p);
	}
	return (rc);
}

void
upload_progress_remove(int dirfd, const char *name)
{
	char	 path[NAME_MAX + 1];

	sidecar_name(path, sizeof path, name, "");
	if (unlinkat(dirfd, path, 0) == 0)
		fsync(dirfd);
}

/* Remove the sidecars of files no longer there (retention took them). */
void
upload_progress_clean(int dirfd)
{
	DIR		*dir;
	struct dirent	*de;
	struct stat	 st;
	char		 name[NAME_MAX + 1];
	size_t		 len, suffix = strlen(SIDECAR_SUFFIX);
	int		 fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len <= suffix + 1)
			continue;
		if (len > suffix + 4 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0 &&
		    len - 4 > suffix &&
		    strncmp(de->d_name + len - 4 - suffix, SIDECAR_SUFFIX,
		    suffix) == 0) {
			unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		if (strcmp(de->d_name + len - suffix, SIDECAR_SUFFIX) != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - suffix - 1),
		    de->d_name + 1);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
		    errno == ENOENT)
			unlinkat(dirfd, de->d_name, 0);
	}
	closedir(dir);
}
