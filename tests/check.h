/*
 * The unit tests' check: report a failed condition, with an optional
 * printf-style message after it, and count it.
 */

#ifndef CHECK_H
#define CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int	 failures;

static void __attribute__((format(printf, 4, 5)))
check_failed(const char *file, int line, const char *cond, const char *fmt,
    ...)
{
	va_list	 ap;

	fprintf(stderr, "FAIL %s:%d: %s", file, line, cond);
	/* fmt is ": " and the caller's format, if it gave one. */
	if (fmt[2] != '\0') {
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "\n");
	failures++;
}

/* CHECK(cond) or CHECK(cond, "format", args...) */
#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		check_failed(__FILE__, __LINE__, #cond, ": " __VA_ARGS__);	\
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
