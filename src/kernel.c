/*
 * What the running kernel grants: perf_event_open and what it refuses,
 * the CPUs, sysctls, and where tracing lives. Every decision that depends
 * on the kernel is made here, from what it answers, and kept in struct
 * features for the other modules to read.
 */

#include <sys/mount.h>
#include <sys/syscall.h>

#include <linux/perf_event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define KERNEL_TRACEFS	"/sys/kernel/tracing"
#define KERNEL_EVENT	"events/sched/sched_switch/id"

static const char *const kernel_tracing_dirs[] = {
	KERNEL_TRACEFS,
	"/sys/kernel/debug/tracing",
};

/*
 * Test switches: pretend the kernel lacks a feature, so the fallbacks run
 * on a kernel that has it.
 */
static const struct {
	const char	*env;
	size_t		 off;
} kernel_switches[] = {
	{ "PROFDROP_NO_STACK_USER", offsetof(struct features, user_stacks) },
	{ "PROFDROP_NO_SWITCH_RECORDS",
	    offsetof(struct features, switch_records) },
	{ "PROFDROP_NO_MMAP2", offsetof(struct features, mmap2) },
};

/* Start from everything; the test switches and negotiation take away. */
void
kernel_features_init(struct features *f, const struct pd_config *cfg)
{
	const char	*env;
	size_t		 i;

	memset(f, 0, sizeof *f);
	f->user_stacks = cfg->unwind != PD_UNWIND_FP;
	f->switch_records = 1;
	f->mmap2 = 1;
	for (i = 0; i < sizeof kernel_switches / sizeof kernel_switches[0];
	    i++) {
		if (getenv(kernel_switches[i].env) != NULL)
			*(int *)((char *)f + kernel_switches[i].off) = 0;
	}
	/* --unwind dwarf insists on stack copies, whatever the switch says. */
	if (cfg->unwind == PD_UNWIND_DWARF)
		f->user_stacks = 1;
	f->no_tracefs = getenv("PROFDROP_NO_TRACEFS") != NULL;
	f->no_debug_frame = getenv("PROFDROP_NO_DEBUG_FRAME") != NULL;
	if ((env = getenv("PROFDROP_MAX_UNWIND_SPACES")) != NULL)
		f->max_unwind_spaces = strtoul(env, NULL, 10);
}

void
kernel_features_free(struct features *f)
{
	free(f->tracing);
	f->tracing = NULL;
}

int
kernel_sysctl_int(const char *path, int *value)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	ok = fscanf(f, "%d", value) == 1;
	fclose(f);
	return (ok ? 0 : -1);
}

/* Parse the CPU list of /sys ("0-3,6") into cpus, at most max of them. */
int
kernel_online_cpus(int *cpus, int max)
{
	FILE	*f;
	char	 buf[4096], *p, *end;
	long	 a, b;
	int	 n = 0;

	if ((f = fopen("/sys/devices/system/cpu/online", "r")) == NULL)
		return (-1);
	if (fgets(buf, sizeof buf, f) == NULL) {
		fclose(f);
		return (-1);
	}
	fclose(f);
	for (p = buf; *p != '\0' && *p != '\n'; p = end) {
		a = b = strtol(p, &end, 10);
		if (end == p || a < 0)
			return (-1);
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				return (-1);
		}
		for (; a <= b && n < max; a++)
			cpus[n++] = a;
		if (*end == ',')
			end++;
	}
	return (n);
}

static char *
kernel_explain(int error)
{
	char	*msg;
	int	 paranoid = 2;

	kernel_sysctl_int("/proc/sys/kernel/perf_event_paranoid", &paranoid);
	switch (error) {
	case EACCES:
	case EPERM:
		xasprintf(&msg, "perf_event_open: %s: system-wide sampling "
		    "needs root, CAP_PERFMON (Linux 5.8+) or CAP_SYS_ADMIN, "
		    "or kernel.perf_event_paranoid at most 0 (it is %d; "
		    "sysctl -w kernel.perf_event_paranoid=0)",
		    strerror(error), paranoid);
		break;
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		xasprintf(&msg, "perf_event_open: %s: this kernel or machine "
		    "has no such event (hardware cycles are often missing on "
		    "virtual machines; drop --cycles)", strerror(error));
		break;
	case ENOSYS:
		xasprintf(&msg, "perf_event_open: %s: the kernel was built "
		    "without CONFIG_PERF_EVENTS", strerror(error));
		break;
	case EMFILE:
		xasprintf(&msg, "perf_event_open: %s: raise the open files "
		    "limit (ulimit -n)", strerror(error));
		break;
	default:
		xasprintf(&msg, "perf_event_open: %s", strerror(error));
		break;
	}
	return (msg);
}

