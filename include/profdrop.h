/*
 * libprofdrop: the profiling engine the daemon and `profdrop record`
 * drive, and the pprof profile model every reader uses.
 */
#ifndef PROFDROP_H
#define PROFDROP_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Configuration: what the user asked for, filled by pd_config_set() and
 * never written after. What the kernel granted is the engine's business.
 */
#define PD_PROFILE_CPU		0x1
#define PD_PROFILE_OFFCPU	0x2
#define PD_PROFILE_WALL		0x4
#define PD_MAX_LABELS		16	/* --label */

enum pd_unwind {
	PD_UNWIND_AUTO,
	PD_UNWIND_DWARF,
	PD_UNWIND_FP
};

struct pd_config_label {
	char		*key;
	char		*value;
};

struct pd_config {
	unsigned int	 frequency;	/* samples per second per CPU */
	int		 use_cycles;	/* hardware cycles, not cpu-clock */
	pid_t		*pids;		/* only these and their children */
	size_t		 npids;
	/*
	 * A command started for this capture, also in pids: where per-CPU
	 * events are refused, its own events follow it and what it starts.
	 */
	pid_t		 command;
	enum pd_unwind	 unwind;
	unsigned int	 stack_size;	/* bytes of user stack per sample */
	size_t		 unwind_memory;	/* cap on unwind tables, bytes */
	size_t		 ring_memory;	/* cap on all rings, bytes */
	unsigned int	 offcpu_stack_size;	/* ... per switch */
	unsigned int	 offcpu_min_us;	/* shorter waits keep no user stack */
	unsigned int	 profiles;	/* PD_PROFILE_* to write */
	int		 profiles_asked;	/* given, not the default */
	struct pd_config_label labels[PD_MAX_LABELS];	/* on every sample */
	size_t		 nlabels;
	char		*drop_frames;
	int		 cgroup_label;	/* label samples with their cgroup */
	int		 idle;		/* keep the idle task's samples */
	int		 kernel;	/* kernel frames, where permitted */
	char		*debuginfod_urls;
	char		*debuginfod_cache;
	unsigned int	 debuginfod_timeout;	/* seconds, 0: its default */
};

void	 pd_config_init(struct pd_config *);
int	 pd_config_set(struct pd_config *, const char *, const char *, char **);
void	 pd_config_free(struct pd_config *);

/*
 * The engine: perf events on every CPU, the processes they show, stacks
 * unwound as records arrive and summed per window. The caller polls its
 * descriptors, drains it, and ends windows on its own schedule.
 */
struct pd_engine;
struct pd_window;
struct pd_names;	/* how a window's frames are named (libprofdrop.h) */

enum pd_kind {
	PD_KIND_CPU,
	PD_KIND_OFFCPU,
	PD_KIND_WALL,
	PD_NKINDS
};

#define PD_UNWIND_HIST	512

/* Totals since the engine opened. */
struct pd_counters {
	uint64_t	 samples;
	uint64_t	 samples_kept;	/* after the --pid filter */
	uint64_t	 samples_idle;	/* the idle task's, left out */
	uint64_t	 lost;		/* records the kernel dropped */
	uint64_t	 throttled;
	uint64_t	 bad_records;
	uint64_t	 switches;	/* sched_switch events */
	uint64_t	 unwound;	/* samples with a user stack to unwind */
	uint64_t	 complete;	/* ... that reached the outermost frame */
	uint64_t	 truncated;
	uint64_t	 failed;
	uint64_t	 unwind_ns[PD_UNWIND_HIST];	/* see frames.c */
};

/* What the engine holds for unwinding. */
struct pd_usage {
	size_t		 unwind_bytes;	/* unwind tables */
	size_t		 unwind_tables;	/* binaries with tables */
	size_t		 unwind_spaces;	/* libunwind address spaces */
	size_t		 processes;	/* in the process table */
	size_t		 binaries;	/* dsos, of every kind */
};

struct pd_engine *pd_engine_open(const struct pd_config *, char **);
int		 pd_engine_start(struct pd_engine *, char **);
struct pollfd	*pd_engine_pollfds(struct pd_engine *, size_t *);
void		 pd_engine_drain(struct pd_engine *);
unsigned int	 pd_engine_kinds(const struct pd_engine *);
unsigned int	 pd_engine_window(const struct pd_engine *);
struct pd_window *pd_engine_end_window(struct pd_engine *, int64_t, int64_t);
void		 pd_engine_next_window(struct pd_engine *);
const struct pd_counters *pd_engine_counters(const struct pd_engine *);
/* Online CPUs without events (they came online after the start). */
int		 pd_engine_unsampled_cpus(struct pd_engine *);
void		 pd_engine_usage(const struct pd_engine *, struct pd_usage *);
void		 pd_engine_close(struct pd_engine *);

/* What the engine would be granted on this host, item by item. */
typedef void (*pd_check_fn)(void *, const char *, const char *, int);
int		 pd_check(const struct pd_config *, pd_check_fn, void *,
		     char **);

/* A window's profile of one kind, named and ready to write. */
struct pd_pprof;

const char	*pd_kind_name(enum pd_kind);
struct pd_pprof	*pd_window_profile(struct pd_window *, enum pd_kind,
		     struct pd_names *, char **);
int		 pd_pprof_write(struct pd_pprof *, int, char **);
void		 pd_pprof_free(struct pd_pprof *);
void		 pd_window_free(struct pd_window *);

uint64_t	 pd_counters_unwind_percentile(const struct pd_counters *,
		     const struct pd_counters *, double);

/*
 * The profile model: a pprof profile (perftools.profiles.Profile) read,
 * checked and with every id resolved to a pointer. Strings are never NULL
 * ("" where the profile says nothing), except pd_label.str for a numeric
 * label. A profile is one allocation: pd_profile_free releases it whole.
 */

