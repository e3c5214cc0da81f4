/*
 * pprof encoder: collects one window's samples into flat arrays, then packs
 * them as a perftools.profiles.Profile and writes it gzip-compressed.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "libprofdrop.h"
#include "profile.pb-c.h"

/* Hash table entry for a string or function: its index in the arrays. */
struct pprof_node {
	struct hnode	 node;
	size_t		 idx;
};

struct pprof {
	char				 **strings;
	size_t				   nstrings;
	size_t				   stringcap;
	struct htable			   stringtab;

	Perftools__Profiles__ValueType	  *types;
	size_t				   ntypes;
	Perftools__Profiles__ValueType	   period_type;
	int64_t				   period;
	int64_t				   time_nanos;
	int64_t				   duration_nanos;

	Perftools__Profiles__Mapping	  *mappings;
	size_t				   nmappings;
	size_t				   mappingcap;

	Perftools__Profiles__Function	  *functions;
	size_t				   nfunctions;
	size_t				   functioncap;
	struct htable			   functiontab;

	/* Each location's lines follow the previous location's. */
	Perftools__Profiles__Location	  *locations;
	size_t				   nlocations;
	size_t				   locationcap;
	Perftools__Profiles__Line	  *lines;
	size_t				   nlines;
	size_t				   linecap;

	/* Each sample's ids, values and labels follow the previous one's. */
	Perftools__Profiles__Sample	  *samples;
	size_t				   nsamples;
	size_t				   samplecap;
	uint64_t			  *location_ids;
	size_t				   nlocation_ids;
	size_t				   location_idcap;
	int64_t				  *values;
	size_t				   valuecap;
	Perftools__Profiles__Label	  *labels;
	size_t				   nlabels;
	size_t				   labelcap;

	int64_t				  *comments;
	size_t				   ncomments;
	int64_t				   drop_frames;
	int64_t				   keep_frames;
	int64_t				   default_type;
	size_t				   commentcap;
};

/* Make room for n more elements, doubling. */
static void *
pprof_grow(void *array, size_t used, size_t *cap, size_t n, size_t size)
{
	size_t	 newcap;

	if (used + n <= *cap)
		return (array);
	newcap = *cap == 0 ? 64 : *cap;
	while (newcap < used + n)
		newcap *= 2;
	*cap = newcap;
	return (xreallocarray(array, newcap, size));
}

static int64_t
pprof_string(struct pprof *p, const char *s)
{
	struct hnode		*n;
	struct pprof_node	*pn;
	uint64_t		 hash;

	if (s == NULL)
		return (0);
	hash = hash_bytes(s, strlen(s), 0);
	for (n = htable_find(&p->stringtab, hash); n != NULL;
	    n = htable_next_same(n)) {
		pn = container_of(n, struct pprof_node, node);
		if (strcmp(p->strings[pn->idx], s) == 0)
			return (pn->idx);
	}
	p->strings = pprof_grow(p->strings, p->nstrings, &p->stringcap, 1,
	    sizeof *p->strings);
	pn = xmalloc(sizeof *pn);
	pn->idx = p->nstrings;
	p->strings[p->nstrings++] = xstrdup(s);
	htable_insert(&p->stringtab, &pn->node, hash);
	return (pn->idx);
}

uint64_t
pprof_add_function(struct pprof *p, const char *name, const char *system_name,
    const char *filename, int64_t start_line)
{
	Perftools__Profiles__Function	*f;
	struct hnode			*n;
	struct pprof_node		*pn;
	int64_t				 key[4];
	uint64_t			 hash;

	key[0] = pprof_string(p, name);
	key[1] = pprof_string(p, system_name);
	key[2] = pprof_string(p, filename);
	key[3] = start_line;
	hash = hash_bytes(key, sizeof key, 0);
	for (n = htable_find(&p->functiontab, hash); n != NULL;
	    n = htable_next_same(n)) {
		pn = container_of(n, struct pprof_node, node);
		f = &p->functions[pn->idx];
		if (f->name == key[0] && f->system_name == key[1] &&
		    f->filename == key[2] && f->start_line == key[3])
			return (f->id);
	}
	p->functions = pprof_grow(p->functions, p->nfunctions,
	    &p->functioncap, 1, sizeof *p->functions);
	f = &p->functions[p->nfunctions];
	perftools__profiles__function__init(f);
	f->id = p->nfunctions + 1;
	f->name = key[0];
	f->system_name = key[1];
	f->filename = key[2];
	f->start_line = key[3];
	pn = xmalloc(sizeof *pn);
	pn->idx = p->nfunctions++;
	htable_insert(&p->functiontab, &pn->node, hash);
	return (f->id);
}

