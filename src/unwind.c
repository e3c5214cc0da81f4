/*
 * DWARF unwinding of copied user stacks with libunwind. Each sample brings
 * the user registers and a copy of the stack above SP; libunwind reads
 * them, and the binaries' .eh_frame_hdr and .eh_frame (or their
 * .debug_frame, see debugframe.c), through our accessors. Nothing is read
 * from the live process, which may be gone.
 */

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libunwind.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/* Exported by libunwind but not declared in its headers. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t, unw_word_t,
    unw_dyn_info_t *, unw_proc_info_t *, int, void *);

#define UNWIND_RED_ZONE		128
#define UNWIND_PREFETCH		4096	/* bytes of stack copy */
#define UNWIND_ENTRY_SPAN	256	/* bytes of _start after the entry */
#define UNWIND_RECENT		8
#define DW_EH_PE_udata4		0x03
#define DW_EH_PE_sdata4		0x0b
#define DW_EH_PE_pcrel		0x10
#define DW_EH_PE_datarel	0x30

/* A binary's unwind data, shared by every process that maps it. */
struct unwind_table {
	uint64_t	 hdr_vaddr;	/* .eh_frame_hdr */
	uint64_t	 fde_count;	/* 0: no usable .eh_frame_hdr */
	uint64_t	 lo;		/* vaddrs held in data */
	uint64_t	 hi;
	unsigned char	*data;
	struct elf_loads image;		/* segments; image.entry is _start */
	struct debugframe *dframe;	/* NULL until an IP needs it */
	int		 dframe_tried;
	unsigned int	 dframe_refused;	/* window the cap said no */
	size_t		 bytes;		/* counted against --unwind-memory */
};

/*
 * Address spaces kept at most; each holds libunwind's cache (~23 KiB).
 * Tests lower it with PROFDROP_TEST_MAX_UNWIND_SPACES.
 */
#define UNWIND_MAX_SPACES	1024

struct unwinder {
	struct proctab	*procs;
	size_t		 memory;	/* cap on tables' bytes */
	size_t		 max_spaces;
	int		 no_debug_frame;
	size_t		 table_bytes;	/* all tables' bytes */
	size_t		 ntables;
	size_t		 nspaces;	/* libunwind address spaces */
	unsigned int	 refused_window;	/* last window the cap said no */
};

/* One sample being unwound: libunwind hands this to every accessor. */
struct unwind_ctx {
	struct unwinder		*uw;
	struct proc		*proc;
	const uint64_t		*regs;
	uint64_t		 sp;
	const unsigned char	*stack;
	uint64_t		 stack_len;
	int			 past_copy;	/* a read ran off the copy */
	uint64_t		 noinfo_ip;	/* last lookup that found nothing */
	int			 noinfo_entry;	/* ... and it was at _start */
	struct {
		struct unwind_table	*table;
		uint64_t		 bias;
	}			 recent[UNWIND_RECENT];
	size_t			 nrecent;
};

/* Set during a walk, for sigprocmask() below: the one thread unwinds. */
static int	 unwinding;

/*
 * libunwind blocks every signal around each use of its cache: two system
 * calls per frame, most of the cost of a walk. The daemon unwinds on one
 * thread and its signal handlers only set flags, so during a walk those
 * calls are answered here without a system call. This definition takes
 * the place of the C library's for the whole program; outside a walk it
 * does what the system call does.
 */
int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (unwinding) {
		if (old != NULL)
			sigemptyset(old);
		return (0);
	}
	return (syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8));
}

/* Positions in the sample of the registers PROFDROP_REGS_MASK selects. */
enum {
	PR_AX, PR_BX, PR_CX, PR_DX, PR_SI, PR_DI, PR_BP, PR_SP, PR_IP,
	PR_FLAGS, PR_CS, PR_SS, PR_R8, PR_R9, PR_R10, PR_R11, PR_R12, PR_R13,
	PR_R14, PR_R15
};

static const int unw_to_sample[] = {
	[UNW_X86_64_RAX] = PR_AX, [UNW_X86_64_RDX] = PR_DX,
	[UNW_X86_64_RCX] = PR_CX, [UNW_X86_64_RBX] = PR_BX,
	[UNW_X86_64_RSI] = PR_SI, [UNW_X86_64_RDI] = PR_DI,
	[UNW_X86_64_RBP] = PR_BP, [UNW_X86_64_RSP] = PR_SP,
	[UNW_X86_64_R8] = PR_R8, [UNW_X86_64_R9] = PR_R9,
	[UNW_X86_64_R10] = PR_R10, [UNW_X86_64_R11] = PR_R11,
	[UNW_X86_64_R12] = PR_R12, [UNW_X86_64_R13] = PR_R13,
	[UNW_X86_64_R14] = PR_R14, [UNW_X86_64_R15] = PR_R15,
	[UNW_X86_64_RIP] = PR_IP,
};

