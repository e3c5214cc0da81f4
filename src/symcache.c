/*
 * Names of addresses, kept by the daemon from one window to the next.
 * Each window is named in a child that starts with a copy of this cache,
 * so only the addresses no earlier window named cost a symbol lookup (and
 * maybe loading a binary's DWARF). The child reports, through memory it
 * shares with the daemon, which entries it used and what it named anew;
 * the daemon takes that in when it reaps the child.
 */

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

#define SYMCACHE_KEEP		3		/* windows an entry may go unused */
#define SYMCACHE_MAX_BYTES	(16 << 20)
#define SYMCACHE_REPORT_BYTES	(4 << 20)	/* new entries per window */
#define SYMCACHE_NO_STRING	UINT32_MAX

struct symcache_line {
	uint32_t	 function;	/* offsets into the text, or NO_STRING */
	uint32_t	 system_name;
	uint32_t	 file;
	int32_t		 line;
	int32_t		 start_line;
};

/* An entry as a child reports it and as the daemon keeps it. */
struct symcache_rec {
	uint64_t		 serial;	/* of the dso */
	uint64_t		 addr;
	uint64_t		 vaddr;
	uint32_t		 nlines;
	uint32_t		 textlen;
	struct symcache_line	 lines[PROFDROP_MAX_LINES];
	/* textlen bytes of NUL-terminated strings follow */
};

struct symcache_entry {
	struct hnode		 node;
	size_t			 slot;
	unsigned int		 used_window;
	struct symcache_rec	 rec;		/* text follows the entry */
};

/*
 * What one child tells the daemon. The handle is the daemon's own: a
 * child (parsing hostile binaries) writes only to the shared memory, and
 * the daemon trusts nothing it reads back there.
 */
struct symcache_report {
	unsigned char	*shared;	/* used flags, records' length, records */
	size_t		 size;		/* of the mapping */
	size_t		 nslots;	/* used flags */
	unsigned int	 window;
};

struct symcache {
	struct htable		  entries;
	struct symcache_entry	**slots;	/* by slot; NULL when free */
	size_t			  nslots;
	size_t			  slotcap;
	size_t			  freeslot;	/* no free slot below it */
	size_t			  bytes;
	unsigned int		  window;	/* the one being filled */
	struct symcache_report	 *report;	/* set in a child */
};

struct symcache *
symcache_new(void)
{
	struct symcache	*sc;

	sc = xcalloc(1, sizeof *sc);
	htable_init(&sc->entries, 4096);
	sc->window = 1;
	return (sc);
}

/* Entries are kept while windows newer than SYMCACHE_KEEP use them. */
void
symcache_set_window(struct symcache *sc, unsigned int window)
{
	sc->window = window;
}

static uint64_t
symcache_hash(uint64_t serial, uint64_t addr)
{
	uint64_t	 key[2] = { serial, addr };

	return (hash_bytes(key, sizeof key, 3));
}

static const char *
symcache_string(const char *text, uint32_t off)
{
	return (off == SYMCACHE_NO_STRING ? NULL : text + off);
}

static void
symcache_line_info(const struct symcache_line *sl, const char *text,
    struct symbol_line *out)
{
	out->function = symcache_string(text, sl->function);
	out->system_name = symcache_string(text, sl->system_name);
	out->file = symcache_string(text, sl->file);
	out->line = sl->line;
	out->start_line = sl->start_line;
}

static size_t
report_flags_size(const struct symcache_report *r)
{
	return ((r->nslots + 7) & ~(size_t)7);
}

/* The bytes of records the child says it wrote. */
static size_t *
report_used(const struct symcache_report *r)
{
	return ((size_t *)(r->shared + report_flags_size(r)));
}

static unsigned char *
report_records(const struct symcache_report *r)
{
	return (r->shared + report_flags_size(r) + sizeof(size_t));
}

