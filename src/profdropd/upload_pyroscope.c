/*
 * Pyroscope's push API (POST /push.v1.PusherService/Push, Connect JSON).
 * A file becomes one series per service (the process name, or the label
 * --service-label names) under its type's __name__; pid and tid labels
 * are dropped and their samples summed first, as Pyroscope makes a
 * series of each distinct sample label set. A service's samples go in
 * parts within --upload-max-samples and --upload-max-bytes (Pyroscope's
 * default limits: 16,000 samples and 4 MiB uncompressed per profile),
 * one request per part, each with an ID derived from the file and part.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "upload.h"

/* A growing text: the request body. */
struct pyro_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

/* One service's samples, by index in the profile. */
struct pyro_service {
	const char	*name;
	size_t		*samples;
	size_t		 n;
};

struct pyro_file {
	struct upload_job	*job;
	const char		*type;		/* __name__ */
	struct pd_profile	*prof;		/* labels dropped, summed */
	struct pyro_service	*services;
	size_t			 nservices;
	unsigned int		 part;		/* the next one's number */
};

static void
pyro_add(struct pyro_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->size) {
		b->size = (b->len + len + 1) * 2;
		b->s = xreallocarray(b->s, b->size, 1);
	}
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void
pyro_text(struct pyro_buf *b, const char *s)
{
	pyro_add(b, s, strlen(s));
}

/* A JSON string: quoted, escaped; names from /proc may hold anything. */
static void
pyro_string(struct pyro_buf *b, const char *s)
{
	char	 esc[8];

	pyro_text(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			pyro_add(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
			pyro_text(b, esc);
		} else
			pyro_add(b, s, 1);
	}
	pyro_text(b, "\"");
}

static void
pyro_base64(struct pyro_buf *b, const unsigned char *in, size_t len)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
	    "mnopqrstuvwxyz0123456789+/";
	char			 q[4];
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		q[0] = abc[v >> 18 & 63];
		q[1] = abc[v >> 12 & 63];
		q[2] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? abc[v & 63] : '=';
		pyro_add(b, q, 4);
	}
}

/* in, gzip-compressed into *out (to free). */
static int
pyro_gzip(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	z_stream	 z;
	size_t		 size = compressBound(len) + 64;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return (-1);
	*out = xmalloc(size);
	z.next_in = (unsigned char *)in;
	z.avail_in = len;
	z.next_out = *out;
	z.avail_out = size;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(*out);
		return (-1);
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return (0);
}

/*
 * A UUID named by the file, its bytes and the part, the same after a
 * restart and another for another file of a name used before: 128 bits
 * of the project's hash, marked as version 8 (custom) in RFC 9562's way.
 */
