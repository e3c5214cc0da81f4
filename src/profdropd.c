/* profdropd: sample every CPU, drop pprof files on a rotation schedule. */

#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

static struct sampler		*sampler;
/* Children writing windows; a slow one does not hold up the next. */
#define MAX_WRITERS	4
static struct writer {
	pid_t			 pid;
	struct symcache_report	*report;	/* names it made, entries it used */
}				 writers[MAX_WRITERS];
static int			 nwriters;
static pid_t			 sym_user;	/* the writer talking to the symbolizer */
static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 got_hup;

static const struct pprof_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};
static const struct pprof_value_type offcpu_types[] = {
	{ "switches", "count" },
	{ "off_cpu", "nanoseconds" },
};
static const struct pprof_value_type wall_types[] = {
	{ "wall", "nanoseconds" },
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
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
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Collect the writers that finished (all of them with options 0). */
static void
writer_reap(int options)
{
	int	 i = 0, status;

	while (i < nwriters) {
		if (waitpid(writers[i].pid, &status, options) != writers[i].pid) {
			i++;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("the process writing a window failed "
			    "(status %#x); that window is lost", status);
		symcache_absorb(writers[i].report, WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
		if (writers[i].pid == sym_user)
			sym_user = 0;
		writers[i] = writers[--nwriters];
	}
}

static int
write_window(struct stacks *st, const struct profile_kind *kind,
    int64_t start_real, int64_t duration)
{
	char	*cause = NULL;

	if (window_write(st, kind, start_real, duration, &cause) == 0)
		return (0);
	log_warnx("writing the %s profile: %s; this window is lost",
	    kind->name, cause);
	free(cause);
	return (-1);
}

/* Every profile this window has: one file each. */
static int
write_windows(int64_t start_real, int64_t duration)
{
	int64_t			 period = 1000000000 / opts.frequency;
	struct profile_kind	 cpu = { "cpu", cpu_types, 2,
	    { "cpu", "nanoseconds" }, period, NULL };
	struct profile_kind	 offcpu = { "offcpu", offcpu_types, 2,
	    { "off_cpu", "nanoseconds" }, 1, offcpu_labels };
	struct profile_kind	 wall = { "wall", wall_types, 1,
	    { "wall", "nanoseconds" }, period, offcpu_labels };
	int			 rc = 0;

	if (opts.profiles & PROFILE_CPU)
		rc |= write_window(cpu_stacks, &cpu, start_real, duration);
	if (offcpu_stacks != NULL && (opts.profiles & PROFILE_OFFCPU))
		rc |= write_window(offcpu_stacks, &offcpu, start_real,
		    duration);
	if (wall_stacks != NULL)
		rc |= write_window(wall_stacks, &wall, start_real, duration);
	return (rc);
}

/*
 * Name the window's frames and write its files in a child, from a
 * snapshot of the tables, so sampling never waits for symbolization and
 * the daemon never holds debug information. The last window is written
 * in-process.
 */
static void
end_window(int64_t start_real, int64_t duration, int last)
{
	struct symcache_report	*report = NULL;
	pid_t			 pid = -1;

	offcpu_end_window();
	writer_reap(last ? 0 : WNOHANG);
	if (nwriters == MAX_WRITERS) {
		log_warnx("%d windows are still being written; waiting",
		    nwriters);
		writer_reap(0);
	}
	symbolizer_check();
	if (!last) {
		report = symcache_report_new();
		if ((pid = fork()) == -1)
			log_warn("fork; writing the window in-process");
	}
	if (pid == 0) {
		symcache_report_to(report);
		if (sym_user != 0)
			symbolizer_detach();
		_exit(write_windows(start_real, duration) ? 1 : 0);
	}
	if (pid == -1) {
		symcache_absorb(report, 0);
		/* In-process, it talks to the symbolizer: none may. */
		writer_reap(0);
		write_windows(start_real, duration);
	} else {
		writers[nwriters].pid = pid;
		writers[nwriters++].report = report;
		if (sym_user == 0)
			sym_user = pid;
	}
	stacks_reset(cpu_stacks);
	if (offcpu_stacks != NULL)
		stacks_reset(offcpu_stacks);
	if (wall_stacks != NULL)
		stacks_reset(wall_stacks);
	proc_next_window();
	proc_sweep();
}

/* In the symbolizer: the daemon's tables, of no use there, freed. */
static void
forget_tables(void)
{
	stacks_free(cpu_stacks);
	stacks_free(wall_stacks);
	cpu_stacks = wall_stacks = NULL;
	offcpu_free();
	proc_free();
	symcache_free();
	kallsyms_free();
}

static void
run(void)
{
	int64_t		 start = clock_ns(CLOCK_MONOTONIC), now, window_end;
	int64_t		 stop_at = INT64_MAX, window_real, next_real, window_start;
	int64_t		 timeout;
	struct counters	 last = counters;
	size_t		 bytes, tables, spaces;
	int		 stopping = 0;

	if (opts.duration != 0)
		stop_at = start + (int64_t)opts.duration * 1000000000;
	window_real = clock_ns(CLOCK_REALTIME);
	window_start = start;
	window_end = start + (int64_t)opts.rotate * 1000000000;
	while (!stopping) {
		now = clock_ns(CLOCK_MONOTONIC);
		timeout = (window_end < stop_at ? window_end : stop_at) - now;
		if (timeout > 100000000)
			timeout = 100000000;
		if (timeout > 0)
			sampler_poll(sampler, (timeout + 999999) / 1000000);
		sampler_drain(sampler);
		writer_reap(WNOHANG);
		if (got_hup) {
			got_hup = 0;
			log_info("SIGHUP: nothing to reload yet");
		}
		now = clock_ns(CLOCK_MONOTONIC);
		stopping = got_stop || now >= stop_at;
		if (!stopping && now < window_end)
			continue;
		next_real = clock_ns(CLOCK_REALTIME);
		end_window(window_real, now - window_start, stopping);
		log_info("window: %" PRIu64 " samples, %" PRIu64 " kept, %"
		    PRIu64 " lost, %" PRIu64 " throttled; stacks unwound %"
		    PRIu64 ": %" PRIu64 " complete, %" PRIu64 " truncated, %"
		    PRIu64 " failed",
		    counters.samples - last.samples,
		    counters.samples_kept - last.samples_kept,
		    counters.lost - last.lost,
		    counters.throttled - last.throttled,
		    counters.unwound - last.unwound,
		    counters.complete - last.complete,
		    counters.truncated - last.truncated,
		    counters.failed - last.failed);
		if (offcpu_stacks != NULL)
			log_info("window: %" PRIu64 " context switches",
			    counters.switches - last.switches);
		log_debug("unwind time per stack: median %" PRIu64 " ns, p99 %"
		    PRIu64 " ns", records_unwind_percentile(&counters, &last,
		    0.5), records_unwind_percentile(&counters, &last, 0.99));
		unwind_usage(&bytes, &tables, &spaces);
		log_debug("unwind memory: %zu KiB of tables for %zu binaries, "
		    "%zu address spaces; %zu names cached", bytes >> 10,
		    tables, spaces, symcache_count());
		last = counters;
		window_real = next_real;
		window_start = now;
		window_end = now + (int64_t)opts.rotate * 1000000000;
	}
	now = clock_ns(CLOCK_MONOTONIC);
	log_info("total: %" PRIu64 " samples in %.1f s, %" PRIu64
	    " records lost, %" PRIu64 " malformed", counters.samples,
	    (now - start) / 1e9, counters.lost, counters.bad_records);
}

/* Off-CPU and wall profiles need sched_switch; without it, say so. */
static void
open_offcpu(void)
{
	char	*cause = NULL;

	if (!(opts.profiles & (PROFILE_OFFCPU | PROFILE_WALL)))
		return;
	if (offcpu_open(sampler, &cause) != 0) {
		if (opts.profiles_asked)
			fatalx("%s", cause);
		log_warnx("writing cpu profiles only: %s", cause);
		free(cause);
		opts.profiles = PROFILE_CPU;
		return;
	}
	if (opts.profiles & PROFILE_WALL)
		wall_stacks = stacks_new(1);
}

int
main(int argc, char **argv)
{
	char		*cause = NULL;

	options_parse(argc, argv);
	log_init(1, opts.verbose);
	set_signals();
	if (rotate_init(opts.output_dir, &cause) != 0)
		fatalx("%s", cause);
	if ((sampler = sampler_new(&cause)) == NULL ||
	    cpuprof_open(sampler, &cause) != 0)
		fatalx("%s", cause);
	open_offcpu();
	if (kallsyms_load(&cause) != 0) {
		log_warnx("kernel frames will be unnamed: %s", cause);
		free(cause);
	}
	symbols_init();
	symcache_init();
	binary_init();
	proc_init();
	cpu_stacks = stacks_new(2);
	/* Enabled before the seeding, so no mapping falls between the two. */
	if (sampler_enable(sampler, &cause) != 0 || proc_seed(&cause) != 0)
		fatalx("%s", cause);
	if (!opts.foreground) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init(0, opts.verbose);
	}

	symbolizer_start(forget_tables);
	run();
	writer_reap(0);
	symbolizer_stop();

	sampler_close(sampler);
	stacks_free(cpu_stacks);
	stacks_free(wall_stacks);
	offcpu_free();
	proc_free();
	binary_free();
	symcache_free();
	symbols_free();
	kallsyms_free();
	rotate_free();
	return (0);
}
