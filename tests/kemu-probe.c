/*
 * Ask the running kernel, one question at a time, what profdropd depends
 * on, and print one line per question: its name, then OK or the errno's
 * name (with the size the kernel wrote back for E2BIG), or yes/no.
 * run-kemu.sh runs it under tests/kemu and in real old kernels and
 * compares the lines.
 */

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <linux/perf_event.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Offsets past what old headers name: clockid (4.1), sample_max_stack (4.8). */
#define ATTR_CLOCKID		92
#define ATTR_MAX_STACK		108
#define ATTR_BUF		256

/* Named here since the build host's headers may lack the newest. */
#define PROBE_SAMPLE_PHYS_ADDR	(1ULL << 19)
#define PROBE_SAMPLE_CGROUP	(1ULL << 21)
#define PROBE_FORMAT_LOST	(1ULL << 4)
#define PROBE_FLAG_FD_CLOEXEC	(1UL << 3)

struct question {
	const char	*name;
	unsigned	 size;		/* attr.size */
	int		 flag_bit;	/* attr flag bit set, or -1 */
	uint64_t	 sample_type;
	uint64_t	 read_format;
	unsigned long	 open_flags;
	int		 tail;		/* offset of a non-zero byte, or 0 */
	uint16_t	 max_stack;
};

