/*
 * The profile model: a profile reads back as written, through the encoder
 * and through pd_profile_write; every broken profile is refused with a
 * message that says what is wrong and where; hostile input (truncated,
 * flipped, a gzip bomb, lengths past the end) fails cleanly, within the
 * memory bound profile_decode.c states.
 *
 * test-profile bomb FILE and test-profile huge FILE write those inputs;
 * test-profile read FILE reads a file and says what came of it, for
 * run-profile-hostile.sh to time under a memory limit; test-profile
 * crafted DIR writes a small profile and broken ones for
 * run-cli-corrupt.sh.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "profile_decode.c"
#include "check.h"

#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || strcmp(a_, b_) != 0) {			\
		fprintf(stderr, "FAIL %s:%d: %s is \"%s\", want \"%s\"\n", \
		    __FILE__, __LINE__, #a, a_ != NULL ? a_ : "(null)", \
		    b_);						\
		failures++;						\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);			\
	if (a_ != b_) {							\
		fprintf(stderr, "FAIL %s:%d: %s is %" PRId64 ", want %"	\
		    PRId64 "\n", __FILE__, __LINE__, #a, a_, b_);	\
		failures++;						\
	}								\
} while (0)

#define TEST_TIME	INT64_C(1700000000000000000)
#define TEST_DURATION	INT64_C(10000000000)

/* A protobuf written by hand. */
struct pb {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
};

static void
pb_byte(struct pb *b, unsigned char c)
{
	if (b->len == b->cap) {
		b->cap = 2 * b->cap + 64;
		b->buf = xreallocarray(b->buf, b->cap, 1);
	}
	b->buf[b->len++] = c;
}

static void
pb_varint(struct pb *b, uint64_t v)
{
	while (v >= 0x80) {
		pb_byte(b, (v & 0x7f) | 0x80);
		v >>= 7;
	}
	pb_byte(b, v);
}

static void
pb_int(struct pb *b, unsigned int field, uint64_t v)
{
	pb_varint(b, field << 3);
	pb_varint(b, v);
}

static void
pb_bytes(struct pb *b, unsigned int field, const void *data, size_t len)
{
	size_t	 i;

	pb_varint(b, field << 3 | 2);
	pb_varint(b, len);
	for (i = 0; i < len; i++)
		pb_byte(b, ((const unsigned char *)data)[i]);
}

