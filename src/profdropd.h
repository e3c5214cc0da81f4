/*
 * profdropd private header: the types that travel along the data path and
 * the prototypes of every module, grouped by the file that defines them.
 */
#ifndef PROFDROPD_H
#define PROFDROPD_H

#include "config.h"

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PROFDROP_MAX_FRAMES	512
#define PROFDROP_MAX_LINES	16	/* inline depth kept per address */
#define PROFDROP_MAX_LABELS	16	/* --label */

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define printflike(a, b) __attribute__((format(printf, a, b)))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* What a frame's address is relative to. */
enum dso_kind {
	DSO_FILE,	/* an ELF file; addresses are file offsets */
	DSO_KERNEL,	/* the kernel; addresses are absolute */
	DSO_ANON,	/* anonymous or unnamed memory of one process */
	DSO_SPECIAL,	/* [vdso], [vsyscall]: offsets into them */
	DSO_MARKER	/* a placeholder frame: [unknown mapping], [lost] */
};

/*
 * Intrusive chained hash table; entries embed a struct hnode and are found
 * by hash first, then compared by their owner.
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

/* One frame of an interned stack: a dso and an address inside it. */
struct frame {
	struct dso	*dso;
	uint64_t	 addr;
};

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

#define PROFILE_CPU	0x1
#define PROFILE_OFFCPU	0x2
#define PROFILE_WALL	0x4

enum unwind_mode {
	UNWIND_AUTO,
	UNWIND_DWARF,
	UNWIND_FP
};

struct pprof_label;

struct options {
	const char	*output_dir;
	unsigned int	 frequency;
	unsigned int	 rotate;	/* seconds per window */
	unsigned int	 duration;	/* 0: run until signalled */
	pid_t		*pids;
	size_t		 npids;
	int		 foreground;
	int		 use_cycles;	/* hardware cycles, not cpu-clock */
	enum unwind_mode unwind;
	unsigned int	 stack_size;	/* bytes of user stack per sample */
	size_t		 unwind_memory;	/* cap on unwind tables, bytes */
	unsigned int	 offcpu_stack_size;	/* ... per switch */
	unsigned int	 offcpu_min_us;	/* shorter waits keep no user stack */
	unsigned int	 profiles;	/* PROFILE_* bits to write */
	int		 profiles_asked;	/* --profiles given */
	struct pprof_label *labels;	/* --label, on every sample */
	size_t		 nlabels;
	const char	*drop_frames;
	int		 cgroup_label;	/* label samples with their cgroup */
	int		 kernel;	/* kernel frames, where permitted */
	int		 verbose;
};

extern struct options opts;

/* options.c */
void	 options_parse(int, char **);

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

/* What the sampler asked the kernel to put in each sample. */
struct sample_format {
	uint64_t	 type;
	uint64_t	 regs_mask;
	unsigned int	 nregs;
};

/* Bytes of user stack copied per sample: see doc/performance.md. */
#define PROFDROP_STACK_SIZE	32768
#define PROFDROP_OFFCPU_STACK_SIZE	8192
#define PROFDROP_OFFCPU_MIN_US		50
#define PROFDROP_UNWIND_MEMORY		256	/* MiB of unwind tables */

/* x86-64 user registers AX..SS and R8..R15, as perf uses. */
#define PROFDROP_REGS_MASK	0xff0fffULL


#define COUNTERS_HIST	512

/* Totals kept for the whole run and per window. */
struct counters {
	uint64_t	 samples;
	uint64_t	 samples_kept;	/* after the --pid filter */
	uint64_t	 lost;		/* records the kernel dropped */
	uint64_t	 throttled;
	uint64_t	 bad_records;
	uint64_t	 switches;	/* sched_switch events */
	uint64_t	 unwound;	/* samples with a user stack to unwind */
	uint64_t	 complete;	/* ... that reached the outermost frame */
	uint64_t	 truncated;
	uint64_t	 failed;
	uint64_t	 unwind_ns[COUNTERS_HIST];	/* see records_bucket() */
};

/* ring.c */
typedef void (*record_fn)(const void *, size_t, const struct sample_format *);
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
	uint64_t	 head;		/* where this drain stops */
	uint64_t	 pos;		/* the record being read */
	const void	*rec;		/* it, whole, or NULL at the end */
	size_t		 len;
	uint64_t	 time;
	int		 corrupt;
};
int		 ring_open(struct ring *, int, int, size_t *, char **);
void		 ring_begin(struct ring *);
void		 ring_advance(struct ring *);
void		 ring_end(struct ring *);
void		 ring_close(struct ring *);

/* sampler.c */
struct perf_event_attr;
struct sampler;
struct sampler	*sampler_new(char **);
int		 sampler_add(struct sampler *, struct perf_event_attr *, size_t,
		     int (*)(struct perf_event_attr *), record_fn, char **);
int		 sampler_enable(struct sampler *, char **);
int		 sampler_poll(struct sampler *, int);
void		 sampler_drain(struct sampler *);
void		 sampler_close(struct sampler *);

/* cpuprof.c */
int		 cpuprof_open(struct sampler *, char **);
extern int	 switch_records;

/* records.c */
uint64_t	 records_time(const void *, size_t, const struct sample_format *);
void		 records_handle(const void *, size_t, const struct sample_format *);
void		 records_lost(const void *, size_t);
size_t		 records_frames(struct proc *, const struct perf_sample *,
		     struct frame *, size_t);
int		 records_parse_sample(const void *, size_t,
		     const struct sample_format *, struct perf_sample *);
extern struct counters counters;
uint64_t	 records_unwind_percentile(const struct counters *,
		     const struct counters *, double);

