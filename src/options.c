/* Command-line options: parsed and validated before anything starts. */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

struct options	 opts = {
	.frequency = 99,
	.rotate = 60,
	.unwind = UNWIND_AUTO,
	.stack_size = PROFDROP_STACK_SIZE,
	.unwind_memory = (size_t)PROFDROP_UNWIND_MEMORY << 20,
	.offcpu_stack_size = PROFDROP_OFFCPU_STACK_SIZE,
	.offcpu_min_us = PROFDROP_OFFCPU_MIN_US,
	.kernel = 1,
	.profiles = PROFILE_CPU | PROFILE_OFFCPU | PROFILE_WALL,
};

static const struct option longopts[] = {
	{ "cgroup-label", no_argument,		NULL, 'g' },
	{ "cycles",	no_argument,		NULL, 'c' },
	{ "debuginfod",	required_argument,	NULL, 'i' },
	{ "debuginfod-cache", required_argument, NULL, 'C' },
	{ "debuginfod-timeout", required_argument, NULL, 'T' },
	{ "duration",	required_argument,	NULL, 'd' },
	{ "foreground",	no_argument,		NULL, 'f' },
	{ "frequency",	required_argument,	NULL, 'F' },
	{ "drop-frames", required_argument,	NULL, 'D' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "kernel",	no_argument,		NULL, 'k' },
	{ "label",	required_argument,	NULL, 'l' },
	{ "no-kernel",	no_argument,		NULL, 'K' },
	{ "output-dir",	required_argument,	NULL, 'o' },
	{ "offcpu-min-us", required_argument,	NULL, 'm' },
	{ "offcpu-stack-size", required_argument, NULL, 'S' },
	{ "pid",	required_argument,	NULL, 'p' },
	{ "profiles",	required_argument,	NULL, 'P' },
	{ "rotate",	required_argument,	NULL, 'r' },
	{ "stack-size",	required_argument,	NULL, 's' },
	{ "unwind",	required_argument,	NULL, 'u' },
	{ "unwind-memory", required_argument,	NULL, 'U' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: profdropd --output-dir DIR [--frequency HZ] "
	    "[--rotate SECONDS]\n"
	    "                 [--duration SECONDS] [--pid PID[,PID...]] "
	    "[--cycles]\n"
	    "                 [--unwind dwarf|fp|auto] [--stack-size BYTES]\n"
	    "                 [--unwind-memory MIB]\n"
	    "                 [--profiles cpu,offcpu,wall] "
	    "[--offcpu-stack-size BYTES]\n"
	    "                 [--offcpu-min-us MICROSECONDS]\n"
	    "                 [--label KEY=VALUE]... [--drop-frames REGEX]\n"
	    "                 [--cgroup-label] [--kernel | --no-kernel]\n"
	    "                 [--debuginfod URLS] [--debuginfod-timeout SECONDS]"
	    "\n                 [--debuginfod-cache DIR]\n"
	    "                 [--foreground] [--verbose] [--help] "
	    "[--version]\n");
}

static __dead void
bad_option(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "profdropd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static unsigned long long
parse_number(const char *option, const char *arg, unsigned long long min,
    unsigned long long max, const char *hint)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] == '\0' || arg[0] == '-' || arg[0] == '+' || *end != '\0')
		bad_option("--%s %s: not a whole number; %s", option, arg,
		    hint);
	if (errno == ERANGE || v < min || v > max)
		bad_option("--%s %s: out of range; %s", option, arg, hint);
	return (v);
}

static void
parse_pids(const char *arg)
{
	char	*copy, *word, *save = NULL;

	copy = xstrdup(arg);
	for (word = strtok_r(copy, ",", &save); word != NULL;
	    word = strtok_r(NULL, ",", &save)) {
		opts.pids = xreallocarray(opts.pids, opts.npids + 1,
		    sizeof *opts.pids);
		opts.pids[opts.npids++] = parse_number("pid", word, 1,
		    INT_MAX, "give process ids separated by commas");
	}
	if (opts.npids == 0)
		bad_option("--pid %s: no process id given", arg);
	free(copy);
}

static unsigned int
parse_stack_size(const char *option, const char *arg)
{
	unsigned int	 size;

	size = parse_number(option, arg, 8, 65528,
	    "give 8 to 65528 bytes, a multiple of 8");
	if (size % 8 != 0)
		bad_option("--%s %s: not a multiple of 8", option, arg);
	return (size);
}

static void
parse_profiles(const char *arg)
{
	char	*copy, *word, *save = NULL;

	opts.profiles = 0;
	opts.profiles_asked = 1;
	copy = xstrdup(arg);
	for (word = strtok_r(copy, ",", &save); word != NULL;
	    word = strtok_r(NULL, ",", &save)) {
		if (strcmp(word, "cpu") == 0)
			opts.profiles |= PROFILE_CPU;
		else if (strcmp(word, "offcpu") == 0)
			opts.profiles |= PROFILE_OFFCPU;
		else if (strcmp(word, "wall") == 0)
			opts.profiles |= PROFILE_WALL;
		else
			bad_option("--profiles %s: unknown profile %s; give "
			    "some of cpu, offcpu, wall", arg, word);
	}
	free(copy);
	if (opts.profiles == 0)
		bad_option("--profiles %s: give some of cpu, offcpu, wall",
		    arg);
}