struct pprof *
pprof_new(const struct pprof_value_type *types, size_t ntypes,
    const struct pprof_value_type *period_type, int64_t period,
    int64_t time_nanos, int64_t duration_nanos)
{
	struct pprof	*p;
	size_t		 i;

	if (ntypes == 0)
		fatalx("pprof_new: no sample types");
	p = xcalloc(1, sizeof *p);
	htable_init(&p->stringtab, 1024);
	htable_init(&p->functiontab, 1024);
	pprof_string(p, "");

	p->types = xcalloc(ntypes, sizeof *p->types);
	p->ntypes = ntypes;
	for (i = 0; i < ntypes; i++) {
		perftools__profiles__value_type__init(&p->types[i]);
		p->types[i].type = pprof_string(p, types[i].type);
		p->types[i].unit = pprof_string(p, types[i].unit);
	}
	perftools__profiles__value_type__init(&p->period_type);
	p->period_type.type = pprof_string(p, period_type->type);
	p->period_type.unit = pprof_string(p, period_type->unit);
	p->default_type = p->types[ntypes - 1].type;
	p->period = period;
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
	return (p);
}

uint64_t
pprof_add_mapping(struct pprof *p, uint64_t memory_start,
    uint64_t memory_limit, uint64_t file_offset, const char *filename,
    const char *build_id, int flags)
{
	Perftools__Profiles__Mapping	*m;

	p->mappings = pprof_grow(p->mappings, p->nmappings, &p->mappingcap, 1,
	    sizeof *p->mappings);
	m = &p->mappings[p->nmappings++];
	perftools__profiles__mapping__init(m);
	m->id = p->nmappings;
	m->memory_start = memory_start;
	m->memory_limit = memory_limit;
	m->file_offset = file_offset;
	m->filename = pprof_string(p, filename);
	m->build_id = pprof_string(p, build_id);
	m->has_functions = (flags & PPROF_HAS_FUNCTIONS) != 0;
	m->has_filenames = (flags & PPROF_HAS_FILENAMES) != 0;
	m->has_line_numbers = (flags & PPROF_HAS_LINE_NUMBERS) != 0;
	m->has_inline_frames = (flags & PPROF_HAS_INLINE_FRAMES) != 0;
	return (m->id);
}

/* Say more of a mapping once more of it is known. */
void
pprof_mapping_flags(struct pprof *p, uint64_t id, int flags)
{
	Perftools__Profiles__Mapping	*m = &p->mappings[id - 1];

	m->has_functions |= (flags & PPROF_HAS_FUNCTIONS) != 0;
	m->has_filenames |= (flags & PPROF_HAS_FILENAMES) != 0;
	m->has_line_numbers |= (flags & PPROF_HAS_LINE_NUMBERS) != 0;
	m->has_inline_frames |= (flags & PPROF_HAS_INLINE_FRAMES) != 0;
}

/* A new location, with room for n lines that pprof_put_line adds. */
static Perftools__Profiles__Location *
pprof_location(struct pprof *p, uint64_t mapping_id, uint64_t address,
    size_t n)
{
	Perftools__Profiles__Location	*loc;

	if (mapping_id > p->nmappings)
		fatalx("pprof_add_location: bad mapping id %llu",
		    (unsigned long long)mapping_id);

	p->locations = pprof_grow(p->locations, p->nlocations,
	    &p->locationcap, 1, sizeof *p->locations);
	loc = &p->locations[p->nlocations++];
	perftools__profiles__location__init(loc);
	loc->id = p->nlocations;
	loc->mapping_id = mapping_id;
	loc->address = address;

	p->lines = pprof_grow(p->lines, p->nlines, &p->linecap, n,
	    sizeof *p->lines);
	return (loc);
}

