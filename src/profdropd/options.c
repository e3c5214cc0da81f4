/*
 * The configuration: each long option is a key, the daemon's own or the
 * engine's, also in the configuration file ("key = value") and in the
 * environment (PROFDROP_<KEY>); all checked before anything starts.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

static const struct option longopts[] = {
	{ "cgroup-label", no_argument,		NULL, 1 },
	{ "check-config", no_argument,		NULL, 1 },
	{ "config",	required_argument,	NULL, 'c' },
	{ "cycles",	no_argument,		NULL, 1 },
	{ "debuginfod",	required_argument,	NULL, 1 },
	{ "debuginfod-cache", required_argument, NULL, 1 },
	{ "debuginfod-timeout", required_argument, NULL, 1 },
	{ "duration",	required_argument,	NULL, 1 },
	{ "enabled",	required_argument,	NULL, 1 },
	{ "foreground",	no_argument,		NULL, 1 },
	{ "frequency",	required_argument,	NULL, 1 },
	{ "group",	required_argument,	NULL, 1 },
	{ "drop-frames", required_argument,	NULL, 1 },
	{ "help",	no_argument,		NULL, 1 },
	{ "idle",	no_argument,		NULL, 1 },
	{ "kernel",	no_argument,		NULL, 1 },
	{ "label",	required_argument,	NULL, 1 },
	{ "log-level",	required_argument,	NULL, 1 },
	{ "max-age",	required_argument,	NULL, 1 },
	{ "max-bytes",	required_argument,	NULL, 1 },
	{ "max-files",	required_argument,	NULL, 1 },
	{ "metrics-file", required_argument,	NULL, 1 },
	{ "no-kernel",	no_argument,		NULL, 1 },
	{ "output-dir",	required_argument,	NULL, 1 },
	{ "offcpu-min-us", required_argument,	NULL, 1 },
	{ "offcpu-stack-size", required_argument, NULL, 1 },
	{ "pid",	required_argument,	NULL, 1 },
	{ "pidfile",	required_argument,	NULL, 1 },
	{ "profiles",	required_argument,	NULL, 1 },
	{ "ring-memory", required_argument,	NULL, 1 },
	{ "rotate",	required_argument,	NULL, 1 },
	{ "service-label", required_argument,	NULL, 1 },
	{ "stack-size",	required_argument,	NULL, 1 },
	{ "tenant",	required_argument,	NULL, 1 },
	{ "unwind",	required_argument,	NULL, 1 },
	{ "user",	required_argument,	NULL, 1 },
	{ "unwind-memory", required_argument,	NULL, 1 },
	{ "upload",	required_argument,	NULL, 1 },
	{ "upload-backoff", required_argument,	NULL, 1 },
	{ "upload-backoff-max", required_argument, NULL, 1 },
	{ "upload-ca",	required_argument,	NULL, 1 },
	{ "upload-cert", required_argument,	NULL, 1 },
	{ "upload-connect-timeout", required_argument, NULL, 1 },
	{ "upload-delete", no_argument,		NULL, 1 },
	{ "upload-drain", required_argument,	NULL, 1 },
	{ "upload-header", required_argument,	NULL, 1 },
	{ "upload-key",	required_argument,	NULL, 1 },
	{ "upload-max-age", required_argument,	NULL, 1 },
	{ "upload-max-bytes", required_argument, NULL, 1 },
	{ "upload-max-samples", required_argument, NULL, 1 },
	{ "upload-password", required_argument, NULL, 1 },
	{ "upload-thread-labels", no_argument,	NULL, 1 },
	{ "upload-timeout", required_argument,	NULL, 1 },
	{ "upload-token", required_argument,	NULL, 1 },
	{ "upload-token-file", required_argument, NULL, 1 },
	{ "upload-url",	required_argument,	NULL, 1 },
	{ "upload-user", required_argument,	NULL, 1 },
	{ "verbose",	no_argument,		NULL, 1 },
	{ "version",	no_argument,		NULL, 1 },
	{ NULL,		0,			NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: profdropd [-c FILE] [--output-dir DIR] [--frequency HZ] "
	    "[--rotate DURATION]\n"
	    "                 [--duration DURATION] [--pid PID[,PID...]] "
	    "[--cycles]\n"
	    "                 [--unwind dwarf|fp|auto] [--stack-size BYTES]\n"
	    "                 [--unwind-memory SIZE] [--ring-memory SIZE]\n"
	    "                 [--metrics-file FILE]"
	    " [--max-age DURATION] [--max-bytes SIZE]\n"
	    "                 [--max-files N]"
	    " [--profiles cpu,offcpu,wall]\n"
	    "                 [--offcpu-stack-size BYTES]"
	    " [--offcpu-min-us MICROSECONDS]\n"
	    "                 [--label KEY=VALUE]... [--drop-frames REGEX]\n"
	    "                 [--cgroup-label] [--idle] [--kernel | --no-kernel]\n"
	    "                 [--debuginfod URLS] [--debuginfod-timeout SECONDS]"
	    "\n                 [--debuginfod-cache DIR]\n"
	    "                 [--upload pyroscope|http|none] [--upload-url URL]\n"
	    "                 [--upload-delete] [--upload-max-age DURATION]\n"
	    "                 [--upload-backoff DURATION] "
	    "[--upload-backoff-max DURATION]\n"
	    "                 [--upload-max-samples N] [--upload-max-bytes SIZE]"
	    "\n                 [--service-label KEY] [--upload-thread-labels] "
	    "[--tenant ID]\n"
	    "                 [--upload-token-file FILE] [--upload-user NAME]\n"
	    "                 [--upload-ca FILE] [--upload-cert FILE] "
	    "[--upload-key FILE]\n"
	    "                 [--upload-connect-timeout DURATION] "
	    "[--upload-timeout DURATION]\n"
	    "                 [--upload-drain DURATION]\n"
	    "                 [--upload-header 'NAME: VALUE']... "
	    "[--upload-token TOKEN]\n"
	    "                 [--upload-password PASSWORD] (these three from "
	    "the file or\n"
	    "                 the environment only: never on the command line)\n"
	    "                 [--group NAME] [--user NAME] [--pidfile FILE]\n"
	    "                 [--enabled yes|no]"
	    " [--log-level warn|info|debug] [--foreground]\n"
	    "                 [--verbose]"
	    " [--check-config] [--help] [--version]\n");
}

/* A key of the daemon's own; 1 if key is not one. */
static int
options_daemon_key(struct daemon_config *dc, const char *key,
    const char *value, char **cause)
{
	struct group		*gr;
	struct passwd		*pw;
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
	} else if (strcmp(key, "group") == 0) {
		if ((gr = getgrnam(value)) == NULL) {
			xasprintf(cause, "--group %s: no such group; name one "
			    "of getent group", value);
			return (-1);
		}
		dc->group = gr->gr_gid;
	} else if (strcmp(key, "user") == 0) {
		if ((pw = getpwnam(value)) == NULL) {
			xasprintf(cause, "--user %s: no such user; name one "
			    "of getent passwd", value);
			return (-1);
		}
		free(dc->user);
		dc->user = xstrdup(value);
		dc->uid = pw->pw_uid;
		dc->gid = pw->pw_gid;
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
		dc->log_level = PD_LOG_DEBUG;
	else if (strcmp(key, "log-level") == 0) {
		if (strcmp(value, "warn") == 0)
			dc->log_level = PD_LOG_WARN;
		else if (strcmp(value, "info") == 0)
			dc->log_level = PD_LOG_INFO;
		else if (strcmp(value, "debug") == 0)
			dc->log_level = PD_LOG_DEBUG;
		else {
			xasprintf(cause, "--log-level %s: give warn, info or "
			    "debug", value);
			return (-1);
		}
	} else if (strcmp(key, "pidfile") == 0) {
		if (value[0] != '/') {
			xasprintf(cause, "--pidfile %s: give an absolute path",
			    value);
			return (-1);
		}
		free(dc->pidfile);
		dc->pidfile = xstrdup(value);
	} else
		return (upload_option(&dc->upload, key, value, cause));
	return (0);
}

