/*
 * libprofdrop's private header: the types that travel along the data path
 * and the prototypes of every module, grouped by the file that defines
 * them, lowest layer first.
 */
#ifndef LIBPROFDROP_H
#define LIBPROFDROP_H

#include "config.h"

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "profdrop.h"
#include "linux_abi.h"

#define PROFDROP_MAX_FRAMES	512
#define PROFDROP_MAX_LINES	16	/* inline depth kept per address */

/* Bytes of user stack copied per sample: see doc/performance.md. */
#define PROFDROP_STACK_SIZE	32768
#define PROFDROP_OFFCPU_STACK_SIZE	8192
#define PROFDROP_OFFCPU_MIN_US		50
#define PROFDROP_UNWIND_MEMORY		256	/* MiB of unwind tables */
#define PROFDROP_RING_MEMORY		512	/* MiB of rings, all CPUs */

/* x86-64 user registers AX..SS and R8..R15, as perf uses. */
#define PROFDROP_REGS_MASK	0xff0fffULL

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define printflike(a, b) __attribute__((format(printf, a, b)))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* log.c */
#define PD_LOG_WARN	0
#define PD_LOG_INFO	1
#define PD_LOG_DEBUG	2
void	log_init(int, int);
void	log_warn(const char *, ...) printflike(1, 2);
void	log_warnx(const char *, ...) printflike(1, 2);
void	log_info(const char *, ...) printflike(1, 2);
void	log_debug(const char *, ...) printflike(1, 2);
__dead void fatal(const char *, ...) printflike(1, 2);
__dead void fatalx(const char *, ...) printflike(1, 2);

/* compat.c */
#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif

/* xmalloc.c */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) printflike(2, 3);
int	 xvasprintf(char **, const char *, va_list);

/*
 * hash.c: intrusive chained hash table; entries embed a struct hnode and
 * are found by hash first, then compared by their owner.
 */
struct hnode {
	struct hnode	*next;
	uint64_t	 hash;
};

struct htable {
	struct hnode	**buckets;
	size_t		  nbuckets;
	size_t		  count;
};

void		 htable_init(struct htable *, size_t);
void		 htable_free(struct htable *);
void		 htable_insert(struct htable *, struct hnode *, uint64_t);
void		 htable_remove(struct htable *, struct hnode *);
struct hnode	*htable_find(struct htable *, uint64_t);
struct hnode	*htable_next_same(struct hnode *);
void		 htable_foreach(struct htable *, void (*)(struct hnode *, void *),
		     void *);
uint64_t	 hash_bytes(const void *, size_t, uint64_t);

/* config.c */
int		 config_number(const char *, const char *, unsigned long long,
		     unsigned long long, const char *, unsigned long long *,
		     char **);
int		 config_duration(const char *, const char *, unsigned long long,
		     unsigned long long, const char *, unsigned long long *,
		     char **);
int		 config_size(const char *, const char *, unsigned long long,
		     unsigned long long, unsigned long long, const char *,
		     unsigned long long *, char **);

/*
 * kernel.c: everything decided by what the running kernel grants. The
 * test switches (PROFDROP_NO_*) pretend a feature is missing.
 */
struct features {
	int		 cloexec;	/* PERF_FLAG_FD_CLOEXEC */
	int		 user_stacks;	/* REGS_USER and STACK_USER samples */
	int		 mmap2;		/* attr.mmap2 */
	int		 comm_exec;	/* attr.comm_exec */
	int		 switch_records;	/* attr.context_switch */
	pid_t		 command;	/* may be followed alone (pd_config) */
	pid_t		 task;		/* followed alone: per-CPU refused */
	int		 user_only;	/* kernel samples refused */
	int		 sample_identifier;	/* PERF_SAMPLE_IDENTIFIER */
	char		*tracing;	/* tracing directory, NULL if none */
	int		 no_tracefs;	/* test: no tracing at all */
	int		 no_debug_frame;	/* test: no .debug_frame */
	size_t		 max_unwind_spaces;	/* test: fewer spaces */
};
void		 kernel_features_init(struct features *, const struct pd_config *);
void		 kernel_features_log(const struct features *);
void		 kernel_feature_log(void *, const char *, const char *, int,
		     const char *);
void		 kernel_features_each(const struct features *, void (*)(void *,
		     const char *, const char *, int, const char *), void *);
void		 kernel_features_free(struct features *);
int		 kernel_negotiate(struct features *, struct perf_attr *,
		     int, int, char **);
