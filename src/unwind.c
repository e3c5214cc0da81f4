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

#include "profdropd.h"

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
	uint64_t	 image_lo;	/* vaddrs the whole image spans */
	uint64_t	 image_hi;
	uint64_t	 entry;		/* ELF entry point, where _start is */
	unsigned char	*data;
	struct {
		uint64_t vaddr;
		uint64_t offset;
		uint64_t filesz;
		uint64_t memsz;
		uint32_t flags;
	}		*loads;
	size_t		 nloads;
	struct debugframe *dframe;	/* NULL until an IP needs it */
	int		 dframe_tried;
	unsigned int	 dframe_refused;	/* window the cap said no */
	size_t		 bytes;		/* counted against --unwind-memory */
};

/* One sample being unwound: libunwind hands this to every accessor. */
struct unwind_ctx {
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

static int	 unwinding;
static size_t	 table_bytes;	/* all tables' bytes */
static size_t	 ntables;
static size_t	 nspaces;	/* libunwind address spaces */
static unsigned int refused_window;	/* last window the cap refused one */

/*
 * Address spaces kept at most; each holds libunwind's cache (~23 KiB).
 * Tests lower it with PROFDROP_MAX_UNWIND_SPACES.
 */
#define UNWIND_MAX_SPACES	1024
static size_t	 max_spaces;

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
table_free(struct unwind_table *t)
{
	if (t == NULL)
		return;
	table_bytes -= t->bytes;
	if (t->bytes != 0)
		ntables--;
	free(t->data);
	free(t->loads);
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
table_load_eh(struct unwind_table *t, int fd, const GElf_Phdr *hdr,
    uint64_t size)
{
	unsigned char	 head[12];
	int32_t		 ptr;
	uint64_t	 lo, hi = 0, start, count;
	size_t		 i;

	for (i = 0; i < t->nloads; i++) {
		if (hdr->p_vaddr >= t->loads[i].vaddr &&
		    hdr->p_vaddr < t->loads[i].vaddr + t->loads[i].filesz)
			hi = t->loads[i].vaddr + t->loads[i].filesz;
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
	for (i = 0; i < t->nloads; i++) {
		if (lo >= t->loads[i].vaddr &&
		    hi <= t->loads[i].vaddr + t->loads[i].filesz)
			break;
	}
	if (i == t->nloads)
		return (-1);
	/* Checked before reading, so a refused table costs no I/O. */
	if (table_bytes + (hi - lo) > opts.unwind_memory)
		return (-2);
	t->data = xmalloc(hi - lo);
	if (read_exact(fd, t->data, hi - lo,
	    t->loads[i].offset + (lo - t->loads[i].vaddr)) != 0) {
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
table_load(struct dso *d, int fd, int *over)
{
	struct unwind_table	*t;
	struct stat		 st;
	Elf			*elf;
	GElf_Ehdr		 eh;
	GElf_Phdr		 ph, hdr;
	size_t			 n, i;
	int			 rc;

	if (fstat(fd, &st) == -1 ||
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL)
		return (NULL);
	t = xcalloc(1, sizeof *t);
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    gelf_getehdr(elf, &eh) == NULL || elf_getphdrnum(elf, &n) != 0)
		goto fail;
	t->entry = eh.e_entry;
	t->loads = xcalloc(n + 1, sizeof *t->loads);
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > (uint64_t)st.st_size ||
		    ph.p_filesz > (uint64_t)st.st_size - ph.p_offset ||
		    ph.p_memsz > UINT64_MAX - ph.p_vaddr)
			goto fail;
		if (t->nloads == 0 || ph.p_vaddr < t->image_lo)
			t->image_lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > t->image_hi)
			t->image_hi = ph.p_vaddr + ph.p_memsz;
		t->loads[t->nloads].vaddr = ph.p_vaddr;
		t->loads[t->nloads].offset = ph.p_offset;
		t->loads[t->nloads].filesz = ph.p_filesz;
		t->loads[t->nloads].memsz = ph.p_memsz;
		t->loads[t->nloads].flags = ph.p_flags;
		t->nloads++;
	}
	if (t->nloads == 0)
		goto fail;
	t->loads = xreallocarray(t->loads, t->nloads, sizeof *t->loads);
	rc = table_find_hdr(elf, &hdr) != 0 ? -1 :
	    table_load_eh(t, fd, &hdr, st.st_size);
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
	table_free(t);
	return (NULL);
}

/* Say, once a window, that a binary's tables did not fit. */
static void
table_refused(const struct dso *d)
{
	if (refused_window != proc_window)
		log_warnx("unwind tables use %zu KiB; with %s they would pass "
		    "--unwind-memory: it and others are not unwound in this "
		    "window", table_bytes >> 10, d->name);
	refused_window = proc_window;
}

/* Count size bytes of tables against --unwind-memory, if they fit. */
static int
table_charge(struct unwind_table *t, size_t size)
{
	if (table_bytes + size > opts.unwind_memory)
		return (-1);
	if (t->bytes == 0)
		ntables++;
	t->bytes += size;
	table_bytes += size;
	return (0);
}

static struct unwind_table *
table_get(struct dso *d)
{
	struct unwind_table	*t = NULL;
	int			 fd, over = 0;

	if (d->unwind != NULL || d->unwind_failed)
		return (d->unwind);
	/* Refused: not again until the sweep may have made room. */
	if (d->unwind_refused == proc_window)
		return (NULL);
	if ((fd = binary_open(d, NULL)) != -1) {
		t = table_load(d, fd, &over);
		close(fd);
	}
	if (t == NULL && !over) {
		log_debug("%s: no usable ELF segments", d->name);
		d->unwind_failed = 1;
		return (NULL);
	}
	if (t == NULL || table_charge(t, sizeof *t + (t->hi - t->lo) +
	    t->nloads * sizeof *t->loads) != 0) {
		table_refused(d);
		table_free(t);
		d->unwind_refused = proc_window;
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
	uint64_t	 lo, hi, eh_lo, eh_hi;
	int		 exec;
	size_t		 i;

	eh_lo = t->lo > 8 ? t->lo - 8 : 0;
	eh_hi = t->hi + 8;
	for (exec = 1; exec >= 0; exec--) {
		for (i = 0; i < t->nloads; i++) {
			if (((t->loads[i].flags & PF_X) != 0) != exec)
				continue;
			lo = t->loads[i].vaddr;
			hi = lo + t->loads[i].memsz;
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
table_debug_frame(struct unwind_table *t, struct dso *d)
{
	uint64_t	 vaddr;
	char		*path;
	int		 fd;

	if (t->dframe != NULL || t->dframe_tried ||
	    t->dframe_refused == proc_window)
		return (t->dframe);
	t->dframe_tried = 1;
	if (getenv("PROFDROP_NO_DEBUG_FRAME") != NULL ||
	    (fd = binary_open(d, &path)) == -1)
		return (NULL);
	t->dframe = debugframe_load(fd, path, d->name, t->image_lo,
	    t->image_hi);
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
	if (table_charge(t, t->dframe->len) != 0) {
		/* Not now; perhaps in a later window. */
		table_refused(d);
		debugframe_free(t->dframe);
		t->dframe = NULL;
		t->dframe_tried = 0;
		t->dframe_refused = proc_window;
		return (NULL);
	}
	debugframe_move(t->dframe, vaddr);
	return (t->dframe);
}

/* The load bias of a mapping: runtime address minus ELF vaddr. */
static int
table_bias(const struct unwind_table *t, const struct map *m, uint64_t *bias)
{
	size_t	 i;

	for (i = 0; i < t->nloads; i++) {
		if (m->pgoff >= (t->loads[i].offset & ~4095ULL) &&
		    m->pgoff < t->loads[i].offset + t->loads[i].filesz) {
			*bias = m->start - (t->loads[i].vaddr -
			    t->loads[i].offset + m->pgoff);
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
	    m->dso->kind == DSO_ANON || (t = table_get(m->dso)) == NULL ||
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
	if (rc < 0 && (df = table_debug_frame(t, m->dso)) != NULL)
		rc = search_table(as, ip, m, bias + df->vaddr,
		    bias + df->vaddr, df->count, pi, need_unwind_info, arg);
	if (rc < 0) {
		ctx->noinfo_ip = ip;
		ctx->noinfo_entry = t->entry != 0 && ip - bias >= t->entry &&
		    ip - bias < t->entry + UNWIND_ENTRY_SPAN;
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
		if (vaddr >= t->image_lo && vaddr < t->image_hi) {
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

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
	.access_mem = acc_access_mem,
	.access_reg = acc_access_reg,
	.access_fpreg = acc_access_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_get_proc_name,
};

/* Drop the address space of a process not sampled since *arg. */
static void
unwind_space_drop(struct proc *p, void *arg)
{
	if (p->unwind_window < *(unsigned int *)arg)
		unwind_proc_free(p);
}

/*
 * An address space per process: libunwind caches by address, and the
 * same address means different code in different processes.
 */
static unw_addr_space_t
unwind_space(struct proc *p)
{
	const char	*env;
	unsigned int	 before;

	p->unwind_window = proc_window;
	if (max_spaces == 0 && (env = getenv("PROFDROP_MAX_UNWIND_SPACES")) !=
	    NULL)
		max_spaces = strtoul(env, NULL, 10);
	if (max_spaces == 0)
		max_spaces = UNWIND_MAX_SPACES;
	if (p->unwind == NULL) {
		/* At the cap, first what this window has not used, then all. */
		if (nspaces >= max_spaces) {
			before = proc_window;
			proc_foreach(unwind_space_drop, &before);
		}
		if (nspaces >= max_spaces) {
			before = UINT_MAX;
			proc_foreach(unwind_space_drop, &before);
		}
		nspaces++;
		p->unwind = unw_create_addr_space(&accessors, 0);
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
unwind_sample(struct proc *p, const uint64_t *regs, const void *stack,
    uint64_t stack_len, uint64_t *ips, size_t max, size_t *n)
{
	struct unwind_ctx	 ctx;
	unw_cursor_t		 c;
	enum unwind_end		 end;

	*n = 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.proc = p;
	ctx.regs = regs;
	ctx.sp = regs[PR_SP];
	ctx.stack = stack;
	ctx.stack_len = stack_len;
	unwind_prefetch(stack, stack_len);
	unwinding = 1;
	end = unwind_walk(&c, unwind_space(p), &ctx, ips, max, n);
	unwinding = 0;
	return (end);
}

void
unwind_proc_free(struct proc *p)
{
	if (p->unwind == NULL)
		return;
	unw_destroy_addr_space(p->unwind);
	p->unwind = NULL;
	nspaces--;
}

/* What the unwinder holds: tables' bytes, binaries with tables, spaces. */
void
unwind_usage(size_t *bytes, size_t *tables, size_t *spaces)
{
	*bytes = table_bytes;
	*tables = ntables;
	*spaces = nspaces;
}

void
unwind_dso_free(struct dso *d)
{
	table_free(d->unwind);
	d->unwind = NULL;
}
