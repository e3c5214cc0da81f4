/*
 * hot631: a CPU-bound program with a known profile.
 *
 * Its CPU time goes to three leaf functions hot_a, hot_b and hot_c in a
 * 6:3:1 ratio.  Each is reached through its own caller chain:
 *
 *	main -> run_loop -> caller_a -> hot_a
 *	main -> run_loop -> mid_b -> caller_b -> hot_b
 *	main -> run_loop -> mid_c -> deep_c -> caller_c -> hot_c
 *
 * The ratio is kept by thread CPU time, in slices of 6, 3 and 1 ms, so it
 * holds whatever the CPU speed or load.
 *
 * usage: hot631 [SECONDS [READY-FILE]]
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Kept out of line and uncloned so the names in the profile are exact. */
#define NOINLINE __attribute__((noinline, noclone))
#define SLICE_NS 1000000LL	/* 1 ms of CPU time per share unit */

void	hot_a(long long);
void	hot_b(long long);
void	hot_c(long long);
void	caller_a(void);
void	caller_b(void);
void	mid_b(void);
void	caller_c(void);
void	deep_c(void);
void	mid_c(void);
void	run_loop(long long);

volatile unsigned long sink;

static long long
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The leaves spin until the thread has used ns of CPU time.  The thread CPU
 * clock is a system call, so it is read only every 16384 iterations (some
 * 20 us): samples land in the leaf itself, not in the kernel.
 */
#define SPIN(ns) do {						\
	long long	end = cpu_now() + (ns);			\
	unsigned long	x = sink;				\
	int		i;					\
								\
	do {							\
		for (i = 0; i < 16384; i++)			\
			x = x * 2862933555777941757UL + 3037000493UL; \
		sink = x;					\
	} while (cpu_now() < end);				\
} while (0)

/* Bodies that differ, so identical code folding cannot merge them. */
NOINLINE void hot_a(long long ns) { SPIN(ns); sink += 1; }
NOINLINE void hot_b(long long ns) { SPIN(ns); sink += 2; }
NOINLINE void hot_c(long long ns) { SPIN(ns); sink += 3; }

/* Extra frames so each leaf has a distinct, recognisable stack. */
/*
 * A slice of 0.5 to 1.5 units, drawn afresh each time: slices of a fixed
 * length would fall into step with the sampling period and alias (at
 * 499 Hz a 10 ms cycle is five samples that always land in the same
 * places). The mean stays one unit, so the shares stay 6:3:1.
 */
static long long
slice(long long units)
{
	static unsigned long	 seed = 1;

	seed = seed * 6364136223846793005UL + 1442695040888963407UL;
	return units * (SLICE_NS / 2 + (long long)((seed >> 33) %
	    (unsigned long)SLICE_NS));
}

NOINLINE void caller_a(void) { hot_a(slice(6)); sink++; }
NOINLINE void caller_b(void) { hot_b(slice(3)); sink++; }
NOINLINE void mid_b(void) { caller_b(); sink++; }
NOINLINE void caller_c(void) { hot_c(slice(1)); sink++; }
NOINLINE void deep_c(void) { caller_c(); sink++; }
NOINLINE void mid_c(void) { deep_c(); sink++; }

NOINLINE void
run_loop(long long seconds)
{
	long long	end = wall_now() + seconds * 1000000000LL;

	while (wall_now() < end) {
		caller_a();
		mid_b();
		mid_c();
	}
}

int
main(int argc, char **argv)
{
	long long	 seconds = 5;
	char		*ep;
	FILE		*f;

	if (argc > 1) {
		errno = 0;
		seconds = strtoll(argv[1], &ep, 10);
		if (errno != 0 || *ep != '\0' || ep == argv[1] || seconds < 0) {
			fprintf(stderr, "usage: hot631 [SECONDS [READY-FILE]]\n");
			return 2;
		}
	}
	if (argc > 2) {
		if ((f = fopen(argv[2], "w")) == NULL || fclose(f) != 0) {
			perror(argv[2]);
			return 1;
		}
	}
	run_loop(seconds);
	return 0;
}
