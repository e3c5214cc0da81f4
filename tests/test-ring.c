/*
 * Ring decoding: records written into a ring laid out as the kernel does,
 * including records that wrap around its end, must come out whole and in
 * order, and malformed records must be counted, never followed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"
#include "check.h"

#define DATA_SIZE	4096

/* Samples as --unwind fp asks for them: no registers, no stack copy. */
static const struct sample_format fp_format = {
	PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
	PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN, 0, 0
};


struct seen {
	unsigned char	 buf[16][512];
	size_t		 len[16];
	int		 n;
};

static void
collect(const void *rec, size_t len, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 16 && len <= sizeof s->buf[0]) {
		memcpy(s->buf[s->n], rec, len);
		s->len[s->n] = len;
	}
	s->n++;
}

/* Read a ring as the sampler does: up to the head, then release it. */
static int
drain(struct ring *r, struct seen *seen)
{
	memset(seen, 0, sizeof *seen);
	for (ring_begin(r); r->rec != NULL; ring_advance(r))
		collect(r->rec, r->len, seen);
	ring_end(r);
	return (r->corrupt ? -1 : 0);
}

/* Copy a record into the ring at the head, wrapping as the kernel does. */
static void
ring_put(struct ring *r, const void *rec, size_t len)
{
	struct perf_mmap_page	*meta = r->base;
	uint64_t			 off = meta->data_head % r->data_size;
	size_t				 first = r->data_size - off;

	if (first >= len)
		memcpy(r->data + off, rec, len);
	else {
		memcpy(r->data + off, rec, first);
		memcpy(r->data, (const char *)rec + first, len - first);
	}
	meta->data_head += len;
}

static size_t
make_sample(unsigned char *buf, pid_t pid, uint64_t nr)
{
	struct perf_record_header	 h = { PERF_RECORD_SAMPLE, 0, 0 };
	uint64_t			 v[64];
	size_t				 n = 0, i;

	v[n++] = 0x401000;				/* ip */
	v[n++] = ((uint64_t)(pid + 1) << 32) | pid;	/* pid, tid */
	v[n++] = 123456789;				/* time */
	v[n++] = 1;					/* cpu */
	v[n++] = 10101010;				/* period */
	v[n++] = nr;
	for (i = 0; i < nr; i++)
		v[n++] = 0x401000 + i;
	h.size = sizeof h + n * sizeof v[0];
	memcpy(buf, &h, sizeof h);
	memcpy(buf + sizeof h, v, n * sizeof v[0]);
	return (h.size);
}

static void
test_wrap(void)
{
	struct ring			 r;
	struct perf_mmap_page	*meta;
	struct seen			 seen;
	struct perf_sample		 s;
	unsigned char			 rec[3][512];
	size_t				 len[3];
	int				 i;

	memset(&r, 0, sizeof r);
	r.base = xcalloc(1, 4096 + DATA_SIZE);
	r.data = (unsigned char *)r.base + 4096;
	r.data_size = DATA_SIZE;
	r.fmt = fp_format;
	meta = r.base;
	/* Start 40 bytes before the end, so the second record wraps. */
	meta->data_head = meta->data_tail = 10 * DATA_SIZE - 40;

	for (i = 0; i < 3; i++) {
		len[i] = make_sample(rec[i], 100 + i, 3 + i);
		ring_put(&r, rec[i], len[i]);
	}
	CHECK(drain(&r, &seen) == 0);
	CHECK(seen.n == 3);
	for (i = 0; i < 3 && i < seen.n; i++) {
		CHECK(seen.len[i] == len[i]);
		CHECK(memcmp(seen.buf[i], rec[i], len[i]) == 0);
	}
	CHECK(meta->data_tail == meta->data_head);

	/* The wrapped record decodes like any other. */
	CHECK(records_parse_sample(seen.buf[1], seen.len[1],
	    &fp_format, &s) == 0);
	CHECK(s.pid == 101 && s.tid == 102);
	CHECK(s.time == 123456789 && s.cpu == 1 && s.period == 10101010);
	CHECK(s.nr == 4 && s.ips[3] == 0x401003);
	/* Records are put in time order by the time records_time() finds. */
	CHECK(records_time(seen.buf[1], seen.len[1], &fp_format) == 123456789);

	/* A header that wraps across the end is reassembled too. */
	meta->data_head = meta->data_tail = 11 * DATA_SIZE - 4;
	ring_put(&r, rec[0], len[0]);
	CHECK(drain(&r, &seen) == 0);
	CHECK(seen.n == 1 && memcmp(seen.buf[0], rec[0], len[0]) == 0);

	/* A record of size zero cannot be skipped: the rest is dropped. */
	rec[2][4] = rec[2][5] = rec[2][6] = rec[2][7] = 0;
	ring_put(&r, rec[2], len[2]);
	ring_put(&r, rec[0], len[0]);
	CHECK(drain(&r, &seen) == -1);
	CHECK(seen.n == 0);
	CHECK(meta->data_tail == meta->data_head);

	/* The kernel publishes whole records only: a longer one is corrupt. */
	ring_put(&r, rec[0], len[0] - 8);
	CHECK(drain(&r, &seen) == -1 && seen.n == 0);
	free(r.base);
	free(r.scratch);
}

