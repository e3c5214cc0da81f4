/*
 * shortlived: burn some CPU time in short_hot, then exit; started
 * hundreds of times, it is gone before a profiler can read its /proc.
 *
 *	main -> short_hot
 *
 * usage: shortlived [MILLISECONDS]	(default 30 ms of CPU time)
 */

#include "testprog.h"

void	short_hot(long long);

volatile unsigned long sink;

/* Spin until the process has used ms of CPU time, start-up included. */
NOINLINE void
short_hot(long long ms)
{
	SPIN_UNTIL(CLOCK_PROCESS_CPUTIME_ID, ms * 1000000LL, sink);
}

int
main(int argc, char **argv)
{
	long long	 ms = 30;

	if (argc > 1)
		ms = count_arg(argv[1], 0, "shortlived [MILLISECONDS]");
	short_hot(ms);
	return sink == 42;	/* after the call: not a tail call */
}