static void
pb_str(struct pb *b, unsigned int field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

/* Put sub into b as field, and empty sub. */
static void
pb_msg(struct pb *b, unsigned int field, struct pb *sub)
{
	pb_bytes(b, field, sub->buf, sub->len);
	free(sub->buf);
	memset(sub, 0, sizeof *sub);
}

/*
 * A small profile, or a broken one: its strings are "", samples, count,
 * cpu, nanoseconds, main, /bin/app, thread, worker.
 */
struct spec {
	const char	*string0;
	size_t		 ntypes;
	size_t		 nmappings;
	uint64_t	 mapping_ids[2];
	uint64_t	 mapping_file;
	size_t		 nfunctions;
	uint64_t	 function_ids[2];
	size_t		 nlocations;
	uint64_t	 location_ids[2];
	uint64_t	 location_mapping;
	uint64_t	 line_function;
	uint64_t	 sample_location;
	size_t		 nvalues;
	uint64_t	 label_key;
	uint64_t	 drop_frames;
	int		 empty_mapping;
	int		 empty_sample;
	int		 values_as_fixed;
};

static const struct spec spec_good = {
	"", 2, 1, { 1 }, 6, 1, { 1 }, 1, { 1 }, 1, 1, 1, 2, 7, 0, 0, 0, 0
};

static void
spec_write(const struct spec *s, struct pb *b)
{
	static const char *const strings[] = {
		"samples", "count", "cpu", "nanoseconds", "main", "/bin/app",
		"thread", "worker"
	};
	struct pb	 m, sub;
	size_t		 i;

	memset(b, 0, sizeof *b);
	memset(&m, 0, sizeof m);
	memset(&sub, 0, sizeof sub);
	pb_str(b, 6, s->string0);
	for (i = 0; i < sizeof strings / sizeof strings[0]; i++)
		pb_str(b, 6, strings[i]);
	for (i = 0; i < s->ntypes; i++) {
		pb_int(&m, 1, 1 + 2 * i);
		pb_int(&m, 2, 2 + 2 * i);
		pb_msg(b, 1, &m);
	}
	for (i = 0; i < s->nmappings; i++) {
		pb_int(&m, 1, s->mapping_ids[i]);
		pb_int(&m, 5, s->mapping_file);
		pb_msg(b, 3, &m);
	}
	if (s->empty_mapping)
		pb_bytes(b, 3, "", 0);
	for (i = 0; i < s->nfunctions; i++) {
		pb_int(&m, 1, s->function_ids[i]);
		pb_int(&m, 2, 5);
		pb_msg(b, 5, &m);
	}
	for (i = 0; i < s->nlocations; i++) {
		pb_int(&m, 1, s->location_ids[i]);
		pb_int(&m, 2, s->location_mapping);
		pb_int(&sub, 1, s->line_function);
		pb_int(&sub, 2, 42);
		pb_msg(&m, 4, &sub);
		pb_msg(b, 4, &m);
	}
	pb_int(&m, 1, s->sample_location);
	for (i = 0; i < s->nvalues; i++) {
		if (s->values_as_fixed) {
			pb_varint(&m, 2 << 3 | 5);
			pb_int(&m, 0, 0);
			continue;
		}
		pb_int(&m, 2, 10 * (i + 1));
	}
	pb_int(&sub, 1, s->label_key);
	pb_int(&sub, 2, 8);
	pb_msg(&m, 3, &sub);
	pb_msg(b, 2, &m);
	if (s->empty_sample)
		pb_bytes(b, 2, "", 0);
	if (s->drop_frames != 0)
		pb_int(b, 7, s->drop_frames);
}

static volatile uint64_t sink;

/* Every pointer of a profile leads where it should. */
static void
check_model(const struct pd_profile *p)
{
	const struct pd_location	*loc;
	const struct pd_sample		*s;
	size_t				 i, j;

	CHECK(p->nsample_types > 0);
	for (i = 0; i < p->nsample_types; i++)
		CHECK(p->sample_types[i].type != NULL &&
		    p->sample_types[i].unit != NULL);
	for (i = 0; i < p->nmappings; i++)
		CHECK(p->mappings[i].id != 0 &&
		    p->mappings[i].filename != NULL &&
		    p->mappings[i].build_id != NULL);
	for (i = 0; i < p->nfunctions; i++)
		CHECK(p->functions[i].id != 0 && p->functions[i].name != NULL &&
		    p->functions[i].system_name != NULL &&
		    p->functions[i].filename != NULL);
	for (i = 0; i < p->nlocations; i++) {
		loc = &p->locations[i];
		CHECK(loc->id != 0);
		CHECK(loc->mapping == NULL || (loc->mapping >= p->mappings &&
		    loc->mapping < p->mappings + p->nmappings));
		for (j = 0; j < loc->nlines; j++)
			CHECK(loc->lines[j].function == NULL ||
			    (loc->lines[j].function >= p->functions &&
			    loc->lines[j].function <
			    p->functions + p->nfunctions));
	}
	for (i = 0; i < p->nsamples; i++) {
		s = &p->samples[i];
		for (j = 0; j < s->nlocations; j++)
			CHECK(s->locations[j] >= p->locations &&
			    s->locations[j] < p->locations + p->nlocations);
		for (j = 0; j < p->nsample_types; j++)
			sink ^= (uint64_t)s->values[j];
		for (j = 0; j < s->nlabels; j++)
			CHECK(s->labels[j].key != NULL &&
			    s->labels[j].num_unit != NULL);
	}
	for (i = 0; i < p->ncomments; i++)
		CHECK(p->comments[i] != NULL);
	CHECK(p->drop_frames != NULL && p->keep_frames != NULL &&
	    p->default_sample_type != NULL && p->period_type.type != NULL &&
	    p->period_type.unit != NULL);
}

/* A profile with some of everything, in the encoder. */
static struct pprof *
rich_pprof(int64_t time_nanos, int64_t cpu_ns)
{
	static const struct pprof_value_type types[] = {
		{ "samples", "count" }, { "cpu", "nanoseconds" }
	};
	struct pprof		*pp;
	struct pprof_line	 lines[2];
	struct pprof_label	 labels[2];
	uint64_t		 m1, m2, fmain, fhelper, fanon;
	uint64_t		 l1, l2, l3, l4, stack[3];
	int64_t			 values[2];

	pp = pprof_new(types, 2, &types[1], 10000000, time_nanos,
	    TEST_DURATION);
	pprof_add_comment(pp, "first");
	pprof_add_comment(pp, "second");
	pprof_set_drop_frames(pp, "runtime\\..*");
	pprof_set_keep_frames(pp, "runtime\\.main");
	pprof_set_default_type(pp, "samples");
	m1 = pprof_add_mapping(pp, 0x400000, 0x500000, 0x1000, "/usr/bin/app",
	    "0123456789abcdef", PPROF_HAS_FUNCTIONS | PPROF_HAS_FILENAMES |
	    PPROF_HAS_LINE_NUMBERS | PPROF_HAS_INLINE_FRAMES);
	m2 = pprof_add_mapping(pp, 0x7f0000000000ULL, 0x7f0000200000ULL, 0,
	    "/lib/libc.so.6", NULL, PPROF_HAS_FUNCTIONS);
	fmain = pprof_add_function(pp, "main", "main", "app.c", 40);
	fhelper = pprof_add_function(pp, "helper", "_ZL6helperv", "app.c", 8);
	fanon = pprof_add_function(pp, "", "", "anon.c", 0);

	lines[0].function_id = fhelper;
	lines[0].line = 10;
	lines[0].column = 3;
	lines[1].function_id = fmain;
	lines[1].line = 42;
	lines[1].column = 0;
	l1 = pprof_add_location_lines(pp, m1, 0x401234, lines, 2, 0);
	lines[0].function_id = fmain;
	lines[0].line = INT64_C(1) << 40;
	l2 = pprof_add_location_lines(pp, m1, 0x401300, lines, 1, 1);
	l3 = pprof_add_location_lines(pp, 0, 0xffffffff81000010ULL, NULL, 0,
	    0);
	lines[0].function_id = 0;
	lines[0].line = 7;
	lines[1].function_id = fanon;
	lines[1].line = 0;
	l4 = pprof_add_location_lines(pp, m2, 0x7f0000029d90ULL, lines, 2, 0);

	memset(labels, 0, sizeof labels);
	labels[0].key = "thread";
	labels[0].str = "worker";
	labels[1].key = "bytes";
	labels[1].num = 4096;
	labels[1].num_unit = "bytes";
	stack[0] = l1;
	stack[1] = l2;
	values[0] = 3;
	values[1] = cpu_ns;
	pprof_add_sample(pp, stack, 2, values, labels, 2);
	labels[0].key = "pid";
	labels[0].str = NULL;
	labels[0].num = 42;
	stack[0] = l3;
	stack[1] = l4;
	stack[2] = l2;
	values[0] = 1;
	values[1] = -10;
	pprof_add_sample(pp, stack, 3, values, labels, 1);
	values[0] = values[1] = 0;
	pprof_add_sample(pp, &l2, 1, values, NULL, 0);
	return (pp);
}

static unsigned char *
rich_bytes(size_t *len)
{
	struct pprof	*pp = rich_pprof(TEST_TIME, 30000000);
	unsigned char	*buf = pprof_pack(pp, len);

	pprof_free(pp);
	return (buf);
}

static struct pd_profile *
read_ok(const void *buf, size_t len)
{
	struct pd_profile	*p;
	char			*cause;

	if (pd_profile_read(buf, len, 0, &p, &cause) != 0) {
		fprintf(stderr, "FAIL: read: %s\n", cause);
		free(cause);
		failures++;
		return (NULL);
	}
	check_model(p);
	return (p);
}

static void
check_rich(const struct pd_profile *p)
{
	const struct pd_location	*loc;
	const struct pd_sample		*s;

	CHECK_INT(p->nsample_types, 2);
	CHECK_STR(p->sample_types[0].type, "samples");
	CHECK_STR(p->sample_types[1].unit, "nanoseconds");
	CHECK_STR(p->period_type.type, "cpu");
	CHECK_INT(p->period, 10000000);
	CHECK_INT(p->time_nanos, TEST_TIME);
	CHECK_INT(p->duration_nanos, TEST_DURATION);
	CHECK_STR(p->drop_frames, "runtime\\..*");
	CHECK_STR(p->keep_frames, "runtime\\.main");
	CHECK_STR(p->default_sample_type, "samples");
	CHECK_INT(p->ncomments, 2);
	CHECK_STR(p->comments[1], "second");

	CHECK_INT(p->nmappings, 2);
	CHECK_STR(p->mappings[0].filename, "/usr/bin/app");
	CHECK_STR(p->mappings[0].build_id, "0123456789abcdef");
	CHECK_INT(p->mappings[0].memory_start, 0x400000);
	CHECK_INT(p->mappings[0].file_offset, 0x1000);
	CHECK(p->mappings[0].has_inline_frames && p->mappings[0].has_filenames);
	CHECK_STR(p->mappings[1].build_id, "");
	CHECK(p->mappings[1].has_functions && !p->mappings[1].has_filenames);

	CHECK_INT(p->nfunctions, 3);
	CHECK_INT(p->nlocations, 4);
	loc = &p->locations[0];
	CHECK(loc->mapping == &p->mappings[0]);
	CHECK_INT(loc->nlines, 2);
	CHECK_STR(loc->lines[0].function->name, "helper");
	CHECK_STR(loc->lines[0].function->system_name, "_ZL6helperv");
	CHECK_INT(loc->lines[0].column, 3);
	CHECK_INT(loc->lines[0].function->start_line, 8);
	CHECK_STR(loc->lines[1].function->name, "main");
	CHECK(p->locations[1].is_folded && !loc->is_folded);
	CHECK_INT(p->locations[1].lines[0].line, INT64_C(1) << 40);
	CHECK(p->locations[2].mapping == NULL);
	CHECK_INT(p->locations[2].nlines, 0);
	CHECK(p->locations[3].lines[0].function == NULL);
	CHECK_STR(p->locations[3].lines[1].function->name, "");
	CHECK_STR(p->locations[3].lines[1].function->filename, "anon.c");

	CHECK_INT(p->nsamples, 3);
	s = &p->samples[0];
	CHECK(s->nlocations == 2 && s->locations[0] == &p->locations[0] &&
	    s->locations[1] == &p->locations[1]);
	CHECK_INT(s->values[1], 30000000);
	CHECK_INT(s->nlabels, 2);
	CHECK_STR(s->labels[0].str, "worker");
	CHECK(s->labels[1].str == NULL);
	CHECK_INT(s->labels[1].num, 4096);
	CHECK_STR(s->labels[1].num_unit, "bytes");
	CHECK_INT(p->samples[1].values[1], -10);
	CHECK_STR(p->samples[1].labels[0].key, "pid");
	CHECK_STR(p->samples[1].labels[0].num_unit, "");
	CHECK(p->samples[2].nlabels == 0 && p->samples[2].values[0] == 0);
}

/* The bytes pd_profile_write writes, or NULL. */
static unsigned char *
write_bytes(const struct pd_profile *p, size_t *len)
{
	char		 path[] = "/tmp/test-profile.XXXXXX", *cause;
	unsigned char	*buf = NULL;
	struct stat	 st;
	int		 fd;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(1);
	}
	unlink(path);
	if (pd_profile_write(p, fd, &cause) != 0) {
		fprintf(stderr, "FAIL: write: %s\n", cause);
		free(cause);
		failures++;
	} else if (fstat(fd, &st) == 0 && st.st_size > 0) {
		*len = st.st_size;
		buf = xmalloc(*len);
		if (pread(fd, buf, *len, 0) != (ssize_t)*len) {
			perror("pread");
			exit(1);
		}
	}
	close(fd);
	return (buf);
}

