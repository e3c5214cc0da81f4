/*
 * shortlived: burn some CPU time in short_hot, then exit; started
 * hundreds of times, it is gone before a profiler can read its /proc.
 *
 *	main -> short_hot
 *
 * usage: shortlived [MILLISECONDS]	(default 30 ms of CPU time)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

void	short_hot(long long);

volatile unsigned long sink;

static long long
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spin until the process has used ms of CPU time, start-up included. */
NOINLINE void
short_hot(long long ms)
{
	long long	end = ms * 1000000LL;
	unsigned long	x = sink;
	int		i;

	do {
		for (i = 0; i < 16384; i++)
			x = x * 2862933555777941757UL + 3037000493UL;
		sink = x;
	} while (cpu_now() < end);
}

int
main(int argc, char **argv)
{
	long long	 ms = 30;
	char		*ep;

	if (argc > 1) {
		errno = 0;
		ms = strtoll(argv[1], &ep, 10);
		if (errno != 0 || *ep != '\0' || ep == argv[1] || ms < 0) {
			fprintf(stderr, "usage: shortlived [MILLISECONDS]\n");
			return 2;
		}
	}
	short_hot(ms);
	return sink == 42;	/* after the call: not a tail call */
}
