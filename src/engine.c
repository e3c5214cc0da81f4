/*
 * The engine: the events on every CPU, the process table their records
 * feed, the unwinder and the off-CPU tracker, and the stacks of the window
 * being filled. It owns no schedule, signal or child process: its caller
 * polls its descriptors, drains it and ends windows.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define ENGINE_OFFCPU_PAGES	512
#define ENGINE_MIN_PAGES	8	/* a ring's data pages, at the least */

struct pd_engine {
	const struct pd_config	*cfg;		/* outlives the engine */
	struct features		 features;	/* what the kernel granted */
	unsigned int		 profiles;	/* PD_PROFILE_* produced */
	int			 switch_records;	/* switch-ins arrive */
	struct sampler		*sampler;
	struct proctab		*procs;
	struct unwinder		*unwinder;
	struct framer		 framer;
	struct kallsyms		*kallsyms;
	struct offcpu		*offcpu;	/* NULL without sched_switch */
	int			 shared_rings;	/* sched_switch in CPU rings */
	size_t			 cpu_pages;	/* per CPU, within --ring-memory */
	size_t			 offcpu_pages;
	struct stacks		*stacks[PD_NKINDS];	/* NULL: not kept */
	struct pd_counters	 counters;
};

/* A window's stacks, handed over to be written. */
struct pd_window {
	struct pd_engine	*engine;
	struct stacks		*stacks[PD_NKINDS];
	int64_t			 start_ns;
	int64_t			 duration_ns;
};

static void
engine_sample(void *arg, const struct perf_sample *s,
    const struct sample_format *fmt)
{
	struct pd_engine	*e = arg;
	struct frame		 frames[PROFDROP_MAX_FRAMES];
	struct proc		*p;
	int64_t			 values[2];
	size_t			 n;

	e->counters.samples++;
	if (s->pid <= 0 && s->tid <= 0) {
		if (e->cfg->npids != 0)
			return;
		/* A host profile shows what ran; --idle keeps the rest. */
		if (!e->cfg->idle) {
			e->counters.samples_idle++;
			return;
		}
		p = proc_get(e->procs, 0);	/* idle: the swapper */
	} else if ((p = proc_get(e->procs, s->pid)) == NULL || !p->wanted)
		return;
	e->counters.samples_kept++;
	/*
	 * Without switch records, sched_switch may not report a switch-in
	 * (from an idle CPU, on some kernels): a thread sampled on a CPU
	 * is not waiting any more.
	 */
	if (e->offcpu != NULL && !e->switch_records)
		offcpu_switch_in(e->offcpu, s->tid, s->time);
	n = frames_of_sample(&e->framer, p, s, frames, PROFDROP_MAX_FRAMES);
	values[0] = 1;
	values[1] = e->cfg->use_cycles ? 1000000000 / e->cfg->frequency :
	    s->period;
	stacks_add(e->stacks[PD_KIND_CPU], p->pid, s->tid, 0, frames, n,
	    values);
	if (e->stacks[PD_KIND_WALL] != NULL)
		stacks_add(e->stacks[PD_KIND_WALL], p->pid, s->tid, 0, frames,
		    n, values + 1);
}

static void
engine_mmap(void *arg, const struct perf_mmap *m)
{
	struct pd_engine	*e = arg;

	proc_mmap(e->procs, m);
}

static void
engine_comm(void *arg, pid_t pid, pid_t tid, const char *comm, int exec)
{
	struct pd_engine	*e = arg;

	proc_comm(e->procs, pid, tid, comm, exec);
}

static void
engine_fork(void *arg, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid)
{
	struct pd_engine	*e = arg;

	proc_fork(e->procs, pid, ppid, tid, ptid);
}

static void
engine_exit(void *arg, pid_t pid, pid_t tid)
{
	struct pd_engine	*e = arg;

	proc_exit(e->procs, pid, tid);
}

static void
engine_lost(void *arg, uint64_t lost)
{
	struct pd_engine	*e = arg;

	e->counters.lost += lost;
}

static void
engine_throttle(void *arg)
{
	struct pd_engine	*e = arg;

	e->counters.throttled++;
}