static int
read_exact(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t	 n;
	size_t	 done = 0;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += n;
	}
	return (0);
}

static void
table_free(struct unwinder *uw, struct unwind_table *t)
{
	if (t == NULL)
		return;
	uw->table_bytes -= t->bytes;
	if (t->bytes != 0)
		uw->ntables--;
	free(t->data);
	elfinfo_loads_free(&t->image);
	debugframe_free(t->dframe);
	free(t);
}

/* Where .eh_frame_hdr is, from its section or, if stripped, its segment. */
static int
table_find_hdr(Elf *elf, GElf_Phdr *hdr)
{
	GElf_Phdr	 ph;
	size_t		 n, i;

	if (elf_getphdrnum(elf, &n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) != NULL &&
		    ph.p_type == PT_GNU_EH_FRAME) {
			*hdr = ph;
			return (0);
		}
	}
	return (-1);
}

/*
 * Read .eh_frame_hdr and the rest of its segment (.eh_frame follows it)
 * into memory, so later reads are bounded copies, not file I/O on a file
 * the process could truncate under us.
 */
static int
table_load_eh(struct unwinder *uw, struct unwind_table *t, int fd,
    const GElf_Phdr *hdr, uint64_t size)
{
	const struct elf_load	*loads = t->image.loads;
	unsigned char		 head[12];
	int32_t			 ptr;
	uint64_t		 lo, hi = 0, start, count;
	size_t			 i, n = t->image.nloads;

	for (i = 0; i < n; i++) {
		if (hdr->p_vaddr >= loads[i].vaddr &&
		    hdr->p_vaddr < loads[i].vaddr + loads[i].filesz)
			hi = loads[i].vaddr + loads[i].filesz;
	}
	if (hi == 0 || hdr->p_offset > size ||
	    read_exact(fd, head, sizeof head, hdr->p_offset) != 0)
		return (-1);
	/* version 1; table of sdata4 pairs relative to the header. */
	if (head[0] != 1 || head[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
	    head[1] != (DW_EH_PE_pcrel | DW_EH_PE_sdata4) ||
	    (head[2] != DW_EH_PE_udata4 && head[2] != DW_EH_PE_sdata4))
		return (-1);
	memcpy(&ptr, head + 4, 4);
	count = (uint32_t)(head[8] | head[9] << 8 | head[10] << 16 |
	    (uint32_t)head[11] << 24);
	start = hdr->p_vaddr + 4 + ptr;		/* .eh_frame */
	lo = start < hdr->p_vaddr ? start : hdr->p_vaddr;
	if (hi <= lo || hi - lo > UNWIND_MAX_TABLE ||
	    12 + count * 8 > hi - hdr->p_vaddr)
		return (-1);
	for (i = 0; i < n; i++) {
		if (lo >= loads[i].vaddr && hi <= loads[i].vaddr +
		    loads[i].filesz)
			break;
	}
	if (i == n)
		return (-1);
	/* Checked before reading, so a refused table costs no I/O. */
	if (uw->table_bytes + (hi - lo) > uw->memory)
		return (-2);
	t->data = xmalloc(hi - lo);
	if (read_exact(fd, t->data, hi - lo,
	    loads[i].offset + (lo - loads[i].vaddr)) != 0) {
		free(t->data);
		t->data = NULL;
		return (-1);
	}
	t->hdr_vaddr = hdr->p_vaddr;
	t->fde_count = count;
	t->lo = lo;
	t->hi = hi;
	return (0);
}

/*
 * The binary's segments, and its .eh_frame_hdr if it has a usable one;
 * without, .debug_frame may still serve.
 */
static struct unwind_table *
table_load(struct unwinder *uw, struct dso *d, int fd, int *over)
{
	struct unwind_table	*t;
	struct stat		 st;
	Elf			*elf;
	GElf_Phdr		 hdr;
	int			 rc;

	if (fstat(fd, &st) == -1 ||
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL)
		return (NULL);
	t = xcalloc(1, sizeof *t);
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    elfinfo_loads(elf, st.st_size, &t->image) != 0)
		goto fail;
	rc = table_find_hdr(elf, &hdr) != 0 ? -1 :
	    table_load_eh(uw, t, fd, &hdr, st.st_size);
	if (rc == -2) {
		*over = 1;
		goto fail;
	}
	if (rc != 0)
		log_debug("%s: no usable .eh_frame_hdr", d->name);
	elf_end(elf);
	return (t);
fail:
	elf_end(elf);
	table_free(uw, t);
	return (NULL);
}

