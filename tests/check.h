/* The unit tests' check: report a failed condition and count it. */

#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int	 failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
		failures++;						\
	}								\
} while (0)

/* The exit status of a test named name, after saying how it went. */
static inline int
check_done(const char *name)
{
	if (failures != 0) {
		fprintf(stderr, "%s: %d checks failed\n", name, failures);
		return (1);
	}
	printf("%s: all checks passed\n", name);
	return (0);
}

#endif /* CHECK_H */
