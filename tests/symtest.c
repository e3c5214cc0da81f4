/*
 * A program with known symbols and lines for test-symbols: inner_fn is
 * always inlined into outer_fn, plain_fn is a plain function. Build with
 * -O2 -g. The static asserts keep the lines in step with symtest.h.
 */

#include "symtest.h"

#define LINE_IS(n)	_Static_assert(__LINE__ == (n), "fix symtest.h")
#define NAME_IN_2(n)	_Static_assert(__LINE__ + 2 == (n), "fix symtest.h")

volatile int	sink;

NAME_IN_2(SYMTEST_INNER_DECL);
static inline __attribute__((always_inline)) int
inner_fn(int n)
{
	int	 i, sum = 0;

	for (i = 0; i < n; i++) {
		sum += i * sink; LINE_IS(SYMTEST_INNER_LINE);
	}
	return (sum);
}

NAME_IN_2(SYMTEST_OUTER_DECL);
__attribute__((noinline)) int
outer_fn(int n)
{
	return (inner_fn(n) + 1); LINE_IS(SYMTEST_CALL_LINE);
}

NAME_IN_2(SYMTEST_PLAIN_DECL);
__attribute__((noinline)) int
plain_fn(int n)
{
	sink = n; LINE_IS(SYMTEST_PLAIN_LINE);
	return (n * 3);
}

int
main(int argc, char **argv)
{
	(void)argv;
	return (outer_fn(argc) + plain_fn(argc) == 0);
}
