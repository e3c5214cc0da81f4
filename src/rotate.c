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

static int	 dir_fd = -1;
static char	 host[64];

/* Host names go into file names: keep them to a safe alphabet. */
static void
rotate_hostname(void)
{
	char	*p;

	if (gethostname(host, sizeof host) != 0)
		strlcpy(host, "localhost", sizeof host);
	host[sizeof host - 1] = '\0';
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
rotate_temp(char *name, size_t size)
{
	static unsigned int	 serial;
	int			 fd;

	do {
		snprintf(name, size, ".profdrop-%ld-%u.tmp", (long)getpid(),
		    serial++);
		fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0644);
	} while (fd == -1 && errno == EEXIST);
	return (fd);
}

int
rotate_init(const char *dir, char **cause)
{
	char	 probe[64];
	int	 fd;

	if ((dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "--output-dir %s: %s; create it (mkdir -p) "
		    "or name an existing directory", dir, strerror(errno));
		return (-1);
	}
	/* Only a real file shows the directory is writable (ro mounts). */
	if ((fd = rotate_temp(probe, sizeof probe)) == -1) {
		xasprintf(cause, "--output-dir %s: not writable: %s; fix its "
		    "permissions or mount, or choose another directory", dir,
		    strerror(errno));
		close(dir_fd);
		dir_fd = -1;
		return (-1);
	}
	close(fd);
	unlinkat(dir_fd, probe, 0);
	rotate_hostname();
	return (0);
}

/* Link the finished file under a name that sorts by time, never replacing. */
static int
rotate_publish(const char *tmp, const char *prefix, int64_t start_ns,
    char **cause)
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
			    stamp, host);
		else
			snprintf(name, sizeof name, "%s-%s-%s.%d.pb.gz", prefix,
			    stamp, host, n);
		if (linkat(dir_fd, tmp, dir_fd, name, 0) == 0)
			return (0);
		if (errno != EEXIST)
			break;
	}
	xasprintf(cause, "publishing %s: %s", name, strerror(errno));
	return (-1);
}

int
rotate_write(const char *prefix, int64_t start_ns, struct pprof *pprof,
    char **cause)
{
	char	 tmp[64];
	int	 fd, rc = -1;

	if ((fd = rotate_temp(tmp, sizeof tmp)) == -1) {
		xasprintf(cause, "creating a file in the output directory: %s",
		    strerror(errno));
		return (-1);
	}
	if (pprof_write(pprof, fd, cause) != 0)
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
	if (rotate_publish(tmp, prefix, start_ns, cause) != 0)
		goto out;
	fsync(dir_fd);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	unlinkat(dir_fd, tmp, 0);
	return (rc);
}

void
rotate_free(void)
{
	if (dir_fd != -1)
		close(dir_fd);
	dir_fd = -1;
}
