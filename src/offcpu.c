/*
 * Off-CPU time from the sched:sched_switch tracepoint. When a thread is
 * switched out, its stack and state are kept; when it is switched in
 * again, the time between is charged to that stack. Threads still off
 * the CPU when a window ends are charged up to its end and carried on.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/* The wait classes, in the order the rule tries them. */
enum wait_class {
	WAIT_OTHER,
	WAIT_LOCK,
	WAIT_SLEEP,
	WAIT_IO
};

static const char *const wait_names[] = { "other", "lock", "sleep", "io" };

/*
 * Parts of kernel function names that tell what a thread waits for. Names
 * change between kernels (pipe_read became anon_pipe_read), so a part of
 * a name is enough.
 */
static const struct {
	const char	*part;
	enum wait_class	 wait;
} wait_rules[] = {
	{ "futex", WAIT_LOCK },
	{ "nanosleep", WAIT_SLEEP },
	{ "pipe_read", WAIT_IO },
	{ "pipe_write", WAIT_IO },
	{ "pipe_wait", WAIT_IO },
	{ "sock_", WAIT_IO },
	{ "sk_wait", WAIT_IO },
	{ "tcp_", WAIT_IO },
	{ "unix_stream", WAIT_IO },
	{ "sys_poll", WAIT_IO },
	{ "do_select", WAIT_IO },
	{ "ep_poll", WAIT_IO },
	{ "epoll_wait", WAIT_IO },
	{ "io_schedule", WAIT_IO },
	{ "blk_", WAIT_IO },
	{ "folio_wait", WAIT_IO },
	{ "wait_on_page", WAIT_IO },
	{ "tty_read", WAIT_IO },
	{ "ksys_read", WAIT_IO },
	{ "ksys_write", WAIT_IO },
};

/*
 * A thread off the CPU: since when, why, and where. Its user stack is
 * unwound only once the wait proves longer than --offcpu-min-us; until
 * then the registers and the stack copy are kept.
 */
struct offwait {
	struct hnode	 node;
	pid_t		 pid;
	pid_t		 tid;
	uint64_t	 since;
	uint32_t	 tag;
	int		 unwound;
	size_t		 nframes;	/* kernel frames, then user ones */
	size_t		 nkernel;
	size_t		 cap;
	struct frame	*frames;
	uint64_t	 regs[32];
	int		 has_regs;
	size_t		 stack_len;
	size_t		 stack_cap;
	unsigned char	*stack;
};

#define OFFCPU_MEMO	4096

struct offcpu {
	const struct pd_config	*cfg;
	const struct framer	*framer;
	const struct kallsyms	*kallsyms;
	struct switch_format	 sched_switch;
	struct stacks		*stacks;	/* off-CPU, this window */
	struct stacks		*wall;		/* NULL without a wall profile */
	struct htable		 waiting;
	uint64_t		 latest;	/* newest record time */
	/* Switches come from few kernel addresses: what rules made of each. */
	struct {
		uint64_t	 addr;
		int		 rule;
	}			 memo[OFFCPU_MEMO];
	int			 switch_records;	/* switch-ins arrive */
};

static uint32_t
offcpu_tag(char state, enum wait_class wait)
{
	return ((uint32_t)(unsigned char)state << 8 | wait);
}

/* What a rule makes of one kernel address; -1 when none applies. */
static int
offcpu_rule(const struct kallsyms *ks, uint64_t addr)
{
	const char	*name, *module;
	uint64_t	 off;
	size_t		 r;

	if ((name = kallsyms_lookup(ks, addr, &module, &off)) == NULL)
		return (-1);
	for (r = 0; r < sizeof wait_rules / sizeof wait_rules[0]; r++) {
		if (strstr(name, wait_rules[r].part) != NULL)
			return (wait_rules[r].wait);
	}
	return (-1);
}

/*
 * The wait class: the first kernel frame, from the leaf, that a rule
 * names decides. Switches come from few kernel addresses, so what the
 * rules make of each is remembered.
 */
static enum wait_class
offcpu_classify(struct offcpu *oc, const struct frame *f, size_t n)
{
	size_t	 i, slot;

	for (i = 0; i < n && f[i].dso->kind == DSO_KERNEL; i++) {
		slot = hash_bytes(&f[i].addr, sizeof f[i].addr, 0) %
		    OFFCPU_MEMO;
		if (oc->memo[slot].addr != f[i].addr) {
			oc->memo[slot].addr = f[i].addr;
			oc->memo[slot].rule = offcpu_rule(oc->kallsyms,
			    f[i].addr);
		}
		if (oc->memo[slot].rule != -1)
			return (oc->memo[slot].rule);
	}
	return (WAIT_OTHER);
}

static uint64_t
tid_hash(pid_t tid)
{
	return (hash_bytes(&tid, sizeof tid, 1));
}

static struct offwait *
offcpu_find(struct offcpu *oc, pid_t tid)
{
	struct hnode	*n;
	struct offwait	*w;

	for (n = htable_find(&oc->waiting, tid_hash(tid)); n != NULL;
	    n = htable_next_same(n)) {
		w = container_of(n, struct offwait, node);
		if (w->tid == tid)
			return (w);
	}
	return (NULL);
}