int		 kernel_event_open(const struct features *,
		     struct perf_attr *, int, char **);
int		 kernel_online_cpus(int *, int);
int		 kernel_sysctl_int(const char *, int *);
int		 kernel_find_tracing(struct features *);
int		 kernel_mount_tracing(char **);

/* A decoded PERF_RECORD_SAMPLE; pointers point into the ring copy. */
struct perf_sample {
	pid_t		 pid;
	pid_t		 tid;
	uint64_t	 time;
	uint32_t	 cpu;
	uint64_t	 period;
	uint64_t	 nr;		/* callchain entries */
	const uint64_t	*ips;
	const unsigned char *raw;	/* tracepoint data */
	uint32_t	 raw_size;
	uint64_t	 regs_abi;	/* PERF_SAMPLE_REGS_ABI_NONE: no regs */
	const uint64_t	*regs;
	const void	*stack;		/* user stack copy, from SP up */
	uint64_t	 stack_len;	/* bytes the kernel really copied */
	int		 stack_full;	/* the copy had no room left */
};

/* What a ring's event asked the kernel to put in each sample. */
struct sample_format {
	uint64_t	 type;
	uint64_t	 regs_mask;
	unsigned int	 nregs;
};

/* A PERF_RECORD_MMAP or MMAP2; name points into the record. */
struct perf_mmap {
	pid_t		 pid;
	uint64_t	 start;
	uint64_t	 size;
	uint64_t	 pgoff;
	uint32_t	 prot;
	uint64_t	 dev;
	uint64_t	 ino;
	const char	*name;
};

/*
 * records.c: the decoder. Each kind of record goes to its handler (NULL:
 * not wanted), the way perf's struct perf_tool does it, so the decoder
 * knows nothing of who consumes what.
 */
struct record_handlers {
	void	(*sample)(void *, const struct perf_sample *,
		    const struct sample_format *);
	void	(*mmap)(void *, const struct perf_mmap *);
	void	(*comm)(void *, pid_t, pid_t, const char *, int);
	void	(*fork)(void *, pid_t, pid_t, pid_t, pid_t);
	void	(*exit)(void *, pid_t, pid_t);
	void	(*lost)(void *, uint64_t);
	void	(*throttle)(void *);
	void	(*switch_in)(void *, pid_t, uint64_t);
	void	(*malformed)(void *);
};
void		 records_format(struct sample_format *,
		     const struct perf_attr *);
int		 records_id(const void *, size_t, uint64_t *);
uint64_t	 records_time(const void *, size_t, const struct sample_format *);
int		 records_parse_sample(const void *, size_t,
		     const struct sample_format *, struct perf_sample *);
void		 records_dispatch(const struct record_handlers *, void *,
		     const void *, size_t, const struct sample_format *);

/* ring.c */
typedef void (*record_fn)(void *, const void *, size_t,
    const struct sample_format *);
/* Where a shared ring's records of one event go. */
struct ring_route {
	uint64_t	 id;		/* PERF_EVENT_IOC_ID's */
	int		 fd;		/* its event; -1: the ring's own */
	struct sample_format fmt;
	record_fn	 handle;
	void		*arg;
};
struct ring {
	int		 fd;
	int		 cpu;
	void		*base;		/* metadata page, then data */
	size_t		 mmap_size;
	unsigned char	*data;
	uint64_t	 data_size;	/* power of two */
	unsigned char	*scratch;	/* a record that wraps is copied here */
	struct sample_format fmt;	/* what its samples hold */
	record_fn	 handle;
	void		*arg;
	struct ring_route *routes;	/* events sharing it; NULL: one */
	size_t		 nroutes;
	uint64_t	 head;		/* where this drain stops */
	uint64_t	 pos;		/* the record being read */
	const void	*rec;		/* it, whole, or NULL at the end */
	size_t		 len;
	uint64_t	 time;
	uint64_t	 corrupt;	/* records skipped in this drain */
};
int		 ring_open(struct ring *, int, int, size_t *, char **);
void		 ring_add_route(struct ring *, uint64_t, int,
		     const struct sample_format *, record_fn, void *);
int		 ring_enable(struct ring *, char **);
void		 ring_begin(struct ring *);
void		 ring_advance(struct ring *);
void		 ring_end(struct ring *);
void		 ring_close(struct ring *);

/* ringshare.c */
int		 ringshare_join(struct ring *, int, const struct sample_format *,
		     record_fn, void *, char **);
int		 ringshare_probe(const struct features *, struct perf_attr *,
		     struct perf_attr *, int);

