/*
 * Decode a pprof protobuf into the profile model, trusting none of it.
 *
 * A first pass walks the whole message and counts every element, so that
 * the model is one allocation sized from what the bytes really hold (not
 * from what they claim). Later passes fill it in dependency order: the
 * string table, then what names only strings (sample types, mappings,
 * functions), then locations, then samples, each id resolved and each
 * index checked as it is read.
 */

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "libprofdrop.h"

/*
 * The model and the decoder's indexes take at most this many bytes per
 * byte of protobuf: the costliest element per byte is a mapping, 64 bytes,
 * an 8-byte index entry and as much again for qsort's scratch, from at
 * least 4 bytes of protobuf (a tag, a length and a nonzero id); see
 * profile_size() and test-profile.c.
 */
#define PROFILE_RATIO	20

#define NO_INDEX	SIZE_MAX	/* for what has no index */

#define WIRE_VARINT	0
#define WIRE_FIXED64	1
#define WIRE_BYTES	2
#define WIRE_FIXED32	5

/* One field of a message: a varint, or bytes (a string, a message). */
struct field {
	uint64_t		 number;
	int			 type;
	uint64_t		 value;
	const unsigned char	*data;
	size_t			 len;
};

/* The numbers of a repeated field, packed or one per field. */
struct numbers {
	const unsigned char	*pos;
	const unsigned char	*end;
	uint64_t		 single;
	int			 packed;
	int			 left;		/* the single one, unread */
};

struct counts {
	size_t	 types;
	size_t	 samples;
	size_t	 ids;		/* location ids of all samples */
	size_t	 values;
	size_t	 labels;
	size_t	 mappings;
	size_t	 locations;
	size_t	 lines;
	size_t	 functions;
	size_t	 comments;
	size_t	 strings;
	size_t	 text;		/* bytes of all strings */
};

/* Elements sorted by id, which each kind has as its first member. */
struct id_index {
	const uint64_t		**ids;
	size_t			  n;
};

struct decoder {
	const unsigned char	 *base;
	const unsigned char	 *end;
	char			**cause;
	const char		 *what;		/* the element being read */
	size_t			  index;

	struct counts		  n;		/* what the first pass found */
	struct counts		  done;		/* filled so far */
	size_t			  empty_sample;	/* first sample with no bytes */
	int			  has_empty_sample;

	struct pd_profile	 *p;
	struct pd_value_type	 *types;
	struct pd_sample	 *samples;
	const struct pd_location **ids;
	int64_t			 *values;
	struct pd_label		 *labels;
	struct pd_mapping	 *mappings;
	struct pd_location	 *locations;
	struct pd_line		 *lines;
	struct pd_function	 *functions;
	const char		**comments;
	char			 *text;
	const char		**strings;

	struct id_index		  mapping_index;
	struct id_index		  location_index;
	struct id_index		  function_index;
};

/* Say what is wrong, after what it is wrong with: "sample 3 has...". */
static int printflike(2, 3)
decode_error(struct decoder *d, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (d->what == NULL)
		xasprintf(d->cause, "the profile %s", msg);
	else if (d->index == NO_INDEX)
		xasprintf(d->cause, "%s %s", d->what, msg);
	else
		xasprintf(d->cause, "%s %zu %s", d->what, d->index, msg);
	free(msg);
	return (-1);
}

static int
wire_varint(struct decoder *d, const unsigned char **pos,
    const unsigned char *end, uint64_t *v)
{
	const unsigned char	*s = *pos;
	uint64_t		 x = 0;
	int			 shift;

	for (shift = 0; shift < 70; shift += 7) {
		if (s == end)
			return (decode_error(d, "has a truncated number at "
			    "byte %zu", (size_t)(*pos - d->base)));
		x |= (uint64_t)(*s & 0x7f) << shift;
		if ((*s++ & 0x80) == 0) {
			*pos = s;
			*v = x;
			return (0);
		}
	}
	return (decode_error(d, "has a number longer than 10 bytes at byte %zu",
	    (size_t)(*pos - d->base)));
}

