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

#include "testprog.h"

#define DEEP_FRAME_BYTES 512
#define USAGE "deep [SECONDS [LEVELS]]"

unsigned long	deep_level(int, long long);
void		deep_leaf(long long);

volatile unsigned long sink;

/* The clock is read every 16384 iterations: samples land here. */
NOINLINE void
deep_leaf(long long seconds)
{
	long long	end = clock_ns(CLOCK_MONOTONIC) + seconds * 1000000000LL;

	SPIN_UNTIL(CLOCK_MONOTONIC, end, sink);
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

int
main(int argc, char **argv)
{
	long long	seconds = 5, levels = 40;

	if (argc > 1)
		seconds = count_arg(argv[1], 0, USAGE);
	if (argc > 2)
		levels = count_arg(argv[2], 1, USAGE);
	sink += deep_level((int)levels, seconds);
	return 0;
}