/* Say, once a window, that a binary's tables did not fit. */
static void
table_refused(struct unwinder *uw, const struct dso *d)
{
	unsigned int	 window = proc_window(uw->procs);

	if (uw->refused_window != window)
		log_warnx("unwind tables use %zu KiB; with %s they would pass "
		    "--unwind-memory: it and others are not unwound in this "
		    "window", uw->table_bytes >> 10, d->name);
	uw->refused_window = window;
}

/* Count size bytes of tables against --unwind-memory, if they fit. */
static int
table_charge(struct unwinder *uw, struct unwind_table *t, size_t size)
{
	if (uw->table_bytes + size > uw->memory)
		return (-1);
	if (t->bytes == 0)
		uw->ntables++;
	t->bytes += size;
	uw->table_bytes += size;
	return (0);
}

static struct unwind_table *
table_get(struct unwinder *uw, struct dso *d)
{
	struct unwind_table	*t = NULL;
	int			 fd, over = 0;

	if (d->unwind != NULL || d->unwind_failed)
		return (d->unwind);
	/* Refused: not again until the sweep may have made room. */
	if (d->unwind_refused == proc_window(uw->procs))
		return (NULL);
	if ((fd = binary_open(d, NULL)) != -1) {
		t = table_load(uw, d, fd, &over);
		close(fd);
	}
	if (t == NULL && !over) {
		log_debug("%s: no usable ELF segments", d->name);
		d->unwind_failed = 1;
		return (NULL);
	}
	if (t == NULL || table_charge(uw, t, sizeof *t + (t->hi - t->lo) +
	    t->image.nloads * sizeof *t->image.loads) != 0) {
		table_refused(uw, d);
		table_free(uw, t);
		d->unwind_refused = proc_window(uw->procs);
		return (NULL);
	}
	d->unwind = t;
	return (t);
}

/* The first 8-aligned len bytes of [lo, hi), if there is room. */
static int
table_room(uint64_t lo, uint64_t hi, size_t len, uint64_t *vaddr)
{
	uint64_t	 at = (lo + 7) & ~7ULL;

	if (at < lo || at >= hi || hi - at < len)
		return (-1);
	*vaddr = at;
	return (0);
}

/*
 * Where converted .debug_frame can pretend to be: in one of the binary's
 * own segments, text first, 8 bytes clear of the .eh_frame data so no
 * word read holds both. Inside its own image, bias + vaddr is right for
 * every process mapping the binary, and holds no other binary's data.
 */
static int
table_place(const struct unwind_table *t, size_t len, uint64_t *vaddr)
{
	const struct elf_load	*l;
	uint64_t		 lo, hi, eh_lo, eh_hi;
	int			 exec;
	size_t			 i;

	eh_lo = t->lo > 8 ? t->lo - 8 : 0;
	eh_hi = t->hi + 8;
	for (exec = 1; exec >= 0; exec--) {
		for (i = 0; i < t->image.nloads; i++) {
			l = &t->image.loads[i];
			if (((l->flags & PF_X) != 0) != exec)
				continue;
			lo = l->vaddr;
			hi = lo + l->memsz;
			if (t->data == NULL || eh_hi <= lo || eh_lo >= hi) {
				if (table_room(lo, hi, len, vaddr) == 0)
					return (0);
				continue;
			}
			if (table_room(lo, eh_lo, len, vaddr) == 0 ||
			    table_room(eh_hi, hi, len, vaddr) == 0)
				return (0);
		}
	}
	return (-1);
}

