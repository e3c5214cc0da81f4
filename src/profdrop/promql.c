/*
 * When a Prometheus expression was true: its HTTP API's query_range over
 * a time range, each point of the answer standing for the step that ends
 * at it. The answer is untrusted: its size is capped and the JSON read by
 * a strict parser of just what a matrix answer holds.
 */

#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "profdrop.h"
#include "cli.h"

#define NS		INT64_C(1000000000)
#define PROMQL_MAX_BYTES	((size_t)16 << 20)
#define PROMQL_MAX_DEPTH	32
/* Prometheus refuses more points a series. */
#define PROMQL_MAX_POINTS	11000
#define PROMQL_TIMEOUT		60	/* seconds */

struct promql_body {
	char		*data;
	size_t		 len;
	size_t		 cap;
	int		 too_big;
};

/* The answer as the parser walks it. */
struct promql_json {
	const char	*p;
	const char	*end;
	int		 depth;
	const char	*bad;		/* what is wrong, at p */
	struct timespan	*spans;		/* a step ending at each true point */
	size_t		 nspans;
	size_t		 cap;
	int64_t		 step;
};

static size_t
promql_collect(char *data, size_t size, size_t n, void *arg)
{
	struct promql_body	*b = arg;

	n *= size;
	if (n > PROMQL_MAX_BYTES - b->len) {
		b->too_big = 1;
		return (0);	/* curl stops: CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1 > 2 * b->cap ? b->len + n + 1 :
		    2 * b->cap;
		b->data = alloc_resize(b->data, b->cap, 1);
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (n);
}

static void
promql_ws(struct promql_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Past c, after blanks; 0 if c is there. */
static int
promql_expect(struct promql_json *j, char c)
{
	promql_ws(j);
	if (j->p >= j->end || *j->p != c)
		return (-1);
	j->p++;
	return (0);
}

static int
promql_fail(struct promql_json *j, const char *what)
{
	if (j->bad == NULL)
		j->bad = what;
	return (-1);
}

/*
 * A string, its ASCII in buf (NUL-terminated, cut to size, anything else
 * as '?'); escapes checked as JSON has them.
 */
static int
promql_string(struct promql_json *j, char *buf, size_t size)
{
	size_t		 n = 0;
	int		 c, i;

	if (promql_expect(j, '"') != 0)
		return (promql_fail(j, "a string"));
	for (;;) {
		if (j->p >= j->end)
			return (promql_fail(j, "an unterminated string"));
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return (promql_fail(j, "a control character"));
		if (c == '\\') {
			if (j->p >= j->end)
				return (promql_fail(j, "a cut escape"));
			c = *j->p++;
			if (c == 'u') {
				for (i = 0; i < 4; i++) {
					if (j->p >= j->end || *j->p == '\0' ||
					    strchr("0123456789abcdefABCDEF",
					    *j->p) == NULL)
						return (promql_fail(j,
						    "a bad \\u escape"));
					j->p++;
				}
				c = '?';
			} else if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
				return (promql_fail(j, "a bad escape"));
			else if (c != '"' && c != '\\' && c != '/')
				c = ' ';
		}
		if (c >= 0x7f)
			c = '?';
		if (n + 1 < size)
			buf[n++] = c;
	}
	if (size > 0)
		buf[n] = '\0';
	return (0);
}

/* Past the digits at p; 0 if there was one at least. */
static int
promql_digits(struct promql_json *j)
{
	const char	*start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return (j->p > start ? 0 : -1);
}

/* A number as JSON writes it, into *v. */
static int
promql_number(struct promql_json *j, double *v)
{
	const char	*start;
	char		 buf[64], *end;

	promql_ws(j);
	start = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (promql_digits(j) != 0)
		return (promql_fail(j, "a number"));
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (promql_digits(j) != 0)
			return (promql_fail(j, "a number"));
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (promql_digits(j) != 0)
			return (promql_fail(j, "a number"));
	}
	if ((size_t)(j->p - start) >= sizeof buf)
		return (promql_fail(j, "a number too long"));
	memcpy(buf, start, j->p - start);
	buf[j->p - start] = '\0';
	*v = strtod(buf, &end);
	if (*end != '\0' || !isfinite(*v))
		return (promql_fail(j, "a number"));
	return (0);
}

/* Any value, unread: only its syntax checked. */
static int
promql_skip(struct promql_json *j)
{
	double	 v;
	char	 c;

	promql_ws(j);
	if (j->p >= j->end)
		return (promql_fail(j, "a value"));
	c = *j->p;
	if (c == '"')
		return (promql_string(j, NULL, 0));
	if (c == '{' || c == '[') {
		if (++j->depth > PROMQL_MAX_DEPTH)
			return (promql_fail(j, "values nested too deep"));
		j->p++;
		if (promql_expect(j, c == '{' ? '}' : ']') == 0) {
			j->depth--;
			return (0);
		}
		do {
			if (c == '{' && (promql_string(j, NULL, 0) != 0 ||
			    promql_expect(j, ':') != 0))
				return (promql_fail(j, "a member"));
			if (promql_skip(j) != 0)
				return (-1);
		} while (promql_expect(j, ',') == 0);
		j->depth--;
		if (promql_expect(j, c == '{' ? '}' : ']') != 0)
			return (promql_fail(j, "the end of a list"));
		return (0);
	}
	if (j->end - j->p >= 4 && (strncmp(j->p, "true", 4) == 0 ||
	    strncmp(j->p, "null", 4) == 0)) {
		j->p += 4;
		return (0);
	}
	if (j->end - j->p >= 5 && strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return (0);
	}
	return (promql_number(j, &v));
}

/*
 * An object's members, each handed to member() with its key; it reads the
 * value. Empty objects are fine.
 */
static int
promql_object(struct promql_json *j, int (*member)(struct promql_json *,
    const char *, void *), void *arg)
{
	char	 key[64];

	if (promql_expect(j, '{') != 0)
		return (promql_fail(j, "an object"));
	if (promql_expect(j, '}') == 0)
		return (0);
	do {
		if (promql_string(j, key, sizeof key) != 0 ||
		    promql_expect(j, ':') != 0)
			return (promql_fail(j, "a member"));
		if (member(j, key, arg) != 0)
			return (-1);
	} while (promql_expect(j, ',') == 0);
	if (promql_expect(j, '}') != 0)
		return (promql_fail(j, "the end of an object"));
	return (0);
}

/* A list, each element read by item(). Empty lists are fine. */
static int
promql_list(struct promql_json *j, int (*item)(struct promql_json *))
{
	if (promql_expect(j, '[') != 0)
		return (promql_fail(j, "a list"));
	if (promql_expect(j, ']') == 0)
		return (0);
	do {
		if (item(j) != 0)
			return (-1);
	} while (promql_expect(j, ',') == 0);
	if (promql_expect(j, ']') != 0)
		return (promql_fail(j, "the end of a list"));
	return (0);
}

/* [time, "value"]: a true value adds the step that ends at time. */
static int
promql_point(struct promql_json *j)
{
	struct timespan	*s;
	double		 t, v;
	char		 value[64], *end;
	int64_t		 at;

	if (promql_expect(j, '[') != 0 || promql_number(j, &t) != 0 ||
	    promql_expect(j, ',') != 0 ||
	    promql_string(j, value, sizeof value) != 0 ||
	    promql_expect(j, ']') != 0)
		return (promql_fail(j, "a point [time, \"value\"]"));
	if (t < 0 || t > 4e9)
		return (promql_fail(j, "a point's time"));
	v = strtod(value, &end);
	if (*value == '\0' || *end != '\0')
		return (promql_fail(j, "a point's value"));
	/* "0" is false, as "expr > bool 1" says it; NaN says nothing. */
	if (v == 0 || isnan(v))
		return (0);
	if (j->nspans == j->cap) {
		j->cap = j->cap != 0 ? j->cap * 2 : 256;
		j->spans = alloc_resize(j->spans, j->cap, sizeof *j->spans);
	}
	at = (int64_t)llround(t * 1000) * 1000000;
	s = &j->spans[j->nspans++];
	/* (at - step, at], as nanoseconds [start, end). */
	s->start = at - j->step + 1;
	s->end = at + 1;
	return (0);
}

static int
promql_series_member(struct promql_json *j, const char *key, void *arg)
{
	if (strcmp(key, "values") != 0)
		return (promql_skip(j));
	return (promql_list(j, promql_point));
}

static int
promql_series(struct promql_json *j)
{
	return (promql_object(j, promql_series_member, NULL));
}

struct promql_answer {
	char		 status[16];
	char		 type[16];
	char		 error[256];
	int		 has_result;
};

static int
promql_data_member(struct promql_json *j, const char *key, void *arg)
{
	struct promql_answer	*a = arg;

	if (strcmp(key, "resultType") == 0)
		return (promql_string(j, a->type, sizeof a->type));
	if (strcmp(key, "result") != 0)
		return (promql_skip(j));
	a->has_result = 1;
	return (promql_list(j, promql_series));
}

static int
promql_member(struct promql_json *j, const char *key, void *arg)
{
	struct promql_answer	*a = arg;

	if (strcmp(key, "status") == 0)
		return (promql_string(j, a->status, sizeof a->status));
	if (strcmp(key, "error") == 0)
		return (promql_string(j, a->error, sizeof a->error));
	if (strcmp(key, "data") == 0)
		return (promql_object(j, promql_data_member, a));
	return (promql_skip(j));
}

static int
promql_compare(const void *pa, const void *pb)
{
	const struct timespan	*a = pa, *b = pb;

	if (a->start != b->start)
		return (a->start < b->start ? -1 : 1);
	return (0);
}

/* The spans sorted, those that touch or overlap made one. */
static size_t
promql_join(struct timespan *s, size_t n)
{
	size_t	 i, out = 0;

	if (n == 0)
		return (0);
	qsort(s, n, sizeof *s, promql_compare);
	for (i = 1; i < n; i++) {
		if (s[i].start <= s[out].end) {
			if (s[i].end > s[out].end)
				s[out].end = s[i].end;
		} else
			s[++out] = s[i];
	}
	return (out + 1);
}

/*
 * Read the answer: 0 and the spans of a matrix, else -1 with what the
 * server said or what is wrong with it.
 */
static int
promql_parse(const struct promql_body *b, long code, struct promql_json *j,
    char **cause)
{
	struct promql_answer	 a;

	memset(&a, 0, sizeof a);
	j->p = b->data;
	j->end = b->data + b->len;
	if (promql_object(j, promql_member, &a) != 0 ||
	    (promql_ws(j), j->p != j->end)) {
		if (code != 200)
			*cause = alloc_printf("HTTP status %ld, not a "
			    "Prometheus answer; give the server's URL, the "
			    "part before /api/v1", code);
		else
			*cause = alloc_printf("not a query_range answer: "
			    "%s at byte %zu", j->bad != NULL ? j->bad :
			    "the end", (size_t)(j->p - b->data));
		return (-1);
	}
	if (strcmp(a.status, "success") != 0) {
		*cause = alloc_printf("%s%s (HTTP status %ld)", *a.error !=
		    '\0' ? "" : "status ", *a.error != '\0' ? a.error :
		    a.status, code);
		return (-1);
	}
	if (strcmp(a.type, "matrix") != 0 || !a.has_result) {
		*cause = alloc_printf("the answer is a %s, not a matrix: give "
		    "an expression of instant vectors", *a.type != '\0' ?
		    a.type : "nothing");
		return (-1);
	}
	return (0);
}

/* The form query_range takes, allocated. */
static char *
promql_form(CURL *curl, const char *expr, const struct timespan *range,
    int64_t step)
{
	char	*q, *form;

	if ((q = curl_easy_escape(curl, expr, 0)) == NULL) {
		fprintf(stderr, "profdrop: out of memory\n");
		exit(1);
	}
	form = alloc_printf("query=%s&start=%" PRId64 ".%03d&end=%" PRId64
	    ".%03d&step=%" PRId64 ".%03d", q, range->start / NS,
	    (int)(range->start % NS / 1000000), range->end / NS,
	    (int)(range->end % NS / 1000000), step / NS,
	    (int)(step % NS / 1000000));
	curl_free(q);
	return (form);
}

int
promql_when(const char *url, const char *expr, const struct timespan *range,
    int64_t step, struct timespan **spans, size_t *nspans, char **cause)
{
	struct promql_body	 b;
	struct promql_json	 j;
	CURL			*curl;
	CURLcode		 rc;
	char			 err[CURL_ERROR_SIZE], *endpoint, *form, *inner;
	long			 code = 0;
	size_t			 len;
	int			 ret = -1;

	*spans = NULL;
	*nspans = 0;
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		*cause = alloc_printf("--prometheus %s: give the server's "
		    "http:// or https:// URL", url);
		return (-1);
	}
	/* Steps Prometheus would refuse as too many: longer ones. */
	if ((range->end - range->start) / step >= PROMQL_MAX_POINTS)
		step = (range->end - range->start) / (PROMQL_MAX_POINTS - 1) +
		    1;
	if ((curl = curl_easy_init()) == NULL) {
		*cause = alloc_printf("--prometheus: libcurl cannot start");
		return (-1);
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	endpoint = alloc_printf("%.*s/api/v1/query_range", (int)len, url);
	form = promql_form(curl, expr, range, step);
	memset(&b, 0, sizeof b);
	*err = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, endpoint);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, promql_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)PROMQL_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "profdrop/" PACKAGE_VERSION);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	free(form);

	memset(&j, 0, sizeof j);
	j.step = step;
	if (b.too_big)
		*cause = alloc_printf("%s: the answer is over %zu MiB; ask for "
		    "a shorter range or a longer --step", endpoint,
		    PROMQL_MAX_BYTES >> 20);
	else if (rc != CURLE_OK)
		*cause = alloc_printf("%s: %s", endpoint, *err != '\0' ? err :
		    curl_easy_strerror(rc));
	else if (b.len == 0)
		*cause = alloc_printf("%s: HTTP status %ld, no answer",
		    endpoint, code);
	else if (promql_parse(&b, code, &j, cause) != 0) {
		inner = *cause;
		*cause = alloc_printf("%s: %s", endpoint, inner);
		free(inner);
	} else {
		*spans = j.spans;
		*nspans = promql_join(j.spans, j.nspans);
		j.spans = NULL;
		ret = 0;
	}
	free(j.spans);
	free(b.data);
	free(endpoint);
	return (ret);
}