static void
test_roundtrip(void)
{
	struct pd_profile	*p, *q, *r;
	unsigned char		*plain, *gz, *gz2;
	size_t			 len, gzlen, gz2len;

	plain = rich_bytes(&len);
	if ((p = read_ok(plain, len)) == NULL)
		return;
	check_rich(p);
	gz = write_bytes(p, &gzlen);
	CHECK(gz != NULL && gz[0] == 0x1f && gz[1] == 0x8b);
	if (gz == NULL || (q = read_ok(gz, gzlen)) == NULL)
		return;
	check_rich(q);
	gz2 = write_bytes(q, &gz2len);
	CHECK(gz2 != NULL && gz2len == gzlen &&
	    memcmp(gz, gz2, gzlen) == 0);
	if ((r = gz2 != NULL ? read_ok(gz2, gz2len) : NULL) != NULL)
		check_rich(r);
	printf("round trip: %zu bytes of protobuf, %zu gzip, written twice "
	    "the same\n", len, gzlen);
	pd_profile_free(p);
	pd_profile_free(q);
	pd_profile_free(r);
	free(plain);
	free(gz);
	free(gz2);
}

static void
test_read_file(void)
{
	struct pd_profile	*p;
	char			 path[] = "/tmp/test-profile.XXXXXX", *cause;
	unsigned char		*buf, big[10000];
	size_t			 len;
	int			 fd;

	buf = rich_bytes(&len);
	if ((fd = mkstemp(path)) == -1 || write(fd, buf, len) != (ssize_t)len)
		fatal("%s", path);
	close(fd);
	CHECK(pd_profile_read_file(path, 0, &p, &cause) == 0);
	if (p != NULL)
		check_rich(p);
	pd_profile_free(p);
	/* A cap the file passes, named with the file. */
	CHECK(pd_profile_read_file(path, 64, &p, &cause) == -1 && p == NULL);
	if (p == NULL) {
		CHECK(strncmp(cause, path, strlen(path)) == 0);
		CHECK(strstr(cause, ": size passes the 64 bytes cap") != NULL);
		printf("%s\n", cause);
		free(cause);
	}
	/* A file the cap cannot hold even compressed is not read whole. */
	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1)
		fatal("%s", path);
	memset(big, 'x', sizeof big);
	CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big);
	close(fd);
	CHECK(pd_profile_read_file(path, 16, &p, &cause) == -1);
	CHECK(strstr(cause, ": the file's size passes the 16 bytes cap") !=
	    NULL);
	free(cause);
	unlink(path);
	CHECK(pd_profile_read_file(path, 0, &p, &cause) == -1);
	CHECK(strstr(cause, "No such file or directory") != NULL);
	free(cause);
	CHECK(pd_profile_read_file("/", 0, &p, &cause) == -1);
	CHECK_STR(cause, "/: Is a directory");
	free(cause);
	free(buf);
}