/* The next field of the message that ends at end: 1, or 0 at its end. */
static int
wire_field(struct decoder *d, const unsigned char **pos,
    const unsigned char *end, struct field *f)
{
	const unsigned char	*at = *pos;
	uint64_t		 key, len;

	if (*pos == end)
		return (0);
	if (wire_varint(d, pos, end, &key) != 0)
		return (-1);
	f->number = key >> 3;
	f->type = key & 7;
	if (f->number == 0)
		return (decode_error(d, "has field number 0 at byte %zu",
		    (size_t)(at - d->base)));
	switch (f->type) {
	case WIRE_VARINT:
		return (wire_varint(d, pos, end, &f->value) == 0 ? 1 : -1);
	case WIRE_FIXED64:
	case WIRE_FIXED32:
		len = f->type == WIRE_FIXED64 ? 8 : 4;
		break;
	case WIRE_BYTES:
		if (wire_varint(d, pos, end, &len) != 0)
			return (-1);
		break;
	default:
		return (decode_error(d, "has field %" PRIu64 " at byte %zu of "
		    "wire type %d", f->number, (size_t)(at - d->base),
		    f->type));
	}
	if (len > (uint64_t)(end - *pos))
		return (decode_error(d, "has field %" PRIu64 " at byte %zu of %"
		    PRIu64 " bytes, past its end", f->number,
		    (size_t)(at - d->base), len));
	f->data = *pos;
	f->len = len;
	*pos += len;
	return (1);
}

static int
wire_want(struct decoder *d, const struct field *f, int type)
{
	if (f->type == type)
		return (0);
	return (decode_error(d, "has field %" PRIu64 " of wire type %d, not %d",
	    f->number, f->type, type));
}

static int
numbers_start(struct decoder *d, const struct field *f, struct numbers *nb)
{
	memset(nb, 0, sizeof *nb);
	if (f->type == WIRE_VARINT) {
		nb->single = f->value;
		nb->left = 1;
		return (0);
	}
	if (wire_want(d, f, WIRE_BYTES) != 0)
		return (-1);
	nb->packed = 1;
	nb->pos = f->data;
	nb->end = f->data + f->len;
	return (0);
}

/* The next number: 1, or 0 when there are no more. */
static int
numbers_next(struct decoder *d, struct numbers *nb, uint64_t *v)
{
	if (!nb->packed) {
		*v = nb->single;
		return (nb->left-- == 1);
	}
	if (nb->pos == nb->end)
		return (0);
	return (wire_varint(d, &nb->pos, nb->end, v) == 0 ? 1 : -1);
}

/* How many numbers a repeated field holds. */
static int
numbers_count(struct decoder *d, const struct field *f, size_t *n)
{
	struct numbers	 nb;
	uint64_t	 v;
	int		 rc;

	if (numbers_start(d, f, &nb) != 0)
		return (-1);
	while ((rc = numbers_next(d, &nb, &v)) == 1)
		(*n)++;
	return (rc);
}

/* Call fn on each field of the message [data, data + len). */
static int
decode_message(struct decoder *d, const unsigned char *data, size_t len,
    int (*fn)(struct decoder *, const struct field *, void *), void *arg)
{
	const unsigned char	*pos = data;
	struct field		 f;
	int			 rc;

	while ((rc = wire_field(d, &pos, data + len, &f)) == 1) {
		if (fn(d, &f, arg) != 0)
			return (-1);
	}
	return (rc);
}

static int
decode_string(struct decoder *d, uint64_t idx, const char **s,
    const char *name)
{
	if (idx >= d->n.strings)
		return (decode_error(d, "names string %" PRId64 " as %s; the "
		    "profile has %zu strings", (int64_t)idx, name,
		    d->n.strings));
	*s = d->strings[idx];
	return (0);
}

/* A varint field's value, or an error if the field is not a varint. */
static int
field_int(struct decoder *d, const struct field *f, uint64_t *v)
{
	if (wire_want(d, f, WIRE_VARINT) != 0)
		return (-1);
	*v = f->value;
	return (0);
}

