/*
 * Unit test of debugframe.c. This program is built without .eh_frame, so
 * its own code is described by .debug_frame only: converted, the blob
 * must find its functions wherever it is placed. Then the section is
 * mutated and cut many times over: whatever comes out must still be a
 * blob whose every table entry leads to a well-formed FDE and CIE.
 */

#include <fcntl.h>
#include <link.h>

#include "debugframe.c"
#include "check.h"

#define NOINLINE __attribute__((noinline, noclone))
#define FUZZ_ROUNDS	20000

static uint64_t	 image_lo, image_hi;

static NOINLINE int probe_one(int x) { return (x * 3 + 1); }
static NOINLINE int probe_two(int x) { return (probe_one(x) ^ 0x55); }

static int
first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	*(uint64_t *)arg = info->dlpi_addr;
	return (1);
}

/* Link-time address of code in this program. */
static uint64_t
link_vaddr(const void *fn)
{
	uint64_t	 bias = 0;

	dl_iterate_phdr(first_object, &bias);
	return ((uintptr_t)fn - bias);
}

/*
 * Is the blob what unwind.c and libunwind expect? Entries sorted, each
 * leading to an FDE inside the blob whose pcrel pc_begin agrees with the
 * table and whose CIE pointer leads to a CIE saying "zR".
 */
static int
blob_ok(const struct debugframe *df, uint64_t lo, uint64_t hi)
{
	const unsigned char	*e, *f, *c;
	uint64_t		 start, prev = 0, pc;
	uint32_t		 fde, len, cie;
	size_t			 i;

	if (df->vaddr < lo || df->len > hi - df->vaddr ||
	    df->count > df->len / 8)
		return (0);
	for (i = 0; i < df->count; i++) {
		e = df->data + 8 * i;
		start = df->vaddr + (int32_t)rd32(e);
		fde = rd32(e + 4);
		if ((i > 0 && start < prev) || fde < 8 * df->count ||
		    fde > df->len - 17)
			return (0);
		prev = start;
		f = df->data + fde;
		len = rd32(f);
		pc = df->vaddr + fde + 8 + (int32_t)rd32(f + 8);
		if (len < 13 || len > df->len - fde - 4 || pc != start ||
		    rd32(f + 12) == 0 || start < lo ||
		    rd32(f + 12) > hi - start || f[16] != 0)
			return (0);
		cie = rd32(f + 4);
		if (cie > fde + 4 || fde + 4 - cie < 8 * df->count)
			return (0);
		c = df->data + fde + 4 - cie;
		if (c + 12 > df->data + df->len || rd32(c + 4) != 0 ||
		    (c[8] != 1 && c[8] != 3) || memcmp(c + 9, "zR", 3) != 0)
			return (0);
	}
	return (1);
}

/* The table entry whose FDE covers vaddr, as libunwind would find it. */
static int
covers(const struct debugframe *df, uint64_t vaddr)
{
	const unsigned char	*e;
	uint64_t		 start;
	uint32_t		 fde;
	size_t			 i;

	for (i = df->count; i-- > 0;) {
		e = df->data + 8 * i;
		start = df->vaddr + (int32_t)rd32(e);
		if (start > vaddr)
			continue;
		fde = rd32(e + 4);
		return (vaddr < start + rd32(df->data + fde + 12));
	}
	return (0);
}

static void
image_span(Elf *elf)
{
	GElf_Phdr	 ph;
	size_t		 n, i;

	image_lo = UINT64_MAX;
	if (elf_getphdrnum(elf, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr < image_lo)
			image_lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > image_hi)
			image_hi = ph.p_vaddr + ph.p_memsz;
	}
}

static void
test_own(const unsigned char *sec, size_t size)
{
	struct debugframe	*df;
	uint64_t		 at;

	df = convert(sec, size, image_lo, image_hi);
	CHECK(df != NULL);
	if (df == NULL)
		return;
	CHECK(blob_ok(df, image_lo, image_hi));
	CHECK(covers(df, link_vaddr(probe_one)));
	CHECK(covers(df, link_vaddr(probe_two)));
	CHECK(covers(df, link_vaddr(test_own)));
	at = (image_hi - df->len) & ~7ULL;
	debugframe_move(df, at);
	CHECK(df->vaddr == at);
	CHECK(blob_ok(df, image_lo, image_hi));
	CHECK(covers(df, link_vaddr(probe_one)));
	CHECK(covers(df, link_vaddr(probe_two)));
	debugframe_free(df);
	/* Code from hi on is left out. */
	df = convert(sec, size, image_lo, link_vaddr(probe_one));
	CHECK(df == NULL || !covers(df, link_vaddr(probe_one)));
	debugframe_free(df);
}

