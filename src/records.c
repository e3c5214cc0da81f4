/* Decode perf records and hand them to the process table and the stacks. */

#include <linux/perf_event.h>

#include <string.h>

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
records_parse_sample(const void *rec, size_t len, uint64_t type,
    struct perf_sample *s)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint32_t	 u32[2];
	uint64_t	 v;

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
	return (0);
}

/* Turn the callchain into frames: leaf first, kernel then user. */
static size_t
sample_frames(struct proc *p, const struct perf_sample *s, struct frame *f)
{
	const struct map	*m;
	uint64_t		 ip, context = PERF_CONTEXT_USER;
	size_t			 i, n = 0;
	int			 first_in_context = 1;

	for (i = 0; i < s->nr && n < PROFDROP_MAX_FRAMES; i++) {
		ip = s->ips[i];
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			context = ip;
			first_in_context = 1;
			continue;
		}
		/* Callers are return addresses: name the call instead. */
		if (!first_in_context && ip > 0)
			ip--;
		first_in_context = 0;
		if (context == PERF_CONTEXT_KERNEL) {
			f[n].dso = dso_kernel();
			f[n].addr = ip;
		} else if (context != PERF_CONTEXT_USER) {
			continue;
		} else if ((m = proc_find_map(p, ip)) == NULL) {
			f[n].dso = dso_marker("[unknown mapping]");
			f[n].addr = ip;
		} else if (m->dso->kind != DSO_ANON) {
			f[n].dso = m->dso;
			f[n].addr = ip - m->start + m->pgoff;
		} else {
			f[n].dso = m->dso;
			f[n].addr = ip;
		}
		n++;
	}
	return (n);
}

static void
handle_sample(const void *rec, size_t len)
{
	struct perf_sample	 s;
	struct frame		 frames[PROFDROP_MAX_FRAMES];
	struct proc		*p;
	int64_t			 values[2];
	size_t			 n;

	if (records_parse_sample(rec, len, sampler_sample_type(), &s) != 0) {
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
	n = sample_frames(p, &s, frames);
	values[0] = 1;
	values[1] = opts.use_cycles ? 1000000000 / opts.frequency : s.period;
	stacks_add(cpu_stacks, p->pid, s.tid, frames, n, values);
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
	    ((uint64_t)majmin[0] << 32) | majmin[1], ino, name);
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

static void
handle_lost(const void *rec, size_t len)
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

void
records_handle(const void *rec, size_t len, void *arg)
{
	const struct perf_event_header	*h = rec;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		handle_sample(rec, len);
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
		handle_lost(rec, len);
		break;
	case PERF_RECORD_THROTTLE:
		counters.throttled++;
		break;
	}
}