static int
field_string(struct decoder *d, const struct field *f, const char **s,
    const char *name)
{
	uint64_t	 v;

	if (field_int(d, f, &v) != 0)
		return (-1);
	return (decode_string(d, v, s, name));
}

/* First pass: count. */

static int
count_sample_field(struct decoder *d, const struct field *f, void *arg)
{
	switch (f->number) {
	case 1:
		return (numbers_count(d, f, &d->n.ids));
	case 2:
		return (numbers_count(d, f, &d->n.values));
	case 3:
		d->n.labels++;
		return (wire_want(d, f, WIRE_BYTES));
	}
	return (0);
}

static int
count_location_field(struct decoder *d, const struct field *f, void *arg)
{
	if (f->number == 4) {
		d->n.lines++;
		return (wire_want(d, f, WIRE_BYTES));
	}
	return (0);
}

/* A mapping, location or function without 2 bytes has no id. */
static int
count_with_id(struct decoder *d, const struct field *f, const char *what,
    size_t *n)
{
	if (f->len < 2) {
		d->what = what;
		d->index = *n;
		return (decode_error(d, "has id 0"));
	}
	(*n)++;
	return (0);
}

static int
count_field(struct decoder *d, const struct field *f, void *arg)
{
	int	 rc = 0;

	switch (f->number) {
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
	case 6:
	case 11:
		if (wire_want(d, f, WIRE_BYTES) != 0)
			return (-1);
		break;
	case 13:
		return (numbers_count(d, f, &d->n.comments));
	default:
		return (0);
	}
	switch (f->number) {
	case 1:
		d->n.types++;
		break;
	case 2:
		/* No values: an error once the sample types are known. */
		if (f->len < 2 && !d->has_empty_sample) {
			d->empty_sample = d->n.samples;
			d->has_empty_sample = 1;
		}
		d->what = "sample";
		d->index = d->n.samples++;
		rc = decode_message(d, f->data, f->len, count_sample_field,
		    NULL);
		break;
	case 3:
		rc = count_with_id(d, f, "mapping", &d->n.mappings);
		break;
	case 4:
		if ((rc = count_with_id(d, f, "location",
		    &d->n.locations)) != 0)
			break;
		d->what = "location";
		d->index = d->n.locations - 1;
		rc = decode_message(d, f->data, f->len, count_location_field,
		    NULL);
		break;
	case 5:
		rc = count_with_id(d, f, "function", &d->n.functions);
		break;
	case 6:
		d->n.strings++;
		d->n.text += f->len;
		break;
	}
	d->what = NULL;
	return (rc);
}

/*
 * The bytes the model takes, and with the decoder's indexes and what
 * qsort may take to sort the largest, all it takes, from the counts.
 */
static size_t
profile_size(const struct counts *n, size_t *model)
{
	size_t	 sorted = n->mappings;

	if (n->locations > sorted)
		sorted = n->locations;
	if (n->functions > sorted)
		sorted = n->functions;
	*model = sizeof(struct pd_profile) +
	    n->types * sizeof(struct pd_value_type) +
	    n->samples * sizeof(struct pd_sample) +
	    n->ids * sizeof(struct pd_location *) +
	    n->values * sizeof(int64_t) +
	    n->labels * sizeof(struct pd_label) +
	    n->mappings * sizeof(struct pd_mapping) +
	    n->locations * sizeof(struct pd_location) +
	    n->lines * sizeof(struct pd_line) +
	    n->functions * sizeof(struct pd_function) +
	    n->comments * sizeof(char *) +
	    n->text + n->strings;
	return (*model + n->strings * sizeof(char *) +
	    (n->mappings + n->locations + n->functions + sorted) *
	    sizeof(uint64_t *));
}

/* Carve the next n elements of size bytes out of the model. */
static void *
carve(unsigned char **next, size_t n, size_t size)
{
	void	*p = *next;

	*next += n * size;
	return (n != 0 ? p : NULL);
}