/* The binary's .debug_frame, converted and placed when first needed. */
static struct debugframe *
table_debug_frame(struct unwinder *uw, struct unwind_table *t, struct dso *d)
{
	uint64_t	 vaddr;
	char		*path;
	int		 fd;

	if (t->dframe != NULL || t->dframe_tried ||
	    t->dframe_refused == proc_window(uw->procs))
		return (t->dframe);
	t->dframe_tried = 1;
	if (uw->no_debug_frame || (fd = binary_open(d, &path)) == -1)
		return (NULL);
	t->dframe = debugframe_load(fd, path, d->name, t->image.lo,
	    t->image.hi);
	close(fd);
	free(path);
	if (t->dframe == NULL) {
		log_debug("%s: no usable .debug_frame", d->name);
		return (NULL);
	}
	if (table_place(t, t->dframe->len, &vaddr) != 0) {
		log_debug("%s: no room for %zu bytes of .debug_frame",
		    d->name, t->dframe->len);
		debugframe_free(t->dframe);
		t->dframe = NULL;
		return (NULL);
	}
	if (table_charge(uw, t, t->dframe->len) != 0) {
		/* Not now; perhaps in a later window. */
		table_refused(uw, d);
		debugframe_free(t->dframe);
		t->dframe = NULL;
		t->dframe_tried = 0;
		t->dframe_refused = proc_window(uw->procs);
		return (NULL);
	}
	debugframe_move(t->dframe, vaddr);
	return (t->dframe);
}

/* The load bias of a mapping: runtime address minus ELF vaddr. */
static int
table_bias(const struct unwind_table *t, const struct map *m, uint64_t *bias)
{
	const struct elf_load	*l;
	size_t			 i;

	for (i = 0; i < t->image.nloads; i++) {
		l = &t->image.loads[i];
		if (m->pgoff >= (l->offset & ~4095ULL) &&
		    m->pgoff < l->offset + l->filesz) {
			*bias = m->start - (l->vaddr - l->offset + m->pgoff);
			return (0);
		}
	}
	return (-1);
}

/* Copy what [addr, addr + 8) shares with a buffer; 0 if it shares nothing. */
static int
copy_word(uint64_t addr, unw_word_t *val, uint64_t base,
    const unsigned char *buf, uint64_t len)
{
	uint64_t	 from, to;

	if (addr + 8 <= base || addr >= base + len)
		return (0);
	/* The usual case, a whole word, as one fixed-size copy. */
	if (addr >= base && addr - base + 8 <= len) {
		memcpy(val, buf + (addr - base), 8);
		return (1);
	}
	from = addr < base ? base : addr;
	to = addr + 8 > base + len ? base + len : addr + 8;
	*val = 0;
	memcpy((char *)val + (from - addr), buf + (from - base), to - from);
	return (1);
}

/* Look ip up in a search table of count entries relative to segbase. */
static int
search_table(unw_addr_space_t as, unw_word_t ip, const struct map *m,
    uint64_t segbase, uint64_t table, uint64_t count, unw_proc_info_t *pi,
    int need_unwind_info, void *arg)
{
	unw_dyn_info_t	 di;

	memset(&di, 0, sizeof di);
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = segbase;
	di.u.rti.table_data = table;
	di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	return (_Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi,
	    need_unwind_info, arg));
}

/* .eh_frame first; where it has nothing for ip, .debug_frame. */
static int
acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
    int need_unwind_info, void *arg)
{
	struct unwind_ctx	*ctx = arg;
	const struct map	*m;
	struct unwind_table	*t;
	struct debugframe	*df;
	uint64_t		 bias;
	size_t			 i;
	int			 rc = -UNW_ENOINFO;

	if ((m = proc_find_map(ctx->proc, ip)) == NULL ||
	    m->dso->kind == DSO_ANON || (t = table_get(ctx->uw, m->dso)) ==
	    NULL ||
	    table_bias(t, m, &bias) != 0) {
		ctx->noinfo_ip = ip;
		ctx->noinfo_entry = 0;
		return (-UNW_ENOINFO);
	}
	for (i = 0; i < ctx->nrecent; i++) {
		if (ctx->recent[i].table == t && ctx->recent[i].bias == bias)
			break;
	}
	if (i == ctx->nrecent) {
		i = ctx->nrecent < UNWIND_RECENT ? ctx->nrecent++ :
		    UNWIND_RECENT - 1;
		ctx->recent[i].table = t;
		ctx->recent[i].bias = bias;
	}
	if (t->fde_count > 0)
		rc = search_table(as, ip, m, bias + t->hdr_vaddr,
		    bias + t->hdr_vaddr + 12, t->fde_count, pi,
		    need_unwind_info, arg);
	if (rc < 0 && (df = table_debug_frame(ctx->uw, t, m->dso)) != NULL)
		rc = search_table(as, ip, m, bias + df->vaddr,
		    bias + df->vaddr, df->count, pi, need_unwind_info, arg);
	if (rc < 0) {
		ctx->noinfo_ip = ip;
		ctx->noinfo_entry = t->image.entry != 0 &&
		    ip - bias >= t->image.entry &&
		    ip - bias < t->image.entry + UNWIND_ENTRY_SPAN;
	}
	return (rc);
}

