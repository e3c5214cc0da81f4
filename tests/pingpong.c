/*
 * A context-switch storm: two threads pass one byte back and forth over
 * a pair of pipes as fast as they can. Prints the round trips made.
 * Usage: pingpong SECONDS
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int		 ping[2], pong[2];
static volatile int	 stop;

static __attribute__((noinline)) void *
ponger(void *arg)
{
	char	 c;

	while (read(ping[0], &c, 1) == 1 && c == 'x') {
		if (write(pong[1], &c, 1) != 1)
			break;
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	pthread_t	 t;
	struct timespec	 ts;
	double		 end, now;
	unsigned long	 trips = 0;
	char		 c = 'x';

	if (pipe(ping) != 0 || pipe(pong) != 0)
		return (1);
	pthread_create(&t, NULL, ponger, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + (argc > 1 ? atof(argv[1]) : 5);
	do {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return (1);
		trips++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec + ts.tv_nsec / 1e9;
	} while (now < end);
	c = 'q';
	if (write(ping[1], &c, 1) != 1)
		return (1);
	pthread_join(t, NULL);
	printf("%lu\n", trips);
	return (0);
}