static void
set_string0(struct spec *s) { s->string0 = "x"; }
static void
no_types(struct spec *s) { s->ntypes = 0; }
static void
zero_mapping_id(struct spec *s) { s->mapping_ids[0] = 0; s->location_mapping = 0; }
static void
empty_mapping(struct spec *s) { s->empty_mapping = 1; }
static void
same_mapping_ids(struct spec *s) { s->nmappings = 2; s->mapping_ids[1] = 1; }
static void
same_function_ids(struct spec *s) { s->nfunctions = 2; s->function_ids[1] = 1; }
static void
same_location_ids(struct spec *s) { s->nlocations = 2; s->location_ids[1] = 1; }
static void
zero_location_id(struct spec *s) { s->location_ids[0] = 0; }
static void
missing_mapping(struct spec *s) { s->location_mapping = 9; }
static void
missing_function(struct spec *s) { s->line_function = 9; }
static void
missing_location(struct spec *s) { s->sample_location = 9; }
static void
one_value(struct spec *s) { s->nvalues = 1; }
static void
three_values(struct spec *s) { s->nvalues = 3; }
static void
empty_sample(struct spec *s) { s->empty_sample = 1; }
static void
bad_file_string(struct spec *s) { s->mapping_file = 99; }
static void
negative_string(struct spec *s) { s->mapping_file = (uint64_t)-1; }
static void
bad_label_key(struct spec *s) { s->label_key = 9; }
static void
bad_drop_frames(struct spec *s) { s->drop_frames = 1000; }
static void
fixed_values(struct spec *s) { s->values_as_fixed = 1; }