/* One setting: a key's value at one level, and where it was given. */
struct setting {
	char		*key;
	char		*value;		/* NULL for a flag on the command line */
	char		*where;		/* "--rotate", "PROFDROP_ROTATE", "f:12" */
	int		 level;		/* LEVEL_* */
};

enum {
	LEVEL_FILE,
	LEVEL_ENV,
	LEVEL_ARGS
};

struct settings {
	struct setting	*v;
	size_t		 n;
	char		*file;		/* the configuration file read */
	int		 check;		/* --check-config */
};

static void
settings_add(struct settings *ss, const char *key, const char *value,
    const char *where, int level)
{
	struct setting	*s;

	ss->v = xreallocarray(ss->v, ss->n + 1, sizeof *ss->v);
	s = &ss->v[ss->n++];
	s->key = xstrdup(key);
	s->value = value != NULL ? xstrdup(value) : NULL;
	s->where = xstrdup(where);
	s->level = level;
}

static void
settings_free(struct settings *ss)
{
	size_t	 i;

	for (i = 0; i < ss->n; i++) {
		free(ss->v[i].key);
		free(ss->v[i].value);
		free(ss->v[i].where);
	}
	free(ss->v);
	free(ss->file);
}

/* The option a key is, or NULL; keys are the long options' names. */
static const struct option *
options_key(const char *key)
{
	const struct option	*o;

	for (o = longopts; o->name != NULL; o++) {
		if (strcmp(o->name, key) == 0)
			return (o);
	}
	return (NULL);
}

