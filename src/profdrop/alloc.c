/* Allocation that does not fail: without memory, profdrop exits. */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

static void
alloc_fail(void)
{
	perror("profdrop");
	exit(1);
}

/* n elements of size bytes, zeroed; never NULL, even for none. */
void *
alloc_zero(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n != 0 ? n : 1, size != 0 ? size : 1)) == NULL)
		alloc_fail();
	return (p);
}

void *
alloc_resize(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		fprintf(stderr, "profdrop: %zu * %zu bytes overflows\n", n,
		    size);
		exit(1);
	}
	if ((p = realloc(p, n * size != 0 ? n * size : 1)) == NULL)
		alloc_fail();
	return (p);
}

char *
alloc_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc == -1)
		alloc_fail();
	return (s);
}
