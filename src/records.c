/* Decode perf records and hand them to the process table and the stacks. */

#include <sys/sysmacros.h>

#include <linux/perf_event.h>

#include <string.h>
#include <time.h>

#include "profdropd.h"

struct counters counters;

/* Reads advance through a record and fail rather than run past its end. */
struct cursor {
	const unsigned char	*p;
	const unsigned char	*end;
};

static int
take(struct cursor *c, void *out, size_t len)
{
	if ((size_t)(c->end - c->p) < len)
		return (-1);
	if (out != NULL)
		memcpy(out, c->p, len);
	c->p += len;
	return (0);
}

static int
take_u64(struct cursor *c, uint64_t *v)
{
	return (take(c, v, sizeof *v));
}

int
records_parse_sample(const void *rec, size_t len,
    const struct sample_format *fmt, struct perf_sample *s)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint64_t	 type = fmt->type, v, size;
	uint32_t	 u32[2];

	c.end = c.p + len;
	memset(s, 0, sizeof *s);
	if (take(&c, NULL, sizeof(struct perf_event_header)) != 0)
		return (-1);
	if ((type & PERF_SAMPLE_IDENTIFIER) && take_u64(&c, &v) != 0)
		return (-1);
	if ((type & PERF_SAMPLE_IP) && take_u64(&c, &v) != 0)
		return (-1);
	if (type & PERF_SAMPLE_TID) {
		if (take(&c, u32, sizeof u32) != 0)
			return (-1);
		s->pid = u32[0];
		s->tid = u32[1];
	}
	if ((type & PERF_SAMPLE_TIME) && take_u64(&c, &s->time) != 0)
		return (-1);
	if ((type & PERF_SAMPLE_ADDR) && take_u64(&c, &v) != 0)
		return (-1);
	if ((type & PERF_SAMPLE_ID) && take_u64(&c, &v) != 0)
		return (-1);
	if ((type & PERF_SAMPLE_STREAM_ID) && take_u64(&c, &v) != 0)
		return (-1);
	if (type & PERF_SAMPLE_CPU) {
		if (take(&c, u32, sizeof u32) != 0)
			return (-1);
		s->cpu = u32[0];
	}
	if ((type & PERF_SAMPLE_PERIOD) && take_u64(&c, &s->period) != 0)
		return (-1);
	if (type & PERF_SAMPLE_CALLCHAIN) {
		if (take_u64(&c, &s->nr) != 0 ||
		    s->nr > (size_t)(c.end - c.p) / sizeof(uint64_t))
			return (-1);
		s->ips = (const uint64_t *)c.p;
		c.p += s->nr * sizeof(uint64_t);
	}
	if (type & PERF_SAMPLE_RAW) {
		if (take(&c, u32, sizeof u32[0]) != 0)
			return (-1);
		s->raw = c.p;
		s->raw_size = u32[0];
		if (take(&c, NULL, u32[0]) != 0)
			return (-1);
	}
	if (type & PERF_SAMPLE_REGS_USER) {
		if (take_u64(&c, &s->regs_abi) != 0)
			return (-1);
		if (s->regs_abi != PERF_SAMPLE_REGS_ABI_NONE) {
			s->regs = (const uint64_t *)c.p;
			if (take(&c, NULL, fmt->nregs * sizeof(uint64_t)) != 0)
				return (-1);
		}
	}
	if (type & PERF_SAMPLE_STACK_USER) {
		if (take_u64(&c, &size) != 0)
			return (-1);
		if (size != 0) {
			s->stack = c.p;
			if (take(&c, NULL, size) != 0 ||
			    take_u64(&c, &s->stack_len) != 0 ||
			    s->stack_len > size)
				return (-1);
			s->stack_full = s->stack_len == size;
		}
	}
	return (0);
}

/* Callers are return addresses: name the call instead. */
static void
user_frame(struct proc *p, uint64_t ip, int caller, struct frame *f)
{
	const struct map	*m;

	if (caller && ip > 0)
		ip--;
	if ((m = proc_find_map(p, ip)) == NULL) {
		f->dso = dso_marker("[unknown mapping]");
		f->addr = ip;
		return;
	}
	m->dso->used_window = proc_window;
	f->dso = m->dso;
	f->addr = m->dso->kind != DSO_ANON ? ip - m->start + m->pgoff : ip;
}

/* The kernel part of the callchain, and its user part if it has one. */
static size_t
callchain_frames(struct proc *p, const struct perf_sample *s, struct frame *f,
    size_t max)
{
	uint64_t	 ip, context = PERF_CONTEXT_USER;
	size_t		 i, n = 0;
	int		 caller = 0;

	for (i = 0; i < s->nr && n < max; i++) {
		ip = s->ips[i];
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			context = ip;
			caller = 0;
			continue;
		}
		if (context == PERF_CONTEXT_KERNEL) {
			f[n].dso = dso_kernel();
			f[n++].addr = caller && ip > 0 ? ip - 1 : ip;
		} else if (context == PERF_CONTEXT_USER)
			user_frame(p, ip, caller, &f[n++]);
		caller = 1;
	}
	return (n);
}

