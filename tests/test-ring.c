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
	test_truncated_sample();
	return (check_done("test-ring"));
}
