/*
 * What this host grants the engine, item by item, with the same probes
 * the engine makes when it opens: for `profdrop check`, before a daemon
 * is started. Nothing is mounted or changed.
 */

#include <sys/resource.h>
#include <sys/utsname.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/* The capabilities the daemon uses, as numbered in linux/capability.h. */
static const struct {
	const char	*name;
	int		 bit;
	const char	*use;
} check_caps[] = {
	{ "CAP_PERFMON", 38, "perf events (Linux 5.8+)" },
	{ "CAP_SYS_ADMIN", 21, "perf events before 5.8, /proc/PID/map_files" },
	{ "CAP_SYS_PTRACE", 19, "other users' /proc/PID/maps and root" },
	{ "CAP_DAC_READ_SEARCH", 2, "reading any binary" },
	{ "CAP_SYSLOG", 34, "kernel addresses in /proc/kallsyms" },
	{ "CAP_IPC_LOCK", 14, "rings past the locked-memory limit" },
};

static uint64_t
check_effective_caps(void)
{
	char		 line[256];
	uint64_t	 caps = 0;
	FILE		*f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return (0);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "CapEff:", 7) == 0) {
			caps = strtoull(line + 7, NULL, 16);
			break;
		}
	}
	fclose(f);
	return (caps);
}

static void
check_caps_line(pd_check_fn fn, void *arg)
{
	uint64_t	 caps = check_effective_caps();
	char		 held[512] = "", *line;
	size_t		 i, len = 0;

	for (i = 0; i < sizeof check_caps / sizeof check_caps[0]; i++) {
		if (caps & (1ULL << check_caps[i].bit) && len < sizeof held)
			len += snprintf(held + len, sizeof held - len, "%s%s",
			    len != 0 ? ", " : "", check_caps[i].name);
	}
	xasprintf(&line, "%s", held[0] != '\0' ? held :
	    "none of those the daemon uses");
	fn(arg, "capabilities", line, 1);
	free(line);
	for (i = 0; i < sizeof check_caps / sizeof check_caps[0]; i++) {
		if (caps & (1ULL << check_caps[i].bit))
			continue;
		xasprintf(&line, "%s missing: %s", check_caps[i].name,
		    check_caps[i].use);
		fn(arg, "capabilities", line, 1);
		free(line);
	}
}

static void
check_feature(void *arg, const char *name, const char *since, int granted,
    const char *fallback)
{
	void		**a = arg;
	pd_check_fn	 fn = (pd_check_fn)a[0];
	char		*line;

	xasprintf(&line, "%s (Linux %s): %s%s%s", name, since, granted ?
	    "granted" : "missing", granted ? "" : "; ", granted ? "" :
	    fallback);
	fn(a[1], "kernel feature", line, 1);
	free(line);
}

/*
 * Say, item by item through fn(arg, item, text, ok), what the engine
 * would be granted for cfg; returns 0 when it can open its events, else
 * -1 with *cause saying why and what to change.
 */
int
pd_check(const struct pd_config *cfg, pd_check_fn fn, void *arg,
    char **cause)
{
	struct features		 f;
	struct perf_attr	 attr;
	struct utsname		 u;
	struct rlimit		 rl;
	char			*line;
	void			*a[2] = { (void *)fn, arg };
	int			 cpus[1], paranoid = 99, mlock_kb = -1, rc;

	if (uname(&u) == 0) {
		xasprintf(&line, "Linux %s %s", u.release, u.machine);
		fn(arg, "kernel", line, 1);
		free(line);
	}
	kernel_sysctl_int("/proc/sys/kernel/perf_event_paranoid", &paranoid);
	xasprintf(&line, "%d%s", paranoid, geteuid() == 0 ? " (root is not "
	    "limited by it)" : paranoid > 0 ? " (system-wide sampling needs "
	    "it at most 0, or CAP_PERFMON)" : "");
	fn(arg, "kernel.perf_event_paranoid", line, 1);
	free(line);
	check_caps_line(fn, arg);
	kernel_sysctl_int("/proc/sys/kernel/perf_event_mlock_kb", &mlock_kb);
	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (rl.rlim_cur == RLIM_INFINITY)
		xasprintf(&line, "kernel.perf_event_mlock_kb %d per CPU, "
		    "ulimit -l unlimited", mlock_kb);
	else
		xasprintf(&line, "kernel.perf_event_mlock_kb %d per CPU, "
		    "ulimit -l %llu KiB", mlock_kb,
		    (unsigned long long)rl.rlim_cur >> 10);
	fn(arg, "locked memory", line, 1);
	free(line);

	kernel_features_init(&f, cfg);
	if (kernel_find_tracing(&f) == 0)
		fn(arg, "tracing", f.tracing, 1);
	else
		fn(arg, "tracing", "not mounted: profdropd will mount tracefs "
		    "at /sys/kernel/tracing, else debugfs", 1);
	if (kernel_online_cpus(cpus, 1) != 1) {
		xasprintf(cause, "cannot read the online CPUs from "
		    "/sys/devices/system/cpu/online; is /sys mounted?");
		kernel_features_free(&f);
		return (-1);
	}
	cpuprof_attr(&attr, cfg, cfg->profiles);
	rc = kernel_negotiate(&f, &attr, cpus[0], cfg->unwind ==
	    PD_UNWIND_AUTO, cause);
	if (rc == 0)
		kernel_features_each(&f, check_feature, a);
	kernel_features_free(&f);
	return (rc);
}
