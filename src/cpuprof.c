/*
 * The CPU profile's events: a cpu-clock (or cycles) sampler per CPU in
 * frequency mode, with the records that follow processes and mappings.
 */

#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define CPU_SAMPLE_TYPE	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | \
	PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | \
	PERF_SAMPLE_CALLCHAIN)

/*
 * Room for about 1/16 s of samples: the ring wakes the loop when a
 * quarter is full, so it drains every few milliseconds at high rates, and
 * the ring's pages, which count in the daemon's memory, stay few.
 */
size_t
cpuprof_ring_pages(const struct pd_config *cfg, const struct features *f,
    unsigned int profiles)
{
	size_t	 bytes, pages = 64;

	bytes = (size_t)cfg->frequency * (1024 + (f->user_stacks ?
	    cfg->stack_size : 0)) / 16;
	/* Switch records come with every context switch: 1/16 s of a storm. */
	if (profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL))
		bytes += 200000 * 2 * 48 / 16;
	while (pages * getpagesize() < bytes && pages < 4096)
		pages *= 2;
	return (pages);
}

/*
 * Everything the CPU profile could use; kernel_negotiate() takes away
 * what the kernel refuses.
 */
void
cpuprof_attr(struct perf_attr *attr, const struct pd_config *cfg,
    unsigned int profiles)
{
	memset(attr, 0, sizeof *attr);
	attr->size = sizeof *attr;
	if (cfg->use_cycles) {
		attr->type = PERF_TYPE_HARDWARE;
		attr->config = PERF_COUNT_HW_CPU_CYCLES;
	} else {
		attr->type = PERF_TYPE_SOFTWARE;
		attr->config = PERF_COUNT_SW_CPU_CLOCK;
	}
	attr->sample_period = cfg->frequency;	/* a frequency, with FREQ */
	attr->sample_type = CPU_SAMPLE_TYPE;
	if (cfg->unwind != PD_UNWIND_FP) {
		/* Kernel frames from the callchain, user frames unwound. */
		attr->sample_type |= PERF_SAMPLE_REGS_USER |
		    PERF_SAMPLE_STACK_USER;
		attr->sample_regs_user = PROFDROP_REGS_MASK;
		attr->sample_stack_user = cfg->stack_size;
		attr->flags |= PERF_ATTR_EXCLUDE_CALLCHAIN_USER;
	}
	if (!cfg->kernel)
		attr->flags |= PERF_ATTR_EXCLUDE_CALLCHAIN_KERNEL;
	attr->flags |= PERF_ATTR_FREQ | PERF_ATTR_DISABLED | PERF_ATTR_MMAP |
	    PERF_ATTR_COMM | PERF_ATTR_TASK | PERF_ATTR_SAMPLE_ID_ALL |
	    PERF_ATTR_EXCLUDE_GUEST | PERF_ATTR_WATERMARK | PERF_ATTR_MMAP2 |
	    PERF_ATTR_COMM_EXEC;
	/*
	 * Off-CPU waits end when the thread is switched in. The switch
	 * records (4.3) see that on every kernel tried; sched_switch itself
	 * can miss switches away from the idle task. Its ring may be
	 * sched_switch's too: IDENTIFIER says whose each record is.
	 */
	if (profiles & (PD_PROFILE_OFFCPU | PD_PROFILE_WALL)) {
		attr->flags |= PERF_ATTR_CONTEXT_SWITCH;
		attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
	}
}
