/* The mmap'd perf ring buffer of one event: map it and read its records. */

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

/* Read the record at the read position, if a whole one is there. */
static void
ring_peek(struct ring *r)
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
		r->corrupt = 1;
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
	if (r->base != NULL)
		munmap(r->base, r->mmap_size);
	if (r->fd != -1)
		close(r->fd);
	free(r->scratch);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}