static void
decode_alloc(struct decoder *d)
{
	unsigned char	*next;
	size_t		 model;

	profile_size(&d->n, &model);
	next = xcalloc(1, model);
	d->p = carve(&next, 1, sizeof *d->p);
	/* Every size is a multiple of 8, so only the text is unaligned. */
	d->types = carve(&next, d->n.types, sizeof *d->types);
	d->samples = carve(&next, d->n.samples, sizeof *d->samples);
	d->ids = carve(&next, d->n.ids, sizeof *d->ids);
	d->values = carve(&next, d->n.values, sizeof *d->values);
	d->labels = carve(&next, d->n.labels, sizeof *d->labels);
	d->mappings = carve(&next, d->n.mappings, sizeof *d->mappings);
	d->locations = carve(&next, d->n.locations, sizeof *d->locations);
	d->lines = carve(&next, d->n.lines, sizeof *d->lines);
	d->functions = carve(&next, d->n.functions, sizeof *d->functions);
	d->comments = carve(&next, d->n.comments, sizeof *d->comments);
	d->text = (char *)next;
	d->strings = xreallocarray(NULL, d->n.strings, sizeof *d->strings);
}

/* Second pass: the string table. */

static int
string_field(struct decoder *d, const struct field *f, void *arg)
{
	if (f->number != 6)
		return (0);
	if (d->done.strings == 0 && f->len != 0)
		return (decode_error(d, "has a string_table[0] of %zu byte%s; "
		    "it must be \"\"", f->len, f->len == 1 ? "" : "s"));
	memcpy(d->text, f->data, f->len);
	d->strings[d->done.strings++] = d->text;
	d->text += f->len + 1;
	return (0);
}

/* Third pass: what names only strings. */

static int
value_type_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_value_type	*vt = arg;

	switch (f->number) {
	case 1:
		return (field_string(d, f, &vt->type, "type"));
	case 2:
		return (field_string(d, f, &vt->unit, "unit"));
	}
	return (0);
}

static int
decode_value_type(struct decoder *d, const struct field *f,
    struct pd_value_type *vt)
{
	vt->type = vt->unit = "";
	return (decode_message(d, f->data, f->len, value_type_field, vt));
}

static int
mapping_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_mapping	*m = arg;
	uint64_t		*u = NULL, v;
	int			*flag = NULL;

	switch (f->number) {
	case 1:
		u = &m->id;
		break;
	case 2:
		u = &m->memory_start;
		break;
	case 3:
		u = &m->memory_limit;
		break;
	case 4:
		u = &m->file_offset;
		break;
	case 5:
		return (field_string(d, f, &m->filename, "file name"));
	case 6:
		return (field_string(d, f, &m->build_id, "build id"));
	case 7:
		flag = &m->has_functions;
		break;
	case 8:
		flag = &m->has_filenames;
		break;
	case 9:
		flag = &m->has_line_numbers;
		break;
	case 10:
		flag = &m->has_inline_frames;
		break;
	default:
		return (0);
	}
	if (u != NULL)
		return (field_int(d, f, u));
	if (field_int(d, f, &v) != 0)
		return (-1);
	*flag = v != 0;
	return (0);
}

static int
function_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_function	*fn = arg;
	uint64_t		 v;

	switch (f->number) {
	case 1:
		return (field_int(d, f, &fn->id));
	case 2:
		return (field_string(d, f, &fn->name, "name"));
	case 3:
		return (field_string(d, f, &fn->system_name, "system name"));
	case 4:
		return (field_string(d, f, &fn->filename, "file name"));
	case 5:
		if (field_int(d, f, &v) != 0)
			return (-1);
		fn->start_line = (int64_t)v;
		break;
	}
	return (0);
}

