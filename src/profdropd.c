/* profdropd: sample every CPU, drop pprof files on a rotation schedule. */

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

static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 got_hup;

static const struct pprof_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
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

static void
write_cpu_window(int64_t start_real, int64_t duration)
{
	struct profile_kind	 kind = {
		"cpu", cpu_types, 2, { "cpu", "nanoseconds" },
		1000000000 / opts.frequency
	};
	char			*cause = NULL;

	if (window_write(cpu_stacks, &kind, start_real, duration, &cause) != 0) {
		log_warnx("writing the cpu profile: %s; this window is lost",
		    cause);
		free(cause);
	}
}

static void
run(struct sampler *s)
{
	int64_t		 start = clock_ns(CLOCK_MONOTONIC), now, window_end;
	int64_t		 stop_at = INT64_MAX, window_real, next_real, window_start;
	int64_t		 timeout;
	struct counters	 last = counters;
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
			sampler_poll(s, (timeout + 999999) / 1000000);
		sampler_drain(s);
		if (got_hup) {
			got_hup = 0;
			log_info("SIGHUP: nothing to reload yet");
		}
		now = clock_ns(CLOCK_MONOTONIC);
		stopping = got_stop || now >= stop_at;
		if (!stopping && now < window_end)
			continue;
		next_real = clock_ns(CLOCK_REALTIME);
		write_cpu_window(window_real, now - window_start);
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
		log_debug("unwind time per stack: median %" PRIu64 " ns, p99 %"
		    PRIu64 " ns", records_unwind_percentile(&counters, &last,
		    0.5), records_unwind_percentile(&counters, &last, 0.99));
		last = counters;
		stacks_reset(cpu_stacks);
		proc_sweep();
		window_real = next_real;
		window_start = now;
		window_end = now + (int64_t)opts.rotate * 1000000000;
	}
	now = clock_ns(CLOCK_MONOTONIC);
	log_info("total: %" PRIu64 " samples in %.1f s, %" PRIu64
	    " records lost, %" PRIu64 " malformed", counters.samples,
	    (now - start) / 1e9, counters.lost, counters.bad_records);
}

int
main(int argc, char **argv)
{
	struct sampler	*s;
	char		*cause = NULL;

	options_parse(argc, argv);
	log_init(1, opts.verbose);
	set_signals();
	if (rotate_init(opts.output_dir, &cause) != 0)
		fatalx("%s", cause);
	if ((s = sampler_open(&cause)) == NULL)
		fatalx("%s", cause);
	if (kallsyms_load(&cause) != 0) {
		log_warnx("kernel frames will be unnamed: %s", cause);
		free(cause);
	}
	symbols_init();
	binary_init();
	proc_init();
	cpu_stacks = stacks_new(2);
	if (proc_seed(&cause) != 0)
		fatalx("%s", cause);
	if (!opts.foreground) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init(0, opts.verbose);
	}

	run(s);

	sampler_close(s);
	stacks_free(cpu_stacks);
	proc_free();
	binary_free();
	symbols_free();
	kallsyms_free();
	rotate_free();
	return (0);
}
