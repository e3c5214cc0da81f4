/*
 * The uploader: a child of the daemon that sends the drop directory's
 * finished files, oldest first, and moves each to sent/ (or removes it,
 * --upload-delete) once the server has it, or to failed/ when the server
 * refuses it or it grew older than --upload-max-age unsent. Failures
 * back off exponentially with jitter, honouring Retry-After. Sampling
 * never waits for it: the daemon only reaps it and starts it again, and
 * on a stop gives it --upload-drain to send the last window's files.
 * The child needs the directory and the network, nothing more; a token
 * file is read before it is forked.
 */

#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "upload.h"

/* A child that dies sooner than this after starting waits to restart. */
#define UPLOAD_QUICK_DEATH	10
#define UPLOAD_TOKEN_MAX	4096

struct upload {
	const struct daemon_config *dc;
	struct dropdir		*dd;
	char			*token;		/* from --upload-token-file */
	char			 host[HOST_NAME_MAX + 1];
	struct upload_stats	*stats;		/* shared with the child */
	pid_t			 pid;		/* -1: not running */
	pid_t			 parent;
	time_t			 started;
	time_t			 next_start;
	unsigned int		 deaths;	/* quick ones in a row */
	void			(*forget)(void *);
	void			*arg;

	/* In the child: the last failure, to back off and say it once. */
	unsigned int		 failures;	/* in a row */
	unsigned int		 retry_after;	/* seconds the server asked */
	char			 why[1100];
	unsigned int		 seed;
};

/* A file waiting in the directory. */
struct upload_file {
	char		*name;
	time_t		 time;		/* its window's start, from its name */
};

/* The token file, read while the daemon may still read any file. */
static int
upload_read_token(struct upload *u, const char *path, char **cause)
{
	struct stat	 st;
	char		 buf[UPLOAD_TOKEN_MAX + 1];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		xasprintf(cause, "--upload-token-file %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		xasprintf(cause, "--upload-token-file %s: others may read it "
		    "(mode %03o); chmod 600 %s", path,
		    (unsigned int)(st.st_mode & 0777), path);
		return (-1);
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
		n--;
	if (n <= 0 || n > UPLOAD_TOKEN_MAX || memchr(buf, '\n', n) != NULL) {
		xasprintf(cause, "--upload-token-file %s: give one line, the "
		    "token, of at most %d bytes", path, UPLOAD_TOKEN_MAX);
		return (-1);
	}
	buf[n] = '\0';
	u->token = xstrdup(buf);
	memset(buf, 0, sizeof buf);
	return (0);
}

/* The finished files of the top directory, oldest first. */
static size_t
upload_scan(int dirfd, struct upload_file **files)
{
	DIR			*dir;
	struct dirent		*de;
	struct stat		 st;
	struct upload_file	*v = NULL;
	size_t			 n = 0;
	time_t			 t;
	int			 fd;

	*files = NULL;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (0);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (0);
	}
	while ((de = readdir(dir)) != NULL) {
		/* Temporary names are hidden and never match. */
		if (dropdir_name_time(de->d_name, &t) != 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].name = xstrdup(de->d_name);
		v[n++].time = t;
	}
	closedir(dir);
	*files = v;
	return (n);
}

static int
upload_file_cmp(const void *a, const void *b)
{
	const struct upload_file	*x = a, *y = b;

	if (x->time != y->time)
		return (x->time < y->time ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* Move name into the subdirectory sub, made if missing. */
static void
upload_move(int dirfd, const char *name, const char *sub)
{
	char	 to[PATH_MAX];

	if (mkdirat(dirfd, sub, 0750) != 0 && errno != EEXIST) {
		log_warn("upload: creating %s/", sub);
		return;
	}
	snprintf(to, sizeof to, "%s/%s", sub, name);
	if (renameat(dirfd, name, dirfd, to) != 0)
		log_warn("upload: moving %s to %s/", name, sub);
	fsync(dirfd);
}

/* The whole file; NULL with reason set if it cannot be read. */
static unsigned char *
upload_read_file(int dirfd, const char *name, size_t *len, char *reason,
    size_t size)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) != 0) {
		snprintf(reason, size, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > PD_PROFILE_MAX_BYTES) {
		snprintf(reason, size, "not a regular file of at most 256 MiB");
		goto fail;
	}
	buf = xmalloc(st.st_size + 1);
	while (got < (size_t)st.st_size) {
		if ((n = read(fd, buf + got, st.st_size - got)) <= 0) {
			snprintf(reason, size, "reading: %s", n == 0 ?
			    "it shrank" : strerror(errno));
			goto fail;
		}
		got += n;
	}
	close(fd);
	*len = got;
	return (buf);

fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return (NULL);
}

