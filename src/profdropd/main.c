/* profdropd: sample every CPU, drop pprof files on a rotation schedule. */

#include <sys/file.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

struct daemon {
	struct daemon_config	 cfg;
	struct dropdir		*dropdir;
	struct pd_engine	*engine;
	struct symcache		*names;
	struct symbolizer	*symbolizer;
	struct writers		*writers;
	struct upload		*upload;
	int			 argc;	/* to read the configuration again */
	char			**argv;
};

/* Signals become flags the loop reads. */
static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 got_hup;
static volatile sig_atomic_t	 got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = 1;
}

static void
set_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Descriptors: perf events per CPU, binaries open for unwinding and
 * naming; a host's many processes need more than the usual soft 1024.
 */
static void
raise_nofile(void)
{
	struct rlimit	 rl;
	rlim_t		 was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	/* Unlimited is refused: fs.nr_open's default is the most there is. */
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY ? rl.rlim_max : 1048576;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_debug("open files limit raised from %llu to %llu",
		    (unsigned long long)was, (unsigned long long)rl.rlim_cur);
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Wait up to timeout ms for a ring to pass its watermark. */
static void
wait_events(struct daemon *d, int timeout)
{
	struct pollfd	*fds;
	size_t		 n;

	fds = pd_engine_pollfds(d->engine, &n);
	if (poll(fds, n, timeout) == -1 && errno != EINTR)
		fatal("poll");
}

/* Hand the window to a writer, then start the next one. */
static void
end_window(struct daemon *d, int64_t start_real, int64_t duration, int last)
{
	struct pd_window	*w;

	/* A symbolizer started now forgets tables that still hold it all. */
	symbolizer_check(d->symbolizer, pd_engine_window(d->engine));
	w = pd_engine_end_window(d->engine, start_real, duration);
	writers_write(d->writers, w, start_real, last);
	pd_window_free(w);
	pd_engine_next_window(d->engine);
	symcache_set_window(d->names, pd_engine_window(d->engine));
}

/* The metrics file, if one is asked for; a failure is said, not fatal. */
static void
write_metrics(struct daemon *d, int64_t duration)
{
	struct metrics	 m;
	struct pd_usage	 u;
	char		*cause = NULL;

	if (d->cfg.metrics_file == NULL)
		return;
	pd_engine_usage(d->engine, &u);
	memset(&m, 0, sizeof m);
	m.counters = pd_engine_counters(d->engine);
	m.usage = &u;
	m.writes = writers_stats(d->writers);
	m.cpus_unsampled = pd_engine_unsampled_cpus(d->engine);
	m.window_seconds = duration / 1e9;
	m.drops = dropdir_stats(d->dropdir);
	m.upload = upload_stats(d->upload);
	if (metrics_write(d->cfg.metrics_file, &m, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
}

static void
log_window(struct daemon *d, const struct pd_counters *last)
{
	const struct pd_counters	*c = pd_engine_counters(d->engine);
	struct pd_usage			 u;

	log_info("window: %" PRIu64 " samples, %" PRIu64 " kept, %" PRIu64
	    " lost, %" PRIu64 " throttled; stacks unwound %" PRIu64 ": %"
	    PRIu64 " complete, %" PRIu64 " truncated, %" PRIu64 " failed",
	    c->samples - last->samples,
	    c->samples_kept - last->samples_kept, c->lost - last->lost,
	    c->throttled - last->throttled, c->unwound - last->unwound,
	    c->complete - last->complete, c->truncated - last->truncated,
	    c->failed - last->failed);
	if (pd_engine_kinds(d->engine) & (1 << PD_KIND_OFFCPU |
	    1 << PD_KIND_WALL))
		log_info("window: %" PRIu64 " context switches",
		    c->switches - last->switches);
	log_debug("unwind time per stack: median %" PRIu64 " ns, p99 %"
	    PRIu64 " ns", pd_counters_unwind_percentile(c, last, 0.5),
	    pd_counters_unwind_percentile(c, last, 0.99));
	pd_engine_usage(d->engine, &u);
	log_debug("unwind memory: %zu KiB of tables for %zu binaries, "
	    "%zu address spaces; %zu names cached", u.unwind_bytes >> 10,
	    u.unwind_tables, u.unwind_spaces, symcache_count(d->names));
}

/*
 * When the window that starts now ends: at the next UTC multiple of the
 * rotation, so files from many hosts line up.
 */
static int64_t
window_end_at(int64_t now, int64_t rotate)
{
	int64_t	 left = rotate - clock_ns(CLOCK_REALTIME) % rotate;

	/* Just short of a boundary the clocks disagree on: the next one. */
	if (left < rotate / 10)
		left += rotate;
	return (now + left);
}

/*
 * Hold the pidfile: a lock on it says a daemon runs, whose pid is in it.
 * Taken before detaching, so a refusal is said where it was started.
 */
static int
pidfile_lock(const char *path, char **cause)
{
	char	 buf[32];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1) {
		xasprintf(cause, "--pidfile %s: %s", path, strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		xasprintf(cause, "--pidfile %s: profdropd already runs (pid "
		    "%s); stop it first, or give another --pidfile", path,
		    buf[0] != '\0' ? buf : "unknown");
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Write this process's pid, once it is the one that stays. */
static void
pidfile_write(int fd)
{
	char	 buf[32];
	int	 n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, n, 0) != n)
		log_warn("writing the pidfile");
}

static void
run(struct daemon *d)
{
	const struct pd_counters *c = pd_engine_counters(d->engine);
	struct pd_counters	 last = *c;
	int64_t			 start = clock_ns(CLOCK_MONOTONIC), now;
	int64_t			 window_end, stop_at = INT64_MAX;
	int64_t			 window_real, next_real, window_start;
	int64_t			 timeout, rotate;
	int			 stopping = 0;

	rotate = (int64_t)d->cfg.rotate * 1000000000;
	if (d->cfg.duration != 0)
		stop_at = start + (int64_t)d->cfg.duration * 1000000000;
	window_real = clock_ns(CLOCK_REALTIME);
	window_start = start;
	window_end = window_end_at(start, rotate);
	while (!stopping) {
		now = clock_ns(CLOCK_MONOTONIC);
		timeout = (window_end < stop_at ? window_end : stop_at) - now;
		if (timeout > 100000000)
			timeout = 100000000;
		if (timeout > 0)
			wait_events(d, (timeout + 999999) / 1000000);
		pd_engine_drain(d->engine);
		writers_reap(d->writers, WNOHANG);
		upload_reap(d->upload);
		if (got_hup) {
			got_hup = 0;
			reload(&d->cfg, d->argc, d->argv);
		}
		now = clock_ns(CLOCK_MONOTONIC);
		stopping = got_stop || now >= stop_at;
		if (!stopping && now < window_end && !got_usr1)
			continue;
		got_usr1 = 0;
		next_real = clock_ns(CLOCK_REALTIME);
		/* On the boundary, but the two clocks drift by milliseconds. */
		if (now >= window_end)
			next_real = (next_real + rotate / 2) / rotate * rotate;
		end_window(d, window_real, now - window_start, stopping);
		retention_apply(d->dropdir, &d->cfg);
		log_window(d, &last);
		write_metrics(d, now - window_start);
		last = *c;
		window_real = next_real;
		window_start = now;
		rotate = (int64_t)d->cfg.rotate * 1000000000;
		window_end = window_end_at(now, rotate);
	}
	now = clock_ns(CLOCK_MONOTONIC);
	log_info("total: %" PRIu64 " samples in %.1f s, %" PRIu64
	    " records lost, %" PRIu64 " malformed", c->samples,
	    (now - start) / 1e9, c->lost, c->bad_records);
}

/* In the symbolizer: the daemon's tables, of no use there, freed. */
static void
forget_tables(void *arg)
{
	struct daemon	*d = arg;

	pd_engine_close(d->engine);
	d->engine = NULL;
	symcache_free(d->names);
	d->names = NULL;
}

int
main(int argc, char **argv)
{
	struct daemon			 d;
	const struct dropdir_stats	*ds;
	char				*cause = NULL;
	int				 rc, pidfd = -1, ready = -1;

	memset(&d, 0, sizeof d);
	d.argc = argc;
	d.argv = argv;
	if ((rc = options_parse(&d.cfg, argc, argv, &cause)) != 0) {
		if (rc == 1)
			return (0);
		/* --check-config, or switched off on this host: no error. */
		fprintf(rc == 2 ? stdout : stderr, "profdropd: %s\n", cause);
		return (rc == 2 ? 0 : 2);
	}
	log_init(1, d.cfg.log_level);
	set_signals();
	raise_nofile();
	if (d.cfg.pidfile != NULL &&
	    (pidfd = pidfile_lock(d.cfg.pidfile, &cause)) == -1)
		fatalx("%s", cause);
	if (!d.cfg.foreground)
		ready = detach_begin();
	if ((d.dropdir = dropdir_open(d.cfg.output_dir, d.cfg.group,
	    &cause)) == NULL ||
	    (d.engine = pd_engine_open(&d.cfg.engine, &cause)) == NULL ||
	    pd_engine_start(d.engine, &cause) != 0)
		fatalx("%s", cause);
	retention_apply(d.dropdir, &d.cfg);
	d.names = symcache_new();
	if (ready != -1) {
		detach_ready(ready);
		log_init(0, d.cfg.log_level);
	}
	if (pidfd != -1)
		pidfile_write(pidfd);
	privdrop_daemon(&d.cfg, d.dropdir);

	d.symbolizer = symbolizer_start(d.names, pd_engine_window(d.engine),
	    forget_tables, &d);
	if ((d.upload = upload_start(&d.cfg, d.dropdir, forget_tables, &d,
	    &cause)) == NULL && cause != NULL)
		fatalx("%s", cause);
	d.writers = writers_new(d.engine, d.dropdir, d.names, d.symbolizer);
	run(&d);
	writers_free(d.writers);
	upload_stop(d.upload);
	symbolizer_stop(d.symbolizer);
	ds = dropdir_stats(d.dropdir);
	log_info("drops: %" PRIu64 " files written (%" PRIu64 " bytes), %"
	    PRIu64 " failed (%" PRIu64 " for lack of space), %" PRIu64
	    " removed (%" PRIu64 " bytes)", ds->files_written,
	    ds->bytes_written, ds->files_failed, ds->files_full,
	    ds->files_removed, ds->bytes_removed);

	pd_engine_close(d.engine);
	symcache_free(d.names);
	dropdir_close(d.dropdir);
	binary_free();
	if (pidfd != -1) {
		unlink(d.cfg.pidfile);
		close(pidfd);
	}
	options_free(&d.cfg);
	return (0);
}
