/*
 * Values and percentages as go tool pprof shows them: its measurement
 * package, and how its reports choose one unit for every row.
 */

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

struct unit {
	const char	*name;
	const char	*aliases[4];
	double		 factor;	/* in the kind's base unit */
};

struct unit_kind {
	const struct unit	*units;
	size_t			 nunits;
	struct unit		 fallback;
};

static const struct unit units_bytes[] = {
	{ "B", { "b", "byte" }, 1 },
	{ "kB", { "kb", "kbyte", "kilobyte" }, 1024.0 },
	{ "MB", { "mb", "mbyte", "megabyte" }, 1048576.0 },
	{ "GB", { "gb", "gbyte", "gigabyte" }, 1073741824.0 },
	{ "TB", { "tb", "tbyte", "terabyte" }, 1099511627776.0 },
	{ "PB", { "pb", "pbyte", "petabyte" }, 1125899906842624.0 }
};

static const struct unit units_time[] = {
	{ "ns", { "ns", "nanosecond" }, 1 },
	{ "us", { "\xce\xbcs", "us", "microsecond" }, 1e3 },
	{ "ms", { "ms", "millisecond" }, 1e6 },
	{ "s", { "s", "sec", "second" }, 1e9 },
	{ "hrs", { "hour", "hr" }, 3.6e12 }
};

static const struct unit_kind units_kinds[] = {
	{ units_bytes, 6, { "B", { "b", "byte" }, 1 } },
	{ units_time, 5, { "s", { NULL }, 1e9 } }
};

/* The unit of kind k a name means: lower case, a plural "s" aside. */
static const struct unit *
units_sniff(const struct unit_kind *k, const char *name)
{
	char	 lower[64];
	size_t	 i, j, len = strlen(name);

	if (len >= sizeof lower)
		return (NULL);
	for (i = 0; i <= len; i++)
		lower[i] = tolower((unsigned char)name[i]);
	if (len > 2 && lower[len - 1] == 's')
		lower[len - 1] = '\0';
	for (i = 0; i < k->nunits; i++) {
		for (j = 0; k->units[i].aliases[j] != NULL; j++) {
			if (strcmp(k->units[i].aliases[j], lower) == 0)
				return (&k->units[i]);
		}
	}
	return (NULL);
}

/*
 * value in unit from, in unit to: "minimum" or "auto" pick the largest
 * unit the value is at least 1 of. *unit is what it ends in.
 */
static double
units_scale(int64_t value, const char *from, const char *to,
    const char **unit)
{
	const struct unit_kind	*k;
	const struct unit	*u, *t;
	double			 v, f;
	size_t			 i, j;
	int			 best;

	if (value < 0 && value != INT64_MIN)
		return (-units_scale(-value, from, to, unit));
	best = strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0;
	for (i = 0; i < sizeof units_kinds / sizeof units_kinds[0]; i++) {
		k = &units_kinds[i];
		if ((u = units_sniff(k, from)) == NULL)
			continue;
		v = (double)value * u->factor;
		t = NULL;
		if (best) {
			for (j = 0, f = 0; j < k->nunits; j++) {
				if (k->units[j].factor >= f &&
				    v / k->units[j].factor >= 1.0) {
					f = k->units[j].factor;
					t = &k->units[j];
				}
			}
		} else
			t = units_sniff(k, to);
		if (t == NULL)
			t = &k->fallback;
		*unit = t->name;
		return (v / t->factor);
	}
	if (best || strcmp(to, "count") == 0 || strcmp(to, "sample") == 0 ||
	    strcmp(to, "unit") == 0)
		*unit = "";
	else
		*unit = to;
	return ((double)value);
}

/* "1.20s", "340ms", "12": value in unit from, shown in unit to. */
void
units_label(int64_t value, const char *from, const char *to, char *buf,
    size_t len)
{
	const char	*unit;
	double		 v = units_scale(value, from, to, &unit);
	size_t		 n;

	snprintf(buf, len, "%.2f", v);
	n = strlen(buf);
	if (n > 3 && strcmp(buf + n - 3, ".00") == 0)
		buf[n - 3] = '\0';
	if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0) {
		snprintf(buf, len, "0");
		return;
	}
	n = strlen(buf);
	snprintf(buf + n, len - n, "%s", unit);
}

/* "12.50%", "  100%", "0.05%": at least two digits. */
void
units_percentage(int64_t value, int64_t total, char *buf, size_t len)
{
	double	 ratio = 0;

	if (total != 0)
		ratio = fabs((double)value / (double)total) * 100;
	if (ratio >= 99.95 && ratio <= 100.05)
		snprintf(buf, len, "  100%%");
	else if (ratio >= 1.0)
		snprintf(buf, len, "%5.2f%%", ratio);
	else
		snprintf(buf, len, "%5.2g%%", ratio);
}

/*
 * The one unit for every row, given the smallest row and the total: the
 * smallest's, unless that is 100 times too small for the total.
 */
const char *
units_choose(int64_t min, int64_t max, const char *unit)
{
	const char	*min_unit, *max_unit, *out;

	if (min == 0)
		min = max;
	units_scale(min, unit, "minimum", &min_unit);
	units_scale(max, unit, "minimum", &max_unit);
	out = min_unit;
	if (strcmp(min_unit, max_unit) != 0 && min <= INT64_MAX / 100 &&
	    min * 100 < max)
		units_scale(100 * min, unit, "minimum", &out);
	return (*out != '\0' ? out : unit);
}