/* The default cap on the decompressed size of a profile. */
#define PD_PROFILE_MAX_BYTES	((size_t)256 << 20)

struct pd_value_type {
	const char	*type;		/* "cpu", "samples" */
	const char	*unit;		/* "nanoseconds", "count" */
};

/*
 * A label whose string is the profile's string 0 is numeric: str is NULL,
 * so a label set to "" reads as the number 0.
 */
struct pd_label {
	const char	*key;
	const char	*str;		/* NULL for a numeric label */
	int64_t		 num;
	const char	*num_unit;	/* "" when none */
};

struct pd_function {
	uint64_t	 id;
	const char	*name;		/* as shown: demangled */
	const char	*system_name;	/* as linked: mangled */
	const char	*filename;
	int64_t		 start_line;
};

struct pd_line {
	const struct pd_function *function;	/* NULL if the line names none */
	int64_t		 line;		/* 0 when unknown */
	int64_t		 column;
};

struct pd_mapping {
	uint64_t	 id;
	uint64_t	 memory_start;
	uint64_t	 memory_limit;
	uint64_t	 file_offset;
	const char	*filename;
	const char	*build_id;
	int		 has_functions;
	int		 has_filenames;
	int		 has_line_numbers;
	int		 has_inline_frames;
};

struct pd_location {
	uint64_t	 id;
	const struct pd_mapping *mapping;	/* NULL if none */
	uint64_t	 address;
	const struct pd_line *lines;	/* innermost first */
	size_t		 nlines;
	int		 is_folded;
};

struct pd_sample {
	const struct pd_location *const *locations;	/* leaf first */
	size_t		 nlocations;
	const int64_t	*values;	/* one per sample type */
	const struct pd_label *labels;
	size_t		 nlabels;
};

struct pd_profile {
	const struct pd_value_type *sample_types;	/* at least one */
	size_t		 nsample_types;
	const struct pd_sample *samples;
	size_t		 nsamples;
	const struct pd_mapping *mappings;
	size_t		 nmappings;
	const struct pd_location *locations;
	size_t		 nlocations;
	const struct pd_function *functions;
	size_t		 nfunctions;
	const char	*drop_frames;	/* regular expressions readers apply */
	const char	*keep_frames;
	int64_t		 time_nanos;
	int64_t		 duration_nanos;
	struct pd_value_type period_type;
	int64_t		 period;
	const char *const *comments;
	size_t		 ncomments;
	const char	*default_sample_type;	/* "" for the last type */
};

/*
 * The functions below return -1 (or NULL) on error and set *cause to an
 * allocated message that says what is wrong and where; elements are named
 * by their index in the model's arrays, from 0.
 */

/*
 * Read a profile, gzip-compressed or not, of at most max_bytes once
 * decompressed (0: PD_PROFILE_MAX_BYTES). Reading takes at most 21 times
 * the decompressed size in memory, whatever the input.
 */
int	 pd_profile_read(const void *, size_t, size_t, struct pd_profile **,
	     char **);
int	 pd_profile_read_file(const char *, size_t, struct pd_profile **,
	     char **);

/* Write a profile gzip-compressed, as pprof reads it. */
int	 pd_profile_write(const struct pd_profile *, int, char **);

/*
 * Merge profiles of the same sample types: samples with the same stack
 * and labels are summed; the time is the earliest, the duration spans
 * them all.
 */
int	 pd_profile_merge(const struct pd_profile *const *, size_t,
	     struct pd_profile **, char **);

/*
 * The samples that carry every label given as "KEY=VALUE", a string label
 * equal to VALUE or a numeric one that VALUE writes in decimal.
 */
int	 pd_profile_filter(const struct pd_profile *, const char *const *,
	     size_t, struct pd_profile **, char **);

/*
 * The profile without the labels named in keys; samples that are then
 * alike (one stack, one label set) summed into one.
 */
int	 pd_profile_drop_labels(const struct pd_profile *,
	     const char *const *, size_t, struct pd_profile **, char **);

/*
 * The samples of a profile whose indexes are given, in that order, with
 * only the locations they use.
 */
int	 pd_profile_select(const struct pd_profile *, const size_t *, size_t,
	     struct pd_profile **, char **);

/* A profile encoded, not compressed: *len bytes to free(). */
int	 pd_profile_pack(const struct pd_profile *, unsigned char **,
	     size_t *, char **);

void	 pd_profile_free(struct pd_profile *);

/*
 * What the profile's drop_frames and keep_frames prune of each location,
 * as pprof does on reading a profile (its Profile.Prune): an array by
 * location, to free(), or NULL if nothing is pruned. A pattern that does
 * not compile prunes nothing, as pprof goes on without it.
 */
struct pd_prune {
	size_t		 skip;		/* inner lines the location loses */
	int		 whole;		/* it goes, and what it calls */
	int		 beneath;	/* what it calls goes */
};
struct pd_prune	*pd_profile_prune(const struct pd_profile *);
/* Where sample s starts, leaf first, once pruned (prune may be NULL). */
size_t	 pd_sample_pruned_start(const struct pd_profile *,
	     const struct pd_prune *, const struct pd_sample *);
/* pprof's simplifyFunc: a function's name without its arguments; free() it. */
char	*pd_function_simple_name(const char *);
/* A node's name as pprof shows it: the function's, else "[BINARY]"; free() it. */
char	*pd_node_name(const char *, const char *);

/*
 * The index of the sample type named type, or -1. NULL or "" means the
 * default, as pprof chooses it: default_sample_type, else the last type.
 */
int	 pd_profile_sample_index(const struct pd_profile *, const char *);

#endif /* PROFDROP_H */
