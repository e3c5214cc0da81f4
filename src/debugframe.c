/*
 * .debug_frame as unwind information, for code built without .eh_frame
 * (-fno-asynchronous-unwind-tables -g). libunwind reads only .eh_frame
 * in remote address spaces, so the section's CIEs and FDEs are rewritten
 * once per binary as .eh_frame entries, behind a search table like
 * .eh_frame_hdr's, in one blob that unwind.c serves at a pretended
 * address inside the binary's image. The section comes from the binary,
 * else from its separate debug file (elfinfo.c finds it). Every byte of
 * these files is untrusted: each read is bounds-checked, and what does
 * not parse is left out.
 */

#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define DEBUGFRAME_MAX_SPAN	(1ULL << 30)	/* keeps offsets in sdata4 */
#define DEBUGFRAME_CIE_ID	0xffffffffU
#define DW_EH_PE_sdata4		0x0b
#define DW_EH_PE_pcrel		0x10

/* A growing output buffer; past UNWIND_MAX_TABLE it only counts failure. */
struct dfbuf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
	int		 full;
};

/* Where a .debug_frame CIE went in the output. */
struct dfcie {
	uint64_t	 in;
	size_t		 out;
};

/* A converted FDE: the code it covers starts at vaddr. */
struct dffde {
	uint64_t	 vaddr;
	size_t		 out;
};

static uint32_t
rd32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint64_t
rd64(const unsigned char *p)
{
	return (rd32(p) | (uint64_t)rd32(p + 4) << 32);
}