/* sampler.c: one event per online CPU, merged in time order. */
struct sampler;
struct sampler	*sampler_new(const struct features *, char **);
int		 sampler_first_cpu(const struct sampler *);
size_t		 sampler_ncpus(const struct sampler *);
int		 sampler_unsampled(struct sampler *);
int		 sampler_add(struct sampler *, struct perf_attr *, size_t,
		     record_fn, void *, char **);
int		 sampler_share(struct sampler *, struct perf_attr *, record_fn,
		     void *, char **);
int		 sampler_enable(struct sampler *, char **);
struct pollfd	*sampler_pollfds(struct sampler *, size_t *);
uint64_t	 sampler_drain(struct sampler *);
void		 sampler_close(struct sampler *);

/* What a frame's address is relative to. */
enum dso_kind {
	DSO_FILE,	/* an ELF file; addresses are file offsets */
	DSO_KERNEL,	/* the kernel; addresses are absolute */
	DSO_ANON,	/* anonymous or unnamed memory of one process */
	DSO_SPECIAL,	/* [vdso], [vsyscall]: offsets into them */
	DSO_MARKER	/* a placeholder frame: [unknown mapping], [lost] */
};

/* One binary (or pseudo-binary) shared by every process that maps it. */
struct dso {
	struct hnode	 node;
	enum dso_kind	 kind;
	char		*name;		/* path as the kernel names it */
	pid_t		 pid;		/* owner of DSO_ANON; for files, */
	uint64_t	 map_start;	/* the newest process to map it, */
	uint64_t	 map_end;	/* and where */
	uint64_t	 dev;
	uint64_t	 ino;
	unsigned char	 build_id[20];
	size_t		 build_id_len;
	uint64_t	 serial;	/* never reused, unlike the pointer */
	unsigned int	 refs;		/* mappings that name it */
	unsigned int	 used_window;	/* last window a frame named it */
	void		*unwind;	/* unwind.c tables, NULL until used */
	int		 unwind_failed;
	unsigned int	 unwind_refused;	/* window the memory cap said no */
	void		*symbols;	/* symbols.c state, NULL until opened */
	int		 symbols_failed;
};

/* One mapping of one process. */
struct map {
	uint64_t	 start;
	uint64_t	 end;
	uint64_t	 pgoff;
	uint32_t	 prot;
	struct dso	*dso;
};

struct thread {
	struct hnode	 node;
	pid_t		 tid;
	char		 comm[16];
	unsigned int	 exited;	/* window it exited in, or 0 */
};

struct proc {
	struct hnode	 node;
	pid_t		 pid;
	pid_t		 ppid;
	char		 comm[16];
	char		 container_id[65];	/* empty when none */
	char		*cgroup;
	char		*exe;		/* /proc/PID/exe, without comm_exec */
	struct map	*maps;		/* sorted by start, no overlaps */
	size_t		 nmaps;
	size_t		 mapcap;
	struct htable	 threads;
	unsigned int	 exited;	/* window it exited in, or 0 */
	int		 wanted;	/* matches --pid (or no filter) */
	unsigned int	 map_generation;	/* bumped when maps change */
	void		*unwind;	/* libunwind address space */
	unsigned int	 unwind_generation;
	unsigned int	 unwind_window;	/* last window it was used in */
};

/*
 * What the owners of per-process and per-binary state (the unwinder, the
 * symbols) are told at each sweep: going is set when the process or dso
 * is about to be freed; otherwise they may drop what went unused.
 */
struct proc_hooks {
	void	(*proc_swept)(void *, struct proc *, int);
	void	(*dso_swept)(void *, struct dso *, int);
	void	 *arg;
};

/* dso.c: binaries by identity, and the pseudo-binaries. */
struct dsos;
struct dsos	*dsos_new(void);
struct dso	*dso_get(struct dsos *, const char *, uint64_t, uint64_t,
		     pid_t);
void		 dso_put(struct dso *);
size_t		 dsos_count(const struct dsos *);
struct dso	*dso_kernel(struct dsos *);
struct dso	*dso_marker(struct dsos *, const char *);
void		 dsos_sweep(struct dsos *, unsigned int,
		     const struct proc_hooks *, size_t, int);
void		 dsos_free(struct dsos *, const struct proc_hooks *, size_t);

/* proc.c: the process table, fed by perf records, seeded from /proc. */
struct proctab;
struct proctab	*proc_new_table(const pid_t *, size_t,
		     const struct features *);
