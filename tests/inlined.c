/*
 * inlined: nearly all CPU time goes to a loop in inline_hot, which is
 * always inlined into its only caller, inline_caller:
 *
 *	main -> inline_caller -> inline_hot (inlined)
 *
 * run-names-inline.sh finds the lines by the markers in the comments.
 *
 * usage: inlined [SECONDS]
 */

#include "testprog.h"

void	inline_caller(long);

volatile unsigned long	sink;

static inline __attribute__((always_inline)) unsigned long
inline_hot(unsigned long x, long n)
{					/* inline_hot begins */
	long	i;

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005UL + (unsigned long)i;
	return x;
}					/* inline_hot ends */

NOINLINE void
inline_caller(long n)
{
	sink = inline_hot(sink, n);	/* inline_hot call site */
}

int
main(int argc, char **argv)
{
	long long	 seconds = 5, end;

	if (argc > 1)
		seconds = count_arg(argv[1], 0, "inlined [SECONDS]");
	end = clock_ns(CLOCK_MONOTONIC) + seconds * 1000000000LL;
	while (clock_ns(CLOCK_MONOTONIC) < end)
		inline_caller(1L << 20);
	return 0;
}
