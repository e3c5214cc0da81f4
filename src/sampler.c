/*
 * The sampler: perf events opened on every online CPU, one mmap'd ring
 * each or one shared by a CPU's events, polled together and read in time
 * order across all of them.
 */

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "libprofdrop.h"

#define SAMPLER_MAX_CPUS	4096

struct sampler {
	const struct features *features;
	struct ring	*rings;
	struct pollfd	*pfds;
	int		 nrings;
	int		 cpus[SAMPLER_MAX_CPUS];
	int		 ncpus;
	int		 unsampled;	/* online CPUs not in cpus, last seen */
	struct ring	**heap;		/* rings with a record, oldest first */
};

/* Events opened as f says the kernel takes them. */
struct sampler *
sampler_new(const struct features *f, char **cause)
{
	struct sampler	*s;

	s = xcalloc(1, sizeof *s);
	s->features = f;
	if ((s->ncpus = kernel_online_cpus(s->cpus, SAMPLER_MAX_CPUS)) <= 0) {
		xasprintf(cause, "cannot read the online CPUs from "
		    "/sys/devices/system/cpu/online; is /sys mounted?");
		free(s);
		return (NULL);
	}
	return (s);
}

/*
 * Online CPUs without events: those that came online after the start.
 * Opening events for them would need CAP_PERFMON (CAP_SYS_ADMIN before
 * 5.8), which the daemon gives up; they are said and counted instead.
 */
int
sampler_unsampled(struct sampler *s)
{
	int		*online, i, j = 0, n, count = 0;

	online = xcalloc(SAMPLER_MAX_CPUS, sizeof *online);
	if ((n = kernel_online_cpus(online, SAMPLER_MAX_CPUS)) <= 0) {
		free(online);
		return (s->unsampled);
	}
	/* Both lists ascend. */
	for (i = 0; i < n; i++) {
		while (j < s->ncpus && s->cpus[j] < online[i])
			j++;
		if (j == s->ncpus || s->cpus[j] != online[i])
			count++;
	}
	free(online);
	if (count > s->unsampled)
		log_warnx("%d CPU%s came online after profdropd started and "
		    "%s not sampled; restart profdropd to sample %s", count,
		    count == 1 ? "" : "s", count == 1 ? "is" : "are",
		    count == 1 ? "it" : "them");
	s->unsampled = count;
	return (count);
}

/* The CPUs events are opened on. */
size_t
sampler_ncpus(const struct sampler *s)
{
	return (s->ncpus);
}

/* The CPU to probe the kernel on: one that is online. */
int
sampler_first_cpu(const struct sampler *s)
{
	return (s->cpus[0]);
}

/*
 * Open attr on one CPU with a ring of pages pages into r. When the
 * locked-memory limit makes the ring smaller, say so, and open the event
 * again with the wakeup watermark at a quarter of the ring it got, not of
 * the one asked for: past its end the kernel would never wake the loop.
 */
static int
sampler_open_ring(struct sampler *s, struct perf_attr *attr, int cpu,
    size_t pages, struct ring *r, char **cause)
{
	size_t	 got = pages;
	int	 fd, mlock_kb = -1;

	if ((fd = kernel_event_open(s->features, attr, cpu, cause)) == -1)
		return (-1);
	if (ring_open(r, fd, cpu, &got, cause) != 0) {
		close(fd);
		return (-1);
	}
	if (got == pages)
		return (fd);
	kernel_sysctl_int("/proc/sys/kernel/perf_event_mlock_kb", &mlock_kb);
	log_warnx("cpu %d: ring shrunk from %zu to %zu pages by the "
	    "locked-memory limit (kernel.perf_event_mlock_kb is %d, and ulimit "
	    "-l); expect lost records at high rates", cpu, pages, got,
	    mlock_kb);
	ring_close(r);
	if (attr->wakeup_watermark > got * getpagesize() / 4)
		attr->wakeup_watermark = got * getpagesize() / 4;
	if ((fd = kernel_event_open(s->features, attr, cpu, cause)) == -1)
		return (-1);
	if (ring_open(r, fd, cpu, &got, cause) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Open attr on every online CPU, each with a ring of pages pages whose
 * records go to handle(arg, ...).
 */
int
sampler_add(struct sampler *s, struct perf_attr *attr, size_t pages,
    record_fn handle, void *arg, char **cause)
{
	struct ring	*r;
	int		 i, fd, first = s->nrings;

	s->rings = xreallocarray(s->rings, s->nrings + s->ncpus,
	    sizeof *s->rings);
	s->pfds = xreallocarray(s->pfds, s->nrings + s->ncpus,
	    sizeof *s->pfds);
	s->heap = xreallocarray(s->heap, s->nrings + s->ncpus,
	    sizeof *s->heap);
	for (i = 0; i < s->ncpus; i++) {
		r = &s->rings[s->nrings];
		if ((fd = sampler_open_ring(s, attr, s->cpus[i], pages, r,
		    cause)) == -1)
			return (-1);
		s->pfds[s->nrings].fd = fd;
		s->pfds[s->nrings].events = POLLIN;
		s->nrings++;
	}
	for (i = first; i < s->nrings; i++) {
		r = &s->rings[i];
		records_format(&r->fmt, attr);
		r->handle = handle;
		r->arg = arg;
	}
	return (0);
}

/*
 * Open attr on every online CPU without rings of its own: its records go
 * into the rings the first sampler_add() mapped, and then to
 * handle(arg, ...). Only where ringshare_probe() said the kernel can.
 */
int
sampler_share(struct sampler *s, struct perf_attr *attr, record_fn handle,
    void *arg, char **cause)
{
	struct sample_format	 fmt;
	int			 i, fd;

	if (s->nrings < s->ncpus)
		fatalx("%s: no rings to share", __func__);
	records_format(&fmt, attr);
	for (i = 0; i < s->ncpus; i++) {
		if ((fd = kernel_event_open(s->features, attr, s->cpus[i],
		    cause)) == -1)
			return (-1);
		if (ringshare_join(&s->rings[i], fd, &fmt, handle, arg,
		    cause) != 0) {
			close(fd);
			return (-1);
		}
	}
	return (0);
}

/* Start sampling: opening checked what can be; this starts the flow. */
int
sampler_enable(struct sampler *s, char **cause)
{
	int	 i;

	for (i = 0; i < s->nrings; i++) {
		if (ring_enable(&s->rings[i], cause) != 0)
			return (-1);
	}
	return (0);
}

/* What to poll: each ring's event is readable past its watermark. */
struct pollfd *
sampler_pollfds(struct sampler *s, size_t *n)
{
	*n = s->nrings;
	return (s->pfds);
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
 * record grows with the log of the number of rings. Returns how many
 * records were skipped as malformed.
 */
uint64_t
sampler_drain(struct sampler *s)
{
	struct ring	*r;
	uint64_t	 corrupt = 0;
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
		r->handle(r->arg, r->rec, r->len, &r->fmt);
		ring_advance(r);
		if (r->rec == NULL)
			s->heap[0] = s->heap[--n];
		heap_down(s->heap, n, 0);
	}
	for (i = 0; i < s->nrings; i++) {
		corrupt += s->rings[i].corrupt;
		ring_end(&s->rings[i]);
	}
	return (corrupt);
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