/* proc.c */
void		 proc_init(void);
void		 proc_free(void);
int		 proc_seed(char **);
struct proc	*proc_find(pid_t);
struct proc	*proc_get(pid_t);
struct thread	*proc_thread(struct proc *, pid_t);
void		 proc_comm(pid_t, pid_t, const char *, int);
void		 proc_fork(pid_t, pid_t, pid_t, pid_t);
void		 proc_exit(pid_t, pid_t);
void		 proc_mmap(pid_t, uint64_t, uint64_t, uint64_t, uint32_t,
		     uint64_t, uint64_t, const char *);
const struct map *proc_find_map(struct proc *, uint64_t);
void		 proc_next_window(void);
void		 proc_sweep(void);
void		 proc_foreach(void (*)(struct proc *, void *), void *);
extern unsigned int proc_window;
struct dso	*dso_kernel(void);
struct dso	*dso_marker(const char *);

/* stack.c */
struct stacks;
typedef void (*stacks_cb)(pid_t, pid_t, uint32_t, const struct frame *,
    size_t, const int64_t *, void *);
struct stacks	*stacks_new(size_t);
void		 stacks_add(struct stacks *, pid_t, pid_t, uint32_t,
		     const struct frame *, size_t, const int64_t *);
void		 stacks_foreach(struct stacks *, stacks_cb, void *);
size_t		 stacks_count(struct stacks *);
void		 stacks_reset(struct stacks *);
void		 stacks_free(struct stacks *);
extern struct stacks *cpu_stacks;
extern struct stacks *wall_stacks;

/* log.c */
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
int	 xasprintf(char **, const char *, ...) printflike(2, 3);
int	 xvasprintf(char **, const char *, va_list);

/* hash.c */
void		 htable_init(struct htable *, size_t);
void		 htable_free(struct htable *);
void		 htable_insert(struct htable *, struct hnode *, uint64_t);
void		 htable_remove(struct htable *, struct hnode *);
struct hnode	*htable_find(struct htable *, uint64_t);
struct hnode	*htable_next_same(struct hnode *);
void		 htable_foreach(struct htable *, void (*)(struct hnode *, void *),
		     void *);
uint64_t	 hash_bytes(const void *, size_t, uint64_t);

/* tracefs.c */
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
int		 tracefs_sched_switch(struct switch_format *, char **);
char		 tracefs_state_letter(const struct switch_format *, uint64_t);

/* binary.c */
void		 binary_init(void);
void		 binary_free(void);
int		 binary_open(const struct dso *, char **);

/* unwind.c */
enum unwind_end {
	UNWIND_COMPLETE,	/* reached the outermost frame */
	UNWIND_TRUNCATED,	/* the stack copy or frame limit ran out */
	UNWIND_FAILED
};
enum unwind_end	 unwind_sample(struct proc *, const uint64_t *, const void *,
		     uint64_t, uint64_t *, size_t, size_t *);
void		 unwind_proc_free(struct proc *);
void		 unwind_usage(size_t *, size_t *, size_t *);
void		 unwind_dso_free(struct dso *);

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

/* perfmap.c */
const char	*perfmap_lookup(pid_t, uint64_t);
void		 perfmap_free(void);

/* kallsyms.c */
int		 kallsyms_load(char **);
void		 kallsyms_free(void);
const char	*kallsyms_lookup(uint64_t, const char **, uint64_t *);

/* symbols.c */
void		 symbols_init(void);
void		 symbols_free(void);
int		 symbols_open(struct dso *);
void		 symbols_lookup(struct dso *, uint64_t, struct symbol_info *);
void		 symbols_close(struct dso *);
const char	*symbols_path(struct dso *);

/* symcache.c */
#define SYMCACHE_MAX_PACKED	(64 << 10)	/* one named address, packed */
struct symcache_report;
void		 symcache_init(void);
int		 symcache_lookup(const struct dso *, uint64_t,
		     struct symbol_info *);
void		 symcache_add(const struct dso *, uint64_t,
		     const struct symbol_info *);
size_t		 symcache_pack(uint64_t, uint64_t, const struct symbol_info *,
		     void *, size_t);
size_t		 symcache_unpack(const void *, size_t, uint64_t *, uint64_t *,
		     struct symbol_info *);
struct symcache_report *symcache_report_new(void);
void		 symcache_report_to(struct symcache_report *);
void		 symcache_absorb(struct symcache_report *, int);
size_t		 symcache_count(void);
void		 symcache_free(void);

/* symbolizer.c */
void		 symbolizer_start(void (*)(void));
void		 symbolizer_check(void);
void		 symbolizer_detach(void);
void		 symbolizer_stop(void);
void		 symbolizer_name(struct frame *, size_t, unsigned char *);

/* pprof.c */
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

/* window.c */
struct profile_kind {
	const char			*name;	/* file prefix: cpu, offcpu */
	const struct pprof_value_type	*types;
	size_t				 ntypes;
	struct pprof_value_type		 period_type;
	int64_t				 period;
	/* Labels a stack's tag stands for, beyond pid, tid and names. */
	size_t	(*labels)(uint32_t, struct pprof_label *);
};
int		 window_write(struct stacks *, const struct profile_kind *,
		     int64_t, int64_t, char **);

/* rotate.c */
int		 rotate_init(const char *, char **);
int		 rotate_write(const char *, int64_t, struct pprof *, char **);
void		 rotate_free(void);

/* offcpu.c */
int		 offcpu_open(struct sampler *, char **);
void		 offcpu_end_window(void);
void		 offcpu_switch_in(pid_t, uint64_t);
size_t		 offcpu_labels(uint32_t, struct pprof_label *);
void		 offcpu_free(void);
extern struct stacks *offcpu_stacks;

/* The profile model (include/profdrop.h), on the pprof encoder. */
struct pd_profile;

/* profile_decode.c */
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

#endif /* PROFDROPD_H */
