/*
 * The names cache's packed form, as children and the symbolizer send it:
 * what is packed reads back the same, and a truncated or corrupted copy
 * is refused rather than read out of bounds.
 */

#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"
#include "check.h"

static int
same(const char *a, const char *b)
{
	return (a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0);
}

/* Every truncation and every flipped byte of buf: never a crash. */
static void
mangle(const unsigned char *buf, size_t len)
{
	struct symbol_info	 info;
	const unsigned char	*name;
	unsigned char		*copy = malloc(len);
	uint64_t		 serial, addr;
	size_t			 i, cut, got;
	int			 bit, j;

	for (cut = 0; cut < len; cut++) {
		memcpy(copy, buf, cut);
		CHECK(symcache_unpack(copy, cut, &serial, &addr, &info) == 0);
	}
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, buf, len);
			copy[i] ^= 1 << bit;
			if ((got = symcache_unpack(copy, len, &serial, &addr,
			    &info)) == 0)
				continue;
			CHECK(got <= len);
			/* Whatever was accepted lies inside the buffer. */
			for (j = 0; j < info.nlines; j++) {
				name = (const unsigned char *)
				    info.lines[j].function;
				CHECK(name == NULL ||
				    (name >= copy && name < copy + len));
			}
		}
	}
	free(copy);
}

int
main(void)
{
	struct symbol_info	 in, out;
	unsigned char		 buf[4096];
	uint64_t		 serial, addr;
	size_t			 len;
	int			 i;

	memset(&in, 0, sizeof in);
	in.vaddr = 0x1234;
	in.nlines = 2;
	in.lines[0].function = "inner (inline)";
	in.lines[0].system_name = "inner";
	in.lines[0].file = "src/a.c";
	in.lines[0].line = 10;
	in.lines[0].start_line = 8;
	in.lines[1].function = "outer";
	in.lines[1].system_name = "outer";
	in.lines[1].file = "src/a.c";
	in.lines[1].line = 40;

	CHECK(symcache_pack(7, 0x99, &in, buf, 16) == 0);
	len = symcache_pack(7, 0x99, &in, buf, sizeof buf);
	CHECK(len != 0 && len % 8 == 0);
	CHECK(symcache_unpack(buf, len, &serial, &addr, &out) == len);
	CHECK(serial == 7 && addr == 0x99 && out.vaddr == 0x1234);
	CHECK(out.nlines == 2);
	for (i = 0; i < 2; i++) {
		CHECK(same(out.lines[i].function, in.lines[i].function));
		CHECK(same(out.lines[i].system_name, in.lines[i].system_name));
		CHECK(same(out.lines[i].file, in.lines[i].file));
		CHECK(out.lines[i].line == in.lines[i].line);
		CHECK(out.lines[i].start_line == in.lines[i].start_line);
	}
	/* Equal strings are stored once. */
	CHECK(out.lines[1].function == out.lines[1].system_name);
	CHECK(out.lines[0].file == out.lines[1].file);

	/* A name without file or line. */
	memset(&in, 0, sizeof in);
	in.nlines = 1;
	in.lines[0].function = "only";
	len = symcache_pack(1, 2, &in, buf, sizeof buf);
	CHECK(symcache_unpack(buf, len, &serial, &addr, &out) == len);
	CHECK(out.lines[0].file == NULL && same(out.lines[0].function, "only"));

	mangle(buf, len);
	return (check_done("test-symcache"));
}
