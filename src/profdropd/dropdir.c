/*
 * The drop directory: every profile is written to a hidden name inside it,
 * synced, then linked under its final name, so a watcher sees whole files
 * or nothing. Nothing in it is opened through a symbolic link.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

#define DROPDIR_DIR_MODE	0750
#define DROPDIR_FILE_MODE	0640

struct dropdir {
	int			 fd;
	char			*path;
	gid_t			 group;
	char			 host[64];
	unsigned int		 serial;	/* of the last hidden name */
	struct dropdir_stats	*stats;		/* shared with the writers */
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

/*
 * A hidden name of our own in the directory, created exclusively, with
 * the mode and group asked for whatever the umask.
 */
static int
dropdir_temp(struct dropdir *dd, char *name, size_t size)
{
	struct stat	 st;
	int		 fd, error;

	do {
		snprintf(name, size, ".profdrop-%ld-%u.tmp", (long)getpid(),
		    dd->serial++);
		fd = openat(dd->fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, DROPDIR_FILE_MODE);
	} while (fd == -1 && errno == EEXIST);
	if (fd == -1)
		return (-1);
	/* The directory's setgid bit gave the group: writers cannot chown. */
	if (fchmod(fd, DROPDIR_FILE_MODE) != 0 || (dd->group != (gid_t)-1 &&
	    (fstat(fd, &st) != 0 || (st.st_gid != dd->group &&
	    fchown(fd, -1, dd->group) != 0)))) {
		error = errno;
		close(fd);
		unlinkat(dd->fd, name, 0);
		errno = error;
		return (-1);
	}
	return (fd);
}

/* The writer PID of a hidden name, or -1 if name is not one of ours. */
static pid_t
dropdir_temp_pid(const char *name)
{
	const char	*p;
	char		*end;
	long		 pid;

	if (strncmp(name, ".profdrop-", 10) != 0)
		return (-1);
	p = name + 10;
	if (*p < '0' || *p > '9')
		return (-1);
	pid = strtol(p, &end, 10);
	if (pid <= 0 || pid > INT_MAX || *end != '-')
		return (-1);
	p = end + 1;
	if (*p < '0' || *p > '9')
		return (-1);
	strtoul(p, &end, 10);
	if (strcmp(end, ".tmp") != 0)
		return (-1);
	return (pid);
}

/*
 * The command name and state of pid ("self" for us) from /proc; -1 if it
 * does not run.
 */
static int
dropdir_proc(const char *pid, char *comm, size_t size, char *state)
{
	char	 path[64], buf[128], *lp, *rp;
	FILE	*f;
	size_t	 len;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = '\0';
	if ((lp = strchr(buf, '(')) == NULL ||
	    (rp = strrchr(buf, ')')) == NULL || rp < lp ||
	    rp[1] != ' ')
		return (-1);
	*rp = '\0';
	strlcpy(comm, lp + 1, size);
	*state = rp[2];
	return (0);
}

/*
 * Whether pid is a writer at work: a profdropd (writers are forks of the
 * daemon) and not a zombie nobody has reaped yet.
 */
static int
dropdir_writer_alive(pid_t pid)
{
	char	 id[32], self[32], comm[32], state;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return (0);
	snprintf(id, sizeof id, "%ld", (long)pid);
	if (dropdir_proc(id, comm, sizeof comm, &state) != 0)
		return (0);
	if (state == 'Z' || state == 'X')
		return (0);
	if (dropdir_proc("self", self, sizeof self, &state) != 0)
		return (1);
	return (strcmp(self, comm) == 0);
}

/*
 * Remove the hidden files of writers no longer running (killed with the
 * daemon, or the machine stopped); a running writer's are its own.
 */