static void
engine_switch_in(void *arg, pid_t tid, uint64_t time)
{
	struct pd_engine	*e = arg;

	if (e->offcpu != NULL)
		offcpu_switch_in(e->offcpu, tid, time);
}

static void
engine_malformed(void *arg)
{
	struct pd_engine	*e = arg;

	e->counters.bad_records++;
}

static const struct record_handlers engine_handlers = {
	.sample = engine_sample,
	.mmap = engine_mmap,
	.comm = engine_comm,
	.fork = engine_fork,
	.exit = engine_exit,
	.lost = engine_lost,
	.throttle = engine_throttle,
	.switch_in = engine_switch_in,
	.malformed = engine_malformed,
};

/* Every record of the CPU sampler's rings, in time order. */
static void
engine_record(void *arg, const void *rec, size_t len,
    const struct sample_format *fmt)
{
	records_dispatch(&engine_handlers, arg, rec, len, fmt);
}

/* The sched_switch format, from tracing found or mounted on purpose. */
static int
engine_sched_switch(struct pd_engine *e, struct switch_format *sf,
    char **cause)
{
	struct features	*f = &e->features;
	char		*why = NULL;

	if (kernel_find_tracing(f) != 0 && !f->no_tracefs) {
		if (kernel_mount_tracing(&why) == 0)
			kernel_find_tracing(f);
		else {
			log_debug("%s", why);
			free(why);
		}
	}
	if (f->tracing == NULL) {
		xasprintf(cause, "no tracefs with sched:sched_switch: mount it "
		    "(mount -t tracefs nodev /sys/kernel/tracing) or run "
		    "without off-CPU profiles (--profiles cpu)");
		return (-1);
	}
	return (tracefs_sched_switch(f->tracing, sf, cause));
}

/* Can the sched_switch event be opened? Tried before any ring is mapped. */
static int
engine_try_offcpu(struct pd_engine *e, const struct switch_format *sf,
    char **cause)
{
	struct perf_attr	 attr;
	int			 fd;

	offcpu_attr(&attr, e->cfg, &e->features, sf, ENGINE_OFFCPU_PAGES, 0);
	if ((fd = kernel_event_open(&e->features, &attr,
	    sampler_first_cpu(e->sampler), cause)) == -1)
		return (-1);
	close(fd);
	return (0);
}

/* Off-CPU and wall profiles need sched_switch; without it, say so. */
static int
engine_want_offcpu(struct pd_engine *e, struct switch_format *sf,
    char **cause)
{
	char	*why = NULL;

	if (!(e->profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)))
		return (0);
	/* What refuses per-CPU events refuses tracepoint data too. */
	if (e->features.task != 0)
		xasprintf(&why, "off-CPU and wall profiles need the data of "
		    "the sched:sched_switch tracepoint, which only root, "
		    "CAP_PERFMON (Linux 5.8+) or kernel.perf_event_paranoid "
		    "-1 may read; record with --profiles cpu");
	else if (engine_sched_switch(e, sf, &why) == 0 &&
	    engine_try_offcpu(e, sf, &why) == 0)
		return (0);
	if (e->cfg->profiles_asked) {
		*cause = why;
		return (-1);
	}
	log_warnx("writing cpu profiles only: %s", why);
	free(why);
	e->profiles = PD_PROFILE_CPU;
	return (0);
}

/*
 * Can sched_switch write into the CPU sampler's rings? Asked before the
 * rings are sized: one ring per CPU then, not two. Rings of their own
 * leave out the id the CPU event was negotiated with: 8 bytes a record,
 * a sixth of a switch record.
 */