static struct symcache_entry *
symcache_find(struct symcache *sc, uint64_t serial, uint64_t addr)
{
	struct symcache_entry	*e;
	struct hnode		*n;

	for (n = htable_find(&sc->entries, symcache_hash(serial, addr));
	    n != NULL; n = htable_next_same(n)) {
		e = container_of(n, struct symcache_entry, node);
		if (e->rec.serial == serial && e->rec.addr == addr)
			return (e);
	}
	return (NULL);
}

int
symcache_lookup(struct symcache *sc, const struct dso *d, uint64_t addr,
    struct symbol_info *info)
{
	struct symcache_entry	*e;
	uint32_t		 i;

	if ((e = symcache_find(sc, d->serial, addr)) == NULL)
		return (0);
	/* A child's writes would only copy pages: it reports use instead. */
	if (sc->report == NULL)
		e->used_window = sc->window;
	else if (e->slot < sc->report->nslots)
		sc->report->shared[e->slot] = 1;
	info->vaddr = e->rec.vaddr;
	info->nlines = e->rec.nlines;
	for (i = 0; i < e->rec.nlines; i++)
		symcache_line_info(&e->rec.lines[i], (const char *)(e + 1),
		    &info->lines[i]);
	return (1);
}

/* Place s in text (NULL: measure only), reusing an equal earlier string. */
static uint32_t
symcache_place(char *text, uint32_t *len, const char *s,
    const char *const *earlier, const uint32_t *offsets, size_t nearlier)
{
	size_t		 i, n;
	uint32_t	 off;

	if (s == NULL)
		return (SYMCACHE_NO_STRING);
	for (i = 0; i < nearlier; i++) {
		if (earlier[i] != NULL && strcmp(earlier[i], s) == 0)
			return (offsets[i]);
	}
	n = strlen(s) + 1;
	off = *len;
	if (text != NULL)
		memcpy(text + off, s, n);
	*len += n;
	return (off);
}

/* Lay out info's strings after rec (text NULL: only count them). */
static void
symcache_layout(struct symcache_rec *rec, char *text,
    const struct symbol_info *info)
{
	const char		*seen[3 * PROFDROP_MAX_LINES];
	uint32_t		 offs[3 * PROFDROP_MAX_LINES], len = 0;
	size_t			 nseen = 0;
	int			 i;

	rec->nlines = info->nlines;
	for (i = 0; i < info->nlines; i++) {
		rec->lines[i].function = symcache_place(text, &len,
		    info->lines[i].function, seen, offs, nseen);
		seen[nseen] = info->lines[i].function;
		offs[nseen++] = rec->lines[i].function;
		rec->lines[i].system_name = symcache_place(text, &len,
		    info->lines[i].system_name, seen, offs, nseen);
		seen[nseen] = info->lines[i].system_name;
		offs[nseen++] = rec->lines[i].system_name;
		rec->lines[i].file = symcache_place(text, &len,
		    info->lines[i].file, seen, offs, nseen);
		seen[nseen] = info->lines[i].file;
		offs[nseen++] = rec->lines[i].file;
		rec->lines[i].line = info->lines[i].line;
		rec->lines[i].start_line = info->lines[i].start_line;
	}
	rec->textlen = len;
}

static void
symcache_insert(struct symcache *sc, const struct symcache_rec *rec,
    const char *text)
{
	struct symcache_entry	*e;
	size_t			 size = sizeof *e + rec->textlen;

	/* A child's copy dies with it; the daemon's is capped. */
	if (sc->report == NULL && sc->bytes + size > SYMCACHE_MAX_BYTES)
		return;
	e = xmalloc(size);
	e->rec = *rec;
	memcpy(e + 1, text, rec->textlen);
	e->used_window = sc->window;
	while (sc->freeslot < sc->nslots && sc->slots[sc->freeslot] != NULL)
		sc->freeslot++;
	if (sc->freeslot == sc->nslots) {
		if (sc->nslots == sc->slotcap) {
			sc->slotcap = sc->slotcap == 0 ? 1024 :
			    sc->slotcap * 2;
			sc->slots = xreallocarray(sc->slots, sc->slotcap,
			    sizeof *sc->slots);
		}
		sc->nslots++;
	}
	e->slot = sc->freeslot;
	sc->slots[e->slot] = e;
	sc->bytes += size;
	htable_insert(&sc->entries, &e->node, symcache_hash(rec->serial,
	    rec->addr));
}