/* What the file's name says of it: its type, before the first dash. */
static void
upload_kind(const char *name, char *kind, size_t size)
{
	snprintf(kind, size, "%.*s", (int)strcspn(name, "-"), name);
}

/* Send one file; the reason for a failure is in job->answer. */
static enum upload_result
upload_send(struct upload *u, struct upload_session *session, int dirfd,
    const char *name)
{
	struct upload_job	 job;
	enum upload_result	 rc;
	unsigned char		*data;
	char			 kind[32];

	memset(&job, 0, sizeof job);
	upload_kind(name, kind, sizeof kind);
	job.session = session;
	job.cfg = &u->dc->upload;
	job.stats = u->stats;
	job.dirfd = dirfd;
	job.name = name;
	job.kind = kind;
	job.host = u->host;
	job.labels = u->dc->engine.labels;
	job.nlabels = u->dc->engine.nlabels;
	if ((data = upload_read_file(dirfd, name, &job.len, job.answer.reason,
	    sizeof job.answer.reason)) == NULL) {
		log_warnx("upload: %s: %s", name, job.answer.reason);
		return (UPLOAD_REFUSED);
	}
	job.data = data;
	if (u->dc->upload.kind == UPLOAD_PYROSCOPE)
		rc = upload_pyroscope_send(&job);
	else
		rc = upload_http_send(&job);
	free(data);
	if (rc == UPLOAD_REFUSED && job.answer.status != 0)
		log_warnx("upload: %s refused: HTTP %ld: %s; it goes to "
		    "failed/", name, job.answer.status, job.answer.reason);
	else if (rc == UPLOAD_REFUSED)
		log_warnx("upload: %s: %s; it goes to failed/", name,
		    job.answer.reason);
	else if (rc == UPLOAD_RETRY) {
		u->retry_after = job.answer.retry_after;
		if (job.answer.status != 0)
			snprintf(u->why, sizeof u->why, "HTTP %ld: %s",
			    job.answer.status, job.answer.reason);
		else
			snprintf(u->why, sizeof u->why, "%s",
			    job.answer.reason);
	}
	return (rc);
}

/* How long to wait after the failures in a row: exponential, jittered. */
static uint64_t
upload_backoff(struct upload *u)
{
	const struct upload_config	*uc = &u->dc->upload;
	uint64_t			 ms = uc->backoff_ms;
	unsigned int			 i;

	for (i = 1; i < u->failures && ms < uc->backoff_max_ms; i++)
		ms *= 2;
	if (ms > uc->backoff_max_ms)
		ms = uc->backoff_max_ms;
	/* Half to all of it, so that many hosts do not retry at once. */
	ms = ms / 2 + (uint64_t)rand_r(&u->seed) % (ms / 2 + 1);
	if ((uint64_t)u->retry_after * 1000 > ms)
		ms = (uint64_t)u->retry_after * 1000;
	return (ms);
}

/* Sleep ms, or until a file appears (inotify fd ifd, -1 if none). */
static void
upload_wait(int ifd, uint64_t ms)
{
	struct pollfd	 pfd;
	char		 buf[4096];

	pfd.fd = ifd;
	pfd.events = POLLIN;
	if (ifd == -1) {
		usleep(ms * 1000);
		return;
	}
	if (poll(&pfd, 1, (int)ms) > 0)
		while (read(ifd, buf, sizeof buf) > 0)
			;
}

static void
upload_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Publish the queue's length and oldest file for the metrics. */
static void
upload_queue(struct upload *u, const struct upload_file *files, size_t n)
{
	__atomic_store_n(&u->stats->queue, n, __ATOMIC_RELAXED);
	__atomic_store_n(&u->stats->oldest, n != 0 ? (int64_t)files[0].time :
	    0, __ATOMIC_RELAXED);
}