static const struct question questions[] = {
	{ "attr-size-0", 0, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-64", 64, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-96", 96, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-112", 112, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-120", 120, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-128", 128, -1, 0, 0, 0, 0, 0 },
	{ "attr-size-128-byte-127", 128, -1, 0, 0, 0, 127, 0 },
	{ "flag-23-mmap2", 112, 23, 0, 0, 0, 0, 0 },
	{ "flag-24-comm_exec", 112, 24, 0, 0, 0, 0, 0 },
	{ "flag-25-use_clockid", 112, 25, 0, 0, 0, 0, 0 },
	{ "flag-26-context_switch", 112, 26, 0, 0, 0, 0, 0 },
	{ "flag-27-write_backward", 112, 27, 0, 0, 0, 0, 0 },
	{ "flag-28-namespaces", 112, 28, 0, 0, 0, 0, 0 },
	{ "sample-identifier", 96, -1, PERF_SAMPLE_IDENTIFIER, 0, 0, 0, 0 },
	{ "sample-regs-stack-user", 96, -1,
	    PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER, 0, 0, 0, 0 },
	{ "sample-phys-addr", 96, -1, PROBE_SAMPLE_PHYS_ADDR, 0, 0, 0, 0 },
	{ "sample-cgroup", 96, -1, PROBE_SAMPLE_CGROUP, 0, 0, 0, 0 },
	{ "read-format-lost", 96, -1, 0, PROBE_FORMAT_LOST, 0, 0, 0 },
	{ "open-flag-cloexec", 96, -1, 0, 0, PROBE_FLAG_FD_CLOEXEC, 0, 0 },
	{ "sample-max-stack-112", 112, -1, PERF_SAMPLE_CALLCHAIN, 0, 0, 0,
	    64 },
};

static const struct {
	int		 error;
	const char	*name;
} probe_errnos[] = {
	{ E2BIG, "E2BIG" }, { EACCES, "EACCES" }, { EBADF, "EBADF" },
	{ EBUSY, "EBUSY" }, { EFAULT, "EFAULT" }, { EINVAL, "EINVAL" },
	{ EMFILE, "EMFILE" }, { ENODEV, "ENODEV" }, { ENOENT, "ENOENT" },
	{ ENOMEM, "ENOMEM" }, { ENOSYS, "ENOSYS" }, { ENOTTY, "ENOTTY" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EOVERFLOW, "EOVERFLOW" },
	{ EPERM, "EPERM" },
};

static void
probe_answer(const char *name, int error)
{
	size_t	 i;

	for (i = 0; i < sizeof probe_errnos / sizeof probe_errnos[0]; i++) {
		if (probe_errnos[i].error == error) {
			printf("%s: %s\n", name, probe_errnos[i].name);
			return;
		}
	}
	printf("%s: errno %d\n", name, error);
}

/* A disabled cpu-clock event on CPU 0 for all tasks, as the daemon asks. */
static int
probe_open(const struct question *q, unsigned char *buf)
{
	struct perf_event_attr	*attr = (struct perf_event_attr *)buf;
	uint64_t		 flags;
	int32_t			 clockid = CLOCK_MONOTONIC;

	memset(buf, 0, ATTR_BUF);
	attr->type = PERF_TYPE_SOFTWARE;
	attr->size = q->size;
	attr->config = PERF_COUNT_SW_CPU_CLOCK;
	attr->sample_period = 1000000;
	attr->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | q->sample_type;
	attr->read_format = q->read_format;
	attr->disabled = 1;
	if (q->sample_type & PERF_SAMPLE_REGS_USER) {
		attr->sample_regs_user = 0xff0fff;
		attr->sample_stack_user = 8192;
	}
	if (q->flag_bit >= 0) {
		/* The flags word follows read_format: set the bit by number. */
		memcpy(&flags, &attr->read_format + 1, sizeof flags);
		flags |= 1ULL << q->flag_bit;
		memcpy(&attr->read_format + 1, &flags, sizeof flags);
		if (q->flag_bit == 25)
			memcpy(buf + ATTR_CLOCKID, &clockid, sizeof clockid);
	}
	if (q->max_stack != 0)
		memcpy(buf + ATTR_MAX_STACK, &q->max_stack, sizeof q->max_stack);
	if (q->tail != 0)
		buf[q->tail] = 1;
	return (syscall(SYS_perf_event_open, attr, -1, 0, -1, q->open_flags));
}

static void
probe_question(const struct question *q)
{
	unsigned char	 buf[ATTR_BUF] __attribute__((aligned(8)));
	struct perf_event_attr *attr = (struct perf_event_attr *)buf;
	int		 fd;

	if ((fd = probe_open(q, buf)) != -1) {
		printf("%s: OK\n", q->name);
		close(fd);
	} else if (errno == E2BIG)
		printf("%s: E2BIG size=%u\n", q->name, attr->size);
	else
		probe_answer(q->name, errno);
}

static void
probe_ioc_id(void)
{
	const struct question	 q = { "ioc-id", 64, -1, 0, 0, 0, 0, 0 };
	unsigned char		 buf[ATTR_BUF] __attribute__((aligned(8)));
	uint64_t		 id;
	int			 fd;

	if ((fd = probe_open(&q, buf)) == -1) {
		probe_answer("ioc-id (open)", errno);
		return;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) == 0)
		printf("%s: OK\n", q.name);
	else
		probe_answer(q.name, errno);
	close(fd);
}

static void
probe_mount(void)
{
	char	 dir[] = "/tmp/kemu-probe.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		probe_answer("mount-tracefs (mkdtemp)", errno);
		return;
	}
	if (mount("nodev", dir, "tracefs", 0, NULL) == 0) {
		printf("mount-tracefs: OK\n");
		umount(dir);
	} else
		probe_answer("mount-tracefs", errno);
	rmdir(dir);
}

static void
probe_dir(const char *name, const char *path)
{
	struct stat	 sb;

	printf("%s: %s\n", name, stat(path, &sb) == 0 ? "yes" : "no");
}

int
main(void)
{
	struct utsname	 u;
	size_t		 i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uname(&u) == 0)
		printf("uname: %s\n", u.release);
	else
		probe_answer("uname", errno);
	for (i = 0; i < sizeof questions / sizeof questions[0]; i++)
		probe_question(&questions[i]);
	probe_ioc_id();
	probe_mount();
	probe_dir("tracing-events", "/sys/kernel/tracing/events");
	probe_dir("debug-tracing-events", "/sys/kernel/debug/tracing/events");
	return (0);
}