static const struct {
	void		(*make)(struct spec *);
	const char	*error;
} broken[] = {
	{ set_string0, "the profile has a string_table[0] of 1 byte; it "
	    "must be \"\"" },
	{ no_types, "the profile has no sample types" },
	{ zero_mapping_id, "mapping 0 has id 0" },
	{ empty_mapping, "mapping 1 has id 0" },
	{ same_mapping_ids, "the profile has mappings 0 and 1 of the same "
	    "id 1" },
	{ same_function_ids, "the profile has functions 0 and 1 of the same "
	    "id 1" },
	{ same_location_ids, "the profile has locations 0 and 1 of the same "
	    "id 1" },
	{ zero_location_id, "location 0 has id 0" },
	{ missing_mapping, "location 0 names mapping 9, which the profile "
	    "does not have" },
	{ missing_function, "location 0 has line 0 naming function 9, which "
	    "the profile does not have" },
	{ missing_location, "sample 0 names location 9, which the profile "
	    "does not have" },
	{ one_value, "sample 0 has 1 value; the profile has 2 sample types" },
	{ three_values, "sample 0 has 3 values; the profile has 2 sample "
	    "types" },
	{ empty_sample, "sample 1 has 0 values; the profile has 2 sample "
	    "types" },
	{ bad_file_string, "mapping 0 names string 99 as file name; the "
	    "profile has 9 strings" },
	{ negative_string, "mapping 0 names string -1 as file name; the "
	    "profile has 9 strings" },
	{ bad_label_key, "sample 0 names string 9 as a label key; the "
	    "profile has 9 strings" },
	{ bad_drop_frames, "the profile names string 1000 as drop_frames; "
	    "the profile has 9 strings" },
	{ fixed_values, "sample 0 has field 2 of wire type 5, not 2" },
};

static void
expect_error(const void *buf, size_t len, size_t max, const char *want)
{
	struct pd_profile	*p;
	char			*cause = NULL;
	unsigned char		*copy;

	/* A copy of its own size, for valgrind and ASan to watch. */
	copy = xmalloc(len + 1);
	memcpy(copy, buf, len);
	if (pd_profile_read(copy, len, max, &p, &cause) == 0) {
		fprintf(stderr, "FAIL: read, want \"%s\"\n", want);
		failures++;
		pd_profile_free(p);
	} else {
		CHECK(p == NULL);
		CHECK_STR(cause, want);
		printf("refused: %s\n", cause);
	}
	free(cause);
	free(copy);
}

static void
test_validation(void)
{
	struct pd_profile	*p;
	struct spec		 s;
	struct pb		 b;
	size_t			 i;

	spec_write(&spec_good, &b);
	if ((p = read_ok(b.buf, b.len)) != NULL) {
		CHECK_INT(p->nsamples, 1);
		CHECK_STR(p->samples[0].locations[0]->lines[0].function->name,
		    "main");
		CHECK_STR(p->samples[0].labels[0].str, "worker");
		CHECK_INT(p->samples[0].values[1], 20);
		pd_profile_free(p);
	}
	free(b.buf);

	for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		s = spec_good;
		broken[i].make(&s);
		spec_write(&s, &b);
		expect_error(b.buf, b.len, 0, broken[i].error);
		free(b.buf);
	}

	expect_error("", 0, 0, "the profile is empty");
	expect_error("\x12\x00", 2, 0, "the profile has no string table");
	expect_error("\x32\x00\x10\x01", 4, 0, "the profile has field 2 of "
	    "wire type 0, not 2");
	expect_error("\x32\x00\x0b", 3, 0, "the profile has field 1 at byte "
	    "2 of wire type 3");
	expect_error("\x32\x00\x02\x01", 4, 0, "the profile has field number "
	    "0 at byte 2");
	expect_error("\x32\x00\x48\xff\xff", 5, 0, "the profile has a "
	    "truncated number at byte 3");
	expect_error("\x32\x00\x48\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\x01", 14, 0, "the profile has a number longer than 10 bytes at "
	    "byte 3");
	expect_error("\x32\x00\x32\x05zz", 6, 0, "the profile has field 6 at "
	    "byte 2 of 5 bytes, past its end");
	expect_error("\x32\x00\x32\x05zzzzz", 8, 4, "size passes the 4 bytes "
	    "cap");
	expect_error("\x1f\x8b\x08\x00", 4, 0, "truncated gzip data");
	expect_error("\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03", 10, 0,
	    "corrupt gzip data: unknown compression method");
}

/* The gzip of buf, by zlib. */
static unsigned char *
gzip_bytes(const void *buf, size_t len, size_t *outlen)
{
	z_stream	 z;
	unsigned char	*out;
	size_t		 cap = len + 1024;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2");
	out = xmalloc(cap);
	z.next_in = (unsigned char *)buf;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		fatalx("deflate");
	*outlen = z.total_out;
	deflateEnd(&z);
	return (out);
}

static void
test_gzip_edges(void)
{
	struct pd_profile	*p;
	unsigned char		*plain, *gz, *two;
	size_t			 len, gzlen;
	char			*cause;

	plain = rich_bytes(&len);
	gz = gzip_bytes(plain, len, &gzlen);
	two = xmalloc(2 * gzlen);
	memcpy(two, gz, gzlen);
	memcpy(two + gzlen, gz, gzlen);
	CHECK(pd_profile_read(two, 2 * gzlen, 0, &p, &cause) == -1);
	CHECK(strstr(cause, "bytes follow the gzip data") != NULL);
	free(cause);
	/* A cap the data fills exactly is no error; one byte less is. */
	CHECK(pd_profile_read(gz, gzlen, len, &p, &cause) == 0);
	pd_profile_free(p);
	CHECK(pd_profile_read(gz, gzlen, len - 1, &p, &cause) == -1);
	CHECK(strstr(cause, "decompressed size passes the") != NULL);
	free(cause);
	gz[gzlen - 4] ^= 1;
	CHECK(pd_profile_read(gz, gzlen, 0, &p, &cause) == -1);
	CHECK_STR(cause, "corrupt gzip data: incorrect length check");
	free(cause);
	free(two);
	free(plain);
	free(gz);
}

