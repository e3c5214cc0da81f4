/*
 * The command line: each long option is a configuration key, the
 * daemon's own or the engine's, checked before anything starts.
 */

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

static const struct option longopts[] = {
	{ "cgroup-label", no_argument,		NULL, 1 },
	{ "cycles",	no_argument,		NULL, 1 },
	{ "debuginfod",	required_argument,	NULL, 1 },
	{ "debuginfod-cache", required_argument, NULL, 1 },
	{ "debuginfod-timeout", required_argument, NULL, 1 },
	{ "duration",	required_argument,	NULL, 1 },
	{ "foreground",	no_argument,		NULL, 1 },
	{ "frequency",	required_argument,	NULL, 1 },
	{ "drop-frames", required_argument,	NULL, 1 },
	{ "help",	no_argument,		NULL, 1 },
	{ "kernel",	no_argument,		NULL, 1 },
	{ "label",	required_argument,	NULL, 1 },
	{ "max-age",	required_argument,	NULL, 1 },
	{ "max-bytes",	required_argument,	NULL, 1 },
	{ "max-files",	required_argument,	NULL, 1 },
	{ "metrics-file", required_argument,	NULL, 1 },
	{ "no-kernel",	no_argument,		NULL, 1 },
	{ "output-dir",	required_argument,	NULL, 1 },
	{ "offcpu-min-us", required_argument,	NULL, 1 },
	{ "offcpu-stack-size", required_argument, NULL, 1 },
	{ "pid",	required_argument,	NULL, 1 },
	{ "profiles",	required_argument,	NULL, 1 },
	{ "rotate",	required_argument,	NULL, 1 },
	{ "stack-size",	required_argument,	NULL, 1 },
	{ "unwind",	required_argument,	NULL, 1 },
	{ "unwind-memory", required_argument,	NULL, 1 },
	{ "verbose",	no_argument,		NULL, 1 },
	{ "version",	no_argument,		NULL, 1 },
	{ NULL,		0,			NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: profdropd --output-dir DIR [--frequency HZ] "
	    "[--rotate DURATION]\n"
	    "                 [--duration DURATION] [--pid PID[,PID...]] "
	    "[--cycles]\n"
	    "                 [--unwind dwarf|fp|auto] [--stack-size BYTES]\n"
	    "                 [--unwind-memory SIZE] [--metrics-file FILE]\n"
	    "                 [--max-age DURATION] [--max-bytes SIZE] "
	    "[--max-files N]\n"
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

/* A key of the daemon's own; 1 if key is not one. */
static int
options_daemon_key(struct daemon_config *dc, const char *key,
    const char *value, char **cause)
{
	unsigned long long	 v;

	if (strcmp(key, "output-dir") == 0) {
		free(dc->output_dir);
		dc->output_dir = xstrdup(value);
	} else if (strcmp(key, "rotate") == 0) {
		if (config_duration(key, value, 1, 86400, "give 1s to 1d (a "
		    "plain number is seconds; or 90s, 10m, 1h)", &v, cause) != 0)
			return (-1);
		dc->rotate = v;
	} else if (strcmp(key, "duration") == 0) {
		if (config_duration(key, value, 1, UINT_MAX, "give 1s or more "
		    "(a plain number is seconds; or 90s, 10m, 1h, 1d)", &v,
		    cause) != 0)
			return (-1);
		dc->duration = v;
	} else if (strcmp(key, "max-age") == 0) {
		if (config_duration(key, value, 0, 3650ULL * 86400, "give 0 "
		    "(keep) or up to 3650d (a plain number is seconds; or 90s, "
		    "10m, 24h, 7d)", &dc->max_age, cause) != 0)
			return (-1);
	} else if (strcmp(key, "max-bytes") == 0) {
		if (config_size(key, value, 1, 0, 1ULL << 50, "give 0 (any) "
		    "or a size (a plain number is bytes; or KiB, MiB, GiB)",
		    &dc->max_bytes, cause) != 0)
			return (-1);
	} else if (strcmp(key, "max-files") == 0) {
		if (config_number(key, value, 0, 10000000, "give 0 (any) to "
		    "10000000 files", &dc->max_files, cause) != 0)
			return (-1);
	} else if (strcmp(key, "metrics-file") == 0) {
		if (value[0] != '/') {
			xasprintf(cause, "--metrics-file %s: give an absolute "
			    "path", value);
			return (-1);
		}
		free(dc->metrics_file);
		dc->metrics_file = xstrdup(value);
	} else if (strcmp(key, "foreground") == 0)
		dc->foreground = 1;
	else if (strcmp(key, "verbose") == 0)
		dc->verbose = 1;
	else
		return (1);
	return (0);
}

/*
 * Fill dc from the command line. Returns 0, 1 when --help or --version
 * was answered, or -1 with *cause saying what is wrong.
 */
int
options_parse(struct daemon_config *dc, int argc, char **argv, char **cause)
{
	const char	*key;
	int		 ch, idx, rc;

	memset(dc, 0, sizeof *dc);
	pd_config_init(&dc->engine);
	dc->rotate = 60;
	dc->max_age = 24 * 3600;
	dc->max_bytes = 1ULL << 30;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (ch != 1) {
			xasprintf(cause, optopt != 0 ? "option %s needs a "
			    "value; see --help" : "unknown option %s; see "
			    "--help", argv[optind - 1]);
			return (-1);
		}
		key = longopts[idx].name;
		if (strcmp(key, "help") == 0) {
			usage(stdout);
			return (1);
		}
		if (strcmp(key, "version") == 0) {
			printf("profdropd %s\n", PACKAGE_VERSION);
			return (1);
		}
		if ((rc = options_daemon_key(dc, key, optarg, cause)) == 1)
			rc = pd_config_set(&dc->engine, key, optarg, cause);
		if (rc != 0)
			return (-1);
	}
	if (optind != argc) {
		xasprintf(cause, "unexpected argument %s; see --help",
		    argv[optind]);
		return (-1);
	}
	if (dc->output_dir == NULL) {
		xasprintf(cause, "--output-dir is required: name the directory "
		    "profiles are dropped into");
		return (-1);
	}
	return (0);
}

void
options_free(struct daemon_config *dc)
{
	pd_config_free(&dc->engine);
	free(dc->output_dir);
	free(dc->metrics_file);
}