static void
pprof_put_line(struct pprof *p, Perftools__Profiles__Location *loc,
    uint64_t function_id, int64_t lineno, int64_t column)
{
	Perftools__Profiles__Line	*line;

	line = &p->lines[p->nlines++];
	perftools__profiles__line__init(line);
	line->function_id = function_id;
	line->line = lineno;
	line->column = column;
	loc->n_line++;
}

uint64_t
pprof_add_location(struct pprof *p, uint64_t mapping_id, uint64_t address,
    const struct symbol_line *sl, int nsl)
{
	Perftools__Profiles__Location	*loc;
	int				 i;

	if (nsl < 0)
		fatalx("pprof_add_location: %d lines", nsl);
	loc = pprof_location(p, mapping_id, address, nsl);
	for (i = 0; i < nsl; i++) {
		if (sl[i].function == NULL)
			continue;
		pprof_put_line(p, loc, pprof_add_function(p, sl[i].function,
		    sl[i].system_name != NULL ? sl[i].system_name :
		    sl[i].function, sl[i].file, sl[i].start_line), sl[i].line,
		    0);
	}
	return (loc->id);
}

/* A location as a profile has it: a line may name no function (id 0). */
uint64_t
pprof_add_location_lines(struct pprof *p, uint64_t mapping_id,
    uint64_t address, const struct pprof_line *lines, size_t n, int is_folded)
{
	Perftools__Profiles__Location	*loc;
	size_t				 i;

	loc = pprof_location(p, mapping_id, address, n);
	loc->is_folded = is_folded != 0;
	for (i = 0; i < n; i++) {
		if (lines[i].function_id > p->nfunctions)
			fatalx("pprof_add_location_lines: bad function id %llu",
			    (unsigned long long)lines[i].function_id);
		pprof_put_line(p, loc, lines[i].function_id, lines[i].line,
		    lines[i].column);
	}
	return (loc->id);
}

void
pprof_add_sample(struct pprof *p, const uint64_t *location_ids, size_t n,
    const int64_t *values, const struct pprof_label *labels, size_t nlabels)
{
	Perftools__Profiles__Sample	*s;
	Perftools__Profiles__Label	*l;
	size_t				 i;

	for (i = 0; i < n; i++) {
		if (location_ids[i] == 0 || location_ids[i] > p->nlocations)
			fatalx("pprof_add_sample: bad location id %llu",
			    (unsigned long long)location_ids[i]);
	}

	p->samples = pprof_grow(p->samples, p->nsamples, &p->samplecap, 1,
	    sizeof *p->samples);
	s = &p->samples[p->nsamples];
	perftools__profiles__sample__init(s);
	s->n_location_id = n;
	s->n_value = p->ntypes;
	s->n_label = nlabels;

	p->location_ids = pprof_grow(p->location_ids, p->nlocation_ids,
	    &p->location_idcap, n, sizeof *p->location_ids);
	if (n != 0)
		memcpy(p->location_ids + p->nlocation_ids, location_ids,
		    n * sizeof *location_ids);
	p->nlocation_ids += n;

	p->values = pprof_grow(p->values, p->nsamples * p->ntypes,
	    &p->valuecap, p->ntypes, sizeof *p->values);
	memcpy(p->values + p->nsamples * p->ntypes, values,
	    p->ntypes * sizeof *values);

	p->labels = pprof_grow(p->labels, p->nlabels, &p->labelcap, nlabels,
	    sizeof *p->labels);
	for (i = 0; i < nlabels; i++) {
		l = &p->labels[p->nlabels++];
		perftools__profiles__label__init(l);
		l->key = pprof_string(p, labels[i].key);
		if (labels[i].str != NULL)
			l->str = pprof_string(p, labels[i].str);
		else {
			l->num = labels[i].num;
			l->num_unit = pprof_string(p, labels[i].num_unit);
		}
	}
	p->nsamples++;
}

void
pprof_add_comment(struct pprof *p, const char *comment)
{
	p->comments = pprof_grow(p->comments, p->ncomments, &p->commentcap, 1,
	    sizeof *p->comments);
	p->comments[p->ncomments++] = pprof_string(p, comment);
}