static void
dropdir_clean(struct dropdir *dd)
{
	DIR		*dir;
	struct dirent	*de;
	struct stat	 st;
	pid_t		 pid;
	uint64_t	 n = 0, bytes = 0;
	int		 fd;

	if ((fd = openat(dd->fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("%s: cannot read it to remove stale temporary files",
		    dd->path);
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if ((pid = dropdir_temp_pid(de->d_name)) == -1 ||
		    pid == getpid() || dropdir_writer_alive(pid))
			continue;
		if (fstatat(dd->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dd->fd, de->d_name, 0) != 0) {
			log_warn("%s: removing %s", dd->path, de->d_name);
			continue;
		}
		n++;
		bytes += st.st_size;
	}
	closedir(dir);
	if (n != 0) {
		log_info("%s: removed %" PRIu64 " temporary files (%" PRIu64
		    " bytes) of writers no longer running", dd->path, n, bytes);
		dropdir_removed(dd, n, bytes, 0);
	}
}

/* Open dir, made with mode 0750 if missing, and its group set. */
static int
dropdir_mkdir(struct dropdir *dd, const char *dir, char **cause)
{
	struct stat	 st;
	int		 made = 0;

	dd->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dd->fd == -1 && errno == ENOENT) {
		if (mkdir(dir, DROPDIR_DIR_MODE) != 0) {
			xasprintf(cause, "--output-dir %s: cannot create it: "
			    "%s; create its parent or name another directory",
			    dir, strerror(errno));
			return (-1);
		}
		made = 1;
		dd->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dd->fd == -1) {
		xasprintf(cause, "--output-dir %s: %s; name a directory", dir,
		    strerror(errno));
		return (-1);
	}
	/* The umask may have taken the group's bits. */
	if (made && fchmod(dd->fd, DROPDIR_DIR_MODE) != 0) {
		xasprintf(cause, "--output-dir %s: chmod: %s", dir,
		    strerror(errno));
		return (-1);
	}
	/* Setgid: files made in it take the group, as their writers can't. */
	if (dd->group != (gid_t)-1 && (fchown(dd->fd, -1, dd->group) != 0 ||
	    fstat(dd->fd, &st) != 0 ||
	    fchmod(dd->fd, (st.st_mode & 07777) | S_ISGID) != 0)) {
		xasprintf(cause, "--output-dir %s: giving it to --group %ld: "
		    "%s", dir, (long)dd->group, strerror(errno));
		return (-1);
	}
	return (0);
}

struct dropdir *
dropdir_open(const char *dir, gid_t group, char **cause)
{
	struct dropdir	*dd;
	char		 probe[64];
	int		 fd;

	dd = xcalloc(1, sizeof *dd);
	dd->path = xstrdup(dir);
	dd->group = group;
	dd->stats = mmap(NULL, sizeof *dd->stats, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (dd->stats == MAP_FAILED)
		fatal("mmap");
	if (dropdir_mkdir(dd, dir, cause) != 0)
		goto fail;
	/* Only a real file shows the directory is writable (ro mounts). */
	if ((fd = dropdir_temp(dd, probe, sizeof probe)) == -1) {
		xasprintf(cause, "--output-dir %s: not writable: %s; fix its "
		    "permissions or mount, or choose another directory", dir,
		    strerror(errno));
		goto fail;
	}
	close(fd);
	unlinkat(dd->fd, probe, 0);
	dropdir_hostname(dd->host, sizeof dd->host);
	dropdir_clean(dd);
	return (dd);

fail:
	dropdir_close(dd);
	return (NULL);
}

int
dropdir_fd(struct dropdir *dd)
{
	return (dd->fd);
}

const char *
dropdir_path(struct dropdir *dd)
{
	return (dd->path);
}

/*
 * A name an uploader moved into sent/ or failed/: a file published under
 * it again, after a restart within the same second, would be taken for
 * that one there and by the server.
 */
static int
dropdir_name_sent(struct dropdir *dd, const char *name)
{
	static const char *const subs[] = { "sent", "failed" };
	struct stat	 st;
	char		 path[PATH_MAX + 8];
	size_t		 i;

	for (i = 0; i < sizeof subs / sizeof *subs; i++) {
		snprintf(path, sizeof path, "%s/%s", subs[i], name);
		if (fstatat(dd->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return (1);
	}
	return (0);
}

/* Link the finished file under a name that sorts by time, never replacing. */
static int
dropdir_publish(struct dropdir *dd, const char *tmp, const char *prefix,
    int64_t start_ns, char **cause)
{
	char		 stamp[32], name[PATH_MAX];
	struct tm	 tm;
	time_t		 t = start_ns / 1000000000;
	int		 n, error;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(name, sizeof name, "%s-%s-%s.pb.gz", prefix,
			    stamp, dd->host);
		else
			snprintf(name, sizeof name, "%s-%s-%s.%d.pb.gz", prefix,
			    stamp, dd->host, n);
		if (dropdir_name_sent(dd, name)) {
			errno = EEXIST;
			continue;
		}
		if (linkat(dd->fd, tmp, dd->fd, name, 0) == 0)
			return (0);
		if (errno != EEXIST)
			break;
	}
	error = errno;
	xasprintf(cause, "publishing %s: %s", name, strerror(error));
	errno = error;
	return (-1);
}

/*
 * The time in a profile's name: 0 if name is one dropdir_publish gives
 * (KIND-YYYYmmddTHHMMSSZ-HOST[.N].pb.gz), else -1.
 */
int
dropdir_name_time(const char *name, time_t *t)
{
	const char	*p = name, *end;
	struct tm	 tm;
	size_t		 len;

	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == name || *p++ != '-')
		return (-1);
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(p, "%Y%m%dT%H%M%SZ", &tm)) != p + 16 ||
	    *end++ != '-')
		return (-1);
	len = strlen(end);
	if (len <= 6 || strcmp(end + len - 6, ".pb.gz") != 0)
		return (-1);
	for (p = end; p < end + len - 6; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'))
			return (-1);
	}
	*t = timegm(&tm);
	return (0);
}

