/*
 * Export a window's stacks as a pprof profile: name every unique address
 * once, then turn the interned stacks into samples with their labels.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libprofdrop.h"

/* Before naming: a frame seen once, and one the symbolizer answered. */
#define ASK_SEEN	1
#define ASK_ANSWERED	2

/* The pprof ids of one frame, or of one dso, in this window. */
struct export_id {
	struct hnode	 node;
	struct frame	 key;
	uint64_t	 id;
};

/* The profile kinds: what each file holds and how its values read. */
static const struct pprof_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};
static const struct pprof_value_type offcpu_types[] = {
	{ "switches", "count" },
	{ "off_cpu", "nanoseconds" },
};
static const struct pprof_value_type wall_types[] = {
	{ "wall", "nanoseconds" },
};

const struct profile_kind profile_kinds[PD_NKINDS] = {
	[PD_KIND_CPU] = { "cpu", cpu_types, 2, { "cpu", "nanoseconds" }, 1,
	    NULL },
	[PD_KIND_OFFCPU] = { "offcpu", offcpu_types, 2,
	    { "off_cpu", "nanoseconds" }, 0, offcpu_labels },
	[PD_KIND_WALL] = { "wall", wall_types, 1, { "wall", "nanoseconds" }, 1,
	    offcpu_labels },
};

struct export {
	const struct export_source *src;
	struct pd_names	*names;		/* NULL: name here, no cache */
	struct symcache	*cache;		/* names->cache, or NULL */
	struct perfmaps	*perfmaps;
	struct pprof	*pprof;
	struct htable	 locations;
	struct htable	 mappings;
	struct htable	 asked;		/* frames the prefetch saw: ASK_* ids */
	struct frame	*missing;	/* frames the names cache lacks */
	size_t		 nmissing;
	size_t		 missingcap;
	size_t		 nvalues;
	uint64_t	 unique_addresses;
	uint64_t	 cached;	/* of those, named by an earlier window */
	uint64_t	 total;		/* of the first value */
};

/* Names come only from the cache and what the prefetch put there. */
static int
export_cache_only(const struct export *w)
{
	return (w->cache != NULL && w->names->cache_only);
}

static struct export_id *
export_lookup(struct htable *t, const struct frame *key, uint64_t h)
{
	struct hnode		*n;
	struct export_id	*w;

	for (n = htable_find(t, h); n != NULL; n = htable_next_same(n)) {
		w = container_of(n, struct export_id, node);
		if (memcmp(&w->key, key, sizeof *key) == 0)
			return (w);
	}
	return (NULL);
}

/* The ids of a frame (or dso), made with id 0 if it has none yet. */
static struct export_id *
export_find(struct htable *t, const struct frame *key)
{
	struct export_id	*w;
	uint64_t		 h = hash_bytes(key, sizeof *key, 0);

	if ((w = export_lookup(t, key, h)) != NULL)
		return (w);
	w = xcalloc(1, sizeof *w);
	w->key = *key;
	htable_insert(t, &w->node, h);
	return (w);
}

