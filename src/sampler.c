/*
 * The CPU sampler: one perf event and one ring per online CPU, polled
 * together.
 */

#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/perf_event.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

struct sampler {
	struct ring	*rings;
	struct pollfd	*pfds;
	int		 nrings;
};

#define SAMPLER_TYPE	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
	PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

static struct sample_format format = { SAMPLER_TYPE, 0, 0 };

const struct sample_format *
sampler_format(void)
{
	return (&format);
}

static int
perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
    unsigned long flags)
{
	return (syscall(SYS_perf_event_open, attr, pid, cpu, group, flags));
}

static int
read_sysctl_int(const char *path, int *value)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	ok = fscanf(f, "%d", value) == 1;
	fclose(f);
	return (ok ? 0 : -1);
}

/* Parse a CPU list such as "0-3,6" into a bitmap of at most max CPUs. */
static int
online_cpus(int *cpus, int max)
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
explain_open_error(int error)
{
	char	*msg;
	int	 paranoid = 2;

	read_sysctl_int("/proc/sys/kernel/perf_event_paranoid", &paranoid);
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

/*
 * Room for about 1/16 s of samples: the ring wakes the loop when a
 * quarter is full, so it drains every few milliseconds at high rates, and
 * the ring's pages, which count in the daemon's memory, stay few.
 */
static size_t
sampler_ring_pages(void)
{
	size_t	 bytes, pages = 64;

	bytes = (size_t)opts.frequency * (1024 + (opts.unwind != UNWIND_FP ?
	    opts.stack_size : 0)) / 16;
	while (pages * getpagesize() < bytes && pages < 4096)
		pages *= 2;
	return (pages);
}

static void
sampler_attr(struct perf_event_attr *attr)
{
	memset(attr, 0, sizeof *attr);
	attr->size = sizeof *attr;
	if (opts.use_cycles) {
		attr->type = PERF_TYPE_HARDWARE;
		attr->config = PERF_COUNT_HW_CPU_CYCLES;
	} else {
		attr->type = PERF_TYPE_SOFTWARE;
		attr->config = PERF_COUNT_SW_CPU_CLOCK;
	}
	attr->sample_freq = opts.frequency;
	attr->freq = 1;
	attr->sample_type = SAMPLER_TYPE;
	if (opts.unwind != UNWIND_FP) {
		/* Kernel frames from the callchain, user frames unwound. */
		attr->sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		attr->sample_regs_user = PROFDROP_REGS_MASK;
		attr->sample_stack_user = opts.stack_size;
		attr->exclude_callchain_user = 1;
	}
	attr->disabled = 1;
	attr->mmap = 1;
	attr->comm = 1;
	attr->task = 1;
	attr->sample_id_all = 1;
	attr->exclude_guest = 1;
	attr->watermark = 1;
	attr->wakeup_watermark = sampler_ring_pages() * getpagesize() / 4;
	/* The kernel rejects unknown flags, so MMAP2 (3.16) is probed. */
	attr->mmap2 = 1;
	attr->comm_exec = 1;
}

static int
sampler_open_cpu(struct perf_event_attr *attr, int cpu, char **cause)
{
	int	 fd, error;

	fd = perf_event_open(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -1 && errno == EINVAL && opts.unwind == UNWIND_AUTO &&
	    (attr->sample_type & PERF_SAMPLE_STACK_USER)) {
		log_warnx("the kernel refused user stack copies; unwinding "
		    "with frame pointers (--unwind fp)");
		opts.unwind = UNWIND_FP;
		attr->sample_type &= ~(PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER);
		attr->sample_regs_user = attr->sample_stack_user = 0;
		attr->exclude_callchain_user = 0;
		fd = perf_event_open(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd == -1 && errno == EINVAL && (attr->mmap2 || attr->comm_exec)) {
		log_debug("perf_event_open: mmap2/comm_exec refused, "
		    "falling back to MMAP records");
		attr->mmap2 = 0;
		attr->comm_exec = 0;
		fd = perf_event_open(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd == -1) {
		error = errno;
		*cause = explain_open_error(error);
		errno = error;
	}
	return (fd);
}

struct sampler *
sampler_open(char **cause)
{
	struct sampler		*s;
	struct perf_event_attr	 attr;
	int			 cpus[4096], ncpus, i, fd;
	size_t			 pages;

	if ((ncpus = online_cpus(cpus, 4096)) <= 0) {
		xasprintf(cause, "cannot read the online CPUs from "
		    "/sys/devices/system/cpu/online; is /sys mounted?");
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	s->rings = xcalloc(ncpus, sizeof *s->rings);
	s->pfds = xcalloc(ncpus, sizeof *s->pfds);
	/* Pretend features are missing, to test the fallbacks. */
	if (getenv("PROFDROP_NO_STACK_USER") != NULL &&
	    opts.unwind == UNWIND_AUTO)
		opts.unwind = UNWIND_FP;
	sampler_attr(&attr);
	if (getenv("PROFDROP_NO_MMAP2") != NULL)
		attr.mmap2 = attr.comm_exec = 0;
	for (i = 0; i < ncpus; i++) {
		if ((fd = sampler_open_cpu(&attr, cpus[i], cause)) == -1)
			goto fail;
		pages = sampler_ring_pages();
		if (ring_open(&s->rings[i], fd, cpus[i], &pages, cause) != 0) {
			close(fd);
			goto fail;
		}
		if (pages != sampler_ring_pages())
			log_warnx("cpu %d: ring shrunk to %zu pages by the "
			    "locked-memory limit; expect lost records at high "
			    "rates", cpus[i], pages);
		s->pfds[i].fd = fd;
		s->pfds[i].events = POLLIN;
		s->nrings++;
	}
	/* The attributes as the kernel accepted them, fallbacks and all. */
	format.type = attr.sample_type;
	format.regs_mask = attr.sample_regs_user;
	format.nregs = __builtin_popcountll(attr.sample_regs_user);
	log_debug("sampling %d cpus at %u Hz (%s, %s unwinding, %zu KiB "
	    "rings)", s->nrings, opts.frequency, attr.mmap2 ? "mmap2" : "mmap",
	    opts.unwind == UNWIND_FP ? "frame-pointer" : "dwarf",
	    sampler_ring_pages() * getpagesize() / 1024);
	return (s);

fail:
	sampler_close(s);
	return (NULL);
}

/* Start sampling: opening checked what can be; this starts the flow. */
int
sampler_enable(struct sampler *s, char **cause)
{
	int	 i;

	for (i = 0; i < s->nrings; i++) {
		if (ioctl(s->rings[i].fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
			xasprintf(cause, "enabling the event on cpu %d: %s",
			    s->rings[i].cpu, strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/* Wait up to timeout ms for a ring to pass its watermark. */
int
sampler_poll(struct sampler *s, int timeout)
{
	int	 n;

	n = poll(s->pfds, s->nrings, timeout);
	if (n == -1 && errno != EINTR)
		fatal("poll");
	return (n);
}

/* A record about processes, copied out of its ring to be put in order. */
struct pending {
	uint64_t	 time;
	size_t		 seq;
	size_t		 off;
	size_t		 len;
};

struct collected {
	struct pending	*list;
	size_t		 n;
	size_t		 cap;
	unsigned char	*buf;
	size_t		 used;
	size_t		 size;
};

static struct collected	 collected;

static void
collect_task(const void *rec, size_t len, void *arg)
{
	struct collected		*c = arg;
	const struct perf_event_header	*h = rec;
	struct pending			*p;

	if (h->type == PERF_RECORD_SAMPLE)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->list = xreallocarray(c->list, c->cap, sizeof *c->list);
	}
	while (c->used + len > c->size) {
		c->size = c->size ? c->size * 2 : 65536;
		c->buf = xreallocarray(c->buf, c->size, 1);
	}
	p = &c->list[c->n];
	p->time = records_time(rec, len, &format);
	p->seq = c->n++;
	p->off = c->used;
	p->len = len;
	memcpy(c->buf + c->used, rec, len);
	c->used += len;
}

static int
pending_cmp(const void *a, const void *b)
{
	const struct pending	*pa = a, *pb = b;

	if (pa->time != pb->time)
		return (pa->time < pb->time ? -1 : 1);
	return (pa->seq < pb->seq ? -1 : pa->seq > pb->seq);
}

/*
 * Each CPU has its own ring, so a process's fork, exec and mappings may
 * be spread over several. Apply those records from every ring in time
 * order first, then the samples, so a sample never meets a mapping that
 * another ring announced but was not read yet.
 */
void
sampler_drain(struct sampler *s)
{
	struct collected	*c = &collected;
	uint64_t		 heads[s->nrings];
	size_t			 i;
	int			 r;

	c->n = c->used = 0;
	for (r = 0; r < s->nrings; r++) {
		heads[r] = ring_head(&s->rings[r]);
		ring_foreach(&s->rings[r], heads[r], collect_task, c);
	}
	qsort(c->list, c->n, sizeof *c->list, pending_cmp);
	for (i = 0; i < c->n; i++)
		records_handle_task(c->buf + c->list[i].off, c->list[i].len);
	for (r = 0; r < s->nrings; r++) {
		if (ring_foreach(&s->rings[r], heads[r], records_handle_sample,
		    NULL) != 0)
			counters.bad_records++;
		ring_release(&s->rings[r], heads[r]);
	}
}

void
sampler_close(struct sampler *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrings; i++)
		ring_close(&s->rings[i]);
	free(collected.list);
	free(collected.buf);
	memset(&collected, 0, sizeof collected);
	free(s->rings);
	free(s->pfds);
	free(s);
}
