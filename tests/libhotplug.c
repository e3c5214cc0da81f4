/*
 * libhotplug: a shared library dlopen()ed by dlopen-main, so its code is
 * mapped after the process started.
 *
 *	plugin_entry -> plugin_hot
 */

#include "testprog.h"

void	plugin_entry(long long);
void	plugin_hot(long long);

volatile unsigned long plugin_sink;

/* The clock is read every 16384 iterations: samples land here. */
NOINLINE void
plugin_hot(long long seconds)
{
	long long	end = clock_ns(CLOCK_MONOTONIC) + seconds * 1000000000LL;

	SPIN_UNTIL(CLOCK_MONOTONIC, end, plugin_sink);
}

/* Work after the call keeps plugin_entry's frame on the stack. */
NOINLINE void
plugin_entry(long long seconds)
{
	plugin_hot(seconds);
	plugin_sink++;
}
