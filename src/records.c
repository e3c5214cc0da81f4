/*
 * Decode perf records, trusting none of their bytes, and hand each to the
 * handler for its kind.
 */

#include <sys/sysmacros.h>

#include <string.h>

#include "libprofdrop.h"

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
	if (take(&c, NULL, sizeof(struct perf_record_header)) != 0)
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

/* What the event of attr puts in each of its samples. */
void
records_format(struct sample_format *fmt, const struct perf_attr *attr)
{
	fmt->type = attr->sample_type;
	fmt->regs_mask = attr->sample_regs_user;
	fmt->nregs = __builtin_popcountll(attr->sample_regs_user);
}

/*
 * The id of the event that wrote a record with PERF_SAMPLE_IDENTIFIER: a
 * sample has it first, right after the header; any other record last, at
 * the end of the sample_id fields (sample_id_all).
 */
int
records_id(const void *rec, size_t len, uint64_t *id)
{
	const struct perf_record_header	*h = rec;

	if (len < sizeof *h + sizeof *id)
		return (-1);
	if (h->type == PERF_RECORD_SAMPLE)
		memcpy(id, h + 1, sizeof *id);
	else
		memcpy(id, (const char *)rec + len - sizeof *id, sizeof *id);
	return (0);
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

static int
decode_mmap(const void *rec, size_t len, int mmap2, struct perf_mmap *m)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint32_t	 ids[2], majmin[2] = { 0, 0 }, flags;
	uint64_t	 gen;

	c.end = c.p + len;
	memset(m, 0, sizeof *m);
	m->prot = 0x4;
	if (take(&c, NULL, sizeof(struct perf_record_header)) != 0 ||
	    take(&c, ids, sizeof ids) != 0 || take_u64(&c, &m->start) != 0 ||
	    take_u64(&c, &m->size) != 0 || take_u64(&c, &m->pgoff) != 0)
		return (-1);
	if (mmap2 && (take(&c, majmin, sizeof majmin) != 0 ||
	    take_u64(&c, &m->ino) != 0 || take_u64(&c, &gen) != 0 ||
	    take(&c, &m->prot, sizeof m->prot) != 0 ||
	    take(&c, &flags, sizeof flags) != 0))
		return (-1);
	if ((m->name = record_string(&c)) == NULL)
		return (-1);
	m->pid = ids[0];
	m->dev = makedev(majmin[0], majmin[1]);
	return (0);
}

/* COMM, FORK and EXIT: pids and tids first, then maybe a name. */
static int
decode_ids(const void *rec, size_t len, uint32_t *ids, size_t nids,
    const char **name)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_record_header)) != 0 ||
	    take(&c, ids, nids * sizeof *ids) != 0)
		return (-1);
	if (name != NULL && (*name = record_string(&c)) == NULL)
		return (-1);
	return (0);
}

static int
decode_lost(const void *rec, size_t len, uint64_t *lost)
{
	struct cursor	 c = { (const unsigned char *)rec, NULL };
	uint64_t	 id;

	c.end = c.p + len;
	if (take(&c, NULL, sizeof(struct perf_record_header)) != 0 ||
	    take_u64(&c, &id) != 0 || take_u64(&c, lost) != 0)
		return (-1);
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
	const struct perf_record_header	*h = rec;
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
	if (len < sizeof(struct perf_record_header) + trailer)
		return (0);
	memcpy(&time, (const char *)rec + len - trailer + at, sizeof time);
	return (time);
}

/* A thread was switched in: its tid comes first in the sample_id fields. */
static int
decode_switch_in(const void *rec, size_t len, const struct sample_format *fmt,
    pid_t *tid)
{
	uint32_t	 ids[2];
	size_t		 trailer = sample_id_size(fmt);

	if (len < sizeof(struct perf_record_header) + 8 + trailer)
		return (-1);
	memcpy(ids, (const char *)rec + len - trailer, sizeof ids);
	*tid = ids[1];
	return (0);
}

/* Hand one record to the handler for its kind; count what is malformed. */
void
records_dispatch(const struct record_handlers *h, void *arg, const void *rec,
    size_t len, const struct sample_format *fmt)
{
	const struct perf_record_header	*hdr = rec;
	struct perf_sample		 s;
	struct perf_mmap		 m;
	const char			*name;
	uint32_t			 ids[4];
	uint64_t			 lost;
	pid_t				 tid;
	int				 bad = 0;

	switch (hdr->type) {
	case PERF_RECORD_SAMPLE:
		if (h->sample == NULL)
			break;
		if (!(bad = records_parse_sample(rec, len, fmt, &s) != 0))
			h->sample(arg, &s, fmt);
		break;
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		if (h->mmap == NULL)
			break;
		if (!(bad = decode_mmap(rec, len,
		    hdr->type == PERF_RECORD_MMAP2, &m) != 0))
			h->mmap(arg, &m);
		break;
	case PERF_RECORD_COMM:
		if (h->comm == NULL)
			break;
		if (!(bad = decode_ids(rec, len, ids, 2, &name) != 0))
			h->comm(arg, ids[0], ids[1], name,
			    (hdr->misc & PERF_RECORD_MISC_COMM_EXEC) != 0);
		break;
	case PERF_RECORD_FORK:
		if (h->fork == NULL)
			break;
		if (!(bad = decode_ids(rec, len, ids, 4, NULL) != 0))
			h->fork(arg, ids[0], ids[1], ids[2], ids[3]);
		break;
	case PERF_RECORD_EXIT:
		if (h->exit == NULL)
			break;
		if (!(bad = decode_ids(rec, len, ids, 2, NULL) != 0))
			h->exit(arg, ids[0], ids[1]);
		break;
	case PERF_RECORD_LOST:
		if (h->lost == NULL)
			break;
		if (!(bad = decode_lost(rec, len, &lost) != 0))
			h->lost(arg, lost);
		break;
	case PERF_RECORD_THROTTLE:
		if (h->throttle != NULL)
			h->throttle(arg);
		break;
	case PERF_RECORD_SWITCH_CPU_WIDE:
		if (h->switch_in == NULL ||
		    (hdr->misc & PERF_RECORD_MISC_SWITCH_OUT) ||
		    !(fmt->type & PERF_SAMPLE_TID))
			break;
		if (!(bad = decode_switch_in(rec, len, fmt, &tid) != 0))
			h->switch_in(arg, tid, records_time(rec, len, fmt));
		break;
	}
	if (bad && h->malformed != NULL)
		h->malformed(arg);
}