static void
pyro_uuid(const struct upload_job *job, unsigned int part, char *out,
    size_t size)
{
	unsigned char	 u[16];
	uint64_t	 h1, h2;
	int		 i;

	h1 = hash_bytes(job->data, job->len, 0x70726f6664726f70ULL + part);
	h1 = hash_bytes(job->name, strlen(job->name), h1);
	h2 = hash_bytes(job->name, strlen(job->name), h1 ^ part);
	for (i = 0; i < 8; i++) {
		u[i] = h1 >> (56 - 8 * i);
		u[8 + i] = h2 >> (56 - 8 * i);
	}
	u[6] = (u[6] & 0x0f) | 0x80;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void
pyro_label(struct pyro_buf *b, const char *name, const char *value,
    int first)
{
	pyro_text(b, first ? "{\"name\":" : ",{\"name\":");
	pyro_string(b, name);
	pyro_text(b, ",\"value\":");
	pyro_string(b, value);
	pyro_text(b, "}");
}

/* The request for one part: its series' labels and the gzip profile. */
static void
pyro_body(struct pyro_file *f, const char *service, const unsigned char *gz,
    size_t gzlen, struct pyro_buf *b)
{
	struct upload_job	*job = f->job;
	char			 id[40];
	size_t			 i;

	pyro_text(b, "{\"series\":[{\"labels\":[");
	pyro_label(b, "__name__", f->type, 1);
	pyro_label(b, "service_name", service, 0);
	pyro_label(b, "host", job->host, 0);
	for (i = 0; i < job->nlabels; i++)
		pyro_label(b, job->labels[i].key, job->labels[i].value, 0);
	pyro_text(b, "],\"samples\":[{\"rawProfile\":\"");
	pyro_base64(b, gz, gzlen);
	pyro_uuid(job, f->part, id, sizeof id);
	pyro_text(b, "\",\"ID\":\"");
	pyro_text(b, id);
	pyro_text(b, "\"}]}]}");
}

/* The service a sample belongs to; unnamed ones as Pyroscope names them. */
static const char *
pyro_service_of(const struct pd_sample *s, const char *key)
{
	size_t	 i;

	for (i = 0; i < s->nlabels; i++) {
		if (strcmp(s->labels[i].key, key) == 0 &&
		    s->labels[i].str != NULL && s->labels[i].str[0] != '\0')
			return (s->labels[i].str);
	}
	return ("unknown_service");
}

static const char *pyro_sort_key;
static const struct pd_profile *pyro_sort_prof;

/* By service, then by place in the file: the same order every time. */
static int
pyro_cmp(const void *a, const void *b)
{
	size_t	 x = *(const size_t *)a, y = *(const size_t *)b;
	int	 c;

	c = strcmp(pyro_service_of(&pyro_sort_prof->samples[x],
	    pyro_sort_key), pyro_service_of(&pyro_sort_prof->samples[y],
	    pyro_sort_key));
	if (c != 0)
		return (c);
	return (x < y ? -1 : x > y);
}

/* Group the profile's samples by service. */
static void
pyro_services(struct pyro_file *f)
{
	const struct pd_profile	*p = f->prof;
	const char		*key = f->job->cfg->service_label, *name;
	struct pyro_service	*sv = NULL;
	size_t			*order, i;

	order = xcalloc(p->nsamples + 1, sizeof *order);
	for (i = 0; i < p->nsamples; i++)
		order[i] = i;
	pyro_sort_key = key;
	pyro_sort_prof = p;
	qsort(order, p->nsamples, sizeof *order, pyro_cmp);
	for (i = 0; i < p->nsamples; i++) {
		name = pyro_service_of(&p->samples[order[i]], key);
		if (sv == NULL || strcmp(sv->name, name) != 0) {
			f->services = xreallocarray(f->services,
			    f->nservices + 1, sizeof *f->services);
			sv = &f->services[f->nservices++];
			sv->name = name;
			sv->samples = order + i;
			sv->n = 0;
		}
		sv->n++;
	}
	if (f->nservices == 0)
		free(order);
}

/*
 * Encode samples which[0..n-1]; a part over --upload-max-bytes is cut in
 * half until it fits or holds one sample.
 */
static int
pyro_pack(struct pyro_file *f, const size_t *which, size_t *n,
    unsigned char **gz, size_t *gzlen, char **cause)
{
	struct pd_profile	*part;
	unsigned char		*raw;
	size_t			 len;

	for (;;) {
		if (pd_profile_select(f->prof, which, *n, &part, cause) != 0)
			return (-1);
		if (pd_profile_pack(part, &raw, &len, cause) != 0) {
			pd_profile_free(part);
			return (-1);
		}
		pd_profile_free(part);
		if (len <= f->job->cfg->max_bytes || *n == 1)
			break;
		free(raw);
		*n = (*n + 1) / 2;
	}
	if (pyro_gzip(raw, len, gz, gzlen) != 0) {
		free(raw);
		xasprintf(cause, "gzip failed");
		return (-1);
	}
	free(raw);
	return (0);
}

/* Send a service's parts from where the progress says. */
static enum upload_result
pyro_send_service(struct pyro_file *f, const struct pyro_service *sv,
    struct upload_progress *p)
{
	static const char *const headers[] = {
		"Content-Type: application/json",
		"Connect-Protocol-Version: 1"
	};
	struct upload_job	*job = f->job;
	struct pyro_buf		 b;
	const char		*h[3];
	unsigned char		*gz;
	char			*cause, tenant[300];
	size_t			 at, n, gzlen, nh = 2;
	enum upload_result	 rc;

	h[0] = headers[0];
	h[1] = headers[1];
	if (job->cfg->tenant != NULL) {
		snprintf(tenant, sizeof tenant, "X-Scope-OrgID: %s",
		    job->cfg->tenant);
		h[nh++] = tenant;
	}
	for (at = 0; at < sv->n; at += n, f->part++) {
		n = sv->n - at < p->max_samples ? sv->n - at : p->max_samples;
		if (pyro_pack(f, sv->samples + at, &n, &gz, &gzlen,
		    &cause) != 0) {
			snprintf(job->answer.reason, sizeof job->answer.reason,
			    "%s", cause);
			free(cause);
			return (UPLOAD_REFUSED);
		}
		if (f->part < p->done) {
			free(gz);
			continue;
		}
		memset(&b, 0, sizeof b);
		pyro_body(f, sv->name, gz, gzlen, &b);
		free(gz);
		rc = upload_part_send(job, p, h, nh, b.s, b.len);
		free(b.s);
		if (rc != UPLOAD_DONE)
			return (rc);
	}
	return (UPLOAD_DONE);
}

static const char *
pyro_type(const char *kind)
{
	if (strcmp(kind, "cpu") == 0)
		return ("process_cpu");
	if (strcmp(kind, "offcpu") == 0)
		return ("off_cpu");
	if (strcmp(kind, "wall") == 0)
		return ("wall");
	return (NULL);
}

enum upload_result
upload_pyroscope_send(struct upload_job *job)
{
	static const char *const drop[] = { "pid", "tid", "comm" };
	struct upload_progress	 p;
	struct pyro_file	 f;
	struct pd_profile	*whole;
	enum upload_result	 rc = UPLOAD_DONE;
	char			*cause;
	size_t			 i;

	memset(&f, 0, sizeof f);
	f.job = job;
	if ((f.type = pyro_type(job->kind)) == NULL) {
		snprintf(job->answer.reason, sizeof job->answer.reason,
		    "no Pyroscope name for profiles of type %s", job->kind);
		return (UPLOAD_REFUSED);
	}
	if (pd_profile_read(job->data, job->len, 0, &whole, &cause) != 0) {
		snprintf(job->answer.reason, sizeof job->answer.reason,
		    "not a profile: %s", cause);
		free(cause);
		return (UPLOAD_REFUSED);
	}
	rc = pd_profile_drop_labels(whole, drop, job->cfg->thread_labels ?
	    2 : 3, &f.prof, &cause) == 0 ? UPLOAD_DONE : UPLOAD_REFUSED;
	pd_profile_free(whole);
	if (rc != UPLOAD_DONE) {
		snprintf(job->answer.reason, sizeof job->answer.reason,
		    "%s", cause);
		free(cause);
		return (rc);
	}
	pyro_services(&f);
	upload_progress_read(job, &p);
	for (i = 0; i < f.nservices && rc == UPLOAD_DONE; i++)
		rc = pyro_send_service(&f, &f.services[i], &p);
	if (f.nservices != 0)
		free(f.services[0].samples);
	free(f.services);
	pd_profile_free(f.prof);
	return (rc);
}
