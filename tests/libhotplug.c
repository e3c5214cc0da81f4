/*
 * libhotplug: a shared library dlopen()ed by dlopen-main, so its code is
 * mapped after the process started.
 *
 *	plugin_entry -> plugin_hot
 */

#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

void	plugin_entry(long long);
void	plugin_hot(long long);

volatile unsigned long plugin_sink;

static long long
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The clock is read every 16384 iterations: samples land here. */
NOINLINE void
plugin_hot(long long seconds)
{
	long long	end = wall_now() + seconds * 1000000000LL;
	unsigned long	x = plugin_sink;
	int		i;

	do {
		for (i = 0; i < 16384; i++)
			x = x * 2862933555777941757UL + 3037000493UL;
		plugin_sink = x;
	} while (wall_now() < end);
}

/* Work after the call keeps plugin_entry's frame on the stack. */
NOINLINE void
plugin_entry(long long seconds)
{
	plugin_hot(seconds);
	plugin_sink++;
}
