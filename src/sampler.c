/*
 * The sampler: perf events opened on every online CPU, one mmap'd ring
 * each, polled together and read in time order across all of them.
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

#define SAMPLER_MAX_CPUS	4096

struct sampler {
	struct ring	*rings;
	struct pollfd	*pfds;
	int		 nrings;
	int		 cpus[SAMPLER_MAX_CPUS];
	int		 ncpus;
	struct ring	**heap;		/* rings with a record, oldest first */
};

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

struct sampler *
sampler_new(char **cause)
{
	struct sampler	*s;

	s = xcalloc(1, sizeof *s);
	if ((s->ncpus = online_cpus(s->cpus, SAMPLER_MAX_CPUS)) <= 0) {
		xasprintf(cause, "cannot read the online CPUs from "
		    "/sys/devices/system/cpu/online; is /sys mounted?");
		free(s);
		return (NULL);
	}
	return (s);
}

/*
 * Open attr on every online CPU, each with a ring of pages pages whose
 * records go to handle. When the kernel refuses the attributes, retry()
 * may take a feature away and ask for another try.
 */
int
sampler_add(struct sampler *s, struct perf_event_attr *attr, size_t pages,
    int (*retry)(struct perf_event_attr *), record_fn handle, char **cause)
{
	struct ring	*r;
	size_t		 got;
	int		 i, fd, first = s->nrings;

	s->rings = xreallocarray(s->rings, s->nrings + s->ncpus,
	    sizeof *s->rings);
	s->pfds = xreallocarray(s->pfds, s->nrings + s->ncpus,
	    sizeof *s->pfds);
	s->heap = xreallocarray(s->heap, s->nrings + s->ncpus,
	    sizeof *s->heap);
	for (i = 0; i < s->ncpus; i++) {
		while ((fd = perf_event_open(attr, -1, s->cpus[i], -1,
		    PERF_FLAG_FD_CLOEXEC)) == -1 && errno == EINVAL &&
		    retry != NULL && retry(attr))
			;
		if (fd == -1) {
			*cause = explain_open_error(errno);
			return (-1);
		}
		r = &s->rings[s->nrings];
		got = pages;
		if (ring_open(r, fd, s->cpus[i], &got, cause) != 0) {
			close(fd);
			return (-1);
		}
		if (got != pages)
			log_warnx("cpu %d: ring shrunk to %zu pages by the "
			    "locked-memory limit; expect lost records at high "
			    "rates", s->cpus[i], got);
		s->pfds[s->nrings].fd = fd;
		s->pfds[s->nrings].events = POLLIN;
		s->nrings++;
	}
	/* The attributes as the kernel accepted them, fallbacks and all. */
	for (i = first; i < s->nrings; i++) {
		r = &s->rings[i];
		r->fmt.type = attr->sample_type;
		r->fmt.regs_mask = attr->sample_regs_user;
		r->fmt.nregs = __builtin_popcountll(attr->sample_regs_user);
		r->handle = handle;
	}
	return (0);
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

/* Move the ring at i down the heap until its next record is in order. */
static void
heap_down(struct ring **heap, int n, int i)
{
	struct ring	*r;
	int		 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && heap[c + 1]->time < heap[c]->time)
			c++;
		if (heap[i]->time <= heap[c]->time)
			break;
		r = heap[i];
		heap[i] = heap[c];
		heap[c] = r;
	}
}

/*
 * Each CPU has its own rings, so one thread's fork, exec, mappings,
 * samples and switches are spread over several. Hand the records of all
 * rings over in time order, up to where each ring was when the drain
 * began: a min-heap keyed by each ring's next record, so the cost per
 * record grows with the log of the number of rings.
 */
void
sampler_drain(struct sampler *s)
{
	struct ring	*r;
	int		 i, n = 0;

	for (i = 0; i < s->nrings; i++) {
		ring_begin(&s->rings[i]);
		if (s->rings[i].rec != NULL)
			s->heap[n++] = &s->rings[i];
	}
	for (i = n / 2 - 1; i >= 0; i--)
		heap_down(s->heap, n, i);
	while (n > 0) {
		r = s->heap[0];
		r->handle(r->rec, r->len, &r->fmt);
		ring_advance(r);
		if (r->rec == NULL)
			s->heap[0] = s->heap[--n];
		heap_down(s->heap, n, 0);
	}
	for (i = 0; i < s->nrings; i++) {
		if (s->rings[i].corrupt)
			counters.bad_records++;
		ring_end(&s->rings[i]);
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
	free(s->rings);
	free(s->pfds);
	free(s->heap);
	free(s);
}