/* Add the user frames, from the kept registers and stack, or a marker. */
static void
offcpu_set_frames(struct offwait *w, size_t at, const struct frame *f,
    size_t n)
{
	if (w->cap < at + n) {
		w->cap = at + n;
		w->frames = xreallocarray(w->frames, w->cap, sizeof *f);
	}
	memcpy(w->frames + at, f, n * sizeof *f);
	w->nframes = at + n;
}

static void
offcpu_user_frames(struct offcpu *oc, struct offwait *w, int unwind)
{
	struct frame		 user[PROFDROP_MAX_FRAMES];
	struct perf_sample	 s;
	struct proc		*p;
	size_t			 n;

	w->nframes = w->nkernel;
	if (!w->has_regs)
		return;
	if (unwind && (p = proc_find(oc->framer->procs, w->pid)) != NULL) {
		memset(&s, 0, sizeof s);
		s.regs = w->regs;
		s.stack = w->stack;
		s.stack_len = w->stack_len;
		n = frames_of_sample(oc->framer, p, &s, user,
		    PROFDROP_MAX_FRAMES - w->nkernel);
		w->unwound = 1;
		w->has_regs = 0;
	} else {
		user[0].dso = dso_marker(proc_dsos(oc->framer->procs),
		    "[short wait]");
		user[0].addr = 0;
		n = 1;
	}
	offcpu_set_frames(w, w->nkernel, user, n);
}

/* Charge the time since the thread went off the CPU, up to now. */
static void
offcpu_charge(struct offcpu *oc, struct offwait *w, uint64_t now,
    int switches)
{
	int64_t	 values[2];

	if (now <= w->since)
		return;
	if (!w->unwound)
		offcpu_user_frames(oc, w, now - w->since >=
		    (uint64_t)oc->cfg->offcpu_min_us * 1000);
	values[0] = switches;
	values[1] = now - w->since;
	stacks_add(oc->stacks, w->pid, w->tid, w->tag, w->frames,
	    w->nframes, values);
	if (oc->wall != NULL)
		stacks_add(oc->wall, w->pid, w->tid, w->tag, w->frames,
		    w->nframes, values + 1);
	w->since = now;
}

void
offcpu_switch_in(struct offcpu *oc, pid_t tid, uint64_t now)
{
	struct offwait	*w;

	if ((w = offcpu_find(oc, tid)) == NULL)
		return;
	offcpu_charge(oc, w, now, 1);
	htable_remove(&oc->waiting, &w->node);
	free(w->frames);
	free(w->stack);
	free(w);
}

static void
offcpu_switch_out(struct offcpu *oc, const struct perf_sample *s, char state,
    const struct sample_format *fmt)
{
	struct perf_sample	 kernel = *s;
	struct frame		 frames[PROFDROP_MAX_FRAMES];
	struct offwait		*w;
	struct proc		*p;

	/* A dead thread does not come back. */
	if (state == 'X' || state == 'Z' || s->pid <= 0)
		return;
	if ((p = proc_get(oc->framer->procs, s->pid)) == NULL || !p->wanted)
		return;
	if ((w = offcpu_find(oc, s->tid)) == NULL) {
		w = xcalloc(1, sizeof *w);
		w->tid = s->tid;
		htable_insert(&oc->waiting, &w->node, tid_hash(s->tid));
	} else if (!oc->switch_records) {
		/* Its switch-in went unseen; it ran for less than a sample. */
		offcpu_charge(oc, w, s->time, 1);
	}
	w->pid = s->pid;
	w->since = s->time;
	w->unwound = 0;
	kernel.regs = NULL;
	w->nkernel = frames_of_sample(oc->framer, p, &kernel, frames,
	    PROFDROP_MAX_FRAMES - 1);
	offcpu_set_frames(w, 0, frames, w->nkernel);
	w->tag = offcpu_tag(state, offcpu_classify(oc, frames, w->nkernel));
	w->has_regs = s->regs != NULL && s->stack != NULL &&
	    fmt->nregs <= sizeof w->regs / sizeof w->regs[0];
	if (!w->has_regs)
		return;
	memcpy(w->regs, s->regs, fmt->nregs * sizeof *s->regs);
	if (w->stack_cap < s->stack_len) {
		free(w->stack);
		w->stack = xmalloc(s->stack_len);
		w->stack_cap = s->stack_len;
	}
	memcpy(w->stack, s->stack, s->stack_len);
	w->stack_len = s->stack_len;
}

static uint64_t
raw_field(const struct perf_sample *s, const struct tp_field *f)
{
	uint64_t	 v64;
	uint32_t	 v32;

	if (f->offset < 0 || (uint64_t)f->offset + f->size > s->raw_size)
		return (0);
	if (f->size == 8) {
		memcpy(&v64, s->raw + f->offset, 8);
		return (v64);
	}
	memcpy(&v32, s->raw + f->offset, 4);
	return (v32);
}