static void
engine_want_shared(struct pd_engine *e, struct perf_attr *cpu_attr,
    const struct switch_format *sf)
{
	struct perf_attr	 attr;
	size_t			 two;

	if (!(e->profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)))
		return;
	/*
	 * Rings of their own lose fewer records in a storm of switches
	 * (tests/run-offcpu-storm.sh): shared only where --ring-memory
	 * would shrink two, so that a burst of either may fill it all.
	 */
	two = (cpuprof_ring_pages(e->cfg, &e->features, e->profiles) +
	    ENGINE_OFFCPU_PAGES + 2) * getpagesize();
	if (two * sampler_ncpus(e->sampler) > e->cfg->ring_memory) {
		offcpu_attr(&attr, e->cfg, &e->features, sf,
		    ENGINE_OFFCPU_PAGES, 1);
		e->shared_rings = ringshare_probe(&e->features, cpu_attr,
		    &attr, sampler_first_cpu(e->sampler));
	}
	if (!e->shared_rings)
		cpu_attr->sample_type &= ~PERF_SAMPLE_IDENTIFIER;
}

/*
 * Ring sizes per CPU within --ring-memory for all CPUs: the larger ring
 * halves until they fit. Each ring maps one page more than its data. A
 * shared ring has the pages both would have had, as a power of two.
 */
static int
engine_ring_budget(struct pd_engine *e, char **cause)
{
	const struct pd_config	*cfg = e->cfg;
	size_t			 page = getpagesize(), ncpus, per_cpu;
	int			 offcpu, shrunk = 0;
	size_t			*big;

	offcpu = (e->profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)) != 0;
	e->cpu_pages = cpuprof_ring_pages(cfg, &e->features, e->profiles);
	e->offcpu_pages = offcpu ? ENGINE_OFFCPU_PAGES : 0;
	if (e->shared_rings) {
		e->cpu_pages += e->offcpu_pages;
		while (e->cpu_pages & (e->cpu_pages - 1))
			e->cpu_pages &= e->cpu_pages - 1;
		e->offcpu_pages = 0;
		offcpu = 0;	/* no ring of its own */
	}
	ncpus = sampler_ncpus(e->sampler);
	per_cpu = cfg->ring_memory / ncpus / page;
	while (e->cpu_pages + 1 + (offcpu ? e->offcpu_pages + 1 : 0) >
	    per_cpu) {
		big = e->cpu_pages >= e->offcpu_pages ? &e->cpu_pages :
		    &e->offcpu_pages;
		if (*big <= ENGINE_MIN_PAGES) {
			xasprintf(cause, "--ring-memory %zu KiB is too little "
			    "for %zu CPUs: give at least %zu KiB", cfg->
			    ring_memory >> 10, ncpus, ncpus * (ENGINE_MIN_PAGES +
			    1) * (offcpu ? 2 : 1) * page >> 10);
			return (-1);
		}
		*big /= 2;
		shrunk = 1;
	}
	(shrunk ? log_info : log_debug)("rings: %zu KiB for %zu CPUs, %s "
	    "(--ring-memory %zu KiB)%s", ncpus * (e->cpu_pages + 1 +
	    (offcpu ? e->offcpu_pages + 1 : 0)) * page >> 10, ncpus,
	    e->shared_rings ? "one per CPU shared with sched_switch" : offcpu ?
	    "two per CPU" : "one per CPU", cfg->ring_memory >> 10, shrunk ?
	    ", smaller than at full size: records may be lost at high rates" :
	    "");
	return (0);
}

/* The CPU events, as negotiated, on every CPU. */
static int
engine_open_cpu(struct pd_engine *e, struct perf_attr *attr,
    char **cause)
{
	const struct pd_config	*cfg = e->cfg;
	size_t			 pages;

	/* Without off-CPU profiles, no switch records are wanted. */
	if (!(e->profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)))
		attr->flags &= ~PERF_ATTR_CONTEXT_SWITCH;
	pages = e->cpu_pages;
	attr->wakeup_watermark = pages * getpagesize() / 4;
	if (sampler_add(e->sampler, attr, pages, engine_record, e,
	    cause) != 0)
		return (-1);
	e->switch_records = (attr->flags & PERF_ATTR_CONTEXT_SWITCH) != 0;
	log_debug("sampling at %u Hz (%s, %s unwinding, %zu KiB rings)",
	    cfg->frequency, e->features.mmap2 ? "mmap2" : "mmap",
	    e->features.user_stacks ? "dwarf" : "frame-pointer",
	    pages * getpagesize() / 1024);
	return (0);
}