/* Keys that are no configuration: what the command line alone says. */
static int
options_command_only(const char *key)
{
	return (strcmp(key, "help") == 0 || strcmp(key, "version") == 0 ||
	    strcmp(key, "config") == 0 || strcmp(key, "check-config") == 0);
}

/* A flag's value in a file or the environment: 1, 0, or -1 if neither. */
static int
options_bool(const char *value)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
	    strcmp(value, "1") == 0 || strcmp(value, "on") == 0)
		return (1);
	if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
	    strcmp(value, "0") == 0 || strcmp(value, "off") == 0)
		return (0);
	return (-1);
}

/*
 * Read "key = value" lines, "#" comments and blank lines from path into
 * ss. A missing file is an error only when must is set.
 */
static int
options_read_file(struct settings *ss, const char *path, int must,
    char **cause)
{
	char	 line[4096], where[64], *key, *value, *end, *eq;
	FILE	*f;
	int	 n = 0, rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !must)
			return (0);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	ss->file = xstrdup(path);
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			xasprintf(cause, "%s:%d: line too long", path, n);
			rc = -1;
			break;
		}
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\n' || *key == '\0')
			continue;
		for (end = key + strlen(key); end > key &&
		    strchr(" \t\n\r", end[-1]) != NULL; end--)
			;
		*end = '\0';
		if ((eq = strchr(key, '=')) == NULL) {
			xasprintf(cause, "%s:%d: %s: give key = value", path, n,
			    key);
			rc = -1;
			break;
		}
		value = eq + 1 + strspn(eq + 1, " \t");
		for (end = eq; end > key && strchr(" \t", end[-1]) != NULL;
		    end--)
			;
		*end = '\0';
		snprintf(where, sizeof where, "%d", n);
		settings_add(ss, key, value, where, LEVEL_FILE);
	}
	if (rc == 0 && ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return (rc);
}

/* PROFDROP_<KEY> for every key there is, and no other name. */
static void
options_read_env(struct settings *ss)
{
	const struct option	*o;
	char			 name[64], *p;
	const char		*value;

	for (o = longopts; o->name != NULL; o++) {
		if (options_command_only(o->name))
			continue;
		snprintf(name, sizeof name, "PROFDROP_%s", o->name);
		for (p = name; *p != '\0'; p++)
			*p = *p == '-' ? '_' : toupper((unsigned char)*p);
		if ((value = getenv(name)) != NULL)
			settings_add(ss, o->name, value, name, LEVEL_ENV);
	}
}

/* The command line, as settings; -1 with *cause, 1 for --help/--version. */
static int
options_read_args(struct settings *ss, int argc, char **argv, char **cause)
{
	const char	*key;
	char		*where, *abs;
	int		 ch, idx;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, &idx)) != -1) {
		if (ch == 'c') {
			/* Absolute, to read again after leaving the directory. */
			abs = realpath(optarg, NULL);
			settings_add(ss, "config", abs != NULL ? abs : optarg,
			    "-c", LEVEL_ARGS);
			free(abs);
			continue;
		}
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
		if (strcmp(key, "check-config") == 0) {
			ss->check = 1;
			continue;
		}
		xasprintf(&where, "--%s", key);
		settings_add(ss, key, optarg, where, LEVEL_ARGS);
		free(where);
	}
	if (optind != argc) {
		xasprintf(cause, "unexpected argument %s; see --help",
		    argv[optind]);
		return (-1);
	}
	return (0);
}

/* Say where a setting came from, before its own message. */
static void
options_blame(const struct settings *ss, const struct setting *s,
    char **cause)
{
	char	*inner = *cause;

	if (s->level == LEVEL_FILE)
		xasprintf(cause, "%s:%s: %s", ss->file, s->where, inner);
	else if (s->level == LEVEL_ENV)
		xasprintf(cause, "%s: %s", s->where, inner);
	else
		return;
	free(inner);
}

