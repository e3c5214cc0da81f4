/*
 * The frames of a sample, leaf first: kernel frames from the callchain,
 * then user frames, from the callchain or unwound from the stack copy.
 * Each is a dso and an address in it; a walk that did not finish ends in
 * a marker frame, so the loss stays visible in the profile.
 */

#include <time.h>

#include "libprofdrop.h"

/* Callers are return addresses: name the call instead. */
static void
user_frame(const struct framer *fr, struct proc *p, uint64_t ip, int caller,
    struct frame *f)
{
	const struct map	*m;

	if (caller && ip > 0)
		ip--;
	if ((m = proc_find_map(p, ip)) == NULL) {
		f->dso = dso_marker(proc_dsos(fr->procs), "[unknown mapping]");
		f->addr = ip;
		return;
	}
	m->dso->used_window = proc_window(fr->procs);
	f->dso = m->dso;
	f->addr = m->dso->kind != DSO_ANON ? ip - m->start + m->pgoff : ip;
}

/* The kernel part of the callchain, and its user part if it has one. */
static size_t
callchain_frames(const struct framer *fr, struct proc *p,
    const struct perf_sample *s, struct frame *f, size_t max)
{
	uint64_t	 ip, context = PERF_CONTEXT_USER;
	size_t		 i, n = 0;
	int		 caller = 0;

	for (i = 0; i < s->nr && n < max; i++) {
		ip = s->ips[i];
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			context = ip;
			caller = 0;
			continue;
		}
		if (context == PERF_CONTEXT_KERNEL) {
			f[n].dso = dso_kernel(proc_dsos(fr->procs));
			f[n++].addr = caller && ip > 0 ? ip - 1 : ip;
		} else if (context == PERF_CONTEXT_USER)
			user_frame(fr, p, ip, caller, &f[n++]);
		caller = 1;
	}
	return (n);
}

/*
 * Unwind times: 100 ns buckets up to 25.6 us, then 10 us buckets up to
 * 2.58 ms; the last holds everything slower.
 */
static size_t
frames_bucket(uint64_t ns)
{
	if (ns < 25600)
		return (ns / 100);
	ns = 256 + (ns - 25600) / 10000;
	return (ns < PD_UNWIND_HIST ? ns : PD_UNWIND_HIST - 1);
}

/* The unwind time below which a share q of the samples since then fell. */
uint64_t
pd_counters_unwind_percentile(const struct pd_counters *now,
    const struct pd_counters *then, double q)
{
	uint64_t	 total = now->unwound - then->unwound, seen = 0;
	size_t		 i;

	for (i = 0; i < PD_UNWIND_HIST && total != 0; i++) {
		seen += now->unwind_ns[i] - then->unwind_ns[i];
		if (seen >= q * total)
			return (i < 256 ? (i + 1) * 100 :
			    25600 + (i - 255) * 10000);
	}
	return (0);
}

/* Unwind the copied user stack; mark a walk that did not finish. */
static size_t
unwound_frames(const struct framer *fr, struct proc *p,
    const struct perf_sample *s, struct frame *f, size_t max)
{
	struct pd_counters	*c = fr->counters;
	uint64_t		 ips[PROFDROP_MAX_FRAMES], ns;
	const char		*marker = NULL;
	struct timespec		 t0, t1;
	enum unwind_end		 end;
	size_t			 i, n;

	if (max < 2)
		return (0);
	c->unwound++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	end = unwind_sample(fr->unwinder, p, s->regs, s->stack, s->stack_len,
	    ips, max - 1, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	c->unwind_ns[frames_bucket(ns)]++;
	switch (end) {
	case UNWIND_COMPLETE:
		c->complete++;
		break;
	case UNWIND_TRUNCATED:
		c->truncated++;
		marker = "[truncated]";
		break;
	case UNWIND_FAILED:
		c->failed++;
		marker = "[unwind failure]";
		break;
	}
	for (i = 0; i < n; i++)
		user_frame(fr, p, ips[i], i > 0, &f[i]);
	if (marker != NULL) {
		f[n].dso = dso_marker(proc_dsos(fr->procs), marker);
		f[n++].addr = 0;
	}
	return (n);
}

/* Kernel frames from the callchain, then user frames, leaf first. */
size_t
frames_of_sample(const struct framer *fr, struct proc *p,
    const struct perf_sample *s, struct frame *f, size_t max)
{
	size_t	 n;

	n = callchain_frames(fr, p, s, f, max);
	if (s->regs != NULL && s->stack != NULL)
		n += unwound_frames(fr, p, s, f + n, max - n);
	return (n);
}
