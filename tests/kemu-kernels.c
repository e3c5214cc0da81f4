/*
 * The kernels kemu can be, one row each, with where every value comes from:
 *   hdr 3.7-3.11  include/uapi/linux/perf_event.h as of 3.7-3.11: attr of
 *                 96 bytes (VER3), flags up to exclude_callchain_user (22)
 *                 then __reserved_1:41, PERF_SAMPLE_MAX 1 << 16 (WEIGHT
 *                 and DATA_SRC are 3.10's), PERF_FORMAT_MAX 1 << 4, ioctls
 *                 up to SET_FILTER.
 *   hdr 4.3-4.7   the same header as of 4.3-4.7: flags up to context_switch
 *                 (26), attr of 112 bytes ending in aux_watermark and a u32
 *                 __reserved_2 at 108, PERF_SAMPLE_MAX 1 << 19.
 *   copy_attr     kernel/events/core.c perf_copy_attr: E2BIG and the size
 *                 written back for a non-zero byte past its attr; EINVAL
 *                 for __reserved_1, sample_type and read_format bits; it
 *                 checks __reserved_2 only from 5.5 on (the 2019 patch
 *                 "perf/core: Reject the syscall with attr.__reserved_2
 *                 set", which says the check was forgotten in 4.1).
 *   man           perf_event_open(2): PERF_FLAG_FD_CLOEXEC 3.14;
 *                 PERF_SAMPLE_IDENTIFIER and PERF_EVENT_IOC_ID 3.12;
 *                 PERF_SAMPLE_TRANSACTION 3.13; REGS_INTR and the 104-byte
 *                 attr 3.19; the 112-byte attr and use_clockid 4.1;
 *                 context_switch 4.3; sample_max_stack 4.8; PHYS_ADDR
 *                 4.13; mmap2 "committed during 3.12 development but right
 *                 before release was disabled ... did not work until 3.16".
 *   design        doc/design.md's kernel table: tracefs 4.1, write_backward
 *                 4.7; its note that RHEL 7.3's source puts context_switch
 *                 at bit 25.
 *   vzkernel      OpenVZ's RHEL 7 based kernel: its header has mmap2,
 *                 comm_exec and PERF_EVENT_IOC_ID, so RHEL 7 had them early.
 *   probe         tests/kemu-probe in the real kernel of ../shared/kernels
 *                 (run-kemu.sh --real), and that directory's README.
 *   assumed       not read anywhere: a guess, to be replaced by a probe.
 *
 * What kemu cannot be, whatever the row says: the host kernel still writes
 * the rings and their records in its own format (MMAP2, SWITCH_CPU_WIDE
 * and sample_id layouts, throttling); tracepoint ids and format files,
 * the sched_switch one above all (RHEL 7's preempted bit is 1024, 6.x's
 * 256: old format files are fixtures of their own); sysctls and their
 * defaults (perf_event_paranoid 1 before 4.6, no perf_event_max_stack
 * before 4.8); /proc/mounts, which lists the host's tracefs under debugfs
 * where 3.10 had plain debugfs; and what RHEL 7.3 means by bit 25, which
 * the host takes as use_clockid.
 */

#include <stdio.h>
#include <string.h>

#include "kemu.h"

#define FLAGS_3_10	0x7UL	/* FD_NO_GROUP, FD_OUTPUT, PID_CGROUP */
#define FLAGS_3_14	0xfUL	/* and FD_CLOEXEC */