static void
acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
}

static int
acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return (-UNW_ENOINFO);
}

static int
acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
    int write, void *arg)
{
	struct unwind_ctx	*ctx = arg;
	struct unwind_table	*t;
	uint64_t		 vaddr;
	size_t			 i;

	if (write)
		return (-UNW_EINVAL);
	if (copy_word(addr, val, ctx->sp, ctx->stack, ctx->stack_len))
		return (0);
	/* Leaf code may use the red zone below SP; it was not copied. */
	if (addr < ctx->sp && addr + UNWIND_RED_ZONE >= ctx->sp) {
		*val = 0;
		return (0);
	}
	for (i = 0; i < ctx->nrecent; i++) {
		t = ctx->recent[i].table;
		vaddr = addr - ctx->recent[i].bias;
		if (copy_word(vaddr, val, t->lo, t->data, t->hi - t->lo))
			return (0);
		if (t->dframe != NULL && copy_word(vaddr, val, t->dframe->vaddr,
		    t->dframe->data, t->dframe->len))
			return (0);
		/*
		 * Elsewhere in the binary: a personality routine's GOT slot
		 * or code bytes. Neither changes where frames are.
		 */
		if (vaddr >= t->image.lo && vaddr < t->image.hi) {
			*val = 0;
			return (0);
		}
	}
	if (addr >= ctx->sp + ctx->stack_len &&
	    addr < ctx->sp + ctx->stack_len + (8 << 20))
		ctx->past_copy = 1;
	return (-UNW_EINVAL);
}

static int
acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
    int write, void *arg)
{
	struct unwind_ctx	*ctx = arg;

	if (write || reg < 0 || reg > UNW_X86_64_RIP)
		return (-UNW_EBADREG);
	*val = ctx->regs[unw_to_sample[reg]];
	return (0);
}

static int
acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
    int write, void *arg)
{
	return (-UNW_EBADREG);
}

static int
acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return (-UNW_EINVAL);
}

static int
acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
    size_t len, unw_word_t *off, void *arg)
{
	return (-UNW_ENOINFO);
}

static const unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

static void
unwind_space_free(struct unwinder *uw, struct proc *p)
{
	if (p->unwind == NULL)
		return;
	unw_destroy_addr_space(p->unwind);
	p->unwind = NULL;
	uw->nspaces--;
}

struct space_drop_arg {
	struct unwinder	*uw;
	unsigned int	 before;
};

/* Drop the address space of a process not sampled since before. */
static void
unwind_space_drop(struct proc *p, void *arg)
{
	struct space_drop_arg	*sd = arg;

	if (p->unwind_window < sd->before)
		unwind_space_free(sd->uw, p);
}

/*
 * An address space per process: libunwind caches by address, and the
 * same address means different code in different processes.
 */
static unw_addr_space_t
unwind_space(struct unwinder *uw, struct proc *p)
{
	struct space_drop_arg	 sd = { uw, 0 };
	unsigned int		 window = proc_window(uw->procs);

	p->unwind_window = window;
	if (p->unwind == NULL) {
		/* At the cap, first what this window has not used, then all. */
		if (uw->nspaces >= uw->max_spaces) {
			sd.before = window;
			proc_foreach(uw->procs, unwind_space_drop, &sd);
		}
		if (uw->nspaces >= uw->max_spaces) {
			sd.before = UINT_MAX;
			proc_foreach(uw->procs, unwind_space_drop, &sd);
		}
		uw->nspaces++;
		/* libunwind copies them and never writes through the pointer. */
		p->unwind = unw_create_addr_space((unw_accessors_t *)&accessors,
		    0);
		if (p->unwind == NULL)
			fatalx("unw_create_addr_space failed");
		unw_set_caching_policy(p->unwind, UNW_CACHE_GLOBAL);
		p->unwind_generation = p->map_generation;
	} else if (p->unwind_generation != p->map_generation) {
		unw_flush_cache(p->unwind, 0, 0);
		p->unwind_generation = p->map_generation;
	}
	return (p->unwind);
}

/*
 * The stack copy was written by the kernel, often on another CPU, a
 * while ago: each cache line the walk reads is a miss. Asking for the
 * lines most walks read first lets the misses overlap.
 */