static void
hex_build_id(const struct dso *d, char *out, size_t size)
{
	size_t	 i;

	out[0] = '\0';
	for (i = 0; i < d->build_id_len && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", d->build_id[i]);
}

static uint64_t
export_mapping(struct export *w, struct dso *d)
{
	struct frame		 key = { d, 0 };
	struct export_id	*id = export_find(&w->mappings, &key);
	char			 build_id[41];
	const char		*name = d->name;

	if (id->id != 0)
		return (id->id);
	if (d->kind == DSO_KERNEL)
		name = "[kernel.kallsyms]";
	hex_build_id(d, build_id, sizeof build_id);
	id->id = pprof_add_mapping(w->pprof, 0, UINT64_MAX, 0, name,
	    build_id[0] != '\0' ? build_id : NULL,
	    d->kind == DSO_KERNEL ? PPROF_HAS_FUNCTIONS : 0);
	return (id->id);
}

/* Narrow *arg, NO_PID at first, to the pid of every sample, or SEVERAL. */
#define NO_PID		((pid_t)-2)
#define SEVERAL		((pid_t)-1)
static void
export_one_pid(pid_t pid, pid_t tid, uint32_t tag, const struct frame *frames,
    size_t n, const int64_t *values, void *arg)
{
	pid_t	*only = arg;

	if (*only == NO_PID)
		*only = pid;
	else if (*only != pid)
		*only = SEVERAL;
}

/*
 * A profile of one process (or of the one --pid and its children) lists
 * its executable first: readers name the
 * profile after mapping 1 (go tool pprof's "File:" line), which would
 * otherwise be whatever the first sample's leaf is in, often the kernel.
 * The executable is /proc/PID/exe if known, else the lowest file mapped.
 */
static void
export_main_mapping(struct export *w)
{
	struct proc	*p;
	struct dso	*d;
	pid_t		 only = NO_PID;
	size_t		 i;

	/* One process asked for: its children may be in it too. */
	if (w->src->cfg->npids == 1)
		only = w->src->cfg->pids[0];
	else
		stacks_foreach(w->src->stacks, export_one_pid, &only);
	if (only < 0 || (p = proc_find(w->src->procs, only)) == NULL)
		return;
	for (i = 0; i < p->nmaps; i++) {
		d = p->maps[i].dso;
		if (d != NULL && d->kind == DSO_FILE &&
		    (p->exe == NULL || strcmp(d->name, p->exe) == 0)) {
			export_mapping(w, d);
			return;
		}
	}
}

/* What the kernel's symbol table says of a kernel address. */
static void
name_kernel(const struct kallsyms *ks, uint64_t addr, struct symbol_info *info,
    char **shown)
{
	const char	*module;
	uint64_t	 offset;
	const char	*name;

	info->vaddr = addr;
	if ((name = kallsyms_lookup(ks, addr, &module, &offset)) == NULL)
		return;
	info->lines[0].function = name;
	info->lines[0].system_name = name;
	info->nlines = 1;
	if (module != NULL) {
		xasprintf(shown, "%s [%s]", name, module);
		info->lines[0].function = *shown;
	}
}

static uint64_t
export_location(struct export *w, const struct frame *f)
{
	struct export_id	*id = export_find(&w->locations, f);
	struct symbol_info	 info;
	struct dso		*d = f->dso;
	struct export_id	*asked;
	const char		*base;
	char			*unknown = NULL;
	uint64_t		 mapping;
	int			 named;

	if (id->id != 0)
		return (id->id);
	w->unique_addresses++;
	memset(&info, 0, sizeof info);
	info.vaddr = f->addr;
	switch (d->kind) {
	case DSO_KERNEL:
		name_kernel(w->src->kallsyms, f->addr, &info, &unknown);
		break;
	case DSO_ANON:
		if (export_cache_only(w)) {
			symcache_lookup(w->cache, d, f->addr, &info);
			break;
		}
		if ((info.lines[0].function = perfmap_lookup(w->perfmaps,
		    d->pid, f->addr)) != NULL)
			info.nlines = 1;
		break;
	case DSO_FILE:
	case DSO_SPECIAL:
		if (w->cache != NULL && symcache_lookup(w->cache, d, f->addr,
		    &info))
			break;
		/* Nameless to the symbolizer: no better here. */
		if (export_cache_only(w) || ((asked = export_lookup(&w->asked,
		    f, hash_bytes(f, sizeof *f, 0))) != NULL &&
		    asked->id == ASK_ANSWERED))
			break;
		symbols_lookup(d, f->addr, &info);
		if (w->cache != NULL)
			symcache_add(w->cache, d, f->addr, &info);
		break;
	case DSO_MARKER:
		info.lines[0].function = d->name;
		info.nlines = 1;
		info.vaddr = 0;
		break;
	default:
		break;
	}
	named = info.nlines > 0 && d->kind != DSO_MARKER;
	if (w->names != NULL) {
		w->names->frames++;
		w->names->unknown += info.nlines == 0;
	}
	if (info.nlines == 0) {
		/* Unnamed, but never dropped: say where it was. */
		base = strrchr(d->name, '/');
		xasprintf(&unknown, "[unknown] %s+0x%" PRIx64,
		    base != NULL ? base + 1 : d->name, f->addr);
		info.lines[0].function = unknown;
		info.nlines = 1;
	}
	mapping = export_mapping(w, d);
	if (named)
		pprof_mapping_flags(w->pprof, mapping, PPROF_HAS_FUNCTIONS);
	id->id = pprof_add_location(w->pprof, mapping, info.vaddr,
	    info.lines, info.nlines);
	free(unknown);
	return (id->id);
}

static void
export_id_free(struct hnode *n, void *arg)
{
	struct htable	*t = arg;

	htable_remove(t, n);
	free(container_of(n, struct export_id, node));
}

static void
export_collect(pid_t pid, pid_t tid, uint32_t tag, const struct frame *frames,
    size_t n, const int64_t *values, void *arg)
{
	struct export		*w = arg;
	struct export_id	*id;
	struct symbol_info	 info;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (frames[i].dso->kind != DSO_FILE &&
		    frames[i].dso->kind != DSO_SPECIAL &&
		    (frames[i].dso->kind != DSO_ANON || !export_cache_only(w)))
			continue;
		if ((id = export_find(&w->asked, &frames[i]))->id != 0)
			continue;
		id->id = ASK_SEEN;
		if (symcache_lookup(w->cache, frames[i].dso, frames[i].addr,
		    &info)) {
			w->cached++;
			continue;
		}
		if (w->nmissing == w->missingcap) {
			w->missingcap = w->missingcap == 0 ? 256 :
			    w->missingcap * 2;
			w->missing = xreallocarray(w->missing, w->missingcap,
			    sizeof *w->missing);
		}
		w->missing[w->nmissing++] = frames[i];
	}
}