/* What every profile reader does with a profile that reads. */
static void
use_profile(const struct pd_profile *p)
{
	const struct pd_profile	*both[2] = { p, p };
	struct pd_profile	*q;
	const char		*tags[] = { "thread=worker" };
	char			*cause;
	size_t			 len;
	unsigned char		*buf;

	check_model(p);
	if ((buf = write_bytes(p, &len)) != NULL) {
		if ((q = read_ok(buf, len)) != NULL) {
			CHECK_INT(q->nsamples, p->nsamples);
			pd_profile_free(q);
		}
		free(buf);
	}
	if (pd_profile_merge(both, 2, &q, &cause) == 0) {
		check_model(q);
		pd_profile_free(q);
	} else
		free(cause);
	CHECK(pd_profile_filter(p, tags, 1, &q, &cause) == 0);
	check_model(q);
	pd_profile_free(q);
	CHECK(pd_profile_sample_index(p, NULL) >= 0);
}

/* Read a hostile copy of len bytes; 1 if it read. */
static int
mangled(const unsigned char *buf, size_t len)
{
	struct pd_profile	*p;
	unsigned char		*copy = xmalloc(len + 1);
	char			*cause;
	int			 ok;

	memcpy(copy, buf, len);
	if ((ok = pd_profile_read(copy, len, 0, &p, &cause) == 0)) {
		use_profile(p);
		pd_profile_free(p);
	} else {
		CHECK(p == NULL && cause != NULL && *cause != '\0');
		free(cause);
	}
	free(copy);
	return (ok);
}

static void
test_hostile(void)
{
	unsigned char	*plain, *gz, *copy;
	size_t		 len, gzlen, i, cut, read[2] = { 0, 0 };
	int		 bit;

	plain = rich_bytes(&len);
	gz = gzip_bytes(plain, len, &gzlen);
	for (cut = 0; cut < len; cut++)
		read[0] += mangled(plain, cut);
	for (cut = 0; cut < gzlen; cut++)
		CHECK(!mangled(gz, cut));
	printf("truncations: %zu of %zu of the protobuf read, none of %zu of "
	    "the gzip\n", read[0], len, gzlen);

	copy = xmalloc(len);
	read[0] = 0;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, plain, len);
			copy[i] ^= 1 << bit;
			read[0] += mangled(copy, len);
		}
	}
	free(copy);
	copy = xmalloc(gzlen);
	for (i = 0; i < gzlen; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, gz, gzlen);
			copy[i] ^= 1 << bit;
			read[1] += mangled(copy, gzlen);
		}
	}
	printf("flipped bits: %zu of %zu in the protobuf read, %zu of %zu in "
	    "the gzip\n", read[0], 8 * len, read[1], 8 * gzlen);
	free(copy);
	free(plain);
	free(gz);
}

/*
 * A gzip of mib MiB of zeros, made fast: deflate one MiB with a full
 * flush, which forgets what came before, and repeat those bytes.
 */
static unsigned char *
bomb_make(size_t mib, size_t *len)
{
	static const unsigned char header[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3
	};
	unsigned char	*zero, *block, *out;
	z_stream	 z;
	size_t		 blen, i, n;
	uLong		 crc, crc1;

	zero = xcalloc(1, 1 << 20);
	block = xmalloc(1 << 20);
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2");
	z.next_in = zero;
	z.avail_in = 1 << 20;
	z.next_out = block;
	z.avail_out = 1 << 20;
	if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in != 0)
		fatalx("deflate");
	blen = (1 << 20) - z.avail_out;
	out = xmalloc(sizeof header + mib * blen + 64);
	memcpy(out, header, sizeof header);
	n = sizeof header;
	crc1 = crc32(0, zero, 1 << 20);
	for (i = 0, crc = 0; i < mib; i++) {
		memcpy(out + n, block, blen);
		n += blen;
		crc = i == 0 ? crc1 : crc32_combine(crc, crc1, 1 << 20);
	}
	z.next_out = out + n;
	z.avail_out = 64;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		fatalx("deflate");
	n = z.next_out - out;
	for (i = 0; i < 4; i++)
		out[n++] = crc >> (8 * i);
	for (i = 0; i < 4; i++)
		out[n++] = (mib << 20) >> (8 * i);
	deflateEnd(&z);
	free(zero);
	free(block);
	*len = n;
	return (out);
}

/* About 100 bytes that say a sample of 2^31 bytes follows. */
static unsigned char *
huge_make(size_t *len)
{
	struct pb	 b, m;

	memset(&b, 0, sizeof b);
	memset(&m, 0, sizeof m);
	pb_str(&b, 6, "");
	pb_str(&b, 6, "samples");
	pb_str(&b, 6, "count");
	pb_int(&m, 1, 1);
	pb_int(&m, 2, 2);
	pb_msg(&b, 1, &m);
	pb_varint(&b, 2 << 3 | 2);
	pb_varint(&b, UINT64_C(1) << 31);
	while (b.len < 100)
		pb_byte(&b, 0x08);
	*len = b.len;
	return (b.buf);
}