/* Apply one setting to dc: a flag takes a yes/no value outside argv. */
static int
options_apply(struct daemon_config *dc, const struct setting *s,
    char **cause)
{
	const struct option	*o = options_key(s->key);
	int			 b, rc;

	if (o == NULL || options_command_only(s->key)) {
		xasprintf(cause, "%s: no such key; see profdrop.conf(5)",
		    s->key);
		return (-1);
	}
	if (strcmp(s->key, "enabled") == 0 ||
	    (o->has_arg == no_argument && s->value != NULL)) {
		if ((b = options_bool(s->value)) == -1) {
			xasprintf(cause, "%s = %s: give yes or no", s->key,
			    s->value);
			return (-1);
		}
		if (strcmp(s->key, "enabled") == 0)
			dc->disabled = !b;
		else if (strcmp(s->key, "kernel") == 0 ||
		    strcmp(s->key, "no-kernel") == 0)
			dc->engine.kernel = b == (strcmp(s->key, "kernel") == 0);
		else if (strcmp(s->key, "cycles") == 0)
			dc->engine.use_cycles = b;
		else if (strcmp(s->key, "cgroup-label") == 0)
			dc->engine.cgroup_label = b;
		else if (strcmp(s->key, "idle") == 0)
			dc->engine.idle = b;
		else if (strcmp(s->key, "foreground") == 0)
			dc->foreground = b;
		else if (strcmp(s->key, "verbose") == 0)
			dc->log_level = b ? PD_LOG_DEBUG : PD_LOG_INFO;
		else if (strcmp(s->key, "upload-delete") == 0)
			dc->upload.delete = b;
		else if (strcmp(s->key, "upload-thread-labels") == 0)
			dc->upload.thread_labels = b;
		return (0);
	}
	/* Others can read a command line in /proc/PID/cmdline. */
	if (s->level == LEVEL_ARGS && upload_secret(s->key)) {
		xasprintf(cause, "--%s: a secret is not taken on the command "
		    "line, which every user can read; put it in the "
		    "configuration file (chmod 600) or PROFDROP_%s, or use "
		    "--upload-token-file", s->key, s->key[7] == 't' ?
		    "UPLOAD_TOKEN" : s->key[7] == 'p' ? "UPLOAD_PASSWORD" :
		    "UPLOAD_HEADER");
		return (-1);
	}
	if ((rc = options_daemon_key(dc, s->key, s->value, cause)) == 1)
		rc = pd_config_set(&dc->engine, s->key, s->value, cause);
	return (rc);
}

static void
options_defaults(struct daemon_config *dc)
{
	memset(dc, 0, sizeof *dc);
	pd_config_init(&dc->engine);
	dc->output_dir = xstrdup(PROFDROP_OUTPUT_DIR);
	dc->rotate = 60;
	dc->log_level = PD_LOG_INFO;
	dc->max_age = 24 * 3600;
	dc->max_bytes = 1ULL << 30;
	dc->group = (gid_t)-1;
	dc->upload.max_age = 55 * 60;
	dc->upload.backoff_ms = 1000;
	dc->upload.backoff_max_ms = 300000;
	dc->upload.max_samples = 16000;
	dc->upload.max_bytes = 4ULL << 20;
	dc->upload.connect_timeout_ms = 10000;
	dc->upload.timeout_ms = 60000;
	dc->upload.drain_ms = 2000;
	dc->upload.service_label = xstrdup("process");
}

/*
 * The highest level that sets a key wins (command line, environment,
 * file, defaults); a list (label, pid) given at a level replaces the
 * lower levels' lists.
 */
static int
options_wins(const struct settings *ss, size_t i)
{
	size_t	 j;

	for (j = 0; j < ss->n; j++) {
		if (j != i && strcmp(ss->v[j].key, ss->v[i].key) == 0 &&
		    ss->v[j].level > ss->v[i].level)
			return (0);
	}
	return (1);
}

/* Keep a winning setting, for a reload to compare. */
static void
options_keep(struct daemon_config *dc, const struct setting *s)
{
	char	**v;

	v = xreallocarray(dc->settings, dc->nsettings + 1, sizeof *v);
	xasprintf(&v[dc->nsettings++], "%s=%s", s->key,
	    s->value != NULL ? s->value : "yes");
	dc->settings = v;
}