void		 proc_add_hooks(struct proctab *, const struct proc_hooks *);
unsigned int	 proc_window(const struct proctab *);
struct dsos	*proc_dsos(struct proctab *);
int		 proc_seed(struct proctab *, char **);
struct proc	*proc_find(struct proctab *, pid_t);
struct proc	*proc_get(struct proctab *, pid_t);
struct thread	*proc_thread(struct proc *, pid_t);
void		 proc_comm(struct proctab *, pid_t, pid_t, const char *, int);
void		 proc_fork(struct proctab *, pid_t, pid_t, pid_t, pid_t);
void		 proc_exit(struct proctab *, pid_t, pid_t);
void		 proc_mmap(struct proctab *, const struct perf_mmap *);
const struct map *proc_find_map(struct proc *, uint64_t);
void		 proc_next_window(struct proctab *);
void		 proc_sweep(struct proctab *);
void		 proc_foreach(struct proctab *, void (*)(struct proc *, void *),
		     void *);
void		 proc_usage(const struct proctab *, size_t *, size_t *);
void		 proc_free_table(struct proctab *);

/*
 * elfinfo.c: facts about ELF files, read in one place so unwinding and
 * naming agree: loadable segments, build-ids, and the separate debug file.
 */
struct elf_load {
	uint64_t	 vaddr;
	uint64_t	 offset;
	uint64_t	 filesz;
	uint64_t	 memsz;
	uint32_t	 flags;
};
struct elf_loads {
	struct elf_load	*loads;
	size_t		 nloads;
	uint64_t	 lo;		/* vaddrs the image spans */
	uint64_t	 hi;
	uint64_t	 entry;		/* ELF entry point */
};
struct Elf;
int		 elfinfo_loads(struct Elf *, uint64_t, struct elf_loads *);
void		 elfinfo_loads_free(struct elf_loads *);
const void	*elfinfo_section(struct Elf *, const char *, size_t, size_t *);
size_t		 elfinfo_build_id(struct Elf *, unsigned char *, size_t);
int		 elfinfo_debug_file(struct Elf *, const char *, const char *,
		     char **);

/* binary.c */
void		 binary_init(void);
int		 binary_open(const struct dso *, char **);
void		 binary_free(void);

/* debugframe.c */
#define UNWIND_MAX_TABLE	(64 << 20)	/* refuse absurd unwind data */
/* .debug_frame rewritten as an .eh_frame_hdr search table and .eh_frame. */
struct debugframe {
	unsigned char	*data;		/* the table, then CIEs and FDEs */
	size_t		 len;
	size_t		 count;		/* entries in the table */
	uint64_t	 vaddr;		/* where data pretends to be mapped */
};
struct debugframe *debugframe_load(int, const char *, const char *, uint64_t,
		     uint64_t);
void		 debugframe_move(struct debugframe *, uint64_t);
void		 debugframe_free(struct debugframe *);

/* unwind.c */
enum unwind_end {
	UNWIND_COMPLETE,	/* reached the outermost frame */
	UNWIND_TRUNCATED,	/* the stack copy or frame limit ran out */
	UNWIND_FAILED
};
struct unwinder;
struct unwinder	*unwind_new(struct proctab *, size_t, const struct features *);
enum unwind_end	 unwind_sample(struct unwinder *, struct proc *,
		     const uint64_t *, const void *, uint64_t, uint64_t *,
		     size_t, size_t *);
void		 unwind_usage(const struct unwinder *, struct pd_usage *);
void		 unwind_free(struct unwinder *);

/* One frame of an interned stack: a dso and an address inside it. */
struct frame {
	struct dso	*dso;
	uint64_t	 addr;
};

/* frames.c: a sample's frames, kernel then user, leaf first. */
struct framer {
	struct proctab	*procs;
	struct unwinder	*unwinder;
	struct pd_counters *counters;
};
size_t		 frames_of_sample(const struct framer *, struct proc *,
		     const struct perf_sample *, struct frame *, size_t);

/* stacks.c: stacks interned, values summed per (stack, pid, tid, tag). */
struct stacks;
typedef void (*stacks_cb)(pid_t, pid_t, uint32_t, const struct frame *,
    size_t, const int64_t *, void *);
struct stacks	*stacks_new(size_t);
void		 stacks_add(struct stacks *, pid_t, pid_t, uint32_t,
		     const struct frame *, size_t, const int64_t *);
void		 stacks_foreach(struct stacks *, stacks_cb, void *);
size_t		 stacks_count(struct stacks *);
void		 stacks_free(struct stacks *);

