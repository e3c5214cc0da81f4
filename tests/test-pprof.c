/*
 * pprof.c unit test: build a profile, write it, read it back through zlib
 * and protobuf-c and check every field.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "libprofdrop.h"
#include "profile.pb-c.h"
#include "check.h"

#define CHECK_INT(a, b) do {						\
	int64_t	 a_ = (int64_t)(a), b_ = (int64_t)(b);			\
	CHECK(a_ == b_, "%s == %" PRId64 ", want %" PRId64, #a, a_, b_);	\
} while (0)

#define CHECK_STR(prof, idx, want) do {					\
	const char *s_ = test_string(prof, idx);			\
	CHECK(strcmp(s_, want) == 0, "%s is \"%s\", want \"%s\"", #idx,	\
	    s_, want);							\
} while (0)

#define TEST_TIME	INT64_C(1700000000123456789)
#define TEST_DURATION	INT64_C(10000000000)
#define TEST_PERIOD	INT64_C(10000000)

static const struct pprof_value_type test_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" }
};
static const struct pprof_value_type test_period_type = {
	"cpu", "nanoseconds"
};

static const char *
test_string(Perftools__Profiles__Profile *prof, int64_t idx)
{
	if (idx < 0 || (size_t)idx >= prof->n_string_table)
		return ("<out of range>");
	return (prof->string_table[idx]);
}

static Perftools__Profiles__Function *
test_function(Perftools__Profiles__Profile *prof, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < prof->n_function; i++) {
		if (prof->function[i]->id == id)
			return (prof->function[i]);
	}
	return (NULL);
}

static Perftools__Profiles__Location *
test_location(Perftools__Profiles__Profile *prof, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < prof->n_location; i++) {
		if (prof->location[i]->id == id)
			return (prof->location[i]);
	}
	return (NULL);
}

static Perftools__Profiles__Mapping *
test_mapping(Perftools__Profiles__Profile *prof, uint64_t id)
{
	size_t	 i;

	for (i = 0; i < prof->n_mapping; i++) {
		if (prof->mapping[i]->id == id)
			return (prof->mapping[i]);
	}
	return (NULL);
}

/* Write p to a temporary file and decode it again; NULL on failure. */
static Perftools__Profiles__Profile *
test_roundtrip(struct pprof *p, const char *keep)
{
	Perftools__Profiles__Profile	*prof;
	char				 path[] = "/tmp/test-pprof.XXXXXX";
	char				*cause = NULL;
	unsigned char			*in, *out;
	size_t				 inlen = 0, incap = 65536, outcap;
	ssize_t				 n;
	z_stream			 z;
	int				 fd, ret;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(1);
	}
	if (pprof_write(p, fd, &cause) != 0) {
		CHECK(0, "pprof_write: %s", cause);
		free(cause);
		close(fd);
		unlink(path);
		return (NULL);
	}
	CHECK(cause == NULL);

	in = xmalloc(incap);
	if (lseek(fd, 0, SEEK_SET) == -1) {
		perror("lseek");
		exit(1);
	}
	while ((n = read(fd, in + inlen, incap - inlen)) > 0) {
		inlen += n;
		if (inlen == incap)
			in = xreallocarray(in, incap *= 2, 1);
	}
	close(fd);
	if (keep != NULL)
		rename(path, keep);
	else
		unlink(path);
	CHECK(inlen > 2 && in[0] == 0x1f && in[1] == 0x8b);

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	outcap = 65536;
	out = xmalloc(outcap);
	z.next_in = in;
	z.avail_in = inlen;
	z.next_out = out;
	z.avail_out = outcap;
	while ((ret = inflate(&z, Z_NO_FLUSH)) == Z_OK) {
		if (z.avail_out == 0) {
			out = xreallocarray(out, outcap * 2, 1);
			z.next_out = out + outcap;
			z.avail_out = outcap;
			outcap *= 2;
		}
	}
	CHECK_INT(ret, Z_STREAM_END);
	CHECK_INT(z.avail_in, 0);
	prof = perftools__profiles__profile__unpack(NULL, z.total_out, out);
	CHECK(prof != NULL);
	inflateEnd(&z);
	free(in);
	free(out);
	return (prof);
}

