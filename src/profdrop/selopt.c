/*
 * The options that select windows of a drop directory, as query, top,
 * flamegraph and collapse take them: --dir, --profiles, --since, --until
 * and --tag; and the stacks of their samples, --focus and --ignore.
 */

#include <getopt.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* Room for argc tags: no option can be given more often. */
void
selopt_init(struct selopt *so, int argc)
{
	memset(so, 0, sizeof *so);
	so->kinds = 1U << PD_KIND_CPU;
	so->range.end = INT64_MAX;
	so->tags = alloc_zero(argc, sizeof *so->tags);
	so->now = timearg_now();
}

/* The last of --focus or --ignore given more than once counts, as in pprof. */
static int
selopt_regex(const char *opt, const char *arg, regex_t *re, int *has,
    char **cause)
{
	if (*has)
		regfree(re);
	*has = 0;
	if (focus_compile(opt, arg, re, cause) != 0)
		return (-1);
	*has = 1;
	return (0);
}

/*
 * Take option ch (SELOPT_* or 'd', 't') with its argument: 0 if taken, 1
 * if ch is none of these, -1 if the argument is wrong.
 */
int
selopt_set(struct selopt *so, int ch, const char *arg, char **cause)
{
	switch (ch) {
	case 'd':
		so->dir = arg;
		return (0);
	case SELOPT_PROFILES:
		return (dropsel_kinds(arg, &so->kinds, cause));
	case SELOPT_SINCE:
		so->since_given = 1;
		return (timearg_parse("--since", arg, so->now, &so->range.start,
		    cause));
	case SELOPT_UNTIL:
		so->until_given = 1;
		return (timearg_parse("--until", arg, so->now, &so->range.end,
		    cause));
	case 't':
		if (strchr(arg, '=') == NULL || *arg == '=') {
			*cause = alloc_printf("--tag %s: give KEY=VALUE", arg);
			return (-1);
		}
		so->tags[so->ntags++] = arg;
		return (0);
	case SELOPT_FOCUS:
		return (selopt_regex("--focus", arg, &so->focus,
		    &so->has_focus, cause));
	case SELOPT_IGNORE:
		return (selopt_regex("--ignore", arg, &so->ignore,
		    &so->has_ignore, cause));
	}
	return (1);
}

/*
 * getopt_long, taking the options of so as they come: the next other
 * option, -1 at the end, or SELOPT_WRONG if an argument is wrong.
 */
int
selopt_next(struct selopt *so, int argc, char **argv, const char *optstring,
    const struct option *longopts, char **cause)
{
	int	 ch, rc;

	while ((ch = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		if ((rc = selopt_set(so, ch, optarg, cause)) == 1)
			return (ch);
		if (rc != 0)
			return (SELOPT_WRONG);
	}
	return (-1);
}

/* Once every option is in: a range that is one. */
int
selopt_check(const struct selopt *so, char **cause)
{
	if (so->range.start >= so->range.end) {
		*cause = alloc_printf("--since is not before --until");
		return (-1);
	}
	return (0);
}

/* The drop directory: --dir, else the one profdropd writes to. */
int
selopt_dir(struct selopt *so, char **cause)
{
	if (so->dir != NULL)
		return (0);
	if ((so->configured = cliconf_drop_dir(cause)) == NULL)
		return (-1);
	so->dir = so->configured;
	return (0);
}

/* "cpu or wall profile since 2026-11-26T12:00:00.000Z"; allocated. */
char *
selopt_asked(const struct selopt *so)
{
	char	 a[40], b[40], *s, *t;
	int	 k;

	s = alloc_printf("%s", "");
	for (k = 0; k < PD_NKINDS; k++) {
		if ((so->kinds & (1U << k)) == 0)
			continue;
		t = alloc_printf("%s%s%s", s, *s == '\0' ? "" : " or ",
		    pd_kind_name(k));
		free(s);
		s = t;
	}
	timearg_format(so->range.start, a, sizeof a);
	timearg_format(so->range.end, b, sizeof b);
	t = alloc_printf("%s profile%s%s%s%s", s,
	    so->since_given ? " since " : "", so->since_given ? a : "",
	    so->until_given ? " until " : "", so->until_given ? b : "");
	free(s);
	return (t);
}

void
selopt_free(struct selopt *so)
{
	free(so->tags);
	free(so->configured);
	if (so->has_focus)
		regfree(&so->focus);
	if (so->has_ignore)
		regfree(&so->ignore);
}
