/*
 * What the running kernel grants: perf_event_open and what it refuses,
 * the CPUs, sysctls, and where tracing lives. Every decision that depends
 * on the kernel is made here, from what it answers (never from its version
 * string), and kept in struct features for the other modules to read.
 */

#include <sys/mount.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define KERNEL_TRACEFS	"/sys/kernel/tracing"
#define KERNEL_DEBUGFS	"/sys/kernel/debug"

static const char *const kernel_tracing_dirs[] = {
	KERNEL_TRACEFS,
	KERNEL_DEBUGFS "/tracing",
};

/*
 * The features newer than the oldest kernel profdrop runs on, newest
 * first: the order they are probed in when the kernel refuses an event.
 * ask() sets the feature alone on a probe event; drop() takes it out of
 * an event and says whether the event used it. What it costs to go
 * without is said once, when the kernel lacks it.
 */
static void	kernel_ask_switch(struct perf_attr *, unsigned long *);
static int	kernel_drop_switch(struct perf_attr *);
static void	kernel_ask_comm_exec(struct perf_attr *, unsigned long *);
static int	kernel_drop_comm_exec(struct perf_attr *);
static void	kernel_ask_mmap2(struct perf_attr *, unsigned long *);
static int	kernel_drop_mmap2(struct perf_attr *);
static void	kernel_ask_cloexec(struct perf_attr *, unsigned long *);
static int	kernel_drop_cloexec(struct perf_attr *);
static void	kernel_ask_identifier(struct perf_attr *, unsigned long *);
static int	kernel_drop_identifier(struct perf_attr *);
static void	kernel_ask_stacks(struct perf_attr *, unsigned long *);
static int	kernel_drop_stacks(struct perf_attr *);

static const struct kernel_feature {
	const char	*name;
	const char	*since;		/* mainline; vendor kernels differ */
	const char	*fallback;
	size_t		 granted;	/* an int in struct features */
	const char	*test_switch;	/* pretends it is missing */
	void		(*ask)(struct perf_attr *, unsigned long *);
	int		(*drop)(struct perf_attr *);
} kernel_features[] = {
	{ "context_switch records", "4.3",
	    "switch-ins come from sched_switch's next_pid",
	    offsetof(struct features, switch_records), NULL,
	    kernel_ask_switch, kernel_drop_switch },
	{ "comm_exec", "3.16",
	    "an exec is told from a COMM record and /proc/PID/exe",
	    offsetof(struct features, comm_exec), NULL,
	    kernel_ask_comm_exec, kernel_drop_comm_exec },
	{ "mmap2 records", "3.16",
	    "MMAP records, with device and inode from /proc/PID/maps",
	    offsetof(struct features, mmap2), NULL,
	    kernel_ask_mmap2, kernel_drop_mmap2 },
	{ "PERF_FLAG_FD_CLOEXEC", "3.14", "fcntl(FD_CLOEXEC) after each open",
	    offsetof(struct features, cloexec), NULL, kernel_ask_cloexec,
	    kernel_drop_cloexec },
	{ "PERF_SAMPLE_IDENTIFIER", "3.12",
	    "sched_switch gets rings of its own, not a share of the CPU's",
	    offsetof(struct features, sample_identifier), NULL,
	    kernel_ask_identifier, kernel_drop_identifier },
	{ "user stack copies (PERF_SAMPLE_STACK_USER)", "3.7",
	    "frame-pointer callchains (--unwind fp)",
	    offsetof(struct features, user_stacks),
	    "PROFDROP_TEST_NO_STACK_USER", kernel_ask_stacks,
	    kernel_drop_stacks },
};
#define KERNEL_NFEATURES (sizeof kernel_features / sizeof kernel_features[0])

static int *
kernel_granted(struct features *f, const struct kernel_feature *kf)
{
	return ((int *)((char *)f + kf->granted));
}

