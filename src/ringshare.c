/*
 * One ring per CPU for several events: the other events of a CPU write
 * into the ring of its first (PERF_EVENT_IOC_SET_OUTPUT), and their
 * records are told apart by the id of the event that wrote each
 * (PERF_SAMPLE_IDENTIFIER, PERF_EVENT_IOC_ID: Linux 3.12). Half the rings
 * lock half the pages for the same room, which matters on many CPUs.
 */

#include <sys/ioctl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/*
 * Send the records of the event fd into the ring r, which an event of the
 * same CPU mapped, to go to handle(arg, ...) as fmt's. Both events must
 * carry PERF_SAMPLE_IDENTIFIER. On success, the ring owns fd.
 */
int
ringshare_join(struct ring *r, int fd, const struct sample_format *fmt,
    record_fn handle, void *arg, char **cause)
{
	uint64_t	 own, id;

	if (r->routes == NULL) {
		if (ioctl(r->fd, PERF_EVENT_IOC_ID, &own) != 0)
			goto fail;
		ring_add_route(r, own, -1, &r->fmt, r->handle, r->arg);
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0 ||
	    ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) != 0)
		goto fail;
	ring_add_route(r, id, fd, fmt, handle, arg);
	return (0);
fail:
	xasprintf(cause, "sharing the ring of cpu %d between events: %s",
	    r->cpu, strerror(errno));
	return (-1);
}

/*
 * Can the events of other share a ring with those of first? Asked once,
 * on one CPU, before any ring is sized: the kernel must know
 * PERF_SAMPLE_IDENTIFIER and PERF_EVENT_IOC_ID, and redirect other's
 * event. Says which, and why not.
 */
int
ringshare_probe(const struct features *f, struct perf_attr *first,
    struct perf_attr *other, int cpu)
{
	struct sample_format	 fmt;
	struct ring		 r;
	size_t			 pages = 1;
	char			*why = NULL, *fallback = NULL;
	int			 fd, ok = 0;

	if (!f->sample_identifier)
		why = xstrdup("the kernel lacks PERF_SAMPLE_IDENTIFIER");
	else if ((fd = kernel_event_open(f, first, cpu, &why)) != -1) {
		if (ring_open(&r, fd, cpu, &pages, &why) != 0)
			close(fd);
		else {
			records_format(&fmt, other);
			if ((fd = kernel_event_open(f, other, cpu, &why)) != -1 &&
			    !(ok = ringshare_join(&r, fd, &fmt, NULL, NULL,
			    &why) == 0))
				close(fd);
			ring_close(&r);
		}
	}
	if (!ok)
		xasprintf(&fallback, "a ring per event on each CPU: %s", why);
	kernel_feature_log(NULL, "one ring per CPU (PERF_EVENT_IOC_SET_OUTPUT)",
	    "3.12", ok, fallback);
	free(fallback);
	free(why);
	return (ok);
}