/* What --check-config says: valid, and each key that is set, from where. */
static void
options_report(const struct settings *ss, const char *file, char **cause)
{
	const struct setting	*s;
	char			*report, *line;
	size_t			 i;

	xasprintf(&report, "the configuration is valid (%s%s)", file,
	    ss->file == NULL ? " does not exist" : "");
	for (i = 0; i < ss->n; i++) {
		s = &ss->v[i];
		if (strcmp(s->key, "config") == 0 || !options_wins(ss, i))
			continue;
		xasprintf(&line, "%s\n%s = %s\t(%s%s%s)", report, s->key,
		    upload_secret(s->key) ? "(secret)" :
		    s->value != NULL ? s->value : "yes",
		    s->level == LEVEL_FILE ? ss->file : "",
		    s->level == LEVEL_FILE ? ":" : "", s->where);
		free(report);
		report = line;
	}
	*cause = report;
}

/*
 * A file that holds a secret must be the owner's alone: refuse one that
 * others may read, with the fix.
 */
static int
options_secret_file(const struct settings *ss, char **cause)
{
	struct stat	 st;
	size_t		 i;

	for (i = 0; i < ss->n; i++) {
		if (ss->v[i].level == LEVEL_FILE && upload_secret(ss->v[i].key))
			break;
	}
	if (i == ss->n)
		return (0);
	if (stat(ss->file, &st) != 0) {
		xasprintf(cause, "%s: %s", ss->file, strerror(errno));
		return (-1);
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "%s: holds a secret (%s) but others may read "
		    "it (mode %03o); chmod 600 %s", ss->file, ss->v[i].key,
		    (unsigned int)(st.st_mode & 0777), ss->file);
		return (-1);
	}
	return (0);
}

/*
 * Fill dc from the configuration file (-c FILE, or the default one when
 * it exists), the environment (PROFDROP_<KEY>) and the command line.
 * Returns 0; 1 when --help or --version was answered; 2 for
 * --check-config or "enabled = no", with *cause saying so; or -1 with
 * *cause naming the file and line, or the variable, the key and what is
 * valid.
 */
int
options_parse(struct daemon_config *dc, int argc, char **argv, char **cause)
{
	struct settings		 ss;
	struct daemon_config	 scratch;
	const char		*file = PROFDROP_CONF;
	size_t			 i;
	int			 rc, must = 0;

	memset(&ss, 0, sizeof ss);
	options_defaults(dc);
	if ((rc = options_read_args(&ss, argc, argv, cause)) != 0)
		goto out;
	for (i = 0; i < ss.n; i++) {
		if (strcmp(ss.v[i].key, "config") == 0) {
			file = ss.v[i].value;
			must = 1;
		}
	}
	if ((rc = options_read_file(&ss, file, must, cause)) != 0)
		goto out;
	options_read_env(&ss);

	/* Every value is checked, also those a higher level overrides. */
	for (i = 0; i < ss.n && rc == 0; i++) {
		if (strcmp(ss.v[i].key, "config") == 0)
			continue;
		options_defaults(&scratch);
		if ((rc = options_apply(&scratch, &ss.v[i], cause)) != 0)
			options_blame(&ss, &ss.v[i], cause);
		options_free(&scratch);
	}
	for (i = 0; i < ss.n && rc == 0; i++) {
		if (strcmp(ss.v[i].key, "config") != 0 && options_wins(&ss, i))
			rc = options_apply(dc, &ss.v[i], cause);
	}
	for (i = 0; i < ss.n && rc == 0; i++) {
		if (strcmp(ss.v[i].key, "config") != 0 && options_wins(&ss, i))
			options_keep(dc, &ss.v[i]);
	}
	if (rc == 0)
		rc = upload_check(&dc->upload, cause);
	if (rc == 0)
		rc = options_secret_file(&ss, cause);
	if (rc != 0)
		goto out;
	if (dc->disabled) {
		xasprintf(cause, "disabled by the configuration (enabled = no)");
		rc = 2;
	} else if (ss.check) {
		options_report(&ss, file, cause);
		rc = 2;
	}
out:
	settings_free(&ss);
	return (rc);
}

void
options_free(struct daemon_config *dc)
{
	pd_config_free(&dc->engine);
	upload_config_free(&dc->upload);
	free(dc->output_dir);
	free(dc->metrics_file);
	free(dc->pidfile);
	free(dc->user);
	while (dc->nsettings > 0)
		free(dc->settings[--dc->nsettings]);
	free(dc->settings);
}
