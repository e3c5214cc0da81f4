/*
 * profdrop record: one capture with the daemon's engine, of running
 * processes for a while, or of a command from its start to its exit,
 * written as pprof files named here, in this process.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdrop.h"
#include "cli.h"

#define RECORD_PID_DURATION	((int64_t)30 * 1000000000)

static int	cmd_record_exec(int, char **);

const struct cmd_entry cmd_record_entry = {
	"record",
	"[-F hz] [-d duration] [--label key=value] [--profiles types] "
	    "-o file {-p pid[,pid...] | [--] command [argument ...]}",
	"profile running processes, or a command from start to exit",
	cmd_record_exec
};

struct record {
	struct pd_config	 cfg;
	struct pd_engine	*engine;
	struct command		 cmd;
	int			 has_cmd;
	const char		*out;
	char			*paths[PD_NKINDS];	/* NULL: not written */
	int			 fds[PD_NKINDS];
	int64_t			 duration;	/* 0: until the command exits */
};

static volatile sig_atomic_t	 record_stop;

static void
record_on_signal(int sig)
{
	record_stop = 1;
}

static void
record_on_child(int sig)
{
}

/*
 * SIGINT and SIGTERM end the capture, which is still written; SIGCHLD
 * only breaks the wait, so that a command's exit is seen at once.
 */
static void
record_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = record_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = record_on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

static int64_t
record_clock(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/*
 * Where a kind goes: the file itself when it is the only kind; else the
 * file with the kind before its first extension (out.pb.gz: out.cpu.pb.gz).
 */
static char *
record_path(const char *out, const char *kind, int only)
{
	const char	*base, *dot;

	if (only)
		return (alloc_printf("%s", out));
	base = (base = strrchr(out, '/')) != NULL ? base + 1 : out;
	/* A leading dot hides the file; it starts no extension. */
	if ((dot = strchr(base + (*base == '.'), '.')) == NULL)
		return (alloc_printf("%s.%s", out, kind));
	return (alloc_printf("%.*s.%s%s", (int)(dot - out), out, kind, dot));
}

/*
 * Create the files once the events are open, before the command runs: a
 * path that cannot be written stops the capture before it starts.
 */
static int
record_open_files(struct record *r, char **cause)
{
	unsigned int	 kinds = r->cfg.profiles;
	enum pd_kind	 kind;
	int		 only;

	/* PD_PROFILE_* is 1 << PD_KIND_*. */
	only = (kinds & (kinds - 1)) == 0;
	for (kind = 0; kind < PD_NKINDS; kind++) {
		if (!(kinds & (1U << kind)))
			continue;
		r->paths[kind] = record_path(r->out, pd_kind_name(kind), only);
		if ((r->fds[kind] = open(r->paths[kind], O_WRONLY | O_CREAT |
		    O_TRUNC | O_CLOEXEC, 0666)) == -1) {
			*cause = alloc_printf("-o %s: %s", r->paths[kind],
			    strerror(errno));
			free(r->paths[kind]);
			r->paths[kind] = NULL;
			return (-1);
		}
	}
	return (0);
}

/* Close the files; on failure, leave none behind. */
static void
record_close_files(struct record *r, int failed)
{
	enum pd_kind	 kind;

	for (kind = 0; kind < PD_NKINDS; kind++) {
		if (r->paths[kind] == NULL)
			continue;
		if (r->fds[kind] != -1)
			close(r->fds[kind]);
		if (failed)
			unlink(r->paths[kind]);
		free(r->paths[kind]);
		r->paths[kind] = NULL;
	}
}

/* Sample until the command exits, the time is up or a signal says stop. */
static void
record_run(struct record *r, int64_t start)
{
	struct pollfd	*fds;
	size_t		 n;
	int64_t		 now, left;

	fds = pd_engine_pollfds(r->engine, &n);
	for (;;) {
		now = record_clock(CLOCK_MONOTONIC);
		left = r->duration != 0 ? start + r->duration - now :
		    INT64_MAX;
		if (record_stop || left <= 0 ||
		    (r->has_cmd && command_wait(&r->cmd, 0)))
			break;
		if (left > 100000000)
			left = 100000000;
		if (poll(fds, n, (int)((left + 999999) / 1000000)) == -1 &&
		    errno != EINTR) {
			perror("profdrop record: poll");
			break;
		}
		pd_engine_drain(r->engine);
	}
	pd_engine_drain(r->engine);
}

/* Every kind the engine made, into its file. */
static int
record_write(struct record *r, int64_t start_real, int64_t duration,
    char **cause)
{
	struct pd_window	*w;
	struct pd_pprof		*p;
	enum pd_kind		 kind;
	char			*why;
	int			 rc = 0;

	w = pd_engine_end_window(r->engine, start_real, duration);
	for (kind = 0; kind < PD_NKINDS && rc == 0; kind++) {
		if (r->paths[kind] == NULL)
			continue;
		why = NULL;
		p = pd_window_profile(w, kind, NULL, &why);
		if (p == NULL || pd_pprof_write(p, r->fds[kind], &why) != 0)
			rc = -1;
		pd_pprof_free(p);
		if (close(r->fds[kind]) != 0 && rc == 0) {
			why = alloc_printf("%s", strerror(errno));
			rc = -1;
		}
		r->fds[kind] = -1;
		if (rc != 0) {
			*cause = alloc_printf("%s: %s", r->paths[kind], why);
			free(why);
		}
	}
	pd_window_free(w);
	return (rc);
}

/* What the capture holds, on stderr. */
static void
record_report(struct record *r, int64_t duration)
{
	const struct pd_counters	*c = pd_engine_counters(r->engine);
	enum pd_kind			 kind;

	for (kind = 0; kind < PD_NKINDS; kind++) {
		if (r->paths[kind] != NULL)
			fprintf(stderr, "profdrop record: %s profile in %s\n",
			    pd_kind_name(kind), r->paths[kind]);
	}
	fprintf(stderr, "profdrop record: %.1f s, %" PRIu64 " samples kept, %"
	    PRIu64 " records lost\n", duration / 1e9, c->samples_kept,
	    c->lost);
}

/* Open the engine on the processes asked for, or on the command held. */
static int
record_start(struct record *r, char **argv, char **cause)
{
	char	 pid[32];

	if (r->has_cmd) {
		if (command_start(argv, &r->cmd, cause) == -1)
			return (-1);
		snprintf(pid, sizeof pid, "%d", (int)r->cmd.pid);
		if (pd_config_set(&r->cfg, "pid", pid, cause) != 0)
			goto fail;
		r->cfg.command = r->cmd.pid;
	}
	if ((r->engine = pd_engine_open(&r->cfg, cause)) == NULL ||
	    pd_engine_start(r->engine, cause) != 0)
		goto fail;
	return (0);

fail:
	if (r->has_cmd)
		command_abandon(&r->cmd);
	return (-1);
}

static int
record_options(struct record *r, int argc, char **argv, char **cause)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "frequency", required_argument, NULL, 'F' },
		{ "label", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "profiles", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*key;
	int		 ch, has_pid = 0;

	/* A command's own options are its: stop at the first operand. */
	while ((ch = getopt_long(argc, argv, "+d:F:o:p:", longopts,
	    NULL)) != -1) {
		key = NULL;
		switch (ch) {
		case 'd':
			if (timearg_duration("--duration", optarg,
			    &r->duration, cause) != 0)
				return (-1);
			break;
		case 'F':
			key = "frequency";
			break;
		case 'l':
			key = "label";
			break;
		case 'o':
			r->out = optarg;
			break;
		case 'p':
			key = "pid";
			has_pid = 1;
			break;
		case 'P':
			key = "profiles";
			break;
		default:
			return (1);
		}
		if (key != NULL && pd_config_set(&r->cfg, key, optarg,
		    cause) != 0)
			return (-1);
	}
	r->has_cmd = optind < argc;
	if (r->out == NULL || has_pid == r->has_cmd)
		return (1);
	if (has_pid && r->duration == 0)
		r->duration = RECORD_PID_DURATION;
	return (0);
}

