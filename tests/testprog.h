/*
 * What the test programs share: a clock, a CPU spin that leaves its
 * samples in the caller's frame, and reading a count from the command
 * line.
 */

#ifndef TESTPROG_H
#define TESTPROG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Out of line and uncloned, so every function is one exact frame. */
#define NOINLINE __attribute__((noinline, noclone))

static inline long long
clock_ns(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Spin until CLOCK reads END (ns), looking at it every 16384 rounds. A
 * macro, so the spinning has no frame of its own.
 */
#define SPIN_UNTIL(clock, end, sink) do {				\
	unsigned long	x_ = (sink);					\
	int		i_;						\
									\
	do {								\
		for (i_ = 0; i_ < 16384; i_++)				\
			x_ = x_ * 2862933555777941757UL + 3037000493UL;	\
		(sink) = x_;						\
	} while (clock_ns(clock) < (end));				\
} while (0)

/* ARG as a whole number of at least MIN; else print USAGE and exit 2. */
static inline long long
count_arg(const char *arg, long long min, const char *usage)
{
	long long	 v;
	char		*ep;

	errno = 0;
	v = strtoll(arg, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == arg || v < min) {
		fprintf(stderr, "usage: %s\n", usage);
		exit(2);
	}
	return v;
}

#endif /* TESTPROG_H */
