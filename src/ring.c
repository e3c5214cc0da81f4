/* The mmap'd perf ring buffer of one event: map it and read its records. */

#include <sys/mman.h>

#include <linux/perf_event.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

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

/* Where the kernel has written up to; records before it are complete. */
uint64_t
ring_head(struct ring *r)
{
	struct perf_event_mmap_page	*meta = r->base;

	return (__atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE));
}

/*
 * Hand every record between the reader's tail and head to cb, without
 * releasing them. A corrupt header ends the walk (-1): nothing after it
 * can be trusted.
 */
int
ring_foreach(struct ring *r, uint64_t head, ring_cb cb, void *arg)
{
	struct perf_event_mmap_page	*meta = r->base;
	struct perf_event_header	 hdr;
	uint64_t			 tail, mask = r->data_size - 1;
	uint64_t			 off, first;

	tail = meta->data_tail;
	while (head - tail >= sizeof hdr) {
		off = tail & mask;
		first = r->data_size - off;
		if (first >= sizeof hdr)
			memcpy(&hdr, r->data + off, sizeof hdr);
		else {
			memcpy(&hdr, r->data + off, first);
			memcpy((char *)&hdr + first, r->data, sizeof hdr - first);
		}
		if (hdr.size < sizeof hdr || hdr.size > head - tail)
			return (-1);
		if (first >= hdr.size)
			cb(r->data + off, hdr.size, arg);
		else {
			if (r->scratch == NULL)
				r->scratch = xmalloc(65536);
			memcpy(r->scratch, r->data + off, first);
			memcpy(r->scratch + first, r->data, hdr.size - first);
			cb(r->scratch, hdr.size, arg);
		}
		tail += hdr.size;
	}
	return (0);
}

/* Give the space up to tail back to the kernel. */
void
ring_release(struct ring *r, uint64_t tail)
{
	struct perf_event_mmap_page	*meta = r->base;

	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
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