static int
cmd_record_exec(int argc, char **argv)
{
	struct record	 r;
	enum pd_kind	 kind;
	char		*cause = NULL;
	int64_t		 start, start_real, duration;
	int		 rc;

	memset(&r, 0, sizeof r);
	for (kind = 0; kind < PD_NKINDS; kind++)
		r.fds[kind] = -1;
	pd_config_init(&r.cfg);
	/* One file unless more are asked for. */
	r.cfg.profiles = PD_PROFILE_CPU;
	if ((rc = record_options(&r, argc, argv, &cause)) != 0) {
		pd_config_free(&r.cfg);
		if (rc == 1)
			return (cmd_usage(&cmd_record_entry));
		fprintf(stderr, "profdrop record: %s\n", cause);
		free(cause);
		return (2);
	}
	if (record_start(&r, argv + optind, &cause) != 0)
		goto fail;
	if (record_open_files(&r, &cause) != 0) {
		if (r.has_cmd)
			command_abandon(&r.cmd);
		goto fail;
	}
	record_signals();
	start = record_clock(CLOCK_MONOTONIC);
	start_real = record_clock(CLOCK_REALTIME);
	if (r.has_cmd)
		command_release(&r.cmd);
	record_run(&r, start);
	duration = record_clock(CLOCK_MONOTONIC) - start;
	if (record_write(&r, start_real, duration, &cause) != 0)
		goto fail;
	record_report(&r, duration);
	record_close_files(&r, 0);
	pd_engine_close(r.engine);
	pd_config_free(&r.cfg);
	/* The capture is over; the command runs on to its end. */
	if (r.has_cmd && command_wait(&r.cmd, 1))
		return (command_status(&r.cmd));
	return (0);

fail:
	fprintf(stderr, "profdrop record: %s\n", cause);
	free(cause);
	record_close_files(&r, 1);
	pd_engine_close(r.engine);
	pd_config_free(&r.cfg);
	if (r.engine != NULL && r.has_cmd)
		command_wait(&r.cmd, 1);
	return (1);
}