/* The oldest file: send it, or give it up when too old to be taken. */
static void
upload_next(struct upload *u, struct upload_session *session, int dirfd,
    const struct upload_file *f)
{
	const struct upload_config	*uc = &u->dc->upload;
	time_t				 now = time(NULL);
	enum upload_result		 rc;
	uint64_t			 ms;

	if (now > f->time && (unsigned long long)(now - f->time) >
	    uc->max_age) {
		log_warnx("upload: %s not sent within --upload-max-age (%llu "
		    "s since its window began%s%s); it goes to failed/",
		    f->name, (unsigned long long)(now - f->time),
		    u->why[0] != '\0' ? "; last failure: " : "", u->why);
		upload_progress_remove(dirfd, f->name);
		upload_move(dirfd, f->name, "failed");
		upload_count(&u->stats->files_failed);
		return;
	}
	rc = upload_send(u, session, dirfd, f->name);
	if (rc == UPLOAD_RETRY) {
		upload_count(&u->stats->retries);
		if (u->failures++ == 0)
			log_warnx("upload: %s: %s; trying again with backoff",
			    f->name, u->why);
		ms = upload_backoff(u);
		log_debug("upload: %s: %s; next try in %" PRIu64 " ms",
		    f->name, u->why, ms);
		upload_wait(-1, ms);
		return;
	}
	if (u->failures != 0)
		log_info("upload: sending again after %u failures",
		    u->failures);
	u->failures = 0;
	u->retry_after = 0;
	u->why[0] = '\0';
	upload_progress_remove(dirfd, f->name);
	if (rc == UPLOAD_REFUSED) {
		upload_move(dirfd, f->name, "failed");
		upload_count(&u->stats->files_failed);
		return;
	}
	if (uc->delete) {
		if (unlinkat(dirfd, f->name, 0) != 0)
			log_warn("upload: removing %s", f->name);
	} else
		upload_move(dirfd, f->name, "sent");
	upload_count(&u->stats->files_sent);
	__atomic_store_n(&u->stats->last_success, (int64_t)time(NULL),
	    __ATOMIC_RELAXED);
	log_debug("upload: %s sent", f->name);
}

/* Where requests go: Pyroscope's push method under the URL given. */
static char *
upload_endpoint(const struct upload_config *uc)
{
	char	*url;
	size_t	 len = strlen(uc->url);

	if (uc->kind != UPLOAD_PYROSCOPE)
		return (xstrdup(uc->url));
	while (len > 0 && uc->url[len - 1] == '/')
		len--;
	xasprintf(&url, "%.*s/push.v1.PusherService/Push", (int)len, uc->url);
	return (url);
}

/* The daemon stops the child; a terminal's ^C is for the daemon. */
static void
upload_child_signals(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The child's entry point: from here on it needs only the drop directory
 * (already open) and the network, so privileges may be dropped before.
 */
static __dead void
upload_child_main(struct upload *u)
{
	struct upload_session	*session;
	struct upload_file	*files;
	char			*url, *cause;
	size_t			 n, i;
	int			 dirfd = dropdir_fd(u->dd), ifd;
	unsigned int		 loops = 0;

	upload_child_signals();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != u->parent)
		_exit(0);
	u->forget(u->arg);
	/* The drop directory and the network: no capability needed. */
	prctl(PR_SET_NAME, "profdropd-send");
	privdrop_keep(0);
	u->seed = getpid() ^ (unsigned int)time(NULL);
	url = upload_endpoint(&u->dc->upload);
	if ((session = upload_session_new(&u->dc->upload, url, u->token,
	    &cause)) == NULL) {
		log_warnx("upload: %s", cause);
		_exit(1);
	}
	free(url);
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1 &&
	    inotify_add_watch(ifd, dropdir_path(u->dd), IN_CREATE |
	    IN_MOVED_TO) == -1) {
		close(ifd);
		ifd = -1;
	}
	for (;;) {
		if (getppid() != u->parent)
			_exit(0);
		if (loops++ % 64 == 0)
			upload_progress_clean(dirfd);
		n = upload_scan(dirfd, &files);
		qsort(files, n, sizeof *files, upload_file_cmp);
		upload_queue(u, files, n);
		if (n != 0)
			upload_next(u, session, dirfd, &files[0]);
		else
			upload_wait(ifd, 1000);
		for (i = 0; i < n; i++)
			free(files[i].name);
		free(files);
	}
}

