/*
 * deep: a deep stack of big frames, for unwinders that must copy and walk
 * a lot of stack.
 *
 *	main -> deep_level (LEVELS times) -> deep_leaf
 *
 * Every deep_level frame holds DEEP_FRAME_BYTES of locals, so LEVELS
 * levels need LEVELS * DEEP_FRAME_BYTES of stack copy at least; the leaf
 * spins on the CPU for SECONDS of wall time.
 *
 * usage: deep [SECONDS [LEVELS]]	(defaults: 5 s, 40 levels)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Kept out of line and uncloned so every level is one exact frame. */
#define NOINLINE __attribute__((noinline, noclone))
#define DEEP_FRAME_BYTES 512

unsigned long	deep_level(int, long long);
void		deep_leaf(long long);

volatile unsigned long sink;

static long long
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The clock is read every 16384 iterations: samples land here. */
NOINLINE void
deep_leaf(long long seconds)
{
	long long	end = wall_now() + seconds * 1000000000LL;
	unsigned long	x = sink;
	int		i;

	do {
		for (i = 0; i < 16384; i++)
			x = x * 2862933555777941757UL + 3037000493UL;
		sink = x;
	} while (wall_now() < end);
}

/*
 * The array is volatile, so it is really on the stack, and it is read
 * after the recursive call, so the call is not a tail call.
 */
NOINLINE unsigned long
deep_level(int n, long long seconds)
{
	volatile unsigned char	buf[DEEP_FRAME_BYTES];
	unsigned long		sum = 0;
	size_t			i;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(n + i);
	if (n > 1)
		sum = deep_level(n - 1, seconds);
	else
		deep_leaf(seconds);
	for (i = 0; i < sizeof buf; i += 64)
		sum += buf[i];
	return sum;
}

static long long
number(const char *s, long long min)
{
	long long	 v;
	char		*ep;

	errno = 0;
	v = strtoll(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == s || v < min) {
		fprintf(stderr, "usage: deep [SECONDS [LEVELS]]\n");
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	long long	seconds = 5, levels = 40;

	if (argc > 1)
		seconds = number(argv[1], 0);
	if (argc > 2)
		levels = number(argv[2], 1);
	sink += deep_level((int)levels, seconds);
	return 0;
}