/* Frames readers hide (pprof's drop_frames), a regular expression. */
void
pprof_set_drop_frames(struct pprof *p, const char *regex)
{
	p->drop_frames = pprof_string(p, regex);
}

/* Frames kept although drop_frames matches them (pprof's keep_frames). */
void
pprof_set_keep_frames(struct pprof *p, const char *regex)
{
	p->keep_frames = pprof_string(p, regex);
}

/* The type readers show unless told otherwise; the last type by default. */
void
pprof_set_default_type(struct pprof *p, const char *type)
{
	p->default_type = pprof_string(p, type);
}

/* protobuf-c wants repeated messages as arrays of pointers. */
static void **
pprof_pointers(void *array, size_t n, size_t size)
{
	void	**ptrs;
	size_t	  i;

	if (n == 0)
		return (NULL);
	ptrs = xreallocarray(NULL, n, sizeof *ptrs);
	for (i = 0; i < n; i++)
		ptrs[i] = (char *)array + i * size;
	return (ptrs);
}

/*
 * profile.proto is proto2 (protoc-c 1.0 reads no proto3): a scalar field
 * is written when its has_ flag is set. Set it where the value is not 0,
 * which is what proto3 writes.
 */
#define PPROF_HAS(m, f)	((m)->has_##f = (m)->f != 0)

static void
pprof_mark_fields(struct pprof *p, Perftools__Profiles__Profile *msg)
{
	Perftools__Profiles__Mapping	*m;
	Perftools__Profiles__Location	*loc;
	Perftools__Profiles__Function	*f;
	Perftools__Profiles__Label	*l;
	size_t				 i;

	for (i = 0; i < p->ntypes; i++) {
		PPROF_HAS(&p->types[i], type);
		PPROF_HAS(&p->types[i], unit);
	}
	PPROF_HAS(&p->period_type, type);
	PPROF_HAS(&p->period_type, unit);
	for (i = 0; i < p->nmappings; i++) {
		m = &p->mappings[i];
		PPROF_HAS(m, id);
		PPROF_HAS(m, memory_start);
		PPROF_HAS(m, memory_limit);
		PPROF_HAS(m, file_offset);
		PPROF_HAS(m, filename);
		PPROF_HAS(m, build_id);
		PPROF_HAS(m, has_functions);
		PPROF_HAS(m, has_filenames);
		PPROF_HAS(m, has_line_numbers);
		PPROF_HAS(m, has_inline_frames);
	}
	for (i = 0; i < p->nlocations; i++) {
		loc = &p->locations[i];
		PPROF_HAS(loc, id);
		PPROF_HAS(loc, mapping_id);
		PPROF_HAS(loc, address);
		PPROF_HAS(loc, is_folded);
	}
	for (i = 0; i < p->nlines; i++) {
		PPROF_HAS(&p->lines[i], function_id);
		PPROF_HAS(&p->lines[i], line);
		PPROF_HAS(&p->lines[i], column);
	}
	for (i = 0; i < p->nfunctions; i++) {
		f = &p->functions[i];
		PPROF_HAS(f, id);
		PPROF_HAS(f, name);
		PPROF_HAS(f, system_name);
		PPROF_HAS(f, filename);
		PPROF_HAS(f, start_line);
	}
	for (i = 0; i < p->nlabels; i++) {
		l = &p->labels[i];
		PPROF_HAS(l, key);
		PPROF_HAS(l, str);
		PPROF_HAS(l, num);
		PPROF_HAS(l, num_unit);
	}
	PPROF_HAS(msg, drop_frames);
	PPROF_HAS(msg, keep_frames);
	PPROF_HAS(msg, time_nanos);
	PPROF_HAS(msg, duration_nanos);
	PPROF_HAS(msg, period);
	PPROF_HAS(msg, default_sample_type);
}