static void
test_common(Perftools__Profiles__Profile *prof)
{
	size_t	 i, j;

	CHECK(prof->n_string_table > 0);
	CHECK_STR(prof, 0, "");
	for (i = 0; i < prof->n_string_table; i++) {
		for (j = i + 1; j < prof->n_string_table; j++)
			CHECK(strcmp(prof->string_table[i],
			    prof->string_table[j]) != 0);
	}

	CHECK_INT(prof->n_sample_type, 2);
	if (prof->n_sample_type == 2) {
		CHECK_STR(prof, prof->sample_type[0]->type, "samples");
		CHECK_STR(prof, prof->sample_type[0]->unit, "count");
		CHECK_STR(prof, prof->sample_type[1]->type, "cpu");
		CHECK_STR(prof, prof->sample_type[1]->unit, "nanoseconds");
	}
	CHECK_STR(prof, prof->default_sample_type, "cpu");
	CHECK(prof->period_type != NULL);
	if (prof->period_type != NULL) {
		CHECK_STR(prof, prof->period_type->type, "cpu");
		CHECK_STR(prof, prof->period_type->unit, "nanoseconds");
	}
	CHECK_INT(prof->period, TEST_PERIOD);
	CHECK_INT(prof->time_nanos, TEST_TIME);
	CHECK_INT(prof->duration_nanos, TEST_DURATION);
	CHECK_INT(prof->keep_frames, 0);
	CHECK_INT(prof->doc_url, 0);

	for (i = 0; i < prof->n_mapping; i++) {
		CHECK(prof->mapping[i]->id != 0);
		for (j = i + 1; j < prof->n_mapping; j++)
			CHECK(prof->mapping[i]->id != prof->mapping[j]->id);
	}
	for (i = 0; i < prof->n_location; i++) {
		CHECK(prof->location[i]->id != 0);
		for (j = i + 1; j < prof->n_location; j++)
			CHECK(prof->location[i]->id != prof->location[j]->id);
		if (prof->location[i]->mapping_id != 0)
			CHECK(test_mapping(prof,
			    prof->location[i]->mapping_id) != NULL);
		for (j = 0; j < prof->location[i]->n_line; j++)
			CHECK(test_function(prof,
			    prof->location[i]->line[j]->function_id) != NULL);
	}
	for (i = 0; i < prof->n_function; i++) {
		CHECK(prof->function[i]->id != 0);
		for (j = i + 1; j < prof->n_function; j++)
			CHECK(prof->function[i]->id != prof->function[j]->id);
	}
	for (i = 0; i < prof->n_sample; i++) {
		CHECK_INT(prof->sample[i]->n_value, 2);
		for (j = 0; j < prof->sample[i]->n_location_id; j++)
			CHECK(test_location(prof,
			    prof->sample[i]->location_id[j]) != NULL);
	}
}

static void
test_line(Perftools__Profiles__Profile *prof, Perftools__Profiles__Line *line,
    const char *name, const char *system_name, const char *file,
    int64_t start_line, int64_t lineno)
{
	Perftools__Profiles__Function	*f;

	CHECK_INT(line->line, lineno);
	CHECK_INT(line->column, 0);
	f = test_function(prof, line->function_id);
	CHECK(f != NULL, "no function %" PRIu64, line->function_id);
	if (f == NULL)
		return;
	CHECK_STR(prof, f->name, name);
	CHECK_STR(prof, f->system_name, system_name);
	CHECK_STR(prof, f->filename, file);
	CHECK_INT(f->start_line, start_line);
}

static void
test_label(Perftools__Profiles__Profile *prof, Perftools__Profiles__Label *l,
    const char *key, const char *str, int64_t num, const char *num_unit)
{
	CHECK_STR(prof, l->key, key);
	CHECK_STR(prof, l->str, str);
	CHECK_INT(l->num, num);
	CHECK_STR(prof, l->num_unit, num_unit);
}

