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

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))
#define NTHREADS 3

void	work_1(long long);
void	work_2(long long);
void	work_3(long long);

static long long	seconds = 5;

static long long
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The clock is read every 16384 iterations: samples land in the caller. */
#define SPIN(sec) do {						\
	long long		end = wall_now() + (sec) * 1000000000LL; \
	volatile unsigned long	sink;				\
	unsigned long		x = (unsigned long)end;		\
	int			i;				\
								\
	do {							\
		for (i = 0; i < 16384; i++)			\
			x = x * 2862933555777941757UL + 3037000493UL; \
		sink = x;					\
	} while (wall_now() < end);				\
	(void)sink;						\
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
	char		*ep;
	int		 i, error;

	if (argc > 1) {
		errno = 0;
		seconds = strtoll(argv[1], &ep, 10);
		if (errno != 0 || *ep != '\0' || ep == argv[1] || seconds < 0) {
			fprintf(stderr, "usage: threads [SECONDS]\n");
			return 2;
		}
	}
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