/*
 * Unwind times: 100 ns buckets up to 25.6 us, then 10 us buckets up to
 * 2.58 ms; the last holds everything slower.
 */
static size_t
records_bucket(uint64_t ns)
{
	if (ns < 25600)
		return (ns / 100);
	ns = 256 + (ns - 25600) / 10000;
	return (ns < COUNTERS_HIST ? ns : COUNTERS_HIST - 1);
}

/* Unwind the copied user stack; mark a walk that did not finish. */
static size_t
unwound_frames(struct proc *p, const struct perf_sample *s, struct frame *f,
    size_t max)
{
	uint64_t	 ips[PROFDROP_MAX_FRAMES];
	const char	*marker = NULL;
	size_t		 i, n;

	struct timespec	 t0, t1;
	enum unwind_end	 end;
	uint64_t	 ns;

	if (max < 2)
		return (0);
	counters.unwound++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	end = unwind_sample(p, s->regs, s->stack, s->stack_len, ips, max - 1,
	    &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	counters.unwind_ns[records_bucket(ns)]++;
	switch (end) {
	case UNWIND_COMPLETE:
		counters.complete++;
		break;
	case UNWIND_TRUNCATED:
		counters.truncated++;
		marker = "[truncated]";
		break;
	case UNWIND_FAILED:
		counters.failed++;
		marker = "[unwind failure]";
		break;
	}
	for (i = 0; i < n; i++)
		user_frame(p, ips[i], i > 0, &f[i]);
	if (marker != NULL) {
		f[n].dso = dso_marker(marker);
		f[n++].addr = 0;
	}
	return (n);
}

/* Kernel frames from the callchain, then user frames, leaf first. */
size_t
records_frames(struct proc *p, const struct perf_sample *s, struct frame *f,
    size_t max)
{
	size_t	 n;

	n = callchain_frames(p, s, f, max);
	if (s->regs != NULL && s->stack != NULL)
		n += unwound_frames(p, s, f + n, max - n);
	return (n);
}

static void
handle_sample(const void *rec, size_t len, const struct sample_format *fmt)
{
	struct perf_sample	 s;
	struct frame		 frames[PROFDROP_MAX_FRAMES];
	struct proc		*p;
	int64_t			 values[2];
	size_t			 n;

	if (records_parse_sample(rec, len, fmt, &s) != 0) {
		counters.bad_records++;
		return;
	}
	counters.samples++;
	if (s.pid <= 0 && s.tid <= 0) {
		if (opts.npids != 0)
			return;
		p = proc_get(0);	/* idle: the swapper */
	} else if ((p = proc_get(s.pid)) == NULL || !p->wanted)
		return;
	counters.samples_kept++;
	n = records_frames(p, &s, frames, PROFDROP_MAX_FRAMES);
	values[0] = 1;
	values[1] = opts.use_cycles ? 1000000000 / opts.frequency : s.period;
	stacks_add(cpu_stacks, p->pid, s.tid, 0, frames, n, values);
	if (wall_stacks != NULL)
		stacks_add(wall_stacks, p->pid, s.tid, 0, frames, n, values + 1);
}

/* The fixed part of a record, then a NUL-terminated string. */
static const char *
record_string(struct cursor *c)
{
	const char	*str = (const char *)c->p;
	size_t		 max = c->end - c->p;

	if (memchr(str, '\0', max) == NULL)
		return (NULL);
	return (str);
}

static void
handle_mmap(const void *rec, size_t len, int mmap2)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint32_t	 ids[2], majmin[2] = { 0, 0 }, prot = 0x4, flags;
	uint64_t	 start, size, pgoff, ino = 0, gen;
	const char	*name;

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_event_header)) != 0 ||
	    take(&c, ids, sizeof ids) != 0 || take_u64(&c, &start) != 0 ||
	    take_u64(&c, &size) != 0 || take_u64(&c, &pgoff) != 0)
		goto bad;
	if (mmap2 && (take(&c, majmin, sizeof majmin) != 0 ||
	    take_u64(&c, &ino) != 0 || take_u64(&c, &gen) != 0 ||
	    take(&c, &prot, sizeof prot) != 0 ||
	    take(&c, &flags, sizeof flags) != 0))
		goto bad;
	if ((name = record_string(&c)) == NULL)
		goto bad;
	proc_mmap(ids[0], start, size, pgoff, prot,
	    makedev(majmin[0], majmin[1]), ino, name);
	return;
bad:
	counters.bad_records++;
}

