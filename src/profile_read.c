/*
 * Read a profile from memory or a file: inflate it if it is gzip, within a
 * cap on its decompressed size, and decode it.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "profdrop.h"
#include "libprofdrop.h"

/* A size as a person would say it: "256 MiB". */
static void
read_size_text(size_t n, char *buf, size_t len)
{
	if (n != 0 && n % ((size_t)1 << 30) == 0)
		snprintf(buf, len, "%zu GiB", n >> 30);
	else if (n != 0 && n % ((size_t)1 << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else if (n != 0 && n % ((size_t)1 << 10) == 0)
		snprintf(buf, len, "%zu KiB", n >> 10);
	else
		snprintf(buf, len, "%zu bytes", n);
}

/* Room for n bytes grown towards top, which is one past a cap. */
static size_t
read_grow(size_t room, size_t top)
{
	return (room < top / 2 ? room * 2 : top);
}

/* One byte past a cap of max, to tell data that only fills it. */
static size_t
read_top(size_t max)
{
	return (max < SIZE_MAX ? max + 1 : SIZE_MAX);
}

static int
read_cap_error(const char *what, size_t max, char **cause)
{
	char	 text[64];

	read_size_text(max, text, sizeof text);
	xasprintf(cause, "%s passes the %s cap", what, text);
	return (-1);
}

/* Inflate one gzip member into at most max bytes. */
static int
read_gunzip(const unsigned char *in, size_t len, size_t max,
    unsigned char **outp, size_t *outlen, char **cause)
{
	z_stream	 z;
	unsigned char	*out = NULL;
	size_t		 top = read_top(max), room, used = 0, left = len, n;
	int		 ret;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		fatalx("inflateInit2 failed");
	room = len < top / 4 ? len * 4 : top;
	if (room < 65536)
		room = top < 65536 ? top : 65536;
	out = xmalloc(room);
	for (;;) {
		if (z.avail_in == 0 && left != 0) {
			n = left < UINT_MAX ? left : UINT_MAX;
			z.next_in = (unsigned char *)in + (len - left);
			z.avail_in = n;
			left -= n;
		}
		if (used == room) {
			if (room == top) {
				read_cap_error("decompressed size", max, cause);
				goto fail;
			}
			room = read_grow(room, top);
			out = xreallocarray(out, room, 1);
		}
		n = room - used < UINT_MAX ? room - used : UINT_MAX;
		z.next_out = out + used;
		z.avail_out = n;
		ret = inflate(&z, Z_NO_FLUSH);
		used += n - z.avail_out;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_MEM_ERROR)
			fatalx("inflate: out of memory");
		if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
			xasprintf(cause, "corrupt gzip data: %s",
			    z.msg != NULL ? z.msg : "no detail");
			goto fail;
		}
		if (ret == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
			xasprintf(cause, "truncated gzip data");
			goto fail;
		}
	}
	if (used > max) {
		read_cap_error("decompressed size", max, cause);
		goto fail;
	}
	if (z.avail_in != 0 || left != 0) {
		xasprintf(cause, "%zu bytes follow the gzip data",
		    (size_t)z.avail_in + left);
		goto fail;
	}
	inflateEnd(&z);
	*outp = out;
	*outlen = used;
	return (0);

fail:
	inflateEnd(&z);
	free(out);
	return (-1);
}

int
pd_profile_read(const void *buf, size_t len, size_t max,
    struct pd_profile **pp, char **cause)
{
	const unsigned char	*in = buf;
	unsigned char		*out;
	size_t			 outlen;
	int			 rc;

	*pp = NULL;
	if (max == 0)
		max = PD_PROFILE_MAX_BYTES;
	if (len >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
		if (read_gunzip(in, len, max, &out, &outlen, cause) != 0)
			return (-1);
		rc = profile_decode(out, outlen, pp, cause);
		free(out);
		return (rc);
	}
	if (len > max)
		return (read_cap_error("size", max, cause));
	return (profile_decode(buf, len, pp, cause));
}

/*
 * The largest file that can hold a profile of max bytes: deflate adds 5
 * bytes to every 64 KiB it cannot compress, gzip a header and a trailer.
 */
static size_t
read_file_limit(size_t max)
{
	size_t	 extra = (max >> 10) + 4096;

	return (max > SIZE_MAX - extra ? SIZE_MAX : max + extra);
}

/* All of fd, if it is less than top bytes. */
static int
read_all(int fd, size_t top, unsigned char **bufp, size_t *lenp, char **why)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 len = 0, room = 65536;
	ssize_t		 n;

	if (fstat(fd, &st) == -1) {
		*why = xstrdup(strerror(errno));
		return (-1);
	}
	if (S_ISDIR(st.st_mode)) {
		*why = xstrdup(strerror(EISDIR));
		return (-1);
	}
	/* Room to see the end of a file that does not grow. */
	if (st.st_size > 0 && (uintmax_t)st.st_size < top)
		room = st.st_size + 1;
	if (room > top)
		room = top;
	buf = xmalloc(room);
	for (;;) {
		if (len == room) {
			if (room == top) {
				free(buf);
				return (-1);
			}
			room = read_grow(room, top);
			buf = xreallocarray(buf, room, 1);
		}
		if ((n = read(fd, buf + len, room - len)) == -1) {
			if (errno == EINTR)
				continue;
			*why = xstrdup(strerror(errno));
			free(buf);
			return (-1);
		}
		if (n == 0)
			break;
		len += n;
	}
	*bufp = buf;
	*lenp = len;
	return (0);
}

int
pd_profile_read_file(const char *path, size_t max, struct pd_profile **pp,
    char **cause)
{
	unsigned char	*buf = NULL;
	size_t		 len;
	char		*why = NULL;
	int		 fd, rc;

	*pp = NULL;
	if (max == 0)
		max = PD_PROFILE_MAX_BYTES;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		why = xstrdup(strerror(errno));
		goto fail;
	}
	rc = read_all(fd, read_top(read_file_limit(max)), &buf, &len, &why);
	close(fd);
	if (rc != 0) {
		if (why == NULL)
			read_cap_error("the file's size", max, &why);
		goto fail;
	}
	if ((rc = pd_profile_read(buf, len, max, pp, &why)) != 0)
		goto fail;
	free(buf);
	return (0);

fail:
	xasprintf(cause, "%s: %s", path, why);
	free(why);
	free(buf);
	return (-1);
}