/* tracefs.c: a tracepoint's id and field layout from its format file. */
struct tp_field {
	int		 offset;
	int		 size;
};
struct switch_format {
	uint64_t	 id;
	struct tp_field	 prev_pid;
	struct tp_field	 prev_state;
	struct tp_field	 next_pid;
	struct {
		unsigned long	 mask;
		char		 letter;
	}		 states[16];
	size_t		 nstates;
};
int		 tracefs_sched_switch(const char *, struct switch_format *,
		     char **);
char		 tracefs_state_letter(const struct switch_format *, uint64_t);

/* kallsyms.c */
struct kallsyms;
struct kallsyms	*kallsyms_load(char **);
void		 kallsyms_free(struct kallsyms *);
const char	*kallsyms_lookup(const struct kallsyms *, uint64_t,
		     const char **, uint64_t *);

/* cpuprof.c: the CPU profile's events. */
void		 cpuprof_attr(struct perf_attr *, const struct pd_config *,
		     unsigned int);
size_t		 cpuprof_ring_pages(const struct pd_config *,
		     const struct features *, unsigned int);

/* offcpu.c */
struct pprof_label;
struct offcpu;
struct offcpu	*offcpu_new(const struct pd_config *, const struct framer *,
		     const struct kallsyms *, const struct switch_format *, int);
void		 offcpu_attr(struct perf_attr *, const struct pd_config *,
		     const struct features *, const struct switch_format *,
		     size_t, int);
void		 offcpu_record(void *, const void *, size_t,
		     const struct sample_format *);
void		 offcpu_switch_in(struct offcpu *, pid_t, uint64_t);
void		 offcpu_set_stacks(struct offcpu *, struct stacks *,
		     struct stacks *);
void		 offcpu_end_window(struct offcpu *);
size_t		 offcpu_labels(uint32_t, struct pprof_label *, char *);
void		 offcpu_free(struct offcpu *);

/* What the symbolizer knows of one address; innermost inline first. */
struct symbol_line {
	const char	*function;	/* demangled name, or NULL */
	const char	*system_name;	/* raw symbol, or NULL */
	const char	*file;		/* source file, or NULL */
	int		 line;		/* 0 when unknown */
	int		 start_line;	/* function's first line, 0 if unknown */
};

struct symbol_info {
	struct symbol_line lines[PROFDROP_MAX_LINES];
	int		 nlines;	/* 0: nothing known */
	uint64_t	 vaddr;		/* address in the ELF's own space */
};

/* perfmap.c: JIT names from /tmp/perf-PID.map, read once per window. */
struct perfmaps;
struct perfmaps	*perfmap_new(void);
const char	*perfmap_lookup(struct perfmaps *, pid_t, uint64_t);
void		 perfmap_free(struct perfmaps *);

/*
 * libiberty's demanglers. Its header drags in libiberty.h, whose xmalloc
 * family clashes with ours, so the flags and functions are declared here
 * as demangle.h has them.
 */
#define DMGL_PARAMS	(1 << 0)
#define DMGL_ANSI	(1 << 1)
char	*cplus_demangle_v3(const char *, int);
#ifdef HAVE_RUST_DEMANGLE
char	*rust_demangle(const char *, int);
#endif

/* dwarfname.c, for the files that include libdw.h (Dwarf_Die is unnamed) */
#ifdef _LIBDW_H
char		*dwarfname_function(Dwarf_Die *);
#endif

/* symbols.c */
void		 symbols_init(const struct pd_config *);
int		 symbols_open(struct dso *);
void		 symbols_lookup(struct dso *, uint64_t, struct symbol_info *);
void		 symbols_close(struct dso *);
const char	*symbols_path(const struct dso *);
void		 symbols_dso_swept(void *, struct dso *, int);

/* symcache.c */
#define SYMCACHE_MAX_PACKED	(64 << 10)	/* one named address, packed */
struct symcache;
struct symcache_report;
struct symcache	*symcache_new(void);
void		 symcache_set_window(struct symcache *, unsigned int);
int		 symcache_lookup(struct symcache *, const struct dso *,
		     uint64_t, struct symbol_info *);
void		 symcache_add(struct symcache *, const struct dso *, uint64_t,
		     const struct symbol_info *);
void		 symcache_add_local(struct symcache *, const struct dso *,
		     uint64_t, const struct symbol_info *);
size_t		 symcache_pack(uint64_t, uint64_t, const struct symbol_info *,
		     void *, size_t);