static void
test_bombs(void)
{
	unsigned char	*buf;
	size_t		 len;
	struct pb	 b, m;

	buf = bomb_make(1024, &len);
	printf("gzip bomb: %zu bytes for 1 GiB\n", len);
	expect_error(buf, len, 1 << 20, "decompressed size passes the 1 MiB "
	    "cap");
	free(buf);
	buf = huge_make(&len);
	expect_error(buf, len, 0, "the profile has field 2 at byte 24 of "
	    "2147483648 bytes, past its end");
	free(buf);

	/* The same, one level down: location ids of 2^31 bytes. */
	memset(&b, 0, sizeof b);
	memset(&m, 0, sizeof m);
	pb_str(&b, 6, "");
	pb_varint(&m, 1 << 3 | 2);
	pb_varint(&m, UINT64_C(1) << 31);
	pb_int(&m, 2, 1);
	pb_msg(&b, 2, &m);
	expect_error(b.buf, b.len, 0, "sample 0 has field 1 at byte 4 of "
	    "2147483648 bytes, past its end");
	free(b.buf);
}

/* n copies of an element: what its worst case costs per byte. */
static void
ratio_check(const char *what, const unsigned char *elem, size_t elen,
    unsigned int field, size_t n)
{
	struct decoder	 d;
	struct pb	 b;
	size_t		 i, model, all;
	char		*cause = NULL;

	memset(&b, 0, sizeof b);
	pb_str(&b, 6, "");
	for (i = 0; i < n; i++)
		pb_bytes(&b, field, elem, elen);
	memset(&d, 0, sizeof d);
	d.base = b.buf;
	d.end = b.buf + b.len;
	d.cause = &cause;
	CHECK(decode_pass(&d, count_field) == 0);
	all = profile_size(&d.n, &model);
	printf("%s: %.2f bytes a byte\n", what,
	    (double)(all - sizeof(struct pd_profile)) / b.len);
	CHECK(all <= PROFILE_RATIO * b.len + sizeof(struct pd_profile));
	free(cause);
	free(b.buf);
}

static void
test_ratio(void)
{
	static const unsigned char id[] = { 0x08, 0x01 };
	static const unsigned char value[] = { 0x10, 0x01 };
	static unsigned char packed[1000], labels[1000], lines[1000];
	size_t	 i;

	ratio_check("mappings", id, sizeof id, 3, 1000);
	ratio_check("locations", id, sizeof id, 4, 1000);
	ratio_check("functions", id, sizeof id, 5, 1000);
	ratio_check("samples", value, sizeof value, 2, 1000);
	ratio_check("sample types", NULL, 0, 1, 1000);
	ratio_check("strings", NULL, 0, 6, 1000);
	/* One sample of many location ids; one of many empty labels. */
	packed[0] = 0x0a;
	packed[1] = 0x80 | (900 & 0x7f);
	packed[2] = 900 >> 7;
	for (i = 3; i < 3 + 900; i++)
		packed[i] = 1;
	ratio_check("location ids", packed, 3 + 900, 2, 1);
	for (i = 0; i + 1 < sizeof labels; i += 2) {
		labels[i] = 0x1a;
		labels[i + 1] = 0;
	}
	ratio_check("labels", labels, sizeof labels, 2, 1);
	lines[0] = 0x08;
	lines[1] = 1;
	for (i = 2; i + 1 < sizeof lines; i += 2) {
		lines[i] = 0x22;
		lines[i + 1] = 0;
	}
	ratio_check("lines", lines, sizeof lines, 4, 1);
}

static void
test_merge(void)
{
	struct pd_profile	*a, *b, *m, *w;
	const struct pd_profile	*both[2];
	struct pprof		*pp;
	unsigned char		*buf;
	size_t			 len;
	char			*cause;
	struct spec		 s;
	struct pb		 wb;

	buf = rich_bytes(&len);
	a = read_ok(buf, len);
	free(buf);
	pp = rich_pprof(TEST_TIME + 5000000000LL, 50000000);
	buf = pprof_pack(pp, &len);
	pprof_free(pp);
	b = read_ok(buf, len);
	free(buf);
	if (a == NULL || b == NULL)
		return;
	both[0] = b;
	both[1] = a;
	CHECK(pd_profile_merge(both, 2, &m, &cause) == 0);
	check_model(m);
	CHECK_INT(m->time_nanos, TEST_TIME);
	CHECK_INT(m->duration_nanos, TEST_DURATION + 5000000000LL);
	CHECK_INT(m->nsamples, 3);
	CHECK_INT(m->nlocations, 4);
	CHECK_INT(m->nmappings, 2);
	CHECK_INT(m->nfunctions, 3);
	CHECK_INT(m->ncomments, 2);
	CHECK_INT(m->samples[0].values[0], 6);
	CHECK_INT(m->samples[0].values[1], 80000000);
	CHECK_INT(m->samples[1].values[1], -20);
	CHECK_STR(m->samples[0].labels[0].key, "bytes");
	CHECK_STR(m->samples[0].locations[1]->lines[0].function->name,
	    "main");
	pd_profile_free(m);

	/* Other types: both lists named. */
	s = spec_good;
	s.ntypes = s.nvalues = 1;
	spec_write(&s, &wb);
	w = read_ok(wb.buf, wb.len);
	free(wb.buf);
	both[1] = w;
	CHECK(pd_profile_merge(both, 2, &m, &cause) == -1 && m == NULL);
	CHECK_STR(cause, "profile 1 has sample types [samples/count], "
	    "profile 0 [samples/count cpu/nanoseconds]");
	free(cause);
	CHECK(pd_profile_merge(both, 0, &m, &cause) == -1);
	CHECK_STR(cause, "no profiles to merge");
	free(cause);
	pd_profile_free(w);
	pd_profile_free(a);
	pd_profile_free(b);
}