static void
unwind_prefetch(const unsigned char *stack, uint64_t len)
{
	uint64_t	 off;

	if (len > UNWIND_PREFETCH)
		len = UNWIND_PREFETCH;
	for (off = 0; off < len; off += 64)
		__builtin_prefetch(stack + off);
}

/* Step through the frames while libunwind finds them. */
static enum unwind_end
unwind_walk(unw_cursor_t *c, unw_addr_space_t as, struct unwind_ctx *ctx,
    uint64_t *ips, size_t max, size_t *n)
{
	unw_word_t	 ip, sp, last_sp = 0;
	int		 rc;

	if (unw_init_remote(c, as, ctx) != 0)
		return (UNWIND_FAILED);
	for (;;) {
		if (unw_get_reg(c, UNW_REG_IP, &ip) != 0 ||
		    unw_get_reg(c, UNW_REG_SP, &sp) != 0)
			return (UNWIND_FAILED);
		if (ip == 0)
			return (UNWIND_COMPLETE);
		if (*n == max)
			return (UNWIND_TRUNCATED);
		/* The stack grows down: a frame that does not move is a loop. */
		if (*n > 0 && sp <= last_sp && ip == ips[*n - 1])
			return (UNWIND_FAILED);
		ips[(*n)++] = ip;
		last_sp = sp;
		/*
		 * The root frame's CFI says it has no caller. libunwind also
		 * ends the walk when a frame has no CFI and its frame pointer
		 * guess finds nothing: that is no root, unless the frame is
		 * the program's entry code (a _start without CFI, as musl's).
		 * (It looks up the address before a return address.)
		 */
		if ((rc = unw_step(c)) == 0)
			return (ip - ctx->noinfo_ip <= 1 &&
			    !ctx->noinfo_entry ? UNWIND_FAILED :
			    UNWIND_COMPLETE);
		if (rc < 0)
			return (ctx->past_copy ? UNWIND_TRUNCATED :
			    UNWIND_FAILED);
	}
}

/*
 * Unwind one sample's user stack into ips (leaf first). Returns how the
 * walk ended; ips holds what was found either way.
 */
enum unwind_end
unwind_sample(struct unwinder *uw, struct proc *p, const uint64_t *regs,
    const void *stack, uint64_t stack_len, uint64_t *ips, size_t max,
    size_t *n)
{
	struct unwind_ctx	 ctx;
	unw_cursor_t		 c;
	enum unwind_end		 end;

	*n = 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.uw = uw;
	ctx.proc = p;
	ctx.regs = regs;
	ctx.sp = regs[PR_SP];
	ctx.stack = stack;
	ctx.stack_len = stack_len;
	unwind_prefetch(stack, stack_len);
	unwinding = 1;
	end = unwind_walk(&c, unwind_space(uw, p), &ctx, ips, max, n);
	unwinding = 0;
	return (end);
}

/* Sweeps: a process not sampled in the last window gives up its space. */
static void
unwind_proc_swept(void *arg, struct proc *p, int going)
{
	struct unwinder	*uw = arg;

	if (going || p->unwind_window + 1 < proc_window(uw->procs))
		unwind_space_free(uw, p);
}

static void
unwind_dso_swept(void *arg, struct dso *d, int going)
{
	table_free(arg, d->unwind);
	d->unwind = NULL;
}

/*
 * An unwinder for the processes of procs, its tables capped at memory
 * bytes; it releases its state as the table's sweeps say.
 */
struct unwinder *
unwind_new(struct proctab *procs, size_t memory, const struct features *f)
{
	struct unwinder		*uw;
	struct proc_hooks	 hooks = { unwind_proc_swept, unwind_dso_swept,
	    NULL };

	uw = xcalloc(1, sizeof *uw);
	uw->procs = procs;
	uw->memory = memory;
	uw->max_spaces = f->max_unwind_spaces != 0 ? f->max_unwind_spaces :
	    UNWIND_MAX_SPACES;
	uw->no_debug_frame = f->no_debug_frame;
	hooks.arg = uw;
	proc_add_hooks(procs, &hooks);
	return (uw);
}

/* What the unwinder holds: tables' bytes, binaries with tables, spaces. */
void
unwind_usage(const struct unwinder *uw, struct pd_usage *u)
{
	u->unwind_bytes = uw->table_bytes;
	u->unwind_tables = uw->ntables;
	u->unwind_spaces = uw->nspaces;
}

/* After the process table it hooks into is freed. */
void
unwind_free(struct unwinder *uw)
{
	free(uw);
}
