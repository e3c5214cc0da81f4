/*
 * Times and durations on the command line: RFC 3339, "now", or a duration
 * before now ("-15m", "-1h30m"); all in nanoseconds since the epoch, UTC.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profdrop.h"
#include "cli.h"

#define NS	INT64_C(1000000000)
/* Far enough for any profile; far from overflowing nanoseconds. */
#define TIMEARG_MAX_SECONDS	(INT64_C(100) * 366 * 86400)

int64_t
timearg_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * NS + ts.tv_nsec);
}

/* n decimal digits at *p, moved past them; -1 if they are not there. */
static int
timearg_digits(const char **p, int n)
{
	int	 v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return (-1);
		v = v * 10 + (**p - '0');
	}
	return (v);
}

/*
 * A duration of whole numbers with units, "90s", "1h30m", "500ms"; 0 and
 * the nanoseconds, or -1 on anything else.
 */
static int
timearg_span(const char *s, int64_t *out)
{
	static const struct {
		const char	*unit;
		int64_t		 ns;
	} units[] = {	/* "ms" before "m" */
		{ "ms", NS / 1000 }, { "s", NS }, { "m", 60 * NS },
		{ "h", 3600 * NS }, { "d", 86400 * NS }
	};
	int64_t		 total = 0, v;
	size_t		 i, len;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return (-1);
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			v = v * 10 + (*s - '0');
			if (v > TIMEARG_MAX_SECONDS * 1000)
				return (-1);
		}
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			len = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, len) == 0)
				break;
		}
		if (i == sizeof units / sizeof units[0])
			return (-1);
		s += len;
		if (v > TIMEARG_MAX_SECONDS * NS / units[i].ns)
			return (-1);
		total += v * units[i].ns;
		if (total > TIMEARG_MAX_SECONDS * NS)
			return (-1);
	}
	*out = total;
	return (0);
}

/* RFC 3339: 2026-11-26T12:00:00Z, 2026-11-26T13:00:00.5+01:00. */
static int
timearg_rfc3339(const char *s, int64_t *out)
{
	struct tm	 tm, check;
	const char	*p = s;
	int64_t		 frac = 0, scale = NS, offset = 0;
	time_t		 t;
	int		 oh, om;

	memset(&tm, 0, sizeof tm);
	if ((tm.tm_year = timearg_digits(&p, 4)) == -1 || *p++ != '-' ||
	    (tm.tm_mon = timearg_digits(&p, 2)) == -1 || *p++ != '-' ||
	    (tm.tm_mday = timearg_digits(&p, 2)) == -1)
		return (-1);
	if (*p != 'T' && *p != 't')
		return (-1);
	p++;
	if ((tm.tm_hour = timearg_digits(&p, 2)) == -1 || *p++ != ':' ||
	    (tm.tm_min = timearg_digits(&p, 2)) == -1 || *p++ != ':' ||
	    (tm.tm_sec = timearg_digits(&p, 2)) == -1)
		return (-1);
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return (-1);
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		offset = *p++ == '-' ? -1 : 1;
		if ((oh = timearg_digits(&p, 2)) == -1 || *p++ != ':' ||
		    (om = timearg_digits(&p, 2)) == -1 || oh > 23 || om > 59)
			return (-1);
		offset *= oh * 3600 + om * 60;
	} else
		return (-1);
	if (*p != '\0' || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60 || tm.tm_year < 1970)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	/* A leap second is the one after it, as most clocks count it. */
	check = tm;
	check.tm_sec = 0;
	t = timegm(&check);
	if (t == (time_t)-1 || gmtime_r(&t, &check) == NULL ||
	    check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
		return (-1);
	t += tm.tm_sec - offset;
	if (t < 0 || t > TIMEARG_MAX_SECONDS)
		return (-1);
	*out = (int64_t)t * NS + frac;
	return (0);
}

int
timearg_parse(const char *what, const char *s, int64_t now, int64_t *out,
    char **cause)
{
	int64_t	 ago;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return (0);
	}
	if (*s == '-' && timearg_span(s + 1, &ago) == 0 && ago <= now) {
		*out = now - ago;
		return (0);
	}
	if (timearg_rfc3339(s, out) == 0)
		return (0);
	*cause = alloc_printf("%s %s: not a time; give one as RFC 3339 "
	    "(2026-11-26T12:00:00Z), \"now\", or a duration before now "
	    "(-15m, -1h30m)", what, s);
	return (-1);
}

int
timearg_duration(const char *what, const char *s, int64_t *out,
    char **cause)
{
	if (timearg_span(s, out) == 0 && *out > 0)
		return (0);
	*cause = alloc_printf("%s %s: not a duration; give a number with a "
	    "unit, ms, s, m, h or d (15s, 1m30s)", what, s);
	return (-1);
}

/* ns as RFC 3339 in UTC, to the millisecond. */
void
timearg_format(int64_t ns, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 t = ns / NS;
	char		 date[32];
	int		 ms = (int)(ns % NS / 1000000);

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", date, ms);
}

/*
 * Whether window w overlaps one of spans, sorted and apart: a binary
 * search for the first that ends after w starts.
 */
int
timearg_overlaps(const struct timespan *w, const struct timespan *spans,
    size_t n)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (spans[mid].end <= w->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && spans[lo].start < w->end);
}