/* Two events in one ring, told apart by PERF_SAMPLE_IDENTIFIER. */
static const struct sample_format cpu_format = {
	PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
	PERF_SAMPLE_TIME | PERF_SAMPLE_CPU, 0, 0
};
static const struct sample_format switch_format = {
	PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME, 0, 0
};

struct routed {
	char		 who[16];	/* 'c' or 's' per record, in order */
	uint64_t	 time[16];
	int		 n;
};

static void
route_seen(struct routed *rd, char who, const void *rec, size_t len,
    const struct sample_format *fmt)
{
	if (rd->n < 16) {
		rd->who[rd->n] = who;
		rd->time[rd->n] = records_time(rec, len, fmt);
	}
	rd->n++;
}

static void
seen_cpu(void *arg, const void *rec, size_t len,
    const struct sample_format *fmt)
{
	CHECK(fmt->type == cpu_format.type);
	route_seen(arg, 'c', rec, len, fmt);
}

static void
seen_switch(void *arg, const void *rec, size_t len,
    const struct sample_format *fmt)
{
	CHECK(fmt->type == switch_format.type);
	route_seen(arg, 's', rec, len, fmt);
}

/* A record of type with the u64s v after its header. */
static size_t
make_record(unsigned char *buf, uint32_t type, const uint64_t *v, size_t n)
{
	struct perf_record_header	 h = { 0, 0, 0 };

	h.type = type;
	h.size = sizeof h + n * sizeof *v;
	memcpy(buf, &h, sizeof h);
	memcpy(buf + sizeof h, v, n * sizeof *v);
	return (h.size);
}

static void
test_shared(void)
{
	/* id, ip, pid/tid, time, cpu; then id, pid/tid, time. */
	const uint64_t	 cpu_sample[] = { 11, 0x401000, 7, 300, 1 };
	const uint64_t	 switch_sample[] = { 22, 8, 200 };
	/* COMM: pid/tid, "sh"; sample_id: pid/tid, time, cpu, id. */
	const uint64_t	 comm[] = { 7, 0x6873, 7, 100, 1, 11 };
	const uint64_t	 stranger[] = { 33, 9, 150 };
	struct ring	 r;
	struct routed	 rd;
	unsigned char	 rec[64];
	void		*base;
	size_t		 len;

	memset(&r, 0, sizeof r);
	memset(&rd, 0, sizeof rd);
	r.fd = -1;
	r.base = base = xcalloc(1, 4096 + DATA_SIZE);
	r.data = (unsigned char *)r.base + 4096;
	r.data_size = DATA_SIZE;
	ring_add_route(&r, 11, -1, &cpu_format, seen_cpu, &rd);
	ring_add_route(&r, 22, -1, &switch_format, seen_switch, &rd);

	len = make_record(rec, PERF_RECORD_COMM, comm, 6);
	ring_put(&r, rec, len);
	/* An id no event has, and a record too short for one: skipped. */
	len = make_record(rec, PERF_RECORD_SAMPLE, stranger, 3);
	ring_put(&r, rec, len);
	len = make_record(rec, PERF_RECORD_THROTTLE, stranger, 0);
	ring_put(&r, rec, len);
	len = make_record(rec, PERF_RECORD_SAMPLE, switch_sample, 3);
	ring_put(&r, rec, len);
	len = make_record(rec, PERF_RECORD_SAMPLE, cpu_sample, 5);
	ring_put(&r, rec, len);

	/* As the sampler drains it: each record to its event's handler. */
	for (ring_begin(&r); r.rec != NULL; ring_advance(&r)) {
		CHECK(r.time == records_time(r.rec, r.len, &r.fmt));
		r.handle(r.arg, r.rec, r.len, &r.fmt);
	}
	ring_end(&r);
	CHECK(rd.n == 3);
	CHECK(memcmp(rd.who, "csc", 3) == 0);
	/* Each time read where its own event's format puts it. */
	CHECK(rd.time[0] == 100 && rd.time[1] == 200 && rd.time[2] == 300);
	CHECK(r.corrupt == 2);
	free(r.routes);
	free(base);
}

static void
test_truncated_sample(void)
{
	struct perf_sample	 s;
	unsigned char		 rec[512];
	size_t			 len;
	uint64_t		 huge = 1ULL << 60;

	len = make_sample(rec, 7, 4);
	CHECK(records_parse_sample(rec, len, &fp_format, &s) == 0);
	/* Fewer bytes than the callchain claims. */
	CHECK(records_parse_sample(rec, len - 8, &fp_format,
	    &s) == -1);
	/* A callchain count that would overflow the pointer arithmetic. */
	memcpy(rec + sizeof(struct perf_record_header) + 5 * 8, &huge, 8);
	CHECK(records_parse_sample(rec, len, &fp_format, &s) == -1);
	CHECK(records_parse_sample(rec, 4, &fp_format, &s) == -1);
}

int
main(void)
{
	test_wrap();
	test_shared();
	test_truncated_sample();
	return (check_done("test-ring"));
}