static int
header_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_profile	*p = d->p;
	struct pd_mapping	*m;
	struct pd_function	*fn;
	struct numbers		 nb;
	uint64_t		 v;
	int			 rc;

	switch (f->number) {
	case 1:
		d->what = "sample type";
		d->index = d->done.types;
		if (decode_value_type(d, f, &d->types[d->done.types++]) != 0)
			return (-1);
		break;
	case 3:
		d->what = "mapping";
		d->index = d->done.mappings;
		m = &d->mappings[d->done.mappings++];
		m->filename = m->build_id = "";
		if (decode_message(d, f->data, f->len, mapping_field, m) != 0)
			return (-1);
		break;
	case 5:
		d->what = "function";
		d->index = d->done.functions;
		fn = &d->functions[d->done.functions++];
		fn->name = fn->system_name = fn->filename = "";
		if (decode_message(d, f->data, f->len, function_field,
		    fn) != 0)
			return (-1);
		break;
	case 7:
		return (field_string(d, f, &p->drop_frames, "drop_frames"));
	case 8:
		return (field_string(d, f, &p->keep_frames, "keep_frames"));
	case 9:
	case 10:
	case 12:
		if (field_int(d, f, &v) != 0)
			return (-1);
		if (f->number == 9)
			p->time_nanos = (int64_t)v;
		else if (f->number == 10)
			p->duration_nanos = (int64_t)v;
		else
			p->period = (int64_t)v;
		break;
	case 11:
		d->what = "the period type";
		d->index = NO_INDEX;
		if (decode_value_type(d, f, &p->period_type) != 0)
			return (-1);
		break;
	case 13:
		if (numbers_start(d, f, &nb) != 0)
			return (-1);
		while ((rc = numbers_next(d, &nb, &v)) == 1) {
			d->what = "comment";
			d->index = d->done.comments;
			if (decode_string(d, v,
			    &d->comments[d->done.comments++], "text") != 0)
				return (-1);
		}
		if (rc != 0)
			return (-1);
		break;
	case 14:
		return (field_string(d, f, &p->default_sample_type,
		    "default_sample_type"));
	}
	d->what = NULL;
	return (0);
}