/* Start from everything; the test switches and probes take away. */
void
kernel_features_init(struct features *f, const struct pd_config *cfg)
{
	const struct kernel_feature	*kf;
	const char			*env;
	size_t				 i;

	memset(f, 0, sizeof *f);
	for (i = 0; i < KERNEL_NFEATURES; i++) {
		kf = &kernel_features[i];
		*kernel_granted(f, kf) = kf->test_switch == NULL ||
		    getenv(kf->test_switch) == NULL;
	}
	/* --unwind fp asks for no copies; dwarf insists on them. */
	if (cfg->unwind != PD_UNWIND_AUTO)
		f->user_stacks = cfg->unwind == PD_UNWIND_DWARF;
	f->command = cfg->command;
	f->no_tracefs = getenv("PROFDROP_TEST_NO_TRACEFS") != NULL;
	f->no_debug_frame = getenv("PROFDROP_TEST_NO_DEBUG_FRAME") != NULL;
	if ((env = getenv("PROFDROP_TEST_MAX_UNWIND_SPACES")) != NULL)
		f->max_unwind_spaces = strtoul(env, NULL, 10);
}

void
kernel_features_free(struct features *f)
{
	free(f->tracing);
	f->tracing = NULL;
}

/* One "kernel feature:" line (--verbose); a kernel_features_each fn. */
void
kernel_feature_log(void *arg, const char *name, const char *since, int ok,
    const char *fallback)
{
	log_debug("kernel feature: %s (Linux %s): %s%s%s", name, since,
	    ok ? "granted" : "missing", ok ? "" : "; ", ok ? "" : fallback);
}

/* Say what the kernel granted, one line a feature (--verbose). */
void
kernel_features_log(const struct features *f)
{
	kernel_features_each(f, kernel_feature_log, NULL);
	log_debug("kernel feature: tracing: %s", f->tracing != NULL ?
	    f->tracing : "none");
}

