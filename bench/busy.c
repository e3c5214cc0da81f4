/*
 * busy: the benchmark workload.  THREADS threads each spin for SECONDS
 * through a chain of ten out-of-line frames, each with 256 bytes of
 * locals, so a DWARF unwinder has real work to do (build it with
 * -O2 -fomit-frame-pointer: no frame pointers to fall back on).
 *
 *	thread_main -> level_0 -> level_1 -> ... -> level_9 -> leaf
 *
 * Each level also does a little work of its own, so samples land in every
 * frame, not only in the leaf.  At the end it prints the number of chain
 * walks done: the workload's throughput, to see what a profiler costs it.
 *
 * usage: busy [THREADS [SECONDS]]	(defaults: 2 threads, 10 s)
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE	__attribute__((noinline, noclone))
#define LEVELS		10
#define FRAME_BYTES	256
#define MAX_THREADS	256

struct worker {
	pthread_t	 thread;
	long long	 end;		/* CLOCK_MONOTONIC ns */
	unsigned long	 walks;
};

volatile unsigned long sink;

static long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

NOINLINE unsigned long
leaf(unsigned long x)
{
	int	i;

	for (i = 0; i < 4096; i++)
		x = x * 2862933555777941757UL + 3037000493UL;
	return x;
}

/* The array is volatile, so it is on the stack; read after the call, so no tail call. */
NOINLINE unsigned long
level(int n, unsigned long x)
{
	volatile unsigned char	buf[FRAME_BYTES];
	size_t			i;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(x + i);
	x = n > 0 ? level(n - 1, x) : leaf(x);
	for (i = 0; i < sizeof buf; i += 8)
		x += buf[i];
	return x;
}

static void *
thread_main(void *arg)
{
	struct worker	*w = arg;
	unsigned long	 x = (unsigned long)w;

	do {
		x = level(LEVELS - 1, x);
		w->walks++;
	} while ((w->walks & 63) != 0 || now_ns() < w->end);
	sink += x;
	return NULL;
}

static long
number(const char *s, long min, long max)
{
	char	*ep;
	long	 v;

	errno = 0;
	v = strtol(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == s || v < min || v > max) {
		fprintf(stderr, "usage: busy [THREADS [SECONDS]]\n");
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static struct worker	 w[MAX_THREADS];
	long			 threads = 2, seconds = 10, i;
	unsigned long		 walks = 0;
	long long		 end;

	if (argc > 1)
		threads = number(argv[1], 1, MAX_THREADS);
	if (argc > 2)
		seconds = number(argv[2], 0, 86400);
	end = now_ns() + seconds * 1000000000LL;
	for (i = 0; i < threads; i++) {
		w[i].end = end;
		if (pthread_create(&w[i].thread, NULL, thread_main, &w[i]) != 0) {
			fprintf(stderr, "busy: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		walks += w[i].walks;
	}
	printf("%lu\n", walks);
	return 0;
}
