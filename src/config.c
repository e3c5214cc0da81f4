/*
 * The engine's configuration: what the user asked, key by key, each value
 * checked with a message that names the problem and the fix. Nothing here
 * exits: a caller reading a new configuration may refuse it and go on.
 */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

void
pd_config_init(struct pd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->frequency = 99;
	cfg->unwind = PD_UNWIND_AUTO;
	cfg->stack_size = PROFDROP_STACK_SIZE;
	cfg->unwind_memory = (size_t)PROFDROP_UNWIND_MEMORY << 20;
	cfg->ring_memory = (size_t)PROFDROP_RING_MEMORY << 20;
	cfg->offcpu_stack_size = PROFDROP_OFFCPU_STACK_SIZE;
	cfg->offcpu_min_us = PROFDROP_OFFCPU_MIN_US;
	cfg->kernel = 1;
	cfg->profiles = PD_PROFILE_CPU | PD_PROFILE_OFFCPU | PD_PROFILE_WALL;
}

void
pd_config_free(struct pd_config *cfg)
{
	size_t	 i;

	free(cfg->pids);
	for (i = 0; i < cfg->nlabels; i++)
		free(cfg->labels[i].key);
	free(cfg->drop_frames);
	free(cfg->debuginfod_urls);
	free(cfg->debuginfod_cache);
	memset(cfg, 0, sizeof *cfg);
}

/* A whole number in [min, max] for --key; hint says what to give. */
int
config_number(const char *key, const char *arg, unsigned long long min,
    unsigned long long max, const char *hint, unsigned long long *out,
    char **cause)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] == '\0' || arg[0] == '-' || arg[0] == '+' || *end != '\0') {
		xasprintf(cause, "--%s %s: not a whole number; %s", key, arg,
		    hint);
		return (-1);
	}
	if (errno == ERANGE || v < min || v > max) {
		xasprintf(cause, "--%s %s: out of range; %s", key, arg, hint);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * A number with an optional unit from units (name and factor pairs, NULL
 * ended); a plain number counts in factor plain. hint says what to give.
 */
static int
config_unit(const char *key, const char *arg, const char *const *names,
    const unsigned long long *factors, unsigned long long plain,
    unsigned long long min, unsigned long long max, const char *hint,
    unsigned long long *out, char **cause)
{
	unsigned long long	 v, f = plain;
	char			*end;
	size_t			 i;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || end == arg)
		goto bad;
	if (*end != '\0') {
		for (i = 0; names[i] != NULL; i++) {
			if (strcmp(end, names[i]) == 0)
				break;
		}
		if (names[i] == NULL)
			goto bad;
		f = factors[i];
	}
	if (errno == ERANGE || v > ULLONG_MAX / f || v * f < min ||
	    v * f > max) {
		xasprintf(cause, "--%s %s: out of range; %s", key, arg, hint);
		return (-1);
	}
	*out = v * f;
	return (0);
bad:
	xasprintf(cause, "--%s %s: not a number with a unit; %s", key, arg,
	    hint);
	return (-1);
}

/* Seconds: a plain number, or one with s, m, h or d. */
int
config_duration(const char *key, const char *arg, unsigned long long min,
    unsigned long long max, const char *hint, unsigned long long *out,
    char **cause)
{
	static const char *const names[] = { "s", "m", "h", "d", NULL };
	static const unsigned long long factors[] = { 1, 60, 3600, 86400 };

	return (config_unit(key, arg, names, factors, 1, min, max, hint, out,
	    cause));
}

/* Bytes: a number of plain bytes each, or one with KiB, MiB or GiB. */
int
config_size(const char *key, const char *arg, unsigned long long plain,
    unsigned long long min, unsigned long long max, const char *hint,
    unsigned long long *out, char **cause)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", NULL };
	static const unsigned long long factors[] = { 1ULL << 10, 1ULL << 20,
	    1ULL << 30 };

	return (config_unit(key, arg, names, factors, plain, min, max, hint,
	    out, cause));
}