static void
test_profile(void)
{
	Perftools__Profiles__Profile	*prof;
	Perftools__Profiles__Mapping	*m;
	Perftools__Profiles__Location	*loc;
	Perftools__Profiles__Sample	*s;
	struct pprof			*p;
	struct symbol_line		 sl[2];
	struct pprof_label		 labels[2];
	char				 buf[64], *cause = NULL;
	uint64_t			 m1, m2, m3;
	uint64_t			 l1, l2, l3, l4, l5, l6, l7;
	uint64_t			 stack[3];
	int64_t				 values[2];
	int				 fd;

	p = pprof_new(test_types, 2, &test_period_type, TEST_PERIOD,
	    TEST_TIME, TEST_DURATION);

	/* Every string goes through buf to prove pprof copies it. */
	strcpy(buf, "/usr/bin/app");
	m1 = pprof_add_mapping(p, 0x400000, 0x500000, 0x1000, buf,
	    "0123456789abcdef0123456789abcdef01234567", PPROF_HAS_FUNCTIONS |
	    PPROF_HAS_LINE_NUMBERS | PPROF_HAS_INLINE_FRAMES);
	memset(buf, 'x', sizeof buf - 1);
	m2 = pprof_add_mapping(p, 0x7f0000000000ULL, 0x7f0000200000ULL, 0x28000,
	    "/lib/x86_64-linux-gnu/libc.so.6", NULL,
	    PPROF_HAS_FUNCTIONS | PPROF_HAS_FILENAMES);
	/* Each flag has its own pattern over m1, m2, m3. */
	m3 = pprof_add_mapping(p, 0x7fff00000000ULL, 0x7fff00002000ULL, 0,
	    "[vdso]", NULL, PPROF_HAS_INLINE_FRAMES);
	CHECK(m1 != 0 && m2 != 0 && m3 != 0);

	memset(sl, 0, sizeof sl);
	strcpy(buf, "helper");
	sl[0].function = buf;
	sl[0].system_name = "_ZL6helperv";
	sl[0].file = "app.c";
	sl[0].line = 10;
	sl[0].start_line = 8;
	sl[1].function = "main";
	sl[1].file = "app.c";
	sl[1].line = 42;
	sl[1].start_line = 40;
	l1 = pprof_add_location(p, m1, 0x401234, sl, 2);
	memset(buf, 'x', sizeof buf - 1);

	sl[0] = sl[1];
	sl[0].line = 45;
	l2 = pprof_add_location(p, m1, 0x401300, sl, 1);

	memset(sl, 0, sizeof sl);
	sl[0].function = "__libc_start_main";
	sl[0].system_name = "__libc_start_main_impl";
	l3 = pprof_add_location(p, m2, 0x7f0000029d90ULL, sl, 1);

	l4 = pprof_add_location(p, 0, 0xffffffff81000010ULL, NULL, 0);

	memset(sl, 0, sizeof sl);
	sl[0].file = "unknown.c";
	l5 = pprof_add_location(p, m2, 0x7f0000030000ULL, sl, 1);

	memset(sl, 0, sizeof sl);
	sl[0].function = "main";
	sl[0].system_name = "main";
	sl[0].file = "app.c";
	sl[0].line = 50;
	sl[0].start_line = 40;
	l6 = pprof_add_location(p, m1, 0x401400, sl, 1);

	sl[0].system_name = NULL;
	sl[0].file = "other.c";
	sl[0].line = 5;
	sl[0].start_line = 3;
	l7 = pprof_add_location(p, m1, 0x401500, sl, 1);

	CHECK(l1 != 0 && l2 != 0 && l3 != 0 && l4 != 0 && l5 != 0 &&
	    l6 != 0 && l7 != 0);

	stack[0] = l1;
	stack[1] = l2;
	stack[2] = l3;
	values[0] = 3;
	values[1] = 30000000;
	strcpy(buf, "thread_name");
	labels[0].key = buf;
	labels[0].str = "worker-1";
	labels[0].num = 99;
	labels[0].num_unit = "ignored";
	labels[1].key = "pid";
	labels[1].str = NULL;
	labels[1].num = 1234;
	labels[1].num_unit = NULL;
	pprof_add_sample(p, stack, 3, values, labels, 2);
	memset(buf, 'x', sizeof buf - 1);
	memset(stack, 0, sizeof stack);
	memset(values, 0, sizeof values);

	stack[0] = l4;
	values[0] = 1;
	values[1] = 10000000;
	labels[0].key = "bytes";
	labels[0].str = NULL;
	labels[0].num = -4096;
	labels[0].num_unit = "bytes";
	pprof_add_sample(p, stack, 1, values, labels, 1);

	stack[0] = l6;
	stack[1] = l7;
	stack[2] = l5;
	values[0] = 2;
	values[1] = 20000000;
	pprof_add_sample(p, stack, 3, values, NULL, 0);

	pprof_add_sample(p, NULL, 0, values, NULL, 0);

	strcpy(buf, "profdrop test");
	pprof_add_comment(p, buf);
	memset(buf, 'x', sizeof buf - 1);
	pprof_add_comment(p, "second comment");
	pprof_set_drop_frames(p, "runtime\\..*");

	/* A failed write first: it must leave the profile intact. */
	if ((fd = open("/dev/full", O_WRONLY)) != -1) {
		errno = 0;
		CHECK_INT(pprof_write(p, fd, &cause), -1);
		CHECK_INT(errno, ENOSPC);
		CHECK(cause != NULL && strstr(cause, strerror(ENOSPC)) != NULL);
		free(cause);
		cause = NULL;
		close(fd);
	}
	if ((fd = open("/dev/null", O_WRONLY)) == -1) {
		perror("/dev/null");
		exit(1);
	}
	close(fd);
	errno = 0;
	CHECK_INT(pprof_write(p, fd, &cause), -1);
	CHECK_INT(errno, EBADF);
	CHECK(cause != NULL && strstr(cause, strerror(EBADF)) != NULL);
	free(cause);

	prof = test_roundtrip(p, getenv("TEST_PPROF_KEEP"));
	pprof_free(p);
	if (prof == NULL)
		return;
	test_common(prof);

	CHECK_INT(prof->n_mapping, 3);
	if ((m = test_mapping(prof, m1)) != NULL) {
		CHECK_INT(m->memory_start, 0x400000);
		CHECK_INT(m->memory_limit, 0x500000);
		CHECK_INT(m->file_offset, 0x1000);
		CHECK_STR(prof, m->filename, "/usr/bin/app");
		CHECK_STR(prof, m->build_id,
		    "0123456789abcdef0123456789abcdef01234567");
		CHECK(m->has_functions);
		CHECK(!m->has_filenames);
		CHECK(m->has_line_numbers);
		CHECK(m->has_inline_frames);
	} else
		CHECK(!"mapping m1 missing");
	if ((m = test_mapping(prof, m2)) != NULL) {
		CHECK_INT(m->memory_start, 0x7f0000000000ULL);
		CHECK_INT(m->memory_limit, 0x7f0000200000ULL);
		CHECK_INT(m->file_offset, 0x28000);
		CHECK_STR(prof, m->filename, "/lib/x86_64-linux-gnu/libc.so.6");
		CHECK_INT(m->build_id, 0);
		CHECK(m->has_functions);
		CHECK(m->has_filenames);
		CHECK(!m->has_line_numbers);
		CHECK(!m->has_inline_frames);
	} else
		CHECK(!"mapping m2 missing");
	if ((m = test_mapping(prof, m3)) != NULL) {
		CHECK_INT(m->memory_start, 0x7fff00000000ULL);
		CHECK_INT(m->memory_limit, 0x7fff00002000ULL);
		CHECK_INT(m->file_offset, 0);
		CHECK_STR(prof, m->filename, "[vdso]");
		CHECK_INT(m->build_id, 0);
		CHECK(!m->has_functions);
		CHECK(!m->has_filenames);
		CHECK(!m->has_line_numbers);
		CHECK(m->has_inline_frames);
	} else
		CHECK(!"mapping m3 missing");

	CHECK_INT(prof->n_location, 7);
	CHECK_INT(prof->n_function, 4);
	if ((loc = test_location(prof, l1)) != NULL) {
		CHECK_INT(loc->mapping_id, m1);
		CHECK_INT(loc->address, 0x401234);
		CHECK(!loc->is_folded);
		CHECK_INT(loc->n_line, 2);
		if (loc->n_line == 2) {
			test_line(prof, loc->line[0], "helper", "_ZL6helperv",
			    "app.c", 8, 10);
			test_line(prof, loc->line[1], "main", "main", "app.c",
			    40, 42);
		}
	} else
		CHECK(!"location l1 missing");
	if ((loc = test_location(prof, l2)) != NULL) {
		CHECK_INT(loc->mapping_id, m1);
		CHECK_INT(loc->address, 0x401300);
		CHECK_INT(loc->n_line, 1);
		if (loc->n_line == 1)
			test_line(prof, loc->line[0], "main", "main", "app.c",
			    40, 45);
	} else
		CHECK(!"location l2 missing");
	if ((loc = test_location(prof, l3)) != NULL) {
		CHECK_INT(loc->mapping_id, m2);
		CHECK_INT(loc->address, 0x7f0000029d90ULL);
		CHECK_INT(loc->n_line, 1);
		if (loc->n_line == 1)
			test_line(prof, loc->line[0], "__libc_start_main",
			    "__libc_start_main_impl", "", 0, 0);
	} else
		CHECK(!"location l3 missing");
	if ((loc = test_location(prof, l4)) != NULL) {
		CHECK_INT(loc->mapping_id, 0);
		CHECK_INT(loc->address, 0xffffffff81000010ULL);
		CHECK_INT(loc->n_line, 0);
	} else
		CHECK(!"location l4 missing");
	if ((loc = test_location(prof, l5)) != NULL) {
		CHECK_INT(loc->mapping_id, m2);
		CHECK_INT(loc->address, 0x7f0000030000ULL);
		CHECK_INT(loc->n_line, 0);
	} else
		CHECK(!"location l5 missing");
	if ((loc = test_location(prof, l6)) != NULL) {
		CHECK_INT(loc->mapping_id, m1);
		CHECK_INT(loc->n_line, 1);
		if (loc->n_line == 1)
			test_line(prof, loc->line[0], "main", "main", "app.c",
			    40, 50);
	} else
		CHECK(!"location l6 missing");
	if ((loc = test_location(prof, l7)) != NULL) {
		CHECK_INT(loc->mapping_id, m1);
		CHECK_INT(loc->n_line, 1);
		if (loc->n_line == 1)
			test_line(prof, loc->line[0], "main", "main", "other.c",
			    3, 5);
	} else
		CHECK(!"location l7 missing");
	/* One "main" in app.c, whether system_name was given or not. */
	loc = test_location(prof, l1);
	if (loc != NULL && loc->n_line == 2) {
		uint64_t main_id = loc->line[1]->function_id;

		if ((loc = test_location(prof, l2)) != NULL &&
		    loc->n_line == 1)
			CHECK_INT(loc->line[0]->function_id, main_id);
		if ((loc = test_location(prof, l6)) != NULL &&
		    loc->n_line == 1)
			CHECK_INT(loc->line[0]->function_id, main_id);
		if ((loc = test_location(prof, l7)) != NULL &&
		    loc->n_line == 1)
			CHECK(loc->line[0]->function_id != main_id);
	}

	CHECK_INT(prof->n_sample, 4);
	if (prof->n_sample == 4) {
		s = prof->sample[0];
		CHECK_INT(s->n_location_id, 3);
		if (s->n_location_id == 3) {
			CHECK_INT(s->location_id[0], l1);
			CHECK_INT(s->location_id[1], l2);
			CHECK_INT(s->location_id[2], l3);
		}
		CHECK_INT(s->n_value, 2);
		if (s->n_value == 2) {
			CHECK_INT(s->value[0], 3);
			CHECK_INT(s->value[1], 30000000);
		}
		CHECK_INT(s->n_label, 2);
		if (s->n_label == 2) {
			test_label(prof, s->label[0], "thread_name",
			    "worker-1", 0, "");
			test_label(prof, s->label[1], "pid", "", 1234, "");
		}

		s = prof->sample[1];
		CHECK_INT(s->n_location_id, 1);
		if (s->n_location_id == 1)
			CHECK_INT(s->location_id[0], l4);
		CHECK_INT(s->n_value, 2);
		if (s->n_value == 2) {
			CHECK_INT(s->value[0], 1);
			CHECK_INT(s->value[1], 10000000);
		}
		CHECK_INT(s->n_label, 1);
		if (s->n_label == 1)
			test_label(prof, s->label[0], "bytes", "", -4096,
			    "bytes");

		s = prof->sample[2];
		CHECK_INT(s->n_location_id, 3);
		if (s->n_location_id == 3) {
			CHECK_INT(s->location_id[0], l6);
			CHECK_INT(s->location_id[1], l7);
			CHECK_INT(s->location_id[2], l5);
		}
		CHECK_INT(s->n_value, 2);
		if (s->n_value == 2) {
			CHECK_INT(s->value[0], 2);
			CHECK_INT(s->value[1], 20000000);
		}
		CHECK_INT(s->n_label, 0);

		s = prof->sample[3];
		CHECK_INT(s->n_location_id, 0);
		CHECK_INT(s->n_label, 0);
	}

	CHECK_STR(prof, prof->drop_frames, "runtime\\..*");
	CHECK_INT(prof->n_comment, 2);
	if (prof->n_comment == 2) {
		CHECK_STR(prof, prof->comment[0], "profdrop test");
		CHECK_STR(prof, prof->comment[1], "second comment");
	}
	perftools__profiles__profile__free_unpacked(prof, NULL);
}