/* Have the names' prefetch name what the cache lacks, in a few requests. */
static void
export_prefetch(struct export *w)
{
	unsigned char	*answered;
	size_t		 i;

	if (w->cache == NULL || w->names->prefetch == NULL)
		return;
	stacks_foreach(w->src->stacks, export_collect, w);
	answered = xmalloc(w->nmissing + 1);
	w->names->prefetch(w->names->arg, w->missing, w->nmissing, answered);
	for (i = 0; i < w->nmissing; i++) {
		if (answered[i])
			export_find(&w->asked, &w->missing[i])->id =
			    ASK_ANSWERED;
	}
	free(answered);
	free(w->missing);
}

static void
export_sample(pid_t pid, pid_t tid, uint32_t tag, const struct frame *frames,
    size_t n, const int64_t *values, void *arg)
{
	struct export		*w = arg;
	const struct pd_config	*cfg = w->src->cfg;
	struct pprof_label	 labels[8 + PD_MAX_LABELS];
	size_t			 nlabels = 4;
	struct proc		*p = proc_find(w->src->procs, pid);
	uint64_t		 locs[PROFDROP_MAX_FRAMES];
	char			 state[2];
	size_t			 i;

	for (i = 0; i < n; i++)
		locs[i] = export_location(w, &frames[i]);
	memset(labels, 0, sizeof labels);
	labels[0].key = "pid";
	labels[0].num = pid;
	labels[1].key = "tid";
	labels[1].num = tid;
	labels[2].key = "comm";
	labels[2].str = p != NULL ? proc_thread(p, tid)->comm : "";
	labels[3].key = "process";
	labels[3].str = p != NULL ? p->comm : "";
	if (p != NULL && p->container_id[0] != '\0') {
		labels[nlabels].key = "container_id";
		labels[nlabels++].str = p->container_id;
	}
	if (p != NULL && cfg->cgroup_label && p->cgroup != NULL) {
		labels[nlabels].key = "cgroup";
		labels[nlabels++].str = p->cgroup;
	}
	if (w->src->kind->labels != NULL)
		nlabels += w->src->kind->labels(tag, labels + nlabels, state);
	for (i = 0; i < cfg->nlabels; i++) {
		labels[nlabels].key = cfg->labels[i].key;
		labels[nlabels++].str = cfg->labels[i].value;
	}
	pprof_add_sample(w->pprof, locs, n, values, labels, nlabels);
	w->total += values[0];
}

/* Name the window's frames and build its profile. */
struct pprof *
export_build(const struct export_source *src, struct pd_names *names)
{
	const struct profile_kind	*kind = src->kind;
	struct export			 w;
	struct timespec			 t0, t1;
	int64_t				 period = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&w, 0, sizeof w);
	w.src = src;
	w.names = names;
	w.cache = names != NULL ? names->cache : NULL;
	w.perfmaps = perfmap_new();
	if (kind->period_is_hz)
		period = 1000000000 / src->cfg->frequency;
	w.pprof = pprof_new(kind->types, kind->ntypes, &kind->period_type,
	    period, src->start_ns, src->duration_ns);
	if (src->cfg->drop_frames != NULL)
		pprof_set_drop_frames(w.pprof, src->cfg->drop_frames);
	htable_init(&w.locations, 4096);
	htable_init(&w.mappings, 256);
	htable_init(&w.asked, 256);
	export_main_mapping(&w);
	export_prefetch(&w);
	stacks_foreach(src->stacks, export_sample, &w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("%s window: %" PRIu64 " %s/%s, %zu stacks, %" PRIu64
	    " unique addresses (%" PRIu64 " named before), named in %.1f ms",
	    kind->name, w.total, kind->types[0].type, kind->types[0].unit,
	    stacks_count(src->stacks), w.unique_addresses, w.cached,
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	htable_foreach(&w.locations, export_id_free, &w.locations);
	htable_foreach(&w.mappings, export_id_free, &w.mappings);
	htable_foreach(&w.asked, export_id_free, &w.asked);
	htable_free(&w.locations);
	htable_free(&w.mappings);
	htable_free(&w.asked);
	perfmap_free(w.perfmaps);
	return (w.pprof);
}
