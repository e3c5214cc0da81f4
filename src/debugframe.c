/*
 * .debug_frame as unwind information, for code built without .eh_frame
 * (-fno-asynchronous-unwind-tables -g). libunwind reads only .eh_frame
 * in remote address spaces, so the section's CIEs and FDEs are rewritten
 * once per binary as .eh_frame entries, behind a search table like
 * .eh_frame_hdr's, in one blob that unwind.c serves at a pretended
 * address inside the binary's image. The section comes from the binary,
 * else from its separate debug file. Every byte of these files is
 * untrusted: each read is bounds-checked, and what does not parse is
 * left out.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

#define DEBUGFRAME_DIR		"/usr/lib/debug"
#define DEBUGFRAME_MAX_SPAN	(1ULL << 30)	/* keeps offsets in sdata4 */
#define DEBUGFRAME_MAX_NOTES	(64 << 10)
#define DEBUGFRAME_MAX_LINK	4096
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

/* What a separate debug file must match, and its .gnu_debuglink name. */
struct dfident {
	unsigned char	 id[64];
	size_t		 idlen;
	char		*link;
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

/* The section's bytes, decompressed if need be; NULL if it has none. */
static Elf_Data *
section_data(Elf *elf, const char *want)
{
	Elf_Scn		*scn = NULL;
	Elf_Data	*d;
	GElf_Shdr	 sh;
	GElf_Chdr	 ch;
	const char	*name;
	size_t		 shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return (NULL);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL ||
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) == NULL ||
		    strcmp(name, want) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_size > UNWIND_MAX_TABLE)
			return (NULL);
		if ((sh.sh_flags & SHF_COMPRESSED) &&
		    (gelf_getchdr(scn, &ch) == NULL ||
		    ch.ch_size > UNWIND_MAX_TABLE ||
		    elf_compress(scn, 0, 0) != 1))
			return (NULL);
		if ((d = elf_getdata(scn, NULL)) == NULL || d->d_buf == NULL ||
		    d->d_size > UNWIND_MAX_TABLE)
			return (NULL);
		return (d);
	}
	return (NULL);
}

/* The file's GNU build ID, from its note sections; 0 if it has none. */
static size_t
build_id(Elf *elf, unsigned char *id, size_t size)
{
	Elf_Scn		*scn = NULL;
	Elf_Data	*d;
	GElf_Shdr	 sh;
	GElf_Nhdr	 nh;
	size_t		 off, next, name, desc;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE ||
		    sh.sh_size > DEBUGFRAME_MAX_NOTES ||
		    (d = elf_getdata(scn, NULL)) == NULL || d->d_buf == NULL)
			continue;
		for (off = 0; (next = gelf_getnote(d, off, &nh, &name,
		    &desc)) > 0; off = next) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name, "GNU", 4) != 0 ||
			    nh.n_descsz == 0 || nh.n_descsz > size)
				continue;
			memcpy(id, (char *)d->d_buf + desc, nh.n_descsz);
			return (nh.n_descsz);
		}
	}
	return (0);
}

/* The file name .gnu_debuglink gives, if it is a plain name. */
static char *
debuglink(Elf *elf)
{
	Elf_Data	*d;
	const char	*name;
	size_t		 len;
	char		*s;

	if ((d = section_data(elf, ".gnu_debuglink")) == NULL ||
	    d->d_size > DEBUGFRAME_MAX_LINK)
		return (NULL);
	name = d->d_buf;
	len = strnlen(name, d->d_size);
	if (len == 0 || len == d->d_size || memchr(name, '/', len) != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (NULL);
	s = xmalloc(len + 1);
	memcpy(s, name, len + 1);
	return (s);
}

/* The .debug_frame of an open ELF file, converted; NULL if none. */
static struct debugframe *
from_elf(Elf *elf, uint64_t lo, uint64_t hi)
{
	Elf_Data	*d;

	if ((d = section_data(elf, ".debug_frame")) == NULL)
		return (NULL);
	return (convert(d->d_buf, d->d_size, lo, hi));
}

/* A debug file, if it is the binary's by build ID. */
static struct debugframe *
from_file(const char *path, const struct dfident *ident, uint64_t lo,
    uint64_t hi)
{
	struct debugframe	*df = NULL;
	struct stat		 st;
	unsigned char		 id[sizeof ident->id];
	Elf			*elf = NULL;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return (NULL);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) != NULL &&
	    elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == ELFCLASS64) {
		if (build_id(elf, id, sizeof id) != ident->idlen ||
		    memcmp(id, ident->id, ident->idlen) != 0)
			log_debug("%s: not the debug file wanted", path);
		else
			df = from_elf(elf, lo, hi);
	}
	elf_end(elf);
	close(fd);
	if (df != NULL)
		log_debug("%s: .debug_frame for %zu ranges", path, df->count);
	return (df);
}

static char *
dir_of(const char *path)
{
	const char	*slash;
	char		*dir;

	if (path[0] != '/' || (slash = strrchr(path, '/')) == NULL)
		return (NULL);
	dir = xmalloc(slash - path + 1);
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	return (dir);
}

/*
 * The separate debug file: by build ID under /usr/lib/debug/.build-id,
 * then by debug link next to the binary (path, as opened), in its .debug
 * directory, and under /usr/lib/debug by the name it is mapped by.
 */
static struct debugframe *
from_debug_file(const struct dfident *ident, const char *path,
    const char *name, uint64_t lo, uint64_t hi)
{
	struct debugframe	*df = NULL;
	char			 hex[2 * sizeof ident->id + 1], *try[4];
	char			*dir, *mapdir;
	size_t			 i, n = 0;

	for (i = 0; i < ident->idlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", ident->id[i]);
	if (ident->idlen >= 2)
		xasprintf(&try[n++], "%s/.build-id/%.2s/%s.debug",
		    DEBUGFRAME_DIR, hex, hex + 2);
	if (ident->link != NULL && (dir = dir_of(path)) != NULL) {
		xasprintf(&try[n++], "%s/%s", dir, ident->link);
		xasprintf(&try[n++], "%s/.debug/%s", dir, ident->link);
		free(dir);
	}
	if (ident->link != NULL && (mapdir = dir_of(name)) != NULL) {
		xasprintf(&try[n++], "%s%s/%s", DEBUGFRAME_DIR, mapdir,
		    ident->link);
		free(mapdir);
	}
	for (i = 0; i < n; i++) {
		if (df == NULL)
			df = from_file(try[i], ident, lo, hi);
		free(try[i]);
	}
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
	struct dfident		 ident;
	Elf			*elf;

	if (hi <= lo || hi - lo > DEBUGFRAME_MAX_SPAN ||
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL)
		return (NULL);
	memset(&ident, 0, sizeof ident);
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64)
		goto done;
	if ((df = from_elf(elf, lo, hi)) != NULL) {
		log_debug("%s: .debug_frame for %zu ranges", path, df->count);
		goto done;
	}
	/* Without a build ID nothing says a debug file is this binary's. */
	if ((ident.idlen = build_id(elf, ident.id, sizeof ident.id)) == 0)
		goto done;
	ident.link = debuglink(elf);
	df = from_debug_file(&ident, path, name, lo, hi);
done:
	free(ident.link);
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
