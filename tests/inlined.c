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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

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

static long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	long long	 seconds = 5, end;
	char		*ep;

	if (argc > 1) {
		errno = 0;
		seconds = strtoll(argv[1], &ep, 10);
		if (errno != 0 || *ep != '\0' || ep == argv[1] || seconds < 0) {
			fprintf(stderr, "usage: inlined [SECONDS]\n");
			return 2;
		}
	}
	end = now_ns() + seconds * 1000000000LL;
	while (now_ns() < end)
		inline_caller(1L << 20);
	return 0;
}