/* Writers are children: the counters they share are bumped atomically. */
static void
dropdir_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Tell the user where and, for a full disk, that space is the fix. */
static void
dropdir_failed(struct dropdir *dd, int error, char **cause)
{
	char	*inner = *cause;

	dropdir_count(&dd->stats->files_failed, 1);
	if (error == ENOSPC || error == EDQUOT) {
		dropdir_count(&dd->stats->files_full, 1);
		*cause = NULL;
		xasprintf(cause, "output directory %s is full (%s: %s); free "
		    "space there or lower --max-bytes", dd->path,
		    error == ENOSPC ? "ENOSPC" : "EDQUOT", strerror(error));
	} else if (inner != NULL) {
		*cause = NULL;
		xasprintf(cause, "output directory %s: %s", dd->path, inner);
	} else
		xasprintf(cause, "output directory %s: %s", dd->path,
		    strerror(error));
	free(inner);
}

/*
 * Drop a file named for prefix and the window's start: fill() writes it
 * under a hidden name, then it is synced and linked under its own.
 */
int
dropdir_write(struct dropdir *dd, const char *prefix, int64_t start_ns,
    dropdir_fill fill, void *arg, char **cause)
{
	struct stat	 st;
	struct timespec	 t0, t1;
	char		 tmp[64];
	int		 fd, error;

	*cause = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = dropdir_temp(dd, tmp, sizeof tmp)) == -1) {
		dropdir_failed(dd, errno, cause);
		return (-1);
	}
	if (fill(fd, arg, cause) != 0) {
		error = errno;
		goto fail;
	}
	if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
		error = errno;
		xasprintf(cause, "fsync: %s", strerror(error));
		goto fail;
	}
	error = close(fd) != 0 ? errno : 0;
	fd = -1;
	if (error != 0) {
		xasprintf(cause, "close: %s", strerror(error));
		goto fail;
	}
	if (dropdir_publish(dd, tmp, prefix, start_ns, cause) != 0) {
		error = errno;
		goto fail;
	}
	unlinkat(dd->fd, tmp, 0);
	fsync(dd->fd);
	dropdir_count(&dd->stats->files_written, 1);
	dropdir_count(&dd->stats->bytes_written, st.st_size);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dropdir_count(&dd->stats->write_ns, (t1.tv_sec - t0.tv_sec) *
	    1000000000ULL + t1.tv_nsec - t0.tv_nsec);
	return (0);

fail:
	if (fd != -1)
		close(fd);
	unlinkat(dd->fd, tmp, 0);
	dropdir_failed(dd, error, cause);
	errno = error;
	return (-1);
}

/*
 * Count files someone else (retention) removed from the directory, unsent
 * of them before an uploader had sent them.
 */
void
dropdir_removed(struct dropdir *dd, uint64_t files, uint64_t bytes,
    uint64_t unsent)
{
	dropdir_count(&dd->stats->files_removed, files);
	dropdir_count(&dd->stats->bytes_removed, bytes);
	dropdir_count(&dd->stats->files_unsent, unsent);
}

const struct dropdir_stats *
dropdir_stats(struct dropdir *dd)
{
	return (dd->stats);
}

void
dropdir_close(struct dropdir *dd)
{
	if (dd == NULL)
		return;
	if (dd->fd != -1)
		close(dd->fd);
	if (dd->stats != NULL)
		munmap(dd->stats, sizeof *dd->stats);
	free(dd->path);
	free(dd);
}
