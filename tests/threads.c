/*
 * threads: three named threads, each spinning in a function of its own.
 *
 *	start_thread -> worker -> work_N	(thread "worker-N", N = 1..3)
 *
 * main only starts and joins them.
 *
 * usage: threads [SECONDS]
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pthread.h>
#include <string.h>

#include "testprog.h"

#define NTHREADS 3

void	work_1(long long);
void	work_2(long long);
void	work_3(long long);

static long long	seconds = 5;

/* Spin SEC seconds; the samples land in the work_N that expands it. */
#define SPIN(sec) do {							\
	volatile unsigned long	sink = 0;				\
									\
	SPIN_UNTIL(CLOCK_MONOTONIC,					\
	    clock_ns(CLOCK_MONOTONIC) + (sec) * 1000000000LL, sink);	\
} while (0)

NOINLINE void work_1(long long sec) { SPIN(sec); }
NOINLINE void work_2(long long sec) { SPIN(sec); }
NOINLINE void work_3(long long sec) { SPIN(sec); }

static void	(*const work[NTHREADS])(long long) = { work_1, work_2, work_3 };
static const char *const names[NTHREADS] = { "worker-1", "worker-2", "worker-3" };

static void *
worker(void *arg)
{
	int	n = (int)(long)arg;

	pthread_setname_np(pthread_self(), names[n]);
	work[n](seconds);
	return arg;
}

int
main(int argc, char **argv)
{
	pthread_t	 t[NTHREADS];
	int		 i, error;

	if (argc > 1)
		seconds = count_arg(argv[1], 0, "threads [SECONDS]");
	for (i = 0; i < NTHREADS; i++) {
		error = pthread_create(&t[i], NULL, worker, (void *)(long)i);
		if (error != 0) {
			fprintf(stderr, "pthread_create: %s\n", strerror(error));
			return 1;
		}
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