static void
wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void
buf_put(struct dfbuf *b, const void *p, size_t n)
{
	size_t	 cap;

	if (b->full || n > UNWIND_MAX_TABLE - b->len) {
		b->full = 1;
		return;
	}
	if (b->len + n > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + n)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
buf_u8(struct dfbuf *b, unsigned char v)
{
	buf_put(b, &v, 1);
}

static void
buf_u32(struct dfbuf *b, uint32_t v)
{
	unsigned char	 p[4];

	wr32(p, v);
	buf_put(b, p, 4);
}

/* Step over a LEB128 number that must end before end. */
static int
leb_skip(const unsigned char *sec, size_t end, size_t *p)
{
	size_t	 i;

	for (i = 0; i < 10 && *p < end; i++) {
		if ((sec[(*p)++] & 0x80) == 0)
			return (0);
	}
	return (-1);
}

/*
 * The next 32-bit entry from *off: its body, after the length, is
 * [*body, *end). 64-bit entries are stepped over; a length that runs
 * off the section ends the walk.
 */
static int
entry_next(const unsigned char *sec, size_t size, size_t *off, size_t *body,
    size_t *end)
{
	uint64_t	 len;

	while (size - *off >= 4) {
		len = rd32(sec + *off);
		if (len == 0xffffffff) {
			if (size - *off < 12 ||
			    (len = rd64(sec + *off + 4)) > size - *off - 12)
				return (0);
			*off += 12 + len;
			continue;
		}
		if (len > size - *off - 4)
			return (0);
		*body = *off + 4;
		*end = *body + len;
		*off = *end;
		if (len >= 4)
			return (1);
	}
	return (0);
}

/*
 * A CIE of version 1, 3 or 4 without augmentations, as an .eh_frame CIE
 * whose "zR" says FDEs hold pcrel sdata4 addresses. The alignment
 * factors, return column and instructions are copied as they are.
 */
static int
convert_cie(struct dfbuf *out, const unsigned char *sec, size_t p, size_t end)
{
	unsigned char	 version;
	size_t		 factors, instr;

	p += 4;
	if (end - p < 2 || ((version = sec[p]) != 1 && version != 3 &&
	    version != 4) || sec[p + 1] != '\0')
		return (-1);
	p += 2;
	if (version == 4) {
		/* 8-byte addresses, no segment selectors. */
		if (end - p < 2 || sec[p] != 8 || sec[p + 1] != 0)
			return (-1);
		p += 2;
	}
	factors = p;
	if (leb_skip(sec, end, &p) != 0 || leb_skip(sec, end, &p) != 0)
		return (-1);
	if (version == 1 && p < end)
		p++;
	else if (version == 1 || leb_skip(sec, end, &p) != 0)
		return (-1);
	instr = p;

	buf_u32(out, 4 + 1 + 3 + (instr - factors) + 2 + (end - instr));
	buf_u32(out, 0);
	buf_u8(out, version == 1 ? 1 : 3);
	buf_put(out, "zR", 3);
	buf_put(out, sec + factors, instr - factors);
	buf_u8(out, 1);
	buf_u8(out, DW_EH_PE_pcrel | DW_EH_PE_sdata4);
	buf_put(out, sec + instr, end - instr);
	return (0);
}

/*
 * An FDE whose code lies in [lo, hi), as an .eh_frame FDE pointing back
 * to its CIE at cie. Its pc_begin is written once the blob is placed.
 */
static int
convert_fde(struct dfbuf *out, const unsigned char *sec, size_t p,
    size_t end, size_t cie, uint64_t lo, uint64_t hi, struct dffde *f)
{
	uint64_t	 start, range;

	if (end - p < 20)
		return (-1);
	start = rd64(sec + p + 4);
	range = rd64(sec + p + 12);
	if (start < lo || start >= hi || range == 0 || range > hi - start)
		return (-1);
	f->vaddr = start;
	f->out = out->len;
	buf_u32(out, 4 + 4 + 4 + 1 + (end - p - 20));
	buf_u32(out, out->len - cie);
	buf_u32(out, 0);
	buf_u32(out, range);
	buf_u8(out, 0);
	buf_put(out, sec + p + 20, end - p - 20);
	return (0);
}

static int
cie_cmp(const void *key, const void *elem)
{
	uint64_t		 in = *(const uint64_t *)key;
	const struct dfcie	*c = elem;

	return (in < c->in ? -1 : in > c->in);
}

static int
fde_cmp(const void *a, const void *b)
{
	const struct dffde	*x = a, *y = b;

	return (x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr);
}

/* The CIEs first, so that every FDE can point back to its CIE. */
static struct dfcie *
convert_cies(struct dfbuf *out, const unsigned char *sec, size_t size,
    size_t *n)
{
	struct dfcie	*cies = NULL;
	size_t		 off = 0, body, end, cap = 0, at;

	*n = 0;
	while (entry_next(sec, size, &off, &body, &end)) {
		if (rd32(sec + body) != DEBUGFRAME_CIE_ID)
			continue;
		at = out->len;
		if (convert_cie(out, sec, body, end) != 0)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			cies = xreallocarray(cies, cap, sizeof *cies);
		}
		cies[*n].in = body - 4;
		cies[(*n)++].out = at;
	}
	return (cies);
}

static struct dffde *
convert_fdes(struct dfbuf *out, const unsigned char *sec, size_t size,
    const struct dfcie *cies, size_t ncies, uint64_t lo, uint64_t hi,
    size_t *n)
{
	struct dffde		*fdes = NULL;
	const struct dfcie	*c;
	size_t			 off = 0, body, end, cap = 0;
	uint64_t		 id;

	*n = 0;
	while (entry_next(sec, size, &off, &body, &end)) {
		if ((id = rd32(sec + body)) == DEBUGFRAME_CIE_ID ||
		    ncies == 0 || (c = bsearch(&id, cies, ncies, sizeof *cies,
		    cie_cmp)) == NULL)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			fdes = xreallocarray(fdes, cap, sizeof *fdes);
		}
		if (convert_fde(out, sec, body, end, c->out, lo, hi,
		    &fdes[*n]) == 0)
			(*n)++;
	}
	return (fdes);
}

/*
 * The blob: a table of (start - vaddr, FDE offset) pairs sorted by start,
 * as .eh_frame_hdr has, then the entries; it is built at lo.
 */