/* KEY=VALUE; keys as Pyroscope allows them, values not empty. */
static void
parse_label(const char *arg)
{
	struct pprof_label	*l;
	const char		*eq = strchr(arg, '='), *p;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		bad_option("--label %s: give KEY=VALUE, both not empty", arg);
	for (p = arg; p < eq; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			bad_option("--label %s: a key holds only letters, "
			    "digits, '_' and '.'", arg);
	}
	if (opts.nlabels == PROFDROP_MAX_LABELS)
		bad_option("--label %s: at most %d labels", arg,
		    PROFDROP_MAX_LABELS);
	opts.labels = xreallocarray(opts.labels, opts.nlabels + 1,
	    sizeof *opts.labels);
	l = &opts.labels[opts.nlabels++];
	memset(l, 0, sizeof *l);
	l->key = xstrdup(arg);
	((char *)l->key)[eq - arg] = '\0';
	l->str = l->key + (eq - arg) + 1;
}

static void
parse_drop_frames(const char *arg)
{
	regex_t	 re;
	char	 why[256];
	int	 rc;

	if ((rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, why, sizeof why);
		bad_option("--drop-frames %s: %s", arg, why);
	}
	regfree(&re);
	opts.drop_frames = arg;
}

static unsigned int
max_sample_rate(void)
{
	FILE		*f;
	unsigned int	 rate = 100000;

	if ((f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r"))) {
		if (fscanf(f, "%u", &rate) != 1)
			rate = 100000;
		fclose(f);
	}
	return (rate);
}

void
options_parse(int argc, char **argv)
{
	unsigned int	 max_hz = max_sample_rate();
	char		 hint[128];
	int		 ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.use_cycles = 1;
			break;
		case 'd':
			opts.duration = parse_number("duration", optarg, 1,
			    UINT_MAX, "give seconds, at least 1");
			break;
		case 'f':
			opts.foreground = 1;
			break;
		case 'F':
			snprintf(hint, sizeof hint, "give 1 to %u Hz "
			    "(kernel.perf_event_max_sample_rate)", max_hz);
			opts.frequency = parse_number("frequency", optarg, 1,
			    max_hz, hint);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'o':
			opts.output_dir = optarg;
			break;
		case 'p':
			parse_pids(optarg);
			break;
		case 'r':
			opts.rotate = parse_number("rotate", optarg, 1, 86400,
			    "give 1 to 86400 seconds");
			break;
		case 's':
			opts.stack_size = parse_stack_size("stack-size", optarg);
			break;
		case 'U':
			opts.unwind_memory = (size_t)parse_number(
			    "unwind-memory", optarg, 1, 65536,
			    "give 1 to 65536 MiB") << 20;
			break;
		case 'S':
			opts.offcpu_stack_size = parse_stack_size(
			    "offcpu-stack-size", optarg);
			break;
		case 'P':
			parse_profiles(optarg);
			break;
		case 'l':
			parse_label(optarg);
			break;
		case 'g':
			opts.cgroup_label = 1;
			break;
		case 'k':
		case 'K':
			opts.kernel = ch == 'k';
			break;
		case 'i':
			if (*optarg == '\0')
				bad_option("--debuginfod: give the servers' URLs, "
				    "separated by spaces");
			setenv("DEBUGINFOD_URLS", optarg, 1);
			break;
		case 'C':
			if (*optarg != '/')
				bad_option("--debuginfod-cache %s: give an "
				    "absolute path", optarg);
			setenv("DEBUGINFOD_CACHE_PATH", optarg, 1);
			break;
		case 'T':
			parse_number("debuginfod-timeout", optarg, 1, 3600,
			    "give 1 to 3600 seconds");
			setenv("DEBUGINFOD_TIMEOUT", optarg, 1);
			break;
		case 'D':
			parse_drop_frames(optarg);
			break;
		case 'm':
			opts.offcpu_min_us = parse_number("offcpu-min-us",
			    optarg, 0, 60000000, "give 0 to 60000000 "
			    "microseconds");
			break;
		case 'u':
			if (strcmp(optarg, "dwarf") == 0)
				opts.unwind = UNWIND_DWARF;
			else if (strcmp(optarg, "fp") == 0)
				opts.unwind = UNWIND_FP;
			else if (strcmp(optarg, "auto") == 0)
				opts.unwind = UNWIND_AUTO;
			else
				bad_option("--unwind %s: give dwarf, fp or auto",
				    optarg);
			break;
		case 'v':
			opts.verbose = 1;
			break;
		case 'V':
			printf("profdropd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			if (optopt != 0)
				bad_option("option %s needs a value; see --help",
				    argv[optind - 1]);
			bad_option("unknown option %s; see --help",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		bad_option("unexpected argument %s; see --help", argv[optind]);
	/* debuginfod is opt-in; its defaults are made to fit a daemon. */
	if (getenv("DEBUGINFOD_URLS") != NULL) {
		setenv("DEBUGINFOD_CACHE_PATH", PROFDROP_CACHE_DIR "/debuginfod",
		    0);
		setenv("DEBUGINFOD_TIMEOUT", "5", 0);
		/* One try per binary: a retry would double a hung wait. */
		setenv("DEBUGINFOD_RETRY_LIMIT", "0", 0);
	}
	if (opts.output_dir == NULL)
		bad_option("--output-dir is required: name the directory "
		    "profiles are dropped into");
}