/* A packed entry, checked as any input is before it is used. */
static int
symcache_valid(const struct symcache_rec *rec, const char *text)
{
	uint32_t	 i, offs[3];
	size_t		 j;

	if (rec->nlines == 0 || rec->nlines > PROFDROP_MAX_LINES ||
	    rec->textlen == 0 || text[rec->textlen - 1] != '\0')
		return (0);
	for (i = 0; i < rec->nlines; i++) {
		offs[0] = rec->lines[i].function;
		offs[1] = rec->lines[i].system_name;
		offs[2] = rec->lines[i].file;
		for (j = 0; j < 3; j++) {
			if (offs[j] != SYMCACHE_NO_STRING &&
			    offs[j] >= rec->textlen)
				return (0);
		}
	}
	return (1);
}

/*
 * Pack what addr in the dso numbered serial was named into buf: the form
 * children report and the symbolizer replies in. Returns its length (a
 * multiple of 8), or 0 if it is longer than size.
 */
size_t
symcache_pack(uint64_t serial, uint64_t addr, const struct symbol_info *info,
    void *buf, size_t size)
{
	struct symcache_rec	 rec;
	size_t			 len;

	memset(&rec, 0, sizeof rec);
	rec.serial = serial;
	rec.addr = addr;
	rec.vaddr = info->vaddr;
	symcache_layout(&rec, NULL, info);
	len = (sizeof rec + rec.textlen + 7) & ~(size_t)7;
	if (len > size)
		return (0);
	memcpy(buf, &rec, sizeof rec);
	symcache_layout(&rec, (char *)buf + sizeof rec, info);
	memset((char *)buf + sizeof rec + rec.textlen, 0,
	    len - sizeof rec - rec.textlen);
	return (len);
}

/*
 * Read back what symcache_pack wrote, checked as any input is: info
 * points into buf. Returns the packed length, or 0 if it is not valid.
 */
size_t
symcache_unpack(const void *buf, size_t size, uint64_t *serial,
    uint64_t *addr, struct symbol_info *info)
{
	struct symcache_rec	 rec;
	const char		*text = (const char *)buf + sizeof rec;
	uint32_t		 i;

	if (size < sizeof rec)
		return (0);
	memcpy(&rec, buf, sizeof rec);
	if (rec.textlen > size - sizeof rec ||
	    ((sizeof rec + rec.textlen + 7) & ~(size_t)7) > size ||
	    !symcache_valid(&rec, text))
		return (0);
	*serial = rec.serial;
	*addr = rec.addr;
	info->vaddr = rec.vaddr;
	info->nlines = rec.nlines;
	for (i = 0; i < rec.nlines; i++)
		symcache_line_info(&rec.lines[i], text, &info->lines[i]);
	return ((sizeof rec + rec.textlen + 7) & ~(size_t)7);
}

static void
symcache_keep(struct symcache *sc, uint64_t serial, uint64_t addr,
    const struct symbol_info *info)
{
	struct symcache_rec	 rec;
	unsigned char		*buf;
	size_t			 size;

	symcache_layout(&rec, NULL, info);
	size = sizeof rec + rec.textlen + 8;
	buf = xmalloc(size);
	if (symcache_pack(serial, addr, info, buf, size) != 0)
		symcache_insert(sc, (struct symcache_rec *)buf,
		    (char *)buf + sizeof rec);
	free(buf);
}