static int
engine_open_offcpu(struct pd_engine *e, const struct switch_format *sf,
    char **cause)
{
	struct perf_attr	 attr;

	e->offcpu = offcpu_new(e->cfg, &e->framer, e->kallsyms, sf,
	    e->switch_records);
	offcpu_attr(&attr, e->cfg, &e->features, sf, e->offcpu_pages,
	    e->shared_rings);
	if (e->shared_rings)
		return (sampler_share(e->sampler, &attr, offcpu_record,
		    e->offcpu, cause));
	return (sampler_add(e->sampler, &attr, e->offcpu_pages,
	    offcpu_record, e->offcpu, cause));
}

static void
engine_new_stacks(struct pd_engine *e)
{
	e->stacks[PD_KIND_CPU] = stacks_new(2);
	if (e->offcpu != NULL)
		e->stacks[PD_KIND_OFFCPU] = stacks_new(2);
	if (e->offcpu != NULL && (e->profiles & PD_PROFILE_WALL))
		e->stacks[PD_KIND_WALL] = stacks_new(1);
	if (e->offcpu != NULL)
		offcpu_set_stacks(e->offcpu, e->stacks[PD_KIND_OFFCPU],
		    e->stacks[PD_KIND_WALL]);
}

/*
 * Open the events cfg asks for, with what the kernel grants; cfg must
 * stay as it is while the engine is open. Sampling starts with
 * pd_engine_start().
 */
struct pd_engine *
pd_engine_open(const struct pd_config *cfg, char **cause)
{
	struct pd_engine	*e;
	struct perf_attr	 attr;
	struct switch_format	 sf;
	struct proc_hooks	 hooks = { NULL, symbols_dso_swept, NULL };
	char			*why = NULL;

	e = xcalloc(1, sizeof *e);
	e->cfg = cfg;
	e->profiles = cfg->profiles;
	kernel_features_init(&e->features, cfg);
	symbols_init(cfg);
	binary_init();
	if ((e->sampler = sampler_new(&e->features, cause)) == NULL)
		goto fail;
	/* First what the kernel grants: a refusal is the one message. */
	cpuprof_attr(&attr, cfg, e->profiles);
	if (kernel_negotiate(&e->features, &attr,
	    sampler_first_cpu(e->sampler), cfg->unwind == PD_UNWIND_AUTO,
	    cause) != 0 || engine_want_offcpu(e, &sf, cause) != 0)
		goto fail;
	engine_want_shared(e, &attr, &sf);
	e->procs = proc_new_table(cfg->pids, cfg->npids, &e->features);
	e->unwinder = unwind_new(e->procs, cfg->unwind_memory, &e->features);
	proc_add_hooks(e->procs, &hooks);
	e->framer.procs = e->procs;
	e->framer.unwinder = e->unwinder;
	e->framer.counters = &e->counters;
	/* With user space only, no frame is the kernel's. */
	if (!e->features.user_only &&
	    (e->kallsyms = kallsyms_load(&why)) == NULL) {
		log_warnx("kernel frames will be unnamed: %s", why);
		free(why);
	}
	if (engine_ring_budget(e, cause) != 0 ||
	    engine_open_cpu(e, &attr, cause) != 0)
		goto fail;
	if ((e->profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)) &&
	    engine_open_offcpu(e, &sf, cause) != 0)
		goto fail;
	kernel_features_log(&e->features);
	engine_new_stacks(e);
	return (e);
fail:
	pd_engine_close(e);
	return (NULL);
}

/* Start sampling, then learn what runs: no mapping falls between. */
int
pd_engine_start(struct pd_engine *e, char **cause)
{
	if (sampler_enable(e->sampler, cause) != 0 ||
	    proc_seed(e->procs, cause) != 0)
		return (-1);
	return (0);
}

struct pollfd *
pd_engine_pollfds(struct pd_engine *e, size_t *n)
{
	return (sampler_pollfds(e->sampler, n));
}

/* Read every record the kernel has written so far, in time order. */
void
pd_engine_drain(struct pd_engine *e)
{
	e->counters.bad_records += sampler_drain(e->sampler);
}

