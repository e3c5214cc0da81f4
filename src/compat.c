/* What older C libraries lack. */

#include <string.h>

#include "libprofdrop.h"

#ifndef HAVE_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size != 0) {
		if (len >= size)
			size--;
		else
			size = len;
		memcpy(dst, src, size);
		dst[size] = '\0';
	}
	return (len);
}
#endif
