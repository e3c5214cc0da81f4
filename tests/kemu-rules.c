/*
 * perf_event_open as an old kernel judges it, in the order its
 * SYSCALL_DEFINE5(perf_event_open) and perf_copy_attr do: open flags, the
 * attr's size, its flag bits, sample_type, read_format. What the old
 * kernel would accept goes on to the host kernel, which then answers the
 * rest (permissions, PMUs, registers) as it would have.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kemu.h"

/* Offsets in struct perf_event_attr, the same in every version. */
#define ATTR_SIZE		4
#define ATTR_SAMPLE_TYPE	24
#define ATTR_READ_FORMAT	32
#define ATTR_FLAGS		40
#define ATTR_MAX_STACK		108

/* Mainline's names; bits past the last named are called by number. */
static const char *const flag_names[] = {
	"disabled", "inherit", "pinned", "exclusive", "exclude_user",
	"exclude_kernel", "exclude_hv", "exclude_idle", "mmap", "comm",
	"freq", "inherit_stat", "enable_on_exec", "task", "watermark",
	"precise_ip", "precise_ip", "mmap_data", "sample_id_all",
	"exclude_host", "exclude_guest", "exclude_callchain_kernel",
	"exclude_callchain_user", "mmap2", "comm_exec", "use_clockid",
	"context_switch", "write_backward", "namespaces", "ksymbol",
	"bpf_event", "aux_output", "cgroup", "text_poke", "build_id",
	"inherit_thread", "remove_on_exec", "sigtrap",
};

static const char *const sample_names[] = {
	"IP", "TID", "TIME", "ADDR", "READ", "CALLCHAIN", "ID", "CPU",
	"PERIOD", "STREAM_ID", "RAW", "BRANCH_STACK", "REGS_USER",
	"STACK_USER", "WEIGHT", "DATA_SRC", "IDENTIFIER", "TRANSACTION",
	"REGS_INTR", "PHYS_ADDR", "AUX", "CGROUP", "DATA_PAGE_SIZE",
	"CODE_PAGE_SIZE", "WEIGHT_STRUCT",
};

static const char *const format_names[] = {
	"TOTAL_TIME_ENABLED", "TOTAL_TIME_RUNNING", "ID", "GROUP", "LOST",
};

static const char *const open_flag_names[] = {
	"PERF_FLAG_FD_NO_GROUP", "PERF_FLAG_FD_OUTPUT", "PERF_FLAG_PID_CGROUP",
	"PERF_FLAG_FD_CLOEXEC",
};

#define NAME(names, bit) ((size_t)(bit) < sizeof names / sizeof names[0] ? \
	names[bit] : "?")

const char *
rules_flag_name(int bit)
{
	return (NAME(flag_names, bit));
}

static uint64_t
rules_u64(const unsigned char *attr, size_t off)
{
	uint64_t	 v;

	memcpy(&v, attr + off, sizeof v);
	return (v);
}

static int
rules_lowest(uint64_t v)
{
	return (__builtin_ctzll(v));
}

static void __attribute__((format(printf, 3, 4)))
rules_refuse(struct kemu_verdict *v, int error, const char *fmt, ...)
{
	va_list	 ap;

	v->error = error;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
}

/*
 * Judge the attr at attr (len bytes of it were read: all of its size, or
 * its first 8 bytes when the size alone decides) and the open flags.
 */
void
rules_perf_open(const struct kemu_kernel *k, const unsigned char *attr,
    size_t len, unsigned long flags, struct kemu_verdict *v)
{
	uint32_t	 size;
	uint64_t	 bits;
	unsigned	 i, end;
	int		 bit;

	memset(v, 0, sizeof *v);
	if ((bits = flags & ~k->open_flags) != 0) {
		bit = rules_lowest(bits);
		rules_refuse(v, EINVAL, "open flag %#lx (%s) unknown to %s",
		    1UL << bit, NAME(open_flag_names, bit), k->name);
		return;
	}

	/* Unreadable: the host's own EFAULT is the answer. */
	if (len < ATTR_SIZE + sizeof size)
		return;
	memcpy(&size, attr + ATTR_SIZE, sizeof size);
	if (size > KEMU_PAGE_SIZE || (size != 0 && size < KEMU_ATTR_SIZE_VER0)) {
		v->size = k->attr_size;
		rules_refuse(v, E2BIG, "attr.size %u outside %u..%u",
		    size, KEMU_ATTR_SIZE_VER0, KEMU_PAGE_SIZE);
		return;
	}
	/* The ABI's quirk: size 0 is the first published struct. */
	if (size == 0)
		size = KEMU_ATTR_SIZE_VER0;
	if (len < size)
		return;
	for (i = k->attr_size; i < size; i++) {
		if (attr[i] != 0) {
			v->size = k->attr_size;
			rules_refuse(v, E2BIG,
			    "attr.size %u > %u, byte %u non-zero", size,
			    k->attr_size, i);
			return;
		}
	}

	bits = rules_u64(attr, ATTR_FLAGS);
	if (k->flag_max < 63 && (bits >> (k->flag_max + 1)) != 0) {
		bit = rules_lowest(bits >> (k->flag_max + 1)) + k->flag_max + 1;
		rules_refuse(v, EINVAL, "attr flag bit %d (%s) unknown to %s",
		    bit, rules_flag_name(bit), k->name);
		return;
	}
	if ((k->quirks & KEMU_MMAP2_REFUSED) && (bits & (1ULL << 23))) {
		rules_refuse(v, EINVAL, "attr flag bit 23 (mmap2) refused "
		    "by %s (disabled from 3.12 to 3.15)", k->name);
		return;
	}
	if ((bits = rules_u64(attr, ATTR_SAMPLE_TYPE) & ~(k->sample_max - 1))
	    != 0) {
		bit = rules_lowest(bits);
		rules_refuse(v, EINVAL, "sample_type bit %d (%s) unknown to "
		    "%s", bit, NAME(sample_names, bit), k->name);
		return;
	}
	if ((bits = rules_u64(attr, ATTR_READ_FORMAT) & ~(k->format_max - 1))
	    != 0) {
		bit = rules_lowest(bits);
		rules_refuse(v, EINVAL, "read_format bit %d (%s) unknown to "
		    "%s", bit, NAME(format_names, bit), k->name);
		return;
	}

	/* What the old kernel never read must not reach the host's checks. */
	end = size < k->ignored_to ? size : k->ignored_to;
	for (i = k->ignored_from; i < end; i++) {
		if (attr[i] != 0) {
			v->clear_from = k->ignored_from;
			v->clear_to = end;
			snprintf(v->why, sizeof v->why, "attr bytes %u-%u (%s) "
			    "non-zero, unread by %s: cleared", k->ignored_from,
			    end - 1, k->ignored_from <= ATTR_MAX_STACK ?
			    "sample_max_stack" : "__reserved_2", k->name);
			return;
		}
	}
	if ((k->quirks & KEMU_SWITCH_AT_25) && (rules_u64(attr, ATTR_FLAGS) &
	    (1ULL << 25)))
		snprintf(v->why, sizeof v->why, "attr flag bit 25 is "
		    "context_switch to %s, the host takes it as use_clockid",
		    k->name);
}