static int
config_pids(struct pd_config *cfg, const char *arg, char **cause)
{
	unsigned long long	 pid;
	char			*copy, *word, *save = NULL;
	int			 rc = 0;

	copy = xstrdup(arg);
	for (word = strtok_r(copy, ", \t", &save); word != NULL;
	    word = strtok_r(NULL, ", \t", &save)) {
		if ((rc = config_number("pid", word, 1, INT_MAX, "give process "
		    "ids separated by commas", &pid, cause)) != 0)
			break;
		cfg->pids = xreallocarray(cfg->pids, cfg->npids + 1,
		    sizeof *cfg->pids);
		cfg->pids[cfg->npids++] = pid;
	}
	free(copy);
	if (rc == 0 && cfg->npids == 0) {
		xasprintf(cause, "--pid %s: no process id given", arg);
		rc = -1;
	}
	return (rc);
}

static int
config_stack_size(const char *key, const char *arg, unsigned int *size,
    char **cause)
{
	unsigned long long	 v;

	if (config_number(key, arg, 8, 65528, "give 8 to 65528 bytes, a "
	    "multiple of 8", &v, cause) != 0)
		return (-1);
	if (v % 8 != 0) {
		xasprintf(cause, "--%s %s: not a multiple of 8", key, arg);
		return (-1);
	}
	*size = v;
	return (0);
}

static int
config_profiles(struct pd_config *cfg, const char *arg, char **cause)
{
	char		*copy, *word, *save = NULL;
	unsigned int	 profiles = 0;
	int		 rc = 0;

	copy = xstrdup(arg);
	for (word = strtok_r(copy, ", \t", &save); word != NULL;
	    word = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(word, "cpu") == 0)
			profiles |= PD_PROFILE_CPU;
		else if (strcmp(word, "offcpu") == 0)
			profiles |= PD_PROFILE_OFFCPU;
		else if (strcmp(word, "wall") == 0)
			profiles |= PD_PROFILE_WALL;
		else {
			xasprintf(cause, "--profiles %s: unknown profile %s; "
			    "give some of cpu, offcpu, wall", arg, word);
			rc = -1;
			break;
		}
	}
	free(copy);
	if (rc == 0 && profiles == 0) {
		xasprintf(cause, "--profiles %s: give some of cpu, offcpu, "
		    "wall", arg);
		rc = -1;
	}
	if (rc == 0) {
		cfg->profiles = profiles;
		cfg->profiles_asked = 1;
	}
	return (rc);
}

/* KEY=VALUE; keys as Pyroscope allows them, values not empty. */
static int
config_label(struct pd_config *cfg, const char *arg, char **cause)
{
	struct pd_config_label	*l;
	const char		*eq = strchr(arg, '='), *p;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		xasprintf(cause, "--label %s: give KEY=VALUE, both not empty",
		    arg);
		return (-1);
	}
	for (p = arg; p < eq; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
			xasprintf(cause, "--label %s: a key holds only "
			    "letters, digits, '_' and '.'", arg);
			return (-1);
		}
	}
	if (cfg->nlabels == PD_MAX_LABELS) {
		xasprintf(cause, "--label %s: at most %d labels", arg,
		    PD_MAX_LABELS);
		return (-1);
	}
	l = &cfg->labels[cfg->nlabels++];
	l->key = xstrdup(arg);
	l->key[eq - arg] = '\0';
	l->value = l->key + (eq - arg) + 1;
	return (0);
}

static int
config_drop_frames(struct pd_config *cfg, const char *arg, char **cause)
{
	regex_t	 re;
	char	 why[256];
	int	 rc;

	if ((rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, why, sizeof why);
		xasprintf(cause, "--drop-frames %s: %s", arg, why);
		return (-1);
	}
	regfree(&re);
	free(cfg->drop_frames);
	cfg->drop_frames = xstrdup(arg);
	return (0);
}

static unsigned int
config_max_sample_rate(void)
{
	int	 rate;

	if (kernel_sysctl_int("/proc/sys/kernel/perf_event_max_sample_rate",
	    &rate) != 0 || rate <= 0)
		return (100000);
	return (rate);
}

static int
config_unwind(struct pd_config *cfg, const char *arg, char **cause)
{
	if (strcmp(arg, "dwarf") == 0)
		cfg->unwind = PD_UNWIND_DWARF;
	else if (strcmp(arg, "fp") == 0)
		cfg->unwind = PD_UNWIND_FP;
	else if (strcmp(arg, "auto") == 0)
		cfg->unwind = PD_UNWIND_AUTO;
	else {
		xasprintf(cause, "--unwind %s: give dwarf, fp or auto", arg);
		return (-1);
	}
	return (0);
}

