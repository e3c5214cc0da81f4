/*
 * Off-CPU time from the sched:sched_switch tracepoint. When a thread is
 * switched out, its stack and state are kept; when it is switched in
 * again, the time between is charged to that stack. Threads still off
 * the CPU when a window ends are charged up to its end and carried on.
 */

#include <linux/perf_event.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

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

struct stacks		*offcpu_stacks;

static struct switch_format	 sched_switch;
static struct htable		 waiting;
static uint64_t			 latest;	/* newest record time */

static uint32_t
offcpu_tag(char state, enum wait_class wait)
{
	return ((uint32_t)(unsigned char)state << 8 | wait);
}

/* What a rule makes of one kernel address; -1 when none applies. */
static int
offcpu_rule(uint64_t addr)
{
	const char	*name, *module;
	uint64_t	 off;
	size_t		 r;

	if ((name = kallsyms_lookup(addr, &module, &off)) == NULL)
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
offcpu_classify(const struct frame *f, size_t n)
{
	static struct {
		uint64_t	 addr;
		int		 rule;
	}		 memo[4096];
	size_t		 i, slot;

	for (i = 0; i < n && f[i].dso->kind == DSO_KERNEL; i++) {
		slot = hash_bytes(&f[i].addr, sizeof f[i].addr, 0) %
		    (sizeof memo / sizeof memo[0]);
		if (memo[slot].addr != f[i].addr) {
			memo[slot].addr = f[i].addr;
			memo[slot].rule = offcpu_rule(f[i].addr);
		}
		if (memo[slot].rule != -1)
			return (memo[slot].rule);
	}
	return (WAIT_OTHER);
}

static uint64_t
tid_hash(pid_t tid)
{
	return (hash_bytes(&tid, sizeof tid, 1));
}

static struct offwait *
offcpu_find(pid_t tid)
{
	struct hnode	*n;
	struct offwait	*w;

	for (n = htable_find(&waiting, tid_hash(tid)); n != NULL;
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
offcpu_user_frames(struct offwait *w, int unwind)
{
	struct frame		 user[PROFDROP_MAX_FRAMES];
	struct perf_sample	 s;
	struct proc		*p;
	size_t			 n;

	w->nframes = w->nkernel;
	if (!w->has_regs)
		return;
	if (unwind && (p = proc_find(w->pid)) != NULL) {
		memset(&s, 0, sizeof s);
		s.regs = w->regs;
		s.stack = w->stack;
		s.stack_len = w->stack_len;
		n = records_frames(p, &s, user,
		    PROFDROP_MAX_FRAMES - w->nkernel);
		w->unwound = 1;
		w->has_regs = 0;
	} else {
		user[0].dso = dso_marker("[short wait]");
		user[0].addr = 0;
		n = 1;
	}
	offcpu_set_frames(w, w->nkernel, user, n);
}

/* Charge the time since the thread went off the CPU, up to now. */
static void
offcpu_charge(struct offwait *w, uint64_t now, int switches)
{
	int64_t	 values[2];

	if (now <= w->since)
		return;
	if (!w->unwound)
		offcpu_user_frames(w, now - w->since >=
		    (uint64_t)opts.offcpu_min_us * 1000);
	values[0] = switches;
	values[1] = now - w->since;
	stacks_add(offcpu_stacks, w->pid, w->tid, w->tag, w->frames,
	    w->nframes, values);
	if (wall_stacks != NULL)
		stacks_add(wall_stacks, w->pid, w->tid, w->tag, w->frames,
		    w->nframes, values + 1);
	w->since = now;
}

void
offcpu_switch_in(pid_t tid, uint64_t now)
{
	struct offwait	*w;

	if (offcpu_stacks == NULL || (w = offcpu_find(tid)) == NULL)
		return;
	offcpu_charge(w, now, 1);
	htable_remove(&waiting, &w->node);
	free(w->frames);
	free(w->stack);
	free(w);
}

static void
offcpu_switch_out(const struct perf_sample *s, char state,
    const struct sample_format *fmt)
{
	struct perf_sample	 kernel = *s;
	struct frame		 frames[PROFDROP_MAX_FRAMES];
	struct offwait		*w;
	struct proc		*p;

	/* A dead thread does not come back. */
	if (state == 'X' || state == 'Z' || s->pid <= 0)
		return;
	if ((p = proc_get(s->pid)) == NULL || !p->wanted)
		return;
	if ((w = offcpu_find(s->tid)) == NULL) {
		w = xcalloc(1, sizeof *w);
		w->tid = s->tid;
		htable_insert(&waiting, &w->node, tid_hash(s->tid));
	}
	w->pid = s->pid;
	w->since = s->time;
	w->unwound = 0;
	kernel.regs = NULL;
	w->nkernel = records_frames(p, &kernel, frames, PROFDROP_MAX_FRAMES - 1);
	offcpu_set_frames(w, 0, frames, w->nkernel);
	w->tag = offcpu_tag(state, offcpu_classify(frames, w->nkernel));
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

/* Records of the sched_switch rings, in time order with all others. */
static void
offcpu_handle(const void *rec, size_t len, const struct sample_format *fmt)
{
	const struct perf_event_header	*h = rec;
	struct perf_sample		 s;
	pid_t				 next;

	if (h->type == PERF_RECORD_LOST) {
		records_lost(rec, len);
		return;
	}
	if (h->type != PERF_RECORD_SAMPLE)
		return;
	if (records_parse_sample(rec, len, fmt, &s) != 0 || s.raw == NULL) {
		counters.bad_records++;
		return;
	}
	counters.switches++;
	latest = s.time;
	/* The tracepoint fires in the thread going out. */
	if ((pid_t)raw_field(&s, &sched_switch.prev_pid) != 0)
		offcpu_switch_out(&s, tracefs_state_letter(&sched_switch,
		    raw_field(&s, &sched_switch.prev_state)), fmt);
	if (!switch_records &&
	    (next = raw_field(&s, &sched_switch.next_pid)) != 0)
		offcpu_switch_in(next, s.time);
}

int
offcpu_open(struct sampler *s, char **cause)
{
	struct perf_event_attr	 attr;
	size_t			 pages = 512;

	if (tracefs_sched_switch(&sched_switch, cause) != 0)
		return (-1);
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = sched_switch.id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
	    PERF_SAMPLE_CPU | PERF_SAMPLE_RAW | PERF_SAMPLE_CALLCHAIN;
	if (opts.unwind != UNWIND_FP) {
		attr.sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		attr.sample_regs_user = PROFDROP_REGS_MASK;
		attr.sample_stack_user = opts.offcpu_stack_size;
		attr.exclude_callchain_user = 1;
	}
	attr.exclude_callchain_kernel = !opts.kernel;
	attr.disabled = 1;
	attr.sample_id_all = 1;
	attr.watermark = 1;
	attr.wakeup_watermark = pages * getpagesize() / 4;
	htable_init(&waiting, 1024);
	offcpu_stacks = stacks_new(2);
	return (sampler_add(s, &attr, pages, NULL, offcpu_handle, cause));
}

static void
carry(struct hnode *n, void *arg)
{
	offcpu_charge(container_of(n, struct offwait, node), latest, 0);
}

/* Charge threads still waiting up to the newest record: the window end. */
void
offcpu_end_window(void)
{
	if (offcpu_stacks != NULL)
		htable_foreach(&waiting, carry, NULL);
}

size_t
offcpu_labels(uint32_t tag, struct pprof_label *l)
{
	static char	 states[256][2];
	unsigned char	 state = tag >> 8;

	if (tag == 0) {
		l[0].key = "wait";
		l[0].str = "cpu";
		return (1);
	}
	states[state][0] = state;
	l[0].key = "state";
	l[0].str = states[state];
	l[1].key = "wait";
	l[1].str = wait_names[(tag & 0xff) < 4 ? tag & 0xff : 0];
	return (2);
}

static void
offwait_free(struct hnode *n, void *arg)
{
	struct offwait	*w = container_of(n, struct offwait, node);

	htable_remove(&waiting, n);
	free(w->frames);
	free(w->stack);
	free(w);
}

void
offcpu_free(void)
{
	if (offcpu_stacks == NULL)
		return;
	htable_foreach(&waiting, offwait_free, NULL);
	htable_free(&waiting);
	stacks_free(offcpu_stacks);
	offcpu_stacks = NULL;
}