static int
id_compare(const void *a, const void *b)
{
	uint64_t	 x = **(const uint64_t *const *)a;
	uint64_t	 y = **(const uint64_t *const *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Index n elements of size bytes by their id. A pointer to a structure
 * is a pointer to its first member, the id.
 */
static int
index_build(struct decoder *d, struct id_index *x, const void *array,
    size_t n, size_t size, const char *what)
{
	const char	*base = array;
	size_t		 i, a, b;

	x->n = n;
	if (n == 0)
		return (0);
	x->ids = xreallocarray(NULL, n, sizeof *x->ids);
	for (i = 0; i < n; i++) {
		x->ids[i] = (const uint64_t *)(base + i * size);
		if (*x->ids[i] == 0) {
			d->what = what;
			d->index = i;
			return (decode_error(d, "has id 0"));
		}
	}
	qsort(x->ids, n, sizeof *x->ids, id_compare);
	for (i = 1; i < n; i++) {
		if (*x->ids[i] != *x->ids[i - 1])
			continue;
		a = ((const char *)x->ids[i - 1] - base) / size;
		b = ((const char *)x->ids[i] - base) / size;
		return (decode_error(d, "has %ss %zu and %zu of the same id %"
		    PRIu64, what, a < b ? a : b, a < b ? b : a, *x->ids[i]));
	}
	return (0);
}

/* The element with this id, or NULL. */
static const void *
index_find(const struct id_index *x, uint64_t id)
{
	size_t	 lo = 0, hi = x->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (*x->ids[mid] < id)
			lo = mid + 1;
		else if (*x->ids[mid] > id)
			hi = mid;
		else
			return (x->ids[mid]);
	}
	return (NULL);
}

/* Fourth pass: locations, once mappings and functions have their ids. */

struct location_read {
	struct pd_location	*loc;
	struct pd_line		*line;		/* its last */
	uint64_t		 mapping_id;
};

static int
line_field(struct decoder *d, const struct field *f, void *arg)
{
	struct location_read	*lr = arg;
	struct pd_line		*line = lr->line;
	uint64_t		 v;

	if (f->number < 1 || f->number > 3)
		return (0);
	if (field_int(d, f, &v) != 0)
		return (-1);
	switch (f->number) {
	case 1:
		if (v != 0 && (line->function = index_find(&d->function_index,
		    v)) == NULL)
			return (decode_error(d, "has line %zu naming function %"
			    PRIu64 ", which the profile does not have",
			    lr->loc->nlines - 1, v));
		break;
	case 2:
		line->line = (int64_t)v;
		break;
	case 3:
		line->column = (int64_t)v;
		break;
	}
	return (0);
}

static int
location_field(struct decoder *d, const struct field *f, void *arg)
{
	struct location_read	*lr = arg;
	struct pd_location	*loc = lr->loc;
	uint64_t		 v;

	switch (f->number) {
	case 1:
		return (field_int(d, f, &loc->id));
	case 2:
		return (field_int(d, f, &lr->mapping_id));
	case 3:
		return (field_int(d, f, &loc->address));
	case 4:
		if (d->done.lines == d->n.lines)
			fatalx("decode: more lines than counted");
		lr->line = &d->lines[d->done.lines++];
		if (loc->nlines++ == 0)
			loc->lines = lr->line;
		return (decode_message(d, f->data, f->len, line_field, lr));
	case 5:
		if (field_int(d, f, &v) != 0)
			return (-1);
		loc->is_folded = v != 0;
		break;
	}
	return (0);
}

static int
location_pass_field(struct decoder *d, const struct field *f, void *arg)
{
	struct location_read	 lr;

	if (f->number != 4)
		return (0);
	if (d->done.locations == d->n.locations)
		fatalx("decode: more locations than counted");
	d->what = "location";
	d->index = d->done.locations;
	lr.loc = &d->locations[d->done.locations++];
	lr.mapping_id = 0;
	if (decode_message(d, f->data, f->len, location_field, &lr) != 0)
		return (-1);
	if (lr.mapping_id != 0 && (lr.loc->mapping = index_find(
	    &d->mapping_index, lr.mapping_id)) == NULL)
		return (decode_error(d, "names mapping %" PRIu64 ", which the "
		    "profile does not have", lr.mapping_id));
	d->what = NULL;
	return (0);
}

/* Fifth pass: samples, once locations have their ids. */

static int
label_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_label	*l = arg;
	uint64_t	 v;

	if (f->number < 1 || f->number > 4)
		return (0);
	if (field_int(d, f, &v) != 0)
		return (-1);
	switch (f->number) {
	case 1:
		return (decode_string(d, v, &l->key, "a label key"));
	case 2:
		if (v == 0) {
			l->str = NULL;
			break;
		}
		return (decode_string(d, v, &l->str, "a label value"));
	case 3:
		l->num = (int64_t)v;
		break;
	case 4:
		return (decode_string(d, v, &l->num_unit, "a label unit"));
	}
	return (0);
}

static int
sample_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_sample	*s = arg;
	struct pd_label		*l;
	struct numbers		 nb;
	uint64_t		 v;
	int			 rc;

	switch (f->number) {
	case 1:
		if (numbers_start(d, f, &nb) != 0)
			return (-1);
		while ((rc = numbers_next(d, &nb, &v)) == 1) {
			if (d->done.ids == d->n.ids)
				fatalx("decode: more location ids than counted");
			if (s->nlocations++ == 0)
				s->locations = &d->ids[d->done.ids];
			if ((d->ids[d->done.ids++] = index_find(
			    &d->location_index, v)) == NULL)
				return (decode_error(d, "names location %"
				    PRIu64 ", which the profile does not have",
				    v));
		}
		return (rc);
	case 2:
		if (numbers_start(d, f, &nb) != 0)
			return (-1);
		while ((rc = numbers_next(d, &nb, &v)) == 1) {
			if (d->done.values == d->n.values)
				fatalx("decode: more values than counted");
			if (s->values == NULL)
				s->values = &d->values[d->done.values];
			d->values[d->done.values++] = (int64_t)v;
		}
		return (rc);
	case 3:
		if (d->done.labels == d->n.labels)
			fatalx("decode: more labels than counted");
		l = &d->labels[d->done.labels++];
		if (s->nlabels++ == 0)
			s->labels = l;
		l->key = l->num_unit = "";
		return (decode_message(d, f->data, f->len, label_field, l));
	}
	return (0);
}

