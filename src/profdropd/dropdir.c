/*
 * The drop directory: every profile is written to a hidden name inside it,
 * synced, then linked under its final name, so a watcher sees whole files
 * or nothing.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

struct dropdir {
	int		 fd;
	char		 host[64];
	unsigned int	 serial;	/* of the last hidden name */
};

/* Host names go into file names: keep them to a safe alphabet. */
static void
dropdir_hostname(char *host, size_t size)
{
	char	*p;

	if (gethostname(host, size) != 0)
		strlcpy(host, "localhost", size);
	host[size - 1] = '\0';
	for (p = host; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'))
			*p = '_';
	}
	if (host[0] == '\0' || host[0] == '.')
		host[0] = '_';
}

/* A hidden name of our own in the directory, created exclusively. */
static int
dropdir_temp(struct dropdir *dd, char *name, size_t size)
{
	int	 fd;

	do {
		snprintf(name, size, ".profdrop-%ld-%u.tmp", (long)getpid(),
		    dd->serial++);
		fd = openat(dd->fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0644);
	} while (fd == -1 && errno == EEXIST);
	return (fd);
}

struct dropdir *
dropdir_open(const char *dir, char **cause)
{
	struct dropdir	*dd;
	char		 probe[64];
	int		 fd;

	dd = xcalloc(1, sizeof *dd);
	if ((dd->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "--output-dir %s: %s; create it (mkdir -p) "
		    "or name an existing directory", dir, strerror(errno));
		free(dd);
		return (NULL);
	}
	/* Only a real file shows the directory is writable (ro mounts). */
	if ((fd = dropdir_temp(dd, probe, sizeof probe)) == -1) {
		xasprintf(cause, "--output-dir %s: not writable: %s; fix its "
		    "permissions or mount, or choose another directory", dir,
		    strerror(errno));
		dropdir_close(dd);
		return (NULL);
	}
	close(fd);
	unlinkat(dd->fd, probe, 0);
	dropdir_hostname(dd->host, sizeof dd->host);
	return (dd);
}

/* Link the finished file under a name that sorts by time, never replacing. */
static int
dropdir_publish(struct dropdir *dd, const char *tmp, const char *prefix,
    int64_t start_ns, char **cause)
{
	char		 stamp[32], name[PATH_MAX];
	struct tm	 tm;
	time_t		 t = start_ns / 1000000000;
	int		 n;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(name, sizeof name, "%s-%s-%s.pb.gz", prefix,
			    stamp, dd->host);
		else
			snprintf(name, sizeof name, "%s-%s-%s.%d.pb.gz", prefix,
			    stamp, dd->host, n);
		if (linkat(dd->fd, tmp, dd->fd, name, 0) == 0)
			return (0);
		if (errno != EEXIST)
			break;
	}
	xasprintf(cause, "publishing %s: %s", name, strerror(errno));
	return (-1);
}

/*
 * Drop a file named for prefix and the window's start: fill() writes it
 * under a hidden name, then it is synced and linked under its own.
 */
int
dropdir_write(struct dropdir *dd, const char *prefix, int64_t start_ns,
    dropdir_fill fill, void *arg, char **cause)
{
	char	 tmp[64];
	int	 fd, rc = -1;

	if ((fd = dropdir_temp(dd, tmp, sizeof tmp)) == -1) {
		xasprintf(cause, "creating a file in the output directory: %s",
		    strerror(errno));
		return (-1);
	}
	if (fill(fd, arg, cause) != 0)
		goto out;
	if (fsync(fd) != 0) {
		xasprintf(cause, "fsync: %s", strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "close: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (dropdir_publish(dd, tmp, prefix, start_ns, cause) != 0)
		goto out;
	fsync(dd->fd);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	unlinkat(dd->fd, tmp, 0);
	return (rc);
}

void
dropdir_close(struct dropdir *dd)
{
	if (dd == NULL)
		return;
	if (dd->fd != -1)
		close(dd->fd);
	free(dd);
}