/* The profile as protobuf, not compressed. */
unsigned char *
pprof_pack(struct pprof *p, size_t *len)
{
	Perftools__Profiles__Profile	 msg;
	unsigned char			*buf;
	void				**types, **samples, **labels;
	void				**mappings, **locations, **lines;
	void				**functions;
	size_t				 i, ids, lbls, lns;

	types = pprof_pointers(p->types, p->ntypes, sizeof *p->types);
	samples = pprof_pointers(p->samples, p->nsamples, sizeof *p->samples);
	labels = pprof_pointers(p->labels, p->nlabels, sizeof *p->labels);
	mappings = pprof_pointers(p->mappings, p->nmappings,
	    sizeof *p->mappings);
	locations = pprof_pointers(p->locations, p->nlocations,
	    sizeof *p->locations);
	lines = pprof_pointers(p->lines, p->nlines, sizeof *p->lines);
	functions = pprof_pointers(p->functions, p->nfunctions,
	    sizeof *p->functions);

	/* Empty arrays are NULL, and NULL + 0 is undefined. */
	ids = lbls = 0;
	for (i = 0; i < p->nsamples; i++) {
		if (p->samples[i].n_location_id != 0)
			p->samples[i].location_id = p->location_ids + ids;
		p->samples[i].value = p->values + i * p->ntypes;
		if (p->samples[i].n_label != 0)
			p->samples[i].label =
			    (Perftools__Profiles__Label **)(labels + lbls);
		ids += p->samples[i].n_location_id;
		lbls += p->samples[i].n_label;
	}
	lns = 0;
	for (i = 0; i < p->nlocations; i++) {
		if (p->locations[i].n_line != 0)
			p->locations[i].line =
			    (Perftools__Profiles__Line **)(lines + lns);
		lns += p->locations[i].n_line;
	}

	perftools__profiles__profile__init(&msg);
	msg.n_sample_type = p->ntypes;
	msg.sample_type = (Perftools__Profiles__ValueType **)types;
	msg.n_sample = p->nsamples;
	msg.sample = (Perftools__Profiles__Sample **)samples;
	msg.n_mapping = p->nmappings;
	msg.mapping = (Perftools__Profiles__Mapping **)mappings;
	msg.n_location = p->nlocations;
	msg.location = (Perftools__Profiles__Location **)locations;
	msg.n_function = p->nfunctions;
	msg.function = (Perftools__Profiles__Function **)functions;
	msg.n_string_table = p->nstrings;
	msg.string_table = p->strings;
	msg.time_nanos = p->time_nanos;
	msg.duration_nanos = p->duration_nanos;
	msg.period_type = &p->period_type;
	msg.period = p->period;
	msg.n_comment = p->ncomments;
	msg.comment = p->comments;
	msg.drop_frames = p->drop_frames;
	msg.keep_frames = p->keep_frames;
	msg.default_sample_type = p->default_type;
	pprof_mark_fields(p, &msg);

	*len = perftools__profiles__profile__get_packed_size(&msg);
	buf = xmalloc(*len);
	perftools__profiles__profile__pack(&msg, buf);

	free(types);
	free(samples);
	free(labels);
	free(mappings);
	free(locations);
	free(lines);
	free(functions);
	return (buf);
}

static int
pprof_write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (0);
}

int
pprof_write(struct pprof *p, int fd, char **cause)
{
	z_stream	 z;
	unsigned char	*buf, out[32768];
	size_t		 len;
	int		 ret, rc = 0, error;

	buf = pprof_pack(p, &len);

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("pprof_write: deflateInit2 failed");
	z.next_in = buf;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof out;
		ret = deflate(&z, Z_FINISH);
		if (ret != Z_OK && ret != Z_STREAM_END)
			fatalx("pprof_write: deflate returned %d", ret);
		if (pprof_write_all(fd, out, sizeof out - z.avail_out) != 0) {
			error = errno;
			xasprintf(cause, "write: %s", strerror(error));
			rc = -1;
			break;
		}
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	free(buf);
	if (rc == -1)
		errno = error;
	return (rc);
}

static void
pprof_free_node(struct hnode *n, __attribute__((unused)) void *arg)
{
	free(container_of(n, struct pprof_node, node));
}

void
pprof_free(struct pprof *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	htable_foreach(&p->stringtab, pprof_free_node, NULL);
	htable_free(&p->stringtab);
	htable_foreach(&p->functiontab, pprof_free_node, NULL);
	htable_free(&p->functiontab);
	for (i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->types);
	free(p->mappings);
	free(p->functions);
	free(p->locations);
	free(p->lines);
	free(p->samples);
	free(p->location_ids);
	free(p->values);
	free(p->labels);
	free(p->comments);
	free(p);
}