static int
sample_pass_field(struct decoder *d, const struct field *f, void *arg)
{
	struct pd_sample	*s;
	size_t			 first;

	if (f->number != 2)
		return (0);
	if (d->done.samples == d->n.samples)
		fatalx("decode: more samples than counted");
	d->what = "sample";
	d->index = d->done.samples;
	s = &d->samples[d->done.samples++];
	first = d->done.values;
	if (decode_message(d, f->data, f->len, sample_field, s) != 0)
		return (-1);
	if (d->done.values - first != d->n.types)
		return (decode_error(d, "has %zu value%s; the profile has %zu "
		    "sample type%s", d->done.values - first,
		    d->done.values - first == 1 ? "" : "s", d->n.types,
		    d->n.types == 1 ? "" : "s"));
	d->what = NULL;
	return (0);
}

static int
decode_pass(struct decoder *d,
    int (*fn)(struct decoder *, const struct field *, void *))
{
	return (decode_message(d, d->base, d->end - d->base, fn, NULL));
}

static int
decode_all(struct decoder *d)
{
	struct pd_profile	*p;

	if (d->end == d->base)
		return (decode_error(d, "is empty"));
	if (decode_pass(d, count_field) != 0)
		return (-1);
	if (d->n.strings == 0)
		return (decode_error(d, "has no string table"));
	if (d->n.types == 0)
		return (decode_error(d, "has no sample types"));
	if (d->n.types > INT_MAX)
		return (decode_error(d, "has %zu sample types", d->n.types));
	if (d->has_empty_sample) {
		d->what = "sample";
		d->index = d->empty_sample;
		return (decode_error(d, "has 0 values; the profile has %zu "
		    "sample type%s", d->n.types, d->n.types == 1 ? "" : "s"));
	}
	decode_alloc(d);
	p = d->p;
	p->drop_frames = p->keep_frames = p->default_sample_type = "";
	p->period_type.type = p->period_type.unit = "";

	if (decode_pass(d, string_field) != 0 ||
	    decode_pass(d, header_field) != 0)
		return (-1);
	if (index_build(d, &d->mapping_index, d->mappings, d->n.mappings,
	    sizeof *d->mappings, "mapping") != 0 ||
	    index_build(d, &d->function_index, d->functions, d->n.functions,
	    sizeof *d->functions, "function") != 0)
		return (-1);
	if (decode_pass(d, location_pass_field) != 0)
		return (-1);
	if (index_build(d, &d->location_index, d->locations, d->n.locations,
	    sizeof *d->locations, "location") != 0)
		return (-1);
	if (decode_pass(d, sample_pass_field) != 0)
		return (-1);

	p->sample_types = d->types;
	p->nsample_types = d->n.types;
	p->samples = d->samples;
	p->nsamples = d->n.samples;
	p->mappings = d->mappings;
	p->nmappings = d->n.mappings;
	p->locations = d->locations;
	p->nlocations = d->n.locations;
	p->functions = d->functions;
	p->nfunctions = d->n.functions;
	p->comments = d->comments;
	p->ncomments = d->n.comments;
	return (0);
}

/*
 * The profile the protobuf [buf, buf + len) holds, one allocation; with
 * the indexes, in at most PROFILE_RATIO bytes a byte of it.
 */
int
profile_decode(const void *buf, size_t len, struct pd_profile **pp,
    char **cause)
{
	struct decoder	 d;
	int		 rc;

	*pp = NULL;
	memset(&d, 0, sizeof d);
	d.base = buf;
	d.end = d.base + len;
	d.cause = cause;
	/* So that no count times an element's size can overflow. */
	if (len > SIZE_MAX / (2 * PROFILE_RATIO)) {
		xasprintf(cause, "the profile is too large: %zu bytes", len);
		return (-1);
	}
	rc = decode_all(&d);
	free(d.strings);
	free(d.mapping_index.ids);
	free(d.function_index.ids);
	free(d.location_index.ids);
	if (rc != 0) {
		free(d.p);
		return (-1);
	}
	*pp = d.p;
	return (0);
}
