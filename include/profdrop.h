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
	enum pd_unwind	 unwind;
	unsigned int	 stack_size;	/* bytes of user stack per sample */
	size_t		 unwind_memory;	/* cap on unwind tables, bytes */
	unsigned int	 offcpu_stack_size;	/* ... per switch */
	unsigned int	 offcpu_min_us;	/* shorter waits keep no user stack */
	unsigned int	 profiles;	/* PD_PROFILE_* to write */
	int		 profiles_asked;	/* given, not the default */
	struct pd_config_label labels[PD_MAX_LABELS];	/* on every sample */
	size_t		 nlabels;
	char		*drop_frames;
	int		 cgroup_label;	/* label samples with their cgroup */
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
void		 pd_engine_usage(const struct pd_engine *, struct pd_usage *);
void		 pd_engine_close(struct pd_engine *);

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

#endif /* PROFDROP_H */