/* Remember what addr in d was named; in a child, tell the daemon too. */
void
symcache_add(struct symcache *sc, const struct dso *d, uint64_t addr,
    const struct symbol_info *info)
{
	struct symcache_report	*r = sc->report;
	unsigned char		*end, *at;
	size_t			 len;

	if (info->nlines == 0)
		return;
	if (r != NULL) {
		at = report_records(r) + *report_used(r);
		end = r->shared + r->size;
		if ((len = symcache_pack(d->serial, addr, info, at,
		    end - at)) != 0) {
			*report_used(r) += len;
			symcache_insert(sc, (struct symcache_rec *)at,
			    (char *)at + sizeof(struct symcache_rec));
			return;
		}
	}
	symcache_keep(sc, d->serial, addr, info);
}

/* Remember in this process only: a name that may change (a JIT's). */
void
symcache_add_local(struct symcache *sc, const struct dso *d, uint64_t addr,
    const struct symbol_info *info)
{
	if (info->nlines != 0)
		symcache_keep(sc, d->serial, addr, info);
}

/* Shared memory for the child about to write a window. */
struct symcache_report *
symcache_report_new(struct symcache *sc)
{
	struct symcache_report	*r = xcalloc(1, sizeof *r);

	r->nslots = sc->nslots;
	r->window = sc->window;
	r->size = report_flags_size(r) + sizeof(size_t) +
	    SYMCACHE_REPORT_BYTES;
	r->shared = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->shared == MAP_FAILED) {
		log_warn("mmap of %zu bytes for the names cache", r->size);
		free(r);
		return (NULL);
	}
	return (r);
}

/*
 * In the child: report to r from now on. New entries take slots past
 * the daemon's, so a used flag never names one of them.
 */
void
symcache_report_to(struct symcache *sc, struct symcache_report *r)
{
	sc->report = r;
	sc->freeslot = sc->nslots;
}

static void
symcache_remove(struct symcache *sc, struct symcache_entry *e)
{
	htable_remove(&sc->entries, &e->node);
	sc->slots[e->slot] = NULL;
	if (e->slot < sc->freeslot)
		sc->freeslot = e->slot;
	sc->bytes -= sizeof *e + e->rec.textlen;
	free(e);
}

/*
 * Take in what a child reported (ok: it finished its work), then drop
 * the entries no window used for a while.
 */
void
symcache_absorb(struct symcache *sc, struct symcache_report *r, int ok)
{
	const unsigned char	*p, *end;
	struct symbol_info	 info;
	uint64_t		 serial, addr;
	size_t			 i, len, used;

	if (r == NULL)
		return;
	for (i = 0; ok && i < r->nslots && i < sc->nslots; i++) {
		if (r->shared[i] && sc->slots[i] != NULL &&
		    sc->slots[i]->used_window < r->window)
			sc->slots[i]->used_window = r->window;
	}
	p = report_records(r);
	end = r->shared + r->size;
	memcpy(&used, report_used(r), sizeof used);
	if (used < (size_t)(end - p))
		end = p + used;
	while (ok && (len = symcache_unpack(p, end - p, &serial, &addr,
	    &info)) != 0) {
		if (symcache_find(sc, serial, addr) == NULL)
			symcache_insert(sc, (const struct symcache_rec *)p,
			    (const char *)p + sizeof(struct symcache_rec));
		p += len;
	}
	munmap(r->shared, r->size);
	free(r);
	for (i = 0; i < sc->nslots; i++) {
		if (sc->slots[i] != NULL &&
		    sc->slots[i]->used_window + SYMCACHE_KEEP < sc->window)
			symcache_remove(sc, sc->slots[i]);
	}
}

size_t
symcache_count(const struct symcache *sc)
{
	return (sc->entries.count);
}

void
symcache_free(struct symcache *sc)
{
	size_t	 i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nslots; i++) {
		if (sc->slots[i] != NULL)
			symcache_remove(sc, sc->slots[i]);
	}
	free(sc->slots);
	htable_free(&sc->entries);
	free(sc);
}
