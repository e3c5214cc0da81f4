/*
 * The CPU profile's events: a cpu-clock (or cycles) sampler per CPU in
 * frequency mode, with the records that follow processes and mappings.
 */

#include <linux/perf_event.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

int	switch_records;		/* PERF_RECORD_SWITCH_CPU_WIDE arrive */

#define CPU_SAMPLE_TYPE	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | \
	PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | \
	PERF_SAMPLE_CALLCHAIN)

/*
 * Room for about 1/16 s of samples: the ring wakes the loop when a
 * quarter is full, so it drains every few milliseconds at high rates, and
 * the ring's pages, which count in the daemon's memory, stay few.
 */
static size_t
cpu_ring_pages(void)
{
	size_t	 bytes, pages = 64;

	bytes = (size_t)opts.frequency * (1024 + (opts.unwind != UNWIND_FP ?
	    opts.stack_size : 0)) / 16;
	/* Switch records come with every context switch: 1/16 s of a storm. */
	if (opts.profiles & (PROFILE_OFFCPU | PROFILE_WALL))
		bytes += 200000 * 2 * 48 / 16;
	while (pages * getpagesize() < bytes && pages < 4096)
		pages *= 2;
	return (pages);
}

static void
cpu_attr(struct perf_event_attr *attr)
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
	attr->sample_type = CPU_SAMPLE_TYPE;
	if (opts.unwind != UNWIND_FP) {
		/* Kernel frames from the callchain, user frames unwound. */
		attr->sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		attr->sample_regs_user = PROFDROP_REGS_MASK;
		attr->sample_stack_user = opts.stack_size;
		attr->exclude_callchain_user = 1;
	}
	attr->exclude_callchain_kernel = !opts.kernel;
	attr->disabled = 1;
	attr->mmap = 1;
	attr->comm = 1;
	attr->task = 1;
	attr->sample_id_all = 1;
	attr->exclude_guest = 1;
	attr->watermark = 1;
	attr->wakeup_watermark = cpu_ring_pages() * getpagesize() / 4;
	/* The kernel rejects unknown flags, so MMAP2 (3.16) is probed. */
	attr->mmap2 = 1;
	attr->comm_exec = 1;
	/*
	 * Off-CPU waits end when the thread is switched in. The switch
	 * records (4.3) see that on every kernel tried; sched_switch itself
	 * can miss switches away from the idle task.
	 */
	attr->context_switch = (opts.profiles & (PROFILE_OFFCPU |
	    PROFILE_WALL)) != 0;
}

/* Take away what older kernels refuse, most recent first. */
static int
cpu_retry(struct perf_event_attr *attr)
{
	if (opts.unwind == UNWIND_AUTO &&
	    (attr->sample_type & PERF_SAMPLE_STACK_USER)) {
		log_warnx("the kernel refused user stack copies; unwinding "
		    "with frame pointers (--unwind fp)");
		opts.unwind = UNWIND_FP;
		attr->sample_type &= ~(PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER);
		attr->sample_regs_user = attr->sample_stack_user = 0;
		attr->exclude_callchain_user = 0;
		return (1);
	}
	if (attr->context_switch) {
		log_debug("perf_event_open: context_switch refused, "
		    "switch-ins come from sched_switch alone");
		attr->context_switch = 0;
		return (1);
	}
	if (attr->mmap2 || attr->comm_exec) {
		log_debug("perf_event_open: mmap2/comm_exec refused, "
		    "falling back to MMAP records");
		attr->mmap2 = attr->comm_exec = 0;
		return (1);
	}
	return (0);
}

int
cpuprof_open(struct sampler *s, char **cause)
{
	struct perf_event_attr	 attr;

	/* Pretend features are missing, to test the fallbacks. */
	if (getenv("PROFDROP_NO_STACK_USER") != NULL &&
	    opts.unwind == UNWIND_AUTO)
		opts.unwind = UNWIND_FP;
	cpu_attr(&attr);
	if (getenv("PROFDROP_NO_MMAP2") != NULL)
		attr.mmap2 = attr.comm_exec = 0;
	if (getenv("PROFDROP_NO_SWITCH_RECORDS") != NULL)
		attr.context_switch = 0;
	if (sampler_add(s, &attr, cpu_ring_pages(), cpu_retry, records_handle,
	    cause) != 0)
		return (-1);
	switch_records = attr.context_switch;
	log_debug("sampling at %u Hz (%s, %s unwinding, %zu KiB rings)",
	    opts.frequency, attr.mmap2 ? "mmap2" : "mmap",
	    opts.unwind == UNWIND_FP ? "frame-pointer" : "dwarf",
	    cpu_ring_pages() * getpagesize() / 1024);
	return (0);
}