static void
handle_comm(const void *rec, size_t len, int exec)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint32_t	 ids[2];
	const char	*name;

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_event_header)) != 0 ||
	    take(&c, ids, sizeof ids) != 0 ||
	    (name = record_string(&c)) == NULL) {
		counters.bad_records++;
		return;
	}
	proc_comm(ids[0], ids[1], name, exec);
}

static void
handle_task(const void *rec, size_t len, int fork)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint32_t	 ids[4];

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_event_header)) != 0 ||
	    take(&c, ids, sizeof ids) != 0) {
		counters.bad_records++;
		return;
	}
	if (fork)
		proc_fork(ids[0], ids[1], ids[2], ids[3]);
	else
		proc_exit(ids[0], ids[1]);
}

void
records_lost(const void *rec, size_t len)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint64_t	 id, lost;

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_event_header)) != 0 ||
	    take_u64(&c, &id) != 0 || take_u64(&c, &lost) != 0) {
		counters.bad_records++;
		return;
	}
	counters.lost += lost;
}

/* The unwind time below which a share q of the samples since then fell. */
uint64_t
records_unwind_percentile(const struct counters *now,
    const struct counters *then, double q)
{
	uint64_t	 total = now->unwound - then->unwound, seen = 0;
	size_t		 i;

	for (i = 0; i < COUNTERS_HIST && total != 0; i++) {
		seen += now->unwind_ns[i] - then->unwind_ns[i];
		if (seen >= q * total)
			return (i < 256 ? (i + 1) * 100 :
			    25600 + (i - 255) * 10000);
	}
	return (0);
}

/*
 * The size of the sample_id fields the kernel appends to records other
 * than samples (sample_id_all): TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER
 * as asked for, 8 bytes each.
 */
static size_t
sample_id_size(const struct sample_format *fmt)
{
	return (8 * __builtin_popcountll(fmt->type & (PERF_SAMPLE_TID |
	    PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID |
	    PERF_SAMPLE_CPU | PERF_SAMPLE_IDENTIFIER)));
}

/*
 * The time of a record: a sample has it after IDENTIFIER, IP and TID; any
 * other record in the sample_id fields the kernel appends (sample_id_all).
 */
uint64_t
records_time(const void *rec, size_t len, const struct sample_format *fmt)
{
	const struct perf_event_header	*h = rec;
	size_t				 trailer, at;
	uint64_t			 time;

	if (!(fmt->type & PERF_SAMPLE_TIME))
		return (0);
	if (h->type == PERF_RECORD_SAMPLE) {
		at = sizeof *h;
		if (fmt->type & PERF_SAMPLE_IDENTIFIER)
			at += 8;
		if (fmt->type & PERF_SAMPLE_IP)
			at += 8;
		if (fmt->type & PERF_SAMPLE_TID)
			at += 8;
		if (len < at + sizeof time)
			return (0);
		memcpy(&time, (const char *)rec + at, sizeof time);
		return (time);
	}
	trailer = sample_id_size(fmt);
	at = fmt->type & PERF_SAMPLE_TID ? 8 : 0;
	if (len < sizeof(struct perf_event_header) + trailer)
		return (0);
	memcpy(&time, (const char *)rec + len - trailer + at, sizeof time);
	return (time);
}

/* A thread was switched in: its tid comes first in the sample_id fields. */
static void
handle_switch_in(const void *rec, size_t len, const struct sample_format *fmt)
{
	uint32_t	 ids[2];
	size_t		 trailer = sample_id_size(fmt);

	if (!(fmt->type & PERF_SAMPLE_TID))
		return;
	if (len < sizeof(struct perf_event_header) + 8 + trailer) {
		counters.bad_records++;
		return;
	}
	memcpy(ids, (const char *)rec + len - trailer, sizeof ids);
	offcpu_switch_in(ids[1], records_time(rec, len, fmt));
}

/* Every record of the CPU sampler's rings, in time order. */
void
records_handle(const void *rec, size_t len, const struct sample_format *fmt)
{
	const struct perf_event_header	*h = rec;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		handle_sample(rec, len, fmt);
		break;
	case PERF_RECORD_MMAP:
		handle_mmap(rec, len, 0);
		break;
	case PERF_RECORD_MMAP2:
		handle_mmap(rec, len, 1);
		break;
	case PERF_RECORD_COMM:
		handle_comm(rec, len, h->misc & PERF_RECORD_MISC_COMM_EXEC);
		break;
	case PERF_RECORD_FORK:
		handle_task(rec, len, 1);
		break;
	case PERF_RECORD_EXIT:
		handle_task(rec, len, 0);
		break;
	case PERF_RECORD_LOST:
		records_lost(rec, len);
		break;
	case PERF_RECORD_THROTTLE:
		counters.throttled++;
		break;
	case PERF_RECORD_SWITCH_CPU_WIDE:
		if (!(h->misc & PERF_RECORD_MISC_SWITCH_OUT))
			handle_switch_in(rec, len, fmt);
		break;
	}
}