/* Open attr system-wide on one CPU; a refusal is explained in *cause. */
int
kernel_event_open(struct perf_event_attr *attr, int cpu, char **cause)
{
	int	 fd;

	fd = syscall(SYS_perf_event_open, attr, -1, cpu, -1,
	    PERF_FLAG_FD_CLOEXEC);
	if (fd == -1 && cause != NULL)
		*cause = kernel_explain(errno);
	return (fd);
}

static void
kernel_apply(const struct features *f, struct perf_event_attr *attr)
{
	if (!f->user_stacks) {
		attr->sample_type &= ~(PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER);
		attr->sample_regs_user = attr->sample_stack_user = 0;
		attr->exclude_callchain_user = 0;
	}
	if (!f->switch_records)
		attr->context_switch = 0;
	if (!f->mmap2)
		attr->mmap2 = attr->comm_exec = 0;
}

/*
 * Find what of attr the kernel accepts, with a disabled event on one CPU:
 * features are taken away, most recent first, while it answers EINVAL.
 * User stack copies go only when frame pointers may stand in (fp_ok).
 * f says what was granted; attr is left as the kernel takes it.
 */
int
kernel_negotiate(struct features *f, struct perf_event_attr *attr, int cpu,
    int fp_ok, char **cause)
{
	int	 fd;

	for (;;) {
		kernel_apply(f, attr);
		if ((fd = kernel_event_open(attr, cpu, NULL)) != -1)
			break;
		if (errno != EINVAL)
			goto fail;
		if (fp_ok && f->user_stacks) {
			log_warnx("the kernel refused user stack copies; "
			    "unwinding with frame pointers (--unwind fp)");
			f->user_stacks = 0;
		} else if (attr->context_switch) {
			log_debug("perf_event_open: context_switch refused, "
			    "switch-ins come from sched_switch alone");
			f->switch_records = 0;
		} else if (attr->mmap2 || attr->comm_exec) {
			log_debug("perf_event_open: mmap2/comm_exec refused, "
			    "falling back to MMAP records");
			f->mmap2 = 0;
		} else
			goto fail;
	}
	close(fd);
	f->switch_records = attr->context_switch;
	f->mmap2 = attr->mmap2;
	return (0);
fail:
	*cause = kernel_explain(errno);
	return (-1);
}

/* Is the sched_switch event under dir? */
static int
kernel_has_events(const char *dir)
{
	char	 path[512];

	snprintf(path, sizeof path, "%s/%s", dir, KERNEL_EVENT);
	return (access(path, R_OK) == 0);
}

/* Where tracing is: its usual places, else a tracefs in /proc/mounts. */
int
kernel_find_tracing(struct features *f)
{
	char	 line[1024], dir[256], type[64];
	size_t	 i;
	FILE	*m;

	free(f->tracing);
	f->tracing = NULL;
	if (f->no_tracefs)
		return (-1);
	for (i = 0; i < sizeof kernel_tracing_dirs /
	    sizeof kernel_tracing_dirs[0]; i++) {
		if (kernel_has_events(kernel_tracing_dirs[i])) {
			f->tracing = xstrdup(kernel_tracing_dirs[i]);
			return (0);
		}
	}
	if ((m = fopen("/proc/mounts", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, m) != NULL) {
		if (sscanf(line, "%*s %255s %63s", dir, type) == 2 &&
		    strcmp(type, "tracefs") == 0) {
			f->tracing = xstrdup(dir);
			break;
		}
	}
	fclose(m);
	return (f->tracing != NULL ? 0 : -1);
}

/* Mount tracefs where it belongs: a step of its own, taken on purpose. */
int
kernel_mount_tracefs(char **cause)
{
	if (mount("nodev", KERNEL_TRACEFS, "tracefs", 0, NULL) != 0) {
		xasprintf(cause, "mount tracefs at %s: %s", KERNEL_TRACEFS,
		    strerror(errno));
		return (-1);
	}
	log_info("mounted tracefs at %s", KERNEL_TRACEFS);
	return (0);
}