/* Each feature: its name, first mainline version, whether granted. */
void
kernel_features_each(const struct features *f, void (*fn)(void *,
    const char *, const char *, int, const char *), void *arg)
{
	const struct kernel_feature	*kf;
	size_t				 i;

	for (i = 0; i < KERNEL_NFEATURES; i++) {
		kf = &kernel_features[i];
		fn(arg, kf->name, kf->since,
		    *kernel_granted((struct features *)f, kf), kf->fallback);
	}
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
kernel_explain(const struct features *f, int error)
{
	char	*msg;
	int	 paranoid = 2;

	kernel_sysctl_int("/proc/sys/kernel/perf_event_paranoid", &paranoid);
	switch (error) {
	case EACCES:
	case EPERM:
		/* Debian's and Ubuntu's kernels take 3 and 4 (4 since 2024). */
		if (paranoid >= 3) {
			xasprintf(&msg, "perf_event_open: %s: "
			    "kernel.perf_event_paranoid is %d, which on Debian "
			    "and Ubuntu kernels refuses perf events to all but "
			    "root, CAP_PERFMON (Linux 5.8+) or CAP_SYS_ADMIN; "
			    "run as root, or allow it with sysctl -w "
			    "kernel.perf_event_paranoid=%d", strerror(error),
			    paranoid, f->command != 0 ? 2 : 0);
			break;
		}
		if (f->task != 0) {
			xasprintf(&msg, "perf_event_open: %s: even the "
			    "command's own events are refused "
			    "(kernel.perf_event_paranoid is %d; a user may "
			    "profile a command of their own up to 2, and not "
			    "one that gains privileges, such as a set-user-ID "
			    "program); run as root", strerror(error),
			    paranoid);
			break;
		}
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

static int
kernel_perf_event_open(struct perf_attr *attr, pid_t pid, int cpu,
    unsigned long flags)
{
	return (syscall(SYS_perf_event_open, attr, pid, cpu, -1, flags));
}

/*
 * Open attr on one CPU, system-wide or for the task followed, closed on
 * exec either way; a refusal is explained in *cause (when not NULL).
 */
int
kernel_event_open(const struct features *f, struct perf_attr *attr,
    int cpu, char **cause)
{
	int	 fd;

	/* Its children's events write into this event's ring. */
	if (f->task != 0)
		attr->flags |= PERF_ATTR_INHERIT;
	if (f->user_only)
		attr->flags |= PERF_ATTR_EXCLUDE_KERNEL |
		    PERF_ATTR_EXCLUDE_CALLCHAIN_KERNEL;
	fd = kernel_perf_event_open(attr, f->task != 0 ? f->task : -1, cpu,
	    f->cloexec ? PERF_FLAG_FD_CLOEXEC : 0);
	if (fd == -1) {
		if (cause != NULL)
			*cause = kernel_explain(f, errno);
		return (-1);
	}
	if (!f->cloexec && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl FD_CLOEXEC");
	return (fd);
}

/*
 * Open attr; where per-CPU events are refused (perf_event_paranoid above
 * 0 without CAP_PERFMON), follow the command alone with events its
 * children inherit, as perf record does; above 1 the kernel also refuses
 * samples taken in it, so take user space only. errno says the last
 * refusal.
 */
static int
kernel_open_narrowing(struct features *f, struct perf_attr *attr, int cpu)
{
	int	 fd;

	if ((fd = kernel_event_open(f, attr, cpu, NULL)) != -1 ||
	    (errno != EACCES && errno != EPERM) || f->command == 0)
		return (fd);
	if (f->task == 0) {
		f->task = f->command;
		if ((fd = kernel_event_open(f, attr, cpu, NULL)) != -1 ||
		    (errno != EACCES && errno != EPERM))
			return (fd);
	}
	if (!f->user_only) {
		f->user_only = 1;
		fd = kernel_event_open(f, attr, cpu, NULL);
	}
	return (fd);
}

/* Take flag out of attr; was it set? */
static int
kernel_drop_flag(struct perf_attr *attr, uint64_t flag)
{
	int	 used = (attr->flags & flag) != 0;

	attr->flags &= ~flag;
	return (used);
}

static void
kernel_ask_switch(struct perf_attr *attr, unsigned long *flags)
{
	attr->flags |= PERF_ATTR_CONTEXT_SWITCH;
}

static int
kernel_drop_switch(struct perf_attr *attr)
{
	return (kernel_drop_flag(attr, PERF_ATTR_CONTEXT_SWITCH));
}

static void
kernel_ask_comm_exec(struct perf_attr *attr, unsigned long *flags)
{
	attr->flags |= PERF_ATTR_COMM | PERF_ATTR_COMM_EXEC;
}

static int
kernel_drop_comm_exec(struct perf_attr *attr)
{
	return (kernel_drop_flag(attr, PERF_ATTR_COMM_EXEC));
}

static void
kernel_ask_mmap2(struct perf_attr *attr, unsigned long *flags)
{
	attr->flags |= PERF_ATTR_MMAP | PERF_ATTR_MMAP2;
}

static int
kernel_drop_mmap2(struct perf_attr *attr)
{
	return (kernel_drop_flag(attr, PERF_ATTR_MMAP2));
}

static void
kernel_ask_cloexec(struct perf_attr *attr, unsigned long *flags)
{
	*flags |= PERF_FLAG_FD_CLOEXEC;
}

/* Every open asks for it; going without is kernel_event_open()'s. */
static int
kernel_drop_cloexec(struct perf_attr *attr)
{
	return (1);
}

static void
kernel_ask_identifier(struct perf_attr *attr, unsigned long *flags)
{
	attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
}

static int
kernel_drop_identifier(struct perf_attr *attr)
{
	int	 used = (attr->sample_type & PERF_SAMPLE_IDENTIFIER) != 0;

	attr->sample_type &= ~PERF_SAMPLE_IDENTIFIER;
	return (used);
}

static void
kernel_ask_stacks(struct perf_attr *attr, unsigned long *flags)
{
	attr->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	attr->sample_regs_user = PROFDROP_REGS_MASK;
	attr->sample_stack_user = 8192;
}

static int
kernel_drop_stacks(struct perf_attr *attr)
{
	int	 used = (attr->sample_type & PERF_SAMPLE_STACK_USER) != 0;

	attr->sample_type &= ~(PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER);
	attr->sample_regs_user = attr->sample_stack_user = 0;
	/* The kernel's frame-pointer walk gives the user frames instead. */
	if (used)
		attr->flags &= ~PERF_ATTR_EXCLUDE_CALLCHAIN_USER;
	return (used);
}

/*
 * Does the kernel know the feature? A disabled event on this process
 * asks for it alone; only EINVAL says no (anything else is no answer).
 */
static int
kernel_probe(const struct kernel_feature *kf)
{
	struct perf_attr	 attr;
	unsigned long		 flags = 0;
	int			 fd;

	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 1000000;
	attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID;
	attr.flags = PERF_ATTR_DISABLED | PERF_ATTR_EXCLUDE_KERNEL |
	    PERF_ATTR_EXCLUDE_HV;
	kf->ask(&attr, &flags);
	if ((fd = kernel_perf_event_open(&attr, 0, -1, flags)) != -1) {
		close(fd);
		return (1);
	}
	return (errno != EINVAL);
}

/* Take out of attr what the kernel is known to lack. */
static void
kernel_apply(struct features *f, struct perf_attr *attr)
{
	size_t	 i;

	for (i = 0; i < KERNEL_NFEATURES; i++) {
		if (!*kernel_granted(f, &kernel_features[i]))
			kernel_features[i].drop(attr);
	}
}

/*
 * Open attr on one CPU as the kernel will take it, per-task if it must
 * (kernel_open_narrowing). When it refuses
 * (EINVAL, or E2BIG for an attr past its size), find what it lacks,
 * one feature at a time, newest first, and go without it: each missing
 * feature is said once, with what stands in for it. User stack copies
 * go only when frame pointers may stand in (fp_ok). f says what was
 * found; attr is left as the kernel takes it.
 */
int
kernel_negotiate(struct features *f, struct perf_attr *attr, int cpu,
    int fp_ok, char **cause)
{
	const struct kernel_feature	*kf;
	struct perf_attr		 copy;
	size_t				 i;
	int				 fd;

	kernel_apply(f, attr);
	if ((fd = kernel_open_narrowing(f, attr, cpu)) != -1)
		goto done;
	if (errno != EINVAL && errno != E2BIG)
		goto fail;
	/* E2BIG wrote the kernel's own size: ours stays, its tail is 0. */
	attr->size = sizeof *attr;
	for (i = 0; i < KERNEL_NFEATURES; i++) {
		kf = &kernel_features[i];
		copy = *attr;
		if (!*kernel_granted(f, kf) || !kf->drop(&copy) ||
		    kernel_probe(kf))
			continue;
		if (kf->granted == offsetof(struct features, user_stacks) &&
		    !fp_ok) {
			xasprintf(cause, "--unwind dwarf: this kernel lacks %s "
			    "(Linux %s); use --unwind auto or fp", kf->name,
			    kf->since);
			return (-1);
		}
		*kernel_granted(f, kf) = 0;
		kf->drop(attr);
		log_warnx("the kernel lacks %s (Linux %s): %s", kf->name,
		    kf->since, kf->fallback);
	}
	if ((fd = kernel_open_narrowing(f, attr, cpu)) == -1)
		goto fail;
done:
	close(fd);
	if (f->task != 0)
		log_debug("per-CPU events refused: following pid %d and its "
		    "children%s", (int)f->task, f->user_only ?
		    ", in user space only" : "");
	return (0);
fail:
	*cause = kernel_explain(f, errno);
	return (-1);
}

/* Is the sched_switch event under dir? */
static int
kernel_has_events(const char *dir)
{
	char	 path[512];
	int	 fd;

	snprintf(path, sizeof path, "%s/events/sched/sched_switch/id", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	close(fd);
	return (1);
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
		    strcmp(type, "tracefs") == 0 && kernel_has_events(dir)) {
			f->tracing = xstrdup(dir);
			break;
		}
	}
	fclose(m);
	return (f->tracing != NULL ? 0 : -1);
}

/*
 * Mount tracing where it belongs, a step of its own, taken on purpose:
 * tracefs (4.1+), else debugfs, whose tracing directory older kernels
 * and RHEL 7 have.
 */
int
kernel_mount_tracing(char **cause)
{
	if (mount("nodev", KERNEL_TRACEFS, "tracefs", 0, NULL) == 0) {
		log_info("mounted tracefs at %s", KERNEL_TRACEFS);
		return (0);
	}
	if (mount("nodev", KERNEL_DEBUGFS, "debugfs", 0, NULL) == 0) {
		log_info("mounted debugfs at %s", KERNEL_DEBUGFS);
		return (0);
	}
	xasprintf(cause, "mount tracefs at %s or debugfs at %s: %s",
	    KERNEL_TRACEFS, KERNEL_DEBUGFS, strerror(errno));
	return (-1);
}
