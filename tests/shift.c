/*
 * shift: a CPU-bound program whose work moves between two functions by
 * its argument: work_a takes PERCENT of its CPU time, work_b the rest,
 * both called from spread, so that two runs with different PERCENTs
 * differ in these two frames only.
 *
 * usage: shift SECONDS PERCENT [READY-FILE]
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))
#define ROUND_NS 10000000LL	/* the CPU time of one round, shared */

void	work_a(long long);
void	work_b(long long);
void	spread(long long, long long);

volatile unsigned long sink;

static long long
clock_ns(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spin until the thread has used ns more of CPU time. */
#define SPIN(ns) do {						\
	long long	end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + (ns); \
	unsigned long	x = sink;				\
	int		i;					\
								\
	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end) {	\
		for (i = 0; i < 16384; i++)			\
			x = x * 2862933555777941757UL + 3037000493UL; \
		sink = x;					\
	}							\
} while (0)

NOINLINE void work_a(long long ns) { SPIN(ns); sink += 1; }
NOINLINE void work_b(long long ns) { SPIN(ns); sink += 2; }

NOINLINE void
spread(long long seconds, long long percent)
{
	long long	end = clock_ns(CLOCK_MONOTONIC) + seconds * 1000000000LL;

	while (clock_ns(CLOCK_MONOTONIC) < end) {
		work_a(ROUND_NS * percent / 100);
		work_b(ROUND_NS * (100 - percent) / 100);
	}
}

int
main(int argc, char **argv)
{
	long long	 seconds, percent;
	char		*ep1, *ep2;
	FILE		*f;

	if (argc < 3 || argc > 4)
		goto usage;
	errno = 0;
	seconds = strtoll(argv[1], &ep1, 10);
	percent = strtoll(argv[2], &ep2, 10);
	if (errno != 0 || *ep1 != '\0' || *ep2 != '\0' || seconds < 0 ||
	    percent < 0 || percent > 100)
		goto usage;
	if (argc > 3) {
		if ((f = fopen(argv[3], "w")) == NULL || fclose(f) != 0) {
			perror(argv[3]);
			return 1;
		}
	}
	spread(seconds, percent);
	return 0;
usage:
	fprintf(stderr, "usage: shift SECONDS PERCENT [READY-FILE]\n");
	return 2;
}
