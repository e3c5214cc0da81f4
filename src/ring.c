/*
 * The mmap'd perf ring buffer of one event, or of several redirected into
 * it: map it and read its records, each with its event's format.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/*
 * Map the ring of an event with *pages data pages. When the locked-memory
 * limit refuses it, halve the size and try again, telling the caller the
 * size it got so nothing shrinks silently.
 */
int
ring_open(struct ring *r, int fd, int cpu, size_t *pages, char **cause)
{
	long	 pagesize = sysconf(_SC_PAGESIZE);
	size_t	 n = *pages;
	void	*base;

	memset(r, 0, sizeof *r);
	for (;;) {
		base = mmap(NULL, (n + 1) * pagesize, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		if (base != MAP_FAILED)
			break;
		if ((errno != EPERM && errno != ENOMEM) || n <= 1) {
			xasprintf(cause, "mmap of the perf ring for cpu %d "
			    "(%zu KiB) failed: %s; raise "
			    "kernel.perf_event_mlock_kb or the memlock limit "
			    "(ulimit -l)", cpu, n * pagesize / 1024,
			    strerror(errno));
			return (-1);
		}
		n /= 2;
	}
	r->fd = fd;
	r->cpu = cpu;
	r->base = base;
	r->mmap_size = (n + 1) * pagesize;
	r->data = (unsigned char *)base + pagesize;
	r->data_size = n * pagesize;
	*pages = n;
	return (0);
}

/*
 * Another event writes into this ring too: the records of the event with
 * this id are fmt's, and go to handle(arg, ...). The ring closes fd.
 */
void
ring_add_route(struct ring *r, uint64_t id, int fd,
    const struct sample_format *fmt, record_fn handle, void *arg)
{
	struct ring_route	*rt;

	r->routes = xreallocarray(r->routes, r->nroutes + 1,
	    sizeof *r->routes);
	rt = &r->routes[r->nroutes++];
	rt->id = id;
	rt->fd = fd;
	rt->fmt = *fmt;
	rt->handle = handle;
	rt->arg = arg;
}

/* Start the ring's event and those that write into it. */
int
ring_enable(struct ring *r, char **cause)
{
	size_t	 i;

	if (ioctl(r->fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
		goto fail;
	for (i = 0; i < r->nroutes; i++) {
		if (r->routes[i].fd != -1 &&
		    ioctl(r->routes[i].fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
			goto fail;
	}
	return (0);
fail:
	xasprintf(cause, "enabling the event on cpu %d: %s", r->cpu,
	    strerror(errno));
	return (-1);
}

/*
 * In a shared ring, whose is the record read: its id says, and the
 * format, handler and argument become that event's. An id the ring does
 * not know, or a record too short for one, is not read.
 */
static int
ring_route(struct ring *r)
{
	uint64_t	 id;
	size_t		 i;

	if (r->routes == NULL)
		return (0);
	if (records_id(r->rec, r->len, &id) != 0)
		return (-1);
	for (i = 0; i < r->nroutes; i++) {
		if (r->routes[i].id == id) {
			r->fmt = r->routes[i].fmt;
			r->handle = r->routes[i].handle;
			r->arg = r->routes[i].arg;
			return (0);
		}
	}
	return (-1);
}

/* Read the record at the read position, if a whole one is there. */
static void
ring_read(struct ring *r)
{
	struct perf_record_header	 hdr;
	uint64_t			 off = r->pos & (r->data_size - 1);
	uint64_t			 first = r->data_size - off;

	r->rec = NULL;
	if (r->head - r->pos < sizeof hdr)
		return;
	if (first >= sizeof hdr)
		memcpy(&hdr, r->data + off, sizeof hdr);
	else {
		memcpy(&hdr, r->data + off, first);
		memcpy((char *)&hdr + first, r->data, sizeof hdr - first);
	}
	/* Nothing after a corrupt header can be trusted: skip the rest. */
	if (hdr.size < sizeof hdr || hdr.size > r->head - r->pos) {
		r->corrupt++;
		r->pos = r->head;
		return;
	}
	if (first >= hdr.size)
		r->rec = r->data + off;
	else {
		if (r->scratch == NULL)
			r->scratch = xmalloc(65536);
		memcpy(r->scratch, r->data + off, first);
		memcpy(r->scratch + first, r->data, hdr.size - first);
		r->rec = r->scratch;
	}
	r->len = hdr.size;
}

/* The next record this ring's readers take, and its time. */
static void
ring_peek(struct ring *r)
{
	for (ring_read(r); r->rec != NULL && ring_route(r) != 0;
	    ring_read(r)) {
		r->corrupt++;
		r->pos += r->len;
	}
	if (r->rec != NULL)
		r->time = records_time(r->rec, r->len, &r->fmt);
}

/* Start reading the records the kernel has completed so far. */
void
ring_begin(struct ring *r)
{
	struct perf_mmap_page	*meta = r->base;

	r->head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	r->pos = meta->data_tail;
	r->corrupt = 0;
	ring_peek(r);
}

void
ring_advance(struct ring *r)
{
	r->pos += r->len;
	ring_peek(r);
}

/* Give what was read back to the kernel. */
void
ring_end(struct ring *r)
{
	struct perf_mmap_page	*meta = r->base;

	r->rec = NULL;
	__atomic_store_n(&meta->data_tail, r->head, __ATOMIC_RELEASE);
}

void
ring_close(struct ring *r)
{
	size_t	 i;

	for (i = 0; i < r->nroutes; i++) {
		if (r->routes[i].fd != -1)
			close(r->routes[i].fd);
	}
	free(r->routes);
	if (r->base != NULL)
		munmap(r->base, r->mmap_size);
	if (r->fd != -1)
		close(r->fd);
	free(r->scratch);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}