/* The kinds of profile this engine's windows hold, as 1 << PD_KIND_*. */
unsigned int
pd_engine_kinds(const struct pd_engine *e)
{
	unsigned int	 kinds = 0;

	if (e->profiles & PD_PROFILE_CPU)
		kinds |= 1 << PD_KIND_CPU;
	if (e->stacks[PD_KIND_OFFCPU] != NULL &&
	    (e->profiles & PD_PROFILE_OFFCPU))
		kinds |= 1 << PD_KIND_OFFCPU;
	if (e->stacks[PD_KIND_WALL] != NULL)
		kinds |= 1 << PD_KIND_WALL;
	return (kinds);
}

unsigned int
pd_engine_window(const struct pd_engine *e)
{
	return (proc_window(e->procs));
}

/*
 * End the window being filled: its stacks go to the window returned, to
 * be written (here, or in a child that forks now), and the engine fills
 * new ones. Call pd_engine_next_window() once the window is handed off.
 */
struct pd_window *
pd_engine_end_window(struct pd_engine *e, int64_t start_ns,
    int64_t duration_ns)
{
	struct pd_window	*w;

	if (e->offcpu != NULL)
		offcpu_end_window(e->offcpu);
	w = xcalloc(1, sizeof *w);
	w->engine = e;
	w->start_ns = start_ns;
	w->duration_ns = duration_ns;
	memcpy(w->stacks, e->stacks, sizeof w->stacks);
	engine_new_stacks(e);
	return (w);
}

/* What exited or went unused before the new window is released. */
void
pd_engine_next_window(struct pd_engine *e)
{
	proc_next_window(e->procs);
	proc_sweep(e->procs);
}

int
pd_engine_unsampled_cpus(struct pd_engine *e)
{
	return (sampler_unsampled(e->sampler));
}

const struct pd_counters *
pd_engine_counters(const struct pd_engine *e)
{
	return (&e->counters);
}

void
pd_engine_usage(const struct pd_engine *e, struct pd_usage *u)
{
	unwind_usage(e->unwinder, u);
	proc_usage(e->procs, &u->processes, &u->binaries);
}

void
pd_engine_close(struct pd_engine *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	sampler_close(e->sampler);
	offcpu_free(e->offcpu);
	for (i = 0; i < PD_NKINDS; i++)
		stacks_free(e->stacks[i]);
	proc_free_table(e->procs);
	if (e->unwinder != NULL)
		unwind_free(e->unwinder);
	kallsyms_free(e->kallsyms);
	kernel_features_free(&e->features);
	free(e);
}

const char *
pd_kind_name(enum pd_kind kind)
{
	return (profile_kinds[kind].name);
}

/* A window's profile, built with the frames named through names. */
struct pd_pprof {
	struct pprof		*pprof;
};

/* One kind of the window's profiles, named through names (or here). */
struct pd_pprof *
pd_window_profile(struct pd_window *w, enum pd_kind kind,
    struct pd_names *names, char **cause)
{
	struct pd_engine	*e = w->engine;
	struct export_source	 src;
	struct pd_pprof		*p;

	if (w->stacks[kind] == NULL) {
		xasprintf(cause, "no %s profile in this window",
		    pd_kind_name(kind));
		return (NULL);
	}
	src.stacks = w->stacks[kind];
	src.kind = &profile_kinds[kind];
	src.cfg = e->cfg;
	src.procs = e->procs;
	src.kallsyms = e->kallsyms;
	src.start_ns = w->start_ns;
	src.duration_ns = w->duration_ns;
	p = xmalloc(sizeof *p);
	p->pprof = export_build(&src, names);
	return (p);
}

/* Write the profile to fd, gzip-compressed. */
int
pd_pprof_write(struct pd_pprof *p, int fd, char **cause)
{
	return (pprof_write(p->pprof, fd, cause));
}

void
pd_pprof_free(struct pd_pprof *p)
{
	if (p == NULL)
		return;
	pprof_free(p->pprof);
	free(p);
}

void
pd_window_free(struct pd_window *w)
{
	size_t	 i;

	if (w == NULL)
		return;
	for (i = 0; i < PD_NKINDS; i++)
		stacks_free(w->stacks[i]);
	free(w);
}