static int
config_string(char **field, const char *key, const char *arg, int absolute,
    char **cause)
{
	if (*arg == '\0' || (absolute && *arg != '/')) {
		xasprintf(cause, "--%s %s: give %s", key, arg, absolute ?
		    "an absolute path" : "a value (for --debuginfod, the "
		    "servers' URLs separated by spaces)");
		return (-1);
	}
	free(*field);
	*field = xstrdup(arg);
	return (0);
}

/* Keys that take no value. */
static const char *const config_flags[] = {
	"cycles", "cgroup-label", "idle", "kernel", "no-kernel"
};

static int
config_is_flag(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof config_flags / sizeof config_flags[0]; i++) {
		if (strcmp(config_flags[i], key) == 0)
			return (1);
	}
	return (0);
}

/*
 * Set key to value (NULL for a flag). Returns -1 with *cause naming the
 * key, the value and what is valid.
 */
int
pd_config_set(struct pd_config *cfg, const char *key, const char *value,
    char **cause)
{
	unsigned long long	 v;
	char			 hint[128];
	unsigned int		 max_hz;

	*cause = NULL;
	if (config_is_flag(key)) {
		if (strcmp(key, "cycles") == 0)
			cfg->use_cycles = 1;
		else if (strcmp(key, "cgroup-label") == 0)
			cfg->cgroup_label = 1;
		else if (strcmp(key, "idle") == 0)
			cfg->idle = 1;
		else
			cfg->kernel = strcmp(key, "kernel") == 0;
		return (0);
	}
	if (value == NULL) {
		xasprintf(cause, "--%s needs a value", key);
		return (-1);
	}
	if (strcmp(key, "frequency") == 0) {
		max_hz = config_max_sample_rate();
		snprintf(hint, sizeof hint, "give 1 to %u Hz "
		    "(kernel.perf_event_max_sample_rate)", max_hz);
		if (config_number(key, value, 1, max_hz, hint, &v, cause) != 0)
			return (-1);
		cfg->frequency = v;
	} else if (strcmp(key, "pid") == 0)
		return (config_pids(cfg, value, cause));
	else if (strcmp(key, "unwind") == 0)
		return (config_unwind(cfg, value, cause));
	else if (strcmp(key, "stack-size") == 0)
		return (config_stack_size(key, value, &cfg->stack_size, cause));
	else if (strcmp(key, "offcpu-stack-size") == 0)
		return (config_stack_size(key, value, &cfg->offcpu_stack_size,
		    cause));
	else if (strcmp(key, "unwind-memory") == 0) {
		if (config_size(key, value, 1 << 20, 1 << 20, 65536ULL << 20,
		    "give 1 to 65536 MiB (a plain number is MiB; or KiB, GiB)",
		    &v, cause) != 0)
			return (-1);
		cfg->unwind_memory = v;
	} else if (strcmp(key, "ring-memory") == 0) {
		if (config_size(key, value, 1 << 20, 64 << 10, 65536ULL << 20,
		    "give 64 KiB to 65536 MiB (a plain number is MiB; or KiB, "
		    "GiB)", &v, cause) != 0)
			return (-1);
		cfg->ring_memory = v;
	} else if (strcmp(key, "offcpu-min-us") == 0) {
		if (config_number(key, value, 0, 60000000, "give 0 to 60000000 "
		    "microseconds", &v, cause) != 0)
			return (-1);
		cfg->offcpu_min_us = v;
	} else if (strcmp(key, "profiles") == 0)
		return (config_profiles(cfg, value, cause));
	else if (strcmp(key, "label") == 0)
		return (config_label(cfg, value, cause));
	else if (strcmp(key, "drop-frames") == 0)
		return (config_drop_frames(cfg, value, cause));
	else if (strcmp(key, "debuginfod") == 0)
		return (config_string(&cfg->debuginfod_urls, key, value, 0,
		    cause));
	else if (strcmp(key, "debuginfod-cache") == 0)
		return (config_string(&cfg->debuginfod_cache, key, value, 1,
		    cause));
	else if (strcmp(key, "debuginfod-timeout") == 0) {
		if (config_number(key, value, 1, 3600, "give 1 to 3600 "
		    "seconds", &v, cause) != 0)
			return (-1);
		cfg->debuginfod_timeout = v;
	} else {
		xasprintf(cause, "--%s: no such option; see --help", key);
		return (-1);
	}
	return (0);
}