static struct debugframe *
convert(const unsigned char *sec, size_t size, uint64_t lo, uint64_t hi)
{
	struct debugframe	*df = NULL;
	struct dfbuf		 out;
	struct dfcie		*cies;
	struct dffde		*fdes;
	size_t			 ncies, nfdes, i, table;

	memset(&out, 0, sizeof out);
	cies = convert_cies(&out, sec, size, &ncies);
	fdes = convert_fdes(&out, sec, size, cies, ncies, lo, hi, &nfdes);
	if (nfdes == 0 || out.full || out.len > UNWIND_MAX_TABLE - 4 ||
	    nfdes > (UNWIND_MAX_TABLE - 4 - out.len) / 8)
		goto done;
	qsort(fdes, nfdes, sizeof *fdes, fde_cmp);
	table = nfdes * 8;
	df = xcalloc(1, sizeof *df);
	df->len = table + out.len + 4;
	df->data = xcalloc(1, df->len);
	memcpy(df->data + table, out.data, out.len);
	for (i = 0; i < nfdes; i++) {
		wr32(df->data + 8 * i, fdes[i].vaddr - lo);
		wr32(df->data + 8 * i + 4, table + fdes[i].out);
	}
	df->count = nfdes;
	df->vaddr = lo;
	debugframe_move(df, lo);
done:
	free(out.data);
	free(cies);
	free(fdes);
	return (df);
}

/* The .debug_frame of an open ELF file, converted; NULL if none. */
static struct debugframe *
from_elf(Elf *elf, uint64_t lo, uint64_t hi)
{
	const void	*sec;
	size_t		 len;

	if ((sec = elfinfo_section(elf, ".debug_frame", UNWIND_MAX_TABLE,
	    &len)) == NULL)
		return (NULL);
	return (convert(sec, len, lo, hi));
}

/* The .debug_frame of the debug file elfinfo finds for the binary. */
static struct debugframe *
from_debug_file(Elf *bin, const char *path, const char *name, uint64_t lo,
    uint64_t hi)
{
	struct debugframe	*df = NULL;
	Elf			*elf;
	char			*found;
	int			 fd;

	if ((fd = elfinfo_debug_file(bin, path, name, &found)) == -1)
		return (NULL);
	if ((elf = elf_begin(fd, ELF_C_READ, NULL)) != NULL)
		df = from_elf(elf, lo, hi);
	if (df != NULL)
		log_debug("%s: .debug_frame for %zu ranges", found, df->count);
	elf_end(elf);
	close(fd);
	free(found);
	return (df);
}

/*
 * The .debug_frame of the binary open on fd (found at path, mapped as
 * name), or of its debug file, for code in [lo, hi), the vaddrs of its
 * image; built at lo. NULL if there is none or nothing in it is usable.
 */
struct debugframe *
debugframe_load(int fd, const char *path, const char *name, uint64_t lo,
    uint64_t hi)
{
	struct debugframe	*df = NULL;
	Elf			*elf;

	if (hi <= lo || hi - lo > DEBUGFRAME_MAX_SPAN ||
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL)
		return (NULL);
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64)
		goto done;
	if ((df = from_elf(elf, lo, hi)) != NULL) {
		log_debug("%s: .debug_frame for %zu ranges", path, df->count);
		goto done;
	}
	df = from_debug_file(elf, path, name, lo, hi);
done:
	elf_end(elf);
	return (df);
}

/*
 * Pretend the blob lives at vaddr: rewrite the table's starts and the
 * FDEs' pcrel pc_begin for it. The blob must lie inside [lo, hi) as
 * given to debugframe_load, which keeps every offset in 32 bits.
 */
void
debugframe_move(struct debugframe *df, uint64_t vaddr)
{
	unsigned char	*e;
	uint64_t	 start;
	uint32_t	 fde;
	size_t		 i;

	for (i = 0; i < df->count; i++) {
		e = df->data + 8 * i;
		start = df->vaddr + (int32_t)rd32(e);
		fde = rd32(e + 4);
		wr32(e, start - vaddr);
		wr32(df->data + fde + 8, start - (vaddr + fde + 8));
	}
	df->vaddr = vaddr;
}

void
debugframe_free(struct debugframe *df)
{
	if (df == NULL)
		return;
	free(df->data);
	free(df);
}