static const struct kemu_kernel kernels[] = {
	/* Mainline 3.10.108, the oldest kernel profdrop promises. */
	{
		.name = "3.10",
		.release = "3.10.108",			/* probe */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 96,			/* hdr 3.7-3.11, probe */
		.flag_max = 22,				/* hdr 3.7-3.11, probe */
		.sample_max = 1ULL << 16,		/* hdr 3.7-3.11, probe */
		.format_max = 1ULL << 4,		/* hdr 3.7-3.11, probe */
		.open_flags = FLAGS_3_10,		/* man, probe */
		.ignored_from = 0, .ignored_to = 0,	/* copy_attr */
		.quirks = 0,
		.ioc_id = 0,				/* man, probe */
		.tracefs = 0,				/* design, probe */
	},
	/* Ubuntu 14.04's 3.13. */
	{
		.name = "3.13",
		.release = "3.13.0-170-generic",	/* assumed */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 96,			/* man (104 is 3.19) */
		.flag_max = 23,				/* man (mmap2 declared) */
		.sample_max = 1ULL << 18,		/* man (TRANSACTION) */
		.format_max = 1ULL << 4,		/* hdr 3.7-3.11 */
		.open_flags = FLAGS_3_10,		/* man (CLOEXEC 3.14) */
		.ignored_from = 0, .ignored_to = 0,	/* copy_attr */
		.quirks = KEMU_MMAP2_REFUSED,		/* man, design */
		.ioc_id = 1,				/* man */
		.tracefs = 0,				/* design */
	},
	/* RHEL 7.3, 3.10.0-514.el7: a vendor kernel, not mainline. */
	{
		.name = "rhel73",
		.release = "3.10.0-514.el7.x86_64",	/* RHEL's name */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 112,			/* assumed */
		.flag_max = 25,				/* design */
		.sample_max = 1ULL << 19,		/* assumed */
		.format_max = 1ULL << 4,		/* assumed */
		.open_flags = FLAGS_3_14,		/* assumed */
		.ignored_from = 108, .ignored_to = 112,	/* assumed */
		.quirks = KEMU_SWITCH_AT_25,		/* design */
		.ioc_id = 1,				/* vzkernel */
		.tracefs = 0,				/* design */
	},
	/* RHEL 7.9, 3.10.0-1160.el7: what old enterprise hosts run. */
	{
		.name = "rhel79",
		.release = "3.10.0-1160.el7.x86_64",	/* probe */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 112,			/* probe */
		.flag_max = 27,				/* probe */
		.sample_max = 1ULL << 20,		/* probe (AUX assumed out) */
		.format_max = 1ULL << 4,		/* probe */
		.open_flags = FLAGS_3_14,		/* probe */
		.ignored_from = 108, .ignored_to = 112,	/* probe */
		.quirks = 0,
		.ioc_id = 1,				/* probe */
		.tracefs = 0,				/* probe */
	},
	/* Mainline 4.4.178, the Ubuntu 16.04 family. */
	{
		.name = "4.4",
		.release = "4.4.178",			/* probe */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 112,			/* hdr 4.3-4.7, probe */
		.flag_max = 26,				/* hdr 4.3-4.7, probe */
		.sample_max = 1ULL << 19,		/* hdr 4.3-4.7, probe */
		.format_max = 1ULL << 4,		/* hdr 4.3-4.7, probe */
		.open_flags = FLAGS_3_14,		/* man, probe */
		.ignored_from = 108, .ignored_to = 112,	/* copy_attr, probe */
		.quirks = 0,
		.ioc_id = 1,				/* man, probe */
		.tracefs = 1,				/* design, probe */
	},
	/* Debian 9's 4.9. */
	{
		.name = "4.9",
		.release = "4.9.0-19-amd64",		/* assumed */
		.version = "#1 SMP",			/* assumed */
		.attr_size = 112,			/* man */
		.flag_max = 27,		/* design; namespaces (28) 4.12 assumed */
		.sample_max = 1ULL << 19,		/* man (PHYS_ADDR 4.13) */
		.format_max = 1ULL << 4,		/* hdr 4.3-4.7 */
		.open_flags = FLAGS_3_14,		/* man */
		/* sample_max_stack is read; the u16 __reserved_2 is not. */
		.ignored_from = 110, .ignored_to = 112,	/* copy_attr, man */
		.quirks = 0,
		.ioc_id = 1,				/* man */
		.tracefs = 1,				/* design */
	},
};

const struct kemu_kernel *
kernels_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
		if (strcmp(kernels[i].name, name) == 0)
			return (&kernels[i]);
	}
	return (NULL);
}

/* One line per kernel, its name and release, for scripts to walk. */
void
kernels_list(FILE *f)
{
	size_t	 i;

	for (i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		fprintf(f, "%s %s\n", kernels[i].name, kernels[i].release);
}