static void
put32(unsigned char *p, uint32_t v)
{
	wr32(p, v);
}

static void
put64(unsigned char *p, uint64_t v)
{
	wr32(p, v);
	wr32(p + 4, v >> 32);
}

/*
 * A version 4 CIE (address and segment sizes) and a version 3 CIE (a
 * LEB128 return column), one FDE each, and a 64-bit entry between them.
 */
static void
test_versions(void)
{
	unsigned char		 sec[256];
	struct debugframe	*df;
	const unsigned char	*c;
	size_t			 n = 0;

	memset(sec, 0, sizeof sec);
	put32(sec + n, 16);			/* v4 CIE at 0 */
	put32(sec + n + 4, DEBUGFRAME_CIE_ID);
	memcpy(sec + n + 8, "\x04\x00\x08\x00\x01\x78\x10\x0c\x07\x08", 10);
	n += 20;
	put32(sec + n, 0xffffffff);		/* 64-bit, skipped */
	put64(sec + n + 4, 8);
	n += 20;
	put32(sec + n, 13);			/* v3 CIE at 40 */
	put32(sec + n + 4, DEBUGFRAME_CIE_ID);
	memcpy(sec + n + 8, "\x03\x00\x01\x78\x90\x01\x00\x00\x00", 9);
	n += 17;
	put32(sec + n, 21);			/* FDE of the v4 CIE */
	put32(sec + n + 4, 0);
	put64(sec + n + 8, 0x401000);
	put64(sec + n + 16, 0x20);
	sec[n + 24] = 0x41;
	n += 25;
	put32(sec + n, 20);			/* FDE of the v3 CIE */
	put32(sec + n + 4, 40);
	put64(sec + n + 8, 0x401100);
	put64(sec + n + 16, 0x10);
	n += 24;
	put32(sec + n, 20);			/* FDE with no CIE there */
	put32(sec + n + 4, 44);
	put64(sec + n + 8, 0x401200);
	put64(sec + n + 16, 0x10);
	n += 24;

	df = convert(sec, n, 0x400000, 0x500000);
	CHECK(df != NULL);
	if (df == NULL)
		return;
	CHECK(df->count == 2);
	CHECK(blob_ok(df, 0x400000, 0x500000));
	CHECK(covers(df, 0x401010));
	CHECK(covers(df, 0x40110f));
	CHECK(!covers(df, 0x401020));
	CHECK(!covers(df, 0x401200));
	/* The v3 CIE keeps its two-byte return column. */
	c = df->data + 8 * df->count + 22;
	CHECK(c[8] == 3 && c[14] == 0x90 && c[15] == 0x01);
	debugframe_free(df);
}

/* Mutated and cut copies of the section never make a bad blob. */
static void
test_fuzz(const unsigned char *sec, size_t size)
{
	struct debugframe	*df;
	unsigned char		*copy;
	size_t			 round, k, len, made = 0, bad = 0;

	copy = xmalloc(size);
	srandom(631);
	for (round = 0; round < FUZZ_ROUNDS; round++) {
		memcpy(copy, sec, size);
		len = round % 4 == 0 ? (size_t)random() % (size + 1) : size;
		for (k = random() % (round % 8 == 0 ? 64 : 8); k > 0; k--)
			copy[random() % size] = random() % 4 == 0 ?
			    0xff : random();
		if ((df = convert(copy, len, image_lo, image_hi)) == NULL)
			continue;
		made++;
		if (!blob_ok(df, image_lo, image_hi))
			bad++;
		debugframe_move(df, (image_hi - df->len) & ~7ULL);
		if (!blob_ok(df, image_lo, image_hi))
			bad++;
		debugframe_free(df);
	}
	free(copy);
	printf("fuzz: %zu rounds, %zu blobs, %zu bad\n", round, made, bad);
	CHECK(made > 0);
	CHECK(bad == 0);
}

int
main(int argc, char **argv)
{
	const void	*d;
	Elf		*elf;
	size_t		 len;
	int		 fd;

	log_init(1, PD_LOG_INFO);
	elf_version(EV_CURRENT);
	if ((fd = open("/proc/self/exe", O_RDONLY)) == -1 ||
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL) {
		perror("/proc/self/exe");
		return (1);
	}
	image_span(elf);
	d = elfinfo_section(elf, ".debug_frame", UNWIND_MAX_TABLE, &len);
	CHECK(d != NULL);
	if (d != NULL) {
		test_own(d, len);
		test_fuzz(d, len);
	}
	test_versions();
	CHECK(probe_two(argc) != 0);
	elf_end(elf);
	close(fd);
	return (check_done("test-debugframe"));
}