/* A sched_switch sample: the thread going out, maybe one coming in. */
static void
offcpu_sample(void *arg, const struct perf_sample *s,
    const struct sample_format *fmt)
{
	struct offcpu		*oc = arg;
	struct pd_counters	*c = oc->framer->counters;
	struct switch_format	*sf = &oc->sched_switch;
	pid_t			 next;

	if (s->raw == NULL) {
		c->bad_records++;
		return;
	}
	c->switches++;
	oc->latest = s->time;
	/* The tracepoint fires in the thread going out. */
	if ((pid_t)raw_field(s, &sf->prev_pid) != 0)
		offcpu_switch_out(oc, s, tracefs_state_letter(sf,
		    raw_field(s, &sf->prev_state)), fmt);
	if (!oc->switch_records && (next = raw_field(s, &sf->next_pid)) != 0)
		offcpu_switch_in(oc, next, s->time);
}

static void
offcpu_lost(void *arg, uint64_t lost)
{
	struct offcpu	*oc = arg;

	oc->framer->counters->lost += lost;
}

static void
offcpu_malformed(void *arg)
{
	struct offcpu	*oc = arg;

	oc->framer->counters->bad_records++;
}

static const struct record_handlers offcpu_handlers = {
	.sample = offcpu_sample,
	.lost = offcpu_lost,
	.malformed = offcpu_malformed,
};

/* Records of the sched_switch rings, in time order with all others. */
void
offcpu_record(void *arg, const void *rec, size_t len,
    const struct sample_format *fmt)
{
	records_dispatch(&offcpu_handlers, arg, rec, len, fmt);
}

/*
 * Off-CPU waits from sched_switch as sf describes it; switch-ins come from
 * switch records when switch_records, else from sched_switch's next_pid.
 */
struct offcpu *
offcpu_new(const struct pd_config *cfg, const struct framer *framer,
    const struct kallsyms *ks, const struct switch_format *sf,
    int switch_records)
{
	struct offcpu	*oc;

	oc = xcalloc(1, sizeof *oc);
	oc->cfg = cfg;
	oc->framer = framer;
	oc->kallsyms = ks;
	oc->sched_switch = *sf;
	oc->switch_records = switch_records;
	htable_init(&oc->waiting, 1024);
	return (oc);
}

/*
 * The sched_switch event, with room for pages pages of ring; shared: it
 * writes into the CPU sampler's ring.
 */
void
offcpu_attr(struct perf_attr *attr, const struct pd_config *cfg,
    const struct features *f, const struct switch_format *sf, size_t pages,
    int shared)
{
	memset(attr, 0, sizeof *attr);
	attr->size = sizeof *attr;
	attr->type = PERF_TYPE_TRACEPOINT;
	attr->config = sf->id;
	attr->sample_period = 1;
	attr->sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
	    PERF_SAMPLE_CPU | PERF_SAMPLE_RAW | PERF_SAMPLE_CALLCHAIN;
	/* In a shared ring, each record says whose it is. */
	if (shared)
		attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
	if (f->user_stacks) {
		attr->sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		attr->sample_regs_user = PROFDROP_REGS_MASK;
		attr->sample_stack_user = cfg->offcpu_stack_size;
		attr->flags |= PERF_ATTR_EXCLUDE_CALLCHAIN_USER;
	}
	if (!cfg->kernel)
		attr->flags |= PERF_ATTR_EXCLUDE_CALLCHAIN_KERNEL;
	attr->flags |= PERF_ATTR_DISABLED | PERF_ATTR_SAMPLE_ID_ALL |
	    PERF_ATTR_WATERMARK;
	attr->wakeup_watermark = pages * getpagesize() / 4;
}

/* Where this window's waits are charged. */
void
offcpu_set_stacks(struct offcpu *oc, struct stacks *stacks,
    struct stacks *wall)
{
	oc->stacks = stacks;
	oc->wall = wall;
}

static void
carry(struct hnode *n, void *arg)
{
	struct offcpu	*oc = arg;

	offcpu_charge(oc, container_of(n, struct offwait, node), oc->latest, 0);
}

/* Charge threads still waiting up to the newest record: the window end. */
void
offcpu_end_window(struct offcpu *oc)
{
	htable_foreach(&oc->waiting, carry, oc);
}

/* The labels a tag stands for; buf holds the state's letter. */
size_t
offcpu_labels(uint32_t tag, struct pprof_label *l, char *buf)
{
	if (tag == 0) {
		l[0].key = "wait";
		l[0].str = "cpu";
		return (1);
	}
	buf[0] = tag >> 8;
	buf[1] = '\0';
	l[0].key = "state";
	l[0].str = buf;
	l[1].key = "wait";
	l[1].str = wait_names[(tag & 0xff) < 4 ? tag & 0xff : 0];
	return (2);
}

static void
offwait_free(struct hnode *n, void *arg)
{
	struct offwait	*w = container_of(n, struct offwait, node);

	htable_remove(arg, n);
	free(w->frames);
	free(w->stack);
	free(w);
}

void
offcpu_free(struct offcpu *oc)
{
	if (oc == NULL)
		return;
	htable_foreach(&oc->waiting, offwait_free, &oc->waiting);
	htable_free(&oc->waiting);
	free(oc);
}