static void
upload_fork(struct upload *u)
{
	u->parent = getpid();
	switch (u->pid = fork()) {
	case -1:
		log_warn("upload: fork of the uploader");
		u->next_start = time(NULL) + 1;
		return;
	case 0:
		upload_child_main(u);
	}
	u->started = time(NULL);
}

/*
 * Start the uploader, if one is asked for: NULL with *cause NULL when
 * none is. In the child, forget(arg) frees what the daemon holds.
 */
struct upload *
upload_start(const struct daemon_config *dc, struct dropdir *dd,
    void (*forget)(void *), void *arg, char **cause)
{
	struct upload	*u;

	*cause = NULL;
	if (dc->upload.kind == UPLOAD_NONE)
		return (NULL);
	u = xcalloc(1, sizeof *u);
	u->dc = dc;
	u->dd = dd;
	u->forget = forget;
	u->arg = arg;
	if (dc->upload.token_file != NULL &&
	    upload_read_token(u, dc->upload.token_file, cause) != 0) {
		free(u);
		return (NULL);
	}
	if (dc->upload.token != NULL)
		u->token = xstrdup(dc->upload.token);
	if (gethostname(u->host, sizeof u->host) != 0)
		strlcpy(u->host, "localhost", sizeof u->host);
	u->host[sizeof u->host - 1] = '\0';
	u->stats = mmap(NULL, sizeof *u->stats, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (u->stats == MAP_FAILED)
		fatal("mmap");
	memset(u->stats, 0, sizeof *u->stats);
	upload_fork(u);
	return (u);
}

/* In the daemon's loop: start the uploader again if it died. */
void
upload_reap(struct upload *u)
{
	time_t	 now = time(NULL);
	int	 status;

	if (u == NULL)
		return;
	if (u->pid != -1) {
		if (waitpid(u->pid, &status, WNOHANG) != u->pid)
			return;
		u->pid = -1;
		upload_count(&u->stats->restarts);
		/* One that keeps dying waits longer each time, up to 64 s. */
		if (now - u->started < UPLOAD_QUICK_DEATH) {
			if (u->deaths < 6)
				u->deaths++;
			u->next_start = now + (1 << u->deaths);
		} else {
			u->deaths = 0;
			u->next_start = now;
		}
		log_warnx("upload: the uploader exited (status %#x); starting "
		    "it again in %lld s", status,
		    (long long)(u->next_start - now));
	}
	if (now >= u->next_start)
		upload_fork(u);
}

const struct upload_stats *
upload_stats(struct upload *u)
{
	return (u != NULL ? u->stats : NULL);
}

static int64_t
upload_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Give the uploader up to --upload-drain to empty the directory, so that
 * a stop does not leave the last window for the next start.
 */
static void
upload_drain(struct upload *u)
{
	struct upload_file	*files;
	int64_t			 until;
	size_t			 n, i;

	until = upload_now_ms() + (int64_t)u->dc->upload.drain_ms;
	for (;;) {
		if (waitpid(u->pid, NULL, WNOHANG) == u->pid) {
			u->pid = -1;
			return;
		}
		n = upload_scan(dropdir_fd(u->dd), &files);
		for (i = 0; i < n; i++)
			free(files[i].name);
		free(files);
		if (n == 0)
			return;
		if (upload_now_ms() >= until)
			break;
		usleep(20000);
	}
	log_info("upload: %zu files left unsent after --upload-drain; they "
	    "are sent at the next start", n);
}

/* Stop it, after the drain: SIGTERM, then SIGKILL after 2 s. */
void
upload_stop(struct upload *u)
{
	int	 i;

	if (u == NULL)
		return;
	if (u->pid != -1 && u->dc->upload.drain_ms != 0)
		upload_drain(u);
	if (u->pid != -1) {
		kill(u->pid, SIGTERM);
		for (i = 0; i < 200 && waitpid(u->pid, NULL, WNOHANG) == 0;
		    i++)
			usleep(10000);
		if (i == 200) {
			kill(u->pid, SIGKILL);
			waitpid(u->pid, NULL, 0);
		}
	}
	munmap(u->stats, sizeof *u->stats);
	free(u->token);
	free(u);
}
