/*
 * kemu: run a command as if under an old kernel, by answering its
 * perf_event_open, ioctl(PERF_EVENT_IOC_ID), mount and uname calls from a
 * seccomp user-notification supervisor.
 */

#ifndef KEMU_H
#define KEMU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Kernels have a page of attr at most; bigger is E2BIG. */
#define KEMU_PAGE_SIZE		4096
#define KEMU_ATTR_SIZE_VER0	64

/* What an emulated kernel refuses beyond its known bits. */
#define KEMU_MMAP2_REFUSED	0x1	/* 3.12-3.15 declared mmap2, refused it */
#define KEMU_SWITCH_AT_25	0x2	/* bit 25 is context_switch, not use_clockid */

struct kemu_kernel {
	const char	*name;
	const char	*release;	/* uname -r */
	const char	*version;	/* uname -v */
	uint32_t	 attr_size;	/* its sizeof(struct perf_event_attr) */
	int		 flag_max;	/* highest attr flag bit it knows */
	uint64_t	 sample_max;	/* its PERF_SAMPLE_MAX */
	uint64_t	 format_max;	/* its PERF_FORMAT_MAX */
	unsigned long	 open_flags;	/* the PERF_FLAG_* it knows */
	unsigned	 ignored_from;	/* attr bytes it never reads nor checks, */
	unsigned	 ignored_to;	/* which the host would */
	int		 quirks;	/* KEMU_* above */
	int		 ioc_id;	/* knows PERF_EVENT_IOC_ID */
	int		 tracefs;	/* has tracefs */
};

/* What to answer a perf_event_open. */
struct kemu_verdict {
	int		 error;		/* errno to answer, or 0 to go on */
	uint32_t	 size;		/* for E2BIG: written into attr.size */
	unsigned	 clear_from;	/* attr bytes to zero before going on */
	unsigned	 clear_to;
	char		 why[256];
};

/* kemu-kernels.c */
const struct kemu_kernel *kernels_find(const char *);
void		 kernels_list(FILE *);

/* kemu-rules.c */
void		 rules_perf_open(const struct kemu_kernel *, const unsigned char *,
		    size_t, unsigned long, struct kemu_verdict *);
const char	*rules_flag_name(int);

/* kemu-child.c */
int		 child_start(const struct kemu_kernel *, char **, int *);

#endif
