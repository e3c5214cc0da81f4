/*
 * The Linux ABI as profdrop uses it, perf_event_open's above all, written
 * from the kernel's uapi headers (include/uapi/linux/perf_event.h,
 * memfd.h): layouts and numbers are the kernel's, fixed once published.
 * They are here, not taken from the build host's headers, because a 3.10
 * host (RHEL 7) lacks the newer ones; which kernel grants them is
 * kernel.c's business.
 */
#ifndef LINUX_ABI_H
#define LINUX_ABI_H

#include <stdint.h>

/* struct perf_event_attr up to PERF_ATTR_SIZE_VER5 (112 bytes, 4.1). */
struct perf_attr {
	uint32_t	 type;
	uint32_t	 size;
	uint64_t	 config;
	uint64_t	 sample_period;		/* or sample_freq with FREQ */
	uint64_t	 sample_type;
	uint64_t	 read_format;
	uint64_t	 flags;			/* PERF_ATTR_* */
	uint32_t	 wakeup_watermark;	/* or wakeup_events */
	uint32_t	 bp_type;
	uint64_t	 config1;
	uint64_t	 config2;
	uint64_t	 branch_sample_type;
	uint64_t	 sample_regs_user;	/* 3.7 */
	uint32_t	 sample_stack_user;	/* 3.7 */
	int32_t		 clockid;		/* 4.1 */
	uint64_t	 sample_regs_intr;	/* 3.19 */
	uint32_t	 aux_watermark;		/* 4.1 */
	uint16_t	 sample_max_stack;	/* 4.8 */
	uint16_t	 reserved;
};
typedef char perf_attr_is_112_bytes[sizeof(struct perf_attr) == 112 ? 1 : -1];

#define PERF_ATTR_SIZE_VER3	96	/* 3.7: the oldest kernel's size */

/* The bits of perf_attr.flags, in the order the kernel declares them. */
#define PERF_ATTR_DISABLED		(1ULL << 0)
#define PERF_ATTR_INHERIT		(1ULL << 1)
#define PERF_ATTR_EXCLUDE_KERNEL	(1ULL << 5)
#define PERF_ATTR_EXCLUDE_HV		(1ULL << 6)
#define PERF_ATTR_MMAP			(1ULL << 8)
#define PERF_ATTR_COMM			(1ULL << 9)
#define PERF_ATTR_FREQ			(1ULL << 10)
#define PERF_ATTR_TASK			(1ULL << 13)
#define PERF_ATTR_WATERMARK		(1ULL << 14)
#define PERF_ATTR_SAMPLE_ID_ALL		(1ULL << 18)
#define PERF_ATTR_EXCLUDE_GUEST		(1ULL << 20)
#define PERF_ATTR_EXCLUDE_CALLCHAIN_KERNEL (1ULL << 21)	/* 3.7 */
#define PERF_ATTR_EXCLUDE_CALLCHAIN_USER (1ULL << 22)	/* 3.7 */
#define PERF_ATTR_MMAP2			(1ULL << 23)	/* 3.16 */
#define PERF_ATTR_COMM_EXEC		(1ULL << 24)	/* 3.16 */
#define PERF_ATTR_CONTEXT_SWITCH	(1ULL << 26)	/* 4.3 */

#define PERF_TYPE_HARDWARE		0
#define PERF_TYPE_SOFTWARE		1
#define PERF_TYPE_TRACEPOINT		2
#define PERF_COUNT_HW_CPU_CYCLES	0
#define PERF_COUNT_SW_CPU_CLOCK		0

#define PERF_SAMPLE_IP			(1ULL << 0)
#define PERF_SAMPLE_TID			(1ULL << 1)
#define PERF_SAMPLE_TIME		(1ULL << 2)
#define PERF_SAMPLE_ADDR		(1ULL << 3)
#define PERF_SAMPLE_CALLCHAIN		(1ULL << 5)
#define PERF_SAMPLE_ID			(1ULL << 6)
#define PERF_SAMPLE_CPU			(1ULL << 7)
#define PERF_SAMPLE_PERIOD		(1ULL << 8)
#define PERF_SAMPLE_STREAM_ID		(1ULL << 9)
#define PERF_SAMPLE_RAW			(1ULL << 10)
#define PERF_SAMPLE_REGS_USER		(1ULL << 12)	/* 3.7 */
#define PERF_SAMPLE_STACK_USER		(1ULL << 13)	/* 3.7 */
#define PERF_SAMPLE_IDENTIFIER		(1ULL << 16)	/* 3.12 */

#define PERF_SAMPLE_REGS_ABI_NONE	0

#define PERF_FLAG_FD_CLOEXEC		(1UL << 3)	/* 3.14 */

/* The header of every record in a ring. */
struct perf_record_header {
	uint32_t	 type;
	uint16_t	 misc;
	uint16_t	 size;
};

#define PERF_RECORD_MMAP		1
#define PERF_RECORD_LOST		2
#define PERF_RECORD_COMM		3
#define PERF_RECORD_EXIT		4
#define PERF_RECORD_THROTTLE		5
#define PERF_RECORD_FORK		7
#define PERF_RECORD_SAMPLE		9
#define PERF_RECORD_MMAP2		10	/* 3.16 */
#define PERF_RECORD_SWITCH_CPU_WIDE	15	/* 4.3 */

#define PERF_RECORD_MISC_COMM_EXEC	(1 << 13)	/* 3.16, COMM */
#define PERF_RECORD_MISC_SWITCH_OUT	(1 << 13)	/* 4.3, SWITCH */

/* Callchain entries at or above PERF_CONTEXT_MAX say whose frames follow. */
#define PERF_CONTEXT_KERNEL		((uint64_t)-128)
#define PERF_CONTEXT_USER		((uint64_t)-512)
#define PERF_CONTEXT_MAX		((uint64_t)-4095)

/* The ring's first page; the kernel's head and the reader's tail. */
struct perf_mmap_page {
	unsigned char	 before[1024];
	uint64_t	 data_head;
	uint64_t	 data_tail;
};

#define PERF_EVENT_IOC_ENABLE		0x2400	/* _IO('$', 0) */
#define PERF_EVENT_IOC_SET_OUTPUT	0x2405	/* _IO('$', 5) */
#define PERF_EVENT_IOC_ID		0x80082407	/* _IOR('$', 7, u64 *), 3.12 */

/* Linux 3.17's memfd_create, which glibc 2.17 does not wrap. */
#define LINUX_NR_MEMFD_CREATE		319	/* x86-64 */
#define LINUX_MFD_CLOEXEC		0x0001U

#endif /* LINUX_ABI_H */