static void
test_filter(void)
{
	struct pd_profile	*p, *f;
	const char		*worker[] = { "thread=worker" };
	const char		*pid[] = { "pid=42" };
	const char		*both[] = { "thread=worker", "pid=42" };
	const char		*bad[] = { "pid" };
	unsigned char		*buf;
	size_t			 len;
	char			*cause;

	buf = rich_bytes(&len);
	p = read_ok(buf, len);
	free(buf);
	if (p == NULL)
		return;
	CHECK(pd_profile_filter(p, worker, 1, &f, &cause) == 0);
	CHECK_INT(f->nsamples, 1);
	CHECK_INT(f->samples[0].values[1], 30000000);
	CHECK_INT(f->nlocations, 4);
	pd_profile_free(f);
	CHECK(pd_profile_filter(p, pid, 1, &f, &cause) == 0);
	CHECK_INT(f->nsamples, 1);
	CHECK_INT(f->samples[0].values[1], -10);
	pd_profile_free(f);
	CHECK(pd_profile_filter(p, both, 2, &f, &cause) == 0);
	CHECK_INT(f->nsamples, 0);
	pd_profile_free(f);
	CHECK(pd_profile_filter(p, NULL, 0, &f, &cause) == 0);
	CHECK_INT(f->nsamples, 3);
	pd_profile_free(f);
	CHECK(pd_profile_filter(p, bad, 1, &f, &cause) == -1 && f == NULL);
	CHECK_STR(cause, "\"pid\" is not KEY=VALUE");
	free(cause);

	CHECK_INT(pd_profile_sample_index(p, "cpu"), 1);
	CHECK_INT(pd_profile_sample_index(p, "samples"), 0);
	CHECK_INT(pd_profile_sample_index(p, NULL), 0);
	CHECK_INT(pd_profile_sample_index(p, "wall"), -1);
	pd_profile_free(p);
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static void
file_write(const char *path, const void *buf, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0)
		fatal("%s", path);
}

/*
 * For run-cli-corrupt.sh, in dir: the small profile good.pb, each broken
 * one of the table above as broken-N.pb (ids and string indexes out of
 * range, counts that do not add up) and huge.pb.
 */
static int
crafted_write(const char *dir)
{
	struct spec	 s;
	struct pb	 b;
	unsigned char	*buf;
	size_t		 i, len;
	char		 path[4096];

	spec_write(&spec_good, &b);
	snprintf(path, sizeof path, "%s/good.pb", dir);
	file_write(path, b.buf, b.len);
	free(b.buf);
	for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		s = spec_good;
		broken[i].make(&s);
		spec_write(&s, &b);
		snprintf(path, sizeof path, "%s/broken-%02zu.pb", dir, i);
		file_write(path, b.buf, b.len);
		free(b.buf);
	}
	buf = huge_make(&len);
	snprintf(path, sizeof path, "%s/huge.pb", dir);
	file_write(path, buf, len);
	free(buf);
	return (0);
}

/* The modes run-profile-hostile.sh and run-cli-corrupt.sh run. */
static int
hostile_mode(const char *mode, const char *path)
{
	struct pd_profile	*p;
	unsigned char		*buf;
	size_t			 len;
	char			*cause;
	double			 t0;

	if (strcmp(mode, "read") == 0) {
		t0 = now_ms();
		if (pd_profile_read_file(path, 0, &p, &cause) == 0) {
			printf("read %zu samples in %.0f ms\n", p->nsamples,
			    now_ms() - t0);
			pd_profile_free(p);
			return (0);
		}
		printf("error in %.0f ms: %s\n", now_ms() - t0, cause);
		free(cause);
		return (1);
	}
	if (strcmp(mode, "crafted") == 0)
		return (crafted_write(path));
	if (strcmp(mode, "bomb") == 0)
		buf = bomb_make(1024, &len);
	else if (strcmp(mode, "huge") == 0)
		buf = huge_make(&len);
	else {
		fprintf(stderr, "usage: test-profile [read|bomb|huge FILE] "
		    "[crafted DIR]\n");
		return (2);
	}
	file_write(path, buf, len);
	free(buf);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc == 3)
		return (hostile_mode(argv[1], argv[2]));
	if (argc != 1)
		return (hostile_mode("", ""));
	test_roundtrip();
	test_read_file();
	test_validation();
	test_gzip_edges();
	test_merge();
	test_filter();
	test_ratio();
	test_bombs();
	test_hostile();
	return (check_done("test-profile"));
}