size_t		 symcache_unpack(const void *, size_t, uint64_t *, uint64_t *,
		     struct symbol_info *);
struct symcache_report *symcache_report_new(struct symcache *);
void		 symcache_report_to(struct symcache *,
		     struct symcache_report *);
void		 symcache_absorb(struct symcache *, struct symcache_report *,
		     int);
size_t		 symcache_count(const struct symcache *);
void		 symcache_free(struct symcache *);

/* pprof.c: the encoder. */
struct pprof;
struct pprof_value_type {
	const char	*type;
	const char	*unit;
};
struct pprof_label {
	const char	*key;
	const char	*str;		/* NULL for a numeric label */
	int64_t		 num;
	const char	*num_unit;	/* NULL when none */
};
#define PPROF_HAS_FUNCTIONS	0x1
#define PPROF_HAS_FILENAMES	0x2
#define PPROF_HAS_LINE_NUMBERS	0x4
#define PPROF_HAS_INLINE_FRAMES	0x8
struct pprof_line {
	uint64_t	 function_id;	/* 0: none */
	int64_t		 line;
	int64_t		 column;
};
struct pprof	*pprof_new(const struct pprof_value_type *, size_t,
		     const struct pprof_value_type *, int64_t, int64_t, int64_t);
uint64_t	 pprof_add_mapping(struct pprof *, uint64_t, uint64_t, uint64_t,
		     const char *, const char *, int);
void		 pprof_mapping_flags(struct pprof *, uint64_t, int);
uint64_t	 pprof_add_function(struct pprof *, const char *, const char *,
		     const char *, int64_t);
uint64_t	 pprof_add_location(struct pprof *, uint64_t, uint64_t,
		     const struct symbol_line *, int);
uint64_t	 pprof_add_location_lines(struct pprof *, uint64_t, uint64_t,
		     const struct pprof_line *, size_t, int);
void		 pprof_add_sample(struct pprof *, const uint64_t *, size_t,
		     const int64_t *, const struct pprof_label *, size_t);
void		 pprof_add_comment(struct pprof *, const char *);
void		 pprof_set_drop_frames(struct pprof *, const char *);
void		 pprof_set_keep_frames(struct pprof *, const char *);
void		 pprof_set_default_type(struct pprof *, const char *);
unsigned char	*pprof_pack(struct pprof *, size_t *);
int		 pprof_write(struct pprof *, int, char **);
void		 pprof_free(struct pprof *);

/*
 * export.c: a window's stacks named and written as pprof. The daemon's
 * writers name through its names cache and symbolizer process.
 */
struct pd_names {
	struct symcache	*cache;		/* NULL: no cache */
	/* Name what the cache lacks into it; mark what was answered. */
	void		(*prefetch)(void *, struct frame *, size_t,
			    unsigned char *);
	void		*arg;
	/* Open no binary and no /proc file: the cache and prefetch name. */
	int		 cache_only;
	uint64_t	 frames;	/* distinct addresses, as written */
	uint64_t	 unknown;	/* of those, left without a name */
};
struct profile_kind {
	const char			*name;	/* file prefix: cpu, offcpu */
	const struct pprof_value_type	*types;
	size_t				 ntypes;
	struct pprof_value_type		 period_type;
	int				 period_is_hz;	/* else period 1 */
	/* Labels a stack's tag stands for, beyond pid, tid and names. */
	size_t	(*labels)(uint32_t, struct pprof_label *, char *);
};
extern const struct profile_kind profile_kinds[PD_NKINDS];
struct export_source {
	struct stacks		*stacks;
	const struct profile_kind *kind;
	const struct pd_config	*cfg;
	struct proctab		*procs;
	const struct kallsyms	*kallsyms;
	int64_t			 start_ns;
	int64_t			 duration_ns;
};
struct pprof	*export_build(const struct export_source *, struct pd_names *);

/*
 * The profile model (include/profdrop.h) on the pprof encoder.
 * profile_decode.c
 */
int		 profile_decode(const void *, size_t, struct pd_profile **,
		     char **);

/* profile_encode.c */
struct profile_encoder;
struct profile_encoder *profile_encode_new(const struct pd_profile *, int);
int		 profile_encode_add(struct profile_encoder *,
		     const struct pd_profile *, const unsigned char *, char **);
struct pprof	*profile_encode_finish(struct profile_encoder *);
struct pd_profile *profile_encode_model(struct profile_encoder *);
void		 profile_encode_free(struct profile_encoder *);

#endif /* LIBPROFDROP_H */