/* Enough data to outgrow every array and the deflate output buffer. */
static void
test_large(void)
{
	Perftools__Profiles__Profile	*prof;
	struct pprof			*p;
	struct symbol_line		 sl;
	struct pprof_label		 label;
	char				 name[32];
	uint64_t			 locs[64], stack[8], seed = 1;
	int64_t				 values[2], sum = 0, got = 0;
	size_t				 i, j;

	p = pprof_new(test_types, 2, &test_period_type, TEST_PERIOD,
	    TEST_TIME, TEST_DURATION);
	memset(&sl, 0, sizeof sl);
	sl.function = name;
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof name, "func%zu", i % 32);
		locs[i] = pprof_add_location(p, 0, 0x1000 + i, &sl, 1);
	}
	label.key = "tid";
	label.str = NULL;
	label.num_unit = NULL;
	for (i = 0; i < 50000; i++) {
		for (j = 0; j < 8; j++) {
			seed = seed * 6364136223846793005ULL + 1;
			stack[j] = locs[(seed >> 33) % 64];
		}
		values[0] = 1;
		values[1] = (int64_t)(seed >> 40);
		sum += values[1];
		label.num = (int64_t)i;
		pprof_add_sample(p, stack, 8, values, &label, 1);
	}
	prof = test_roundtrip(p, NULL);
	pprof_free(p);
	if (prof == NULL)
		return;
	test_common(prof);
	CHECK_INT(prof->n_location, 64);
	CHECK_INT(prof->n_function, 32);
	CHECK_INT(prof->n_sample, 50000);
	for (i = 0; i < prof->n_sample; i++) {
		CHECK_INT(prof->sample[i]->n_location_id, 8);
		CHECK_INT(prof->sample[i]->n_label, 1);
		if (prof->sample[i]->n_label == 1 &&
		    prof->sample[i]->label[0]->num != (int64_t)i) {
			CHECK_INT(prof->sample[i]->label[0]->num, i);
			break;
		}
		got += prof->sample[i]->value[1];
	}
	CHECK_INT(got, sum);
	perftools__profiles__profile__free_unpacked(prof, NULL);
}

int
main(void)
{
	test_profile();
	test_large();
	return (check_done("test-pprof"));
}
