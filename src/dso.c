/*
 * Binaries by identity: a file is one dso for every process that maps it,
 * other memory one per process; and the pseudo-binaries, the kernel and
 * the markers that keep a stack's loss visible. What unwinding and naming
 * hang on a dso is released through the hooks its owners registered.
 */

#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

#define DSO_MAX_MARKERS	8

struct dsos {
	struct htable	 table;
	struct dso	 kernel;
	struct dso	*markers[DSO_MAX_MARKERS];
	uint64_t	 serial;	/* the last one given */
};

struct dsos *
dsos_new(void)
{
	struct dsos	*ds;

	ds = xcalloc(1, sizeof *ds);
	htable_init(&ds->table, 1024);
	ds->kernel.kind = DSO_KERNEL;
	ds->kernel.name = "[kernel]";
	return (ds);
}

struct dso *
dso_kernel(struct dsos *ds)
{
	return (&ds->kernel);
}

/* Placeholder frames that keep a stack's loss visible. */
struct dso *
dso_marker(struct dsos *ds, const char *name)
{
	size_t	 i;

	for (i = 0; i < DSO_MAX_MARKERS; i++) {
		if (ds->markers[i] == NULL) {
			ds->markers[i] = xcalloc(1, sizeof *ds->markers[i]);
			ds->markers[i]->kind = DSO_MARKER;
			ds->markers[i]->name = xstrdup(name);
			return (ds->markers[i]);
		}
		if (strcmp(ds->markers[i]->name, name) == 0)
			return (ds->markers[i]);
	}
	fatalx("dso_marker: too many markers");
}

static enum dso_kind
dso_kind_of(const char *name)
{
	if (name[0] == '/' && strncmp(name, "//anon", 6) != 0)
		return (DSO_FILE);
	if (strcmp(name, "[vdso]") == 0 || strcmp(name, "[vsyscall]") == 0)
		return (DSO_SPECIAL);
	return (DSO_ANON);
}

/* Files are shared by every process; other memory belongs to one. */
struct dso *
dso_get(struct dsos *ds, const char *name, uint64_t dev, uint64_t ino,
    pid_t pid)
{
	struct hnode	*n;
	struct dso	*d;
	enum dso_kind	 kind = dso_kind_of(name);
	pid_t		 owner = pid;
	uint64_t	 h;

	/* A file is found again by whoever maps it; it opens as its first. */
	if (kind != DSO_ANON)
		owner = 0;
	if (kind == DSO_SPECIAL)
		dev = ino = 0;
	else if (kind == DSO_ANON) {
		name = "[anon]";
		dev = ino = 0;
	}
	h = hash_bytes(name, strlen(name), dev ^ (ino << 1) ^ (uint64_t)owner);
	for (n = htable_find(&ds->table, h); n != NULL;
	    n = htable_next_same(n)) {
		d = container_of(n, struct dso, node);
		if (d->kind == kind && d->dev == dev && d->ino == ino &&
		    (kind != DSO_ANON || d->pid == owner) &&
		    strcmp(d->name, name) == 0)
			return (d);
	}
	d = xcalloc(1, sizeof *d);
	d->serial = ++ds->serial;
	d->kind = kind;
	d->name = xstrdup(name);
	d->dev = dev;
	d->ino = ino;
	d->pid = pid;
	htable_insert(&ds->table, &d->node, h);
	return (d);
}

size_t
dsos_count(const struct dsos *ds)
{
	return (ds->table.count);
}

void
dso_put(struct dso *d)
{
	if (d->refs == 0)
		fatalx("dso_put: %s has no references", d->name);
	d->refs--;
}

struct dsos_sweep_arg {
	struct dsos		*ds;
	unsigned int		 window;
	const struct proc_hooks	*hooks;
	size_t			 nhooks;
	int			 all;
};

/*
 * A binary no sample used in the last window gives up its tables; one
 * nothing maps any more goes entirely. Frames of the window being filled
 * may still name it, so only what that window did not use goes.
 */
static void
dsos_sweep_one(struct hnode *n, void *arg)
{
	struct dsos_sweep_arg	*sa = arg;
	struct dso		*d = container_of(n, struct dso, node);
	size_t			 i;
	int			 going;

	if (d->used_window + 1 >= sa->window && !sa->all)
		return;
	going = d->refs == 0 || sa->all;
	for (i = 0; i < sa->nhooks; i++) {
		if (sa->hooks[i].dso_swept != NULL)
			sa->hooks[i].dso_swept(sa->hooks[i].arg, d, going);
	}
	if (!going)
		return;
	htable_remove(&sa->ds->table, n);
	free(d->name);
	free(d);
}

void
dsos_sweep(struct dsos *ds, unsigned int window, const struct proc_hooks *hooks,
    size_t nhooks, int all)
{
	struct dsos_sweep_arg	 sa = { ds, window, hooks, nhooks, all };

	htable_foreach(&ds->table, dsos_sweep_one, &sa);
}

void
dsos_free(struct dsos *ds, const struct proc_hooks *hooks, size_t nhooks)
{
	size_t	 i;

	if (ds == NULL)
		return;
	dsos_sweep(ds, 0, hooks, nhooks, 1);
	htable_free(&ds->table);
	for (i = 0; i < DSO_MAX_MARKERS; i++) {
		if (ds->markers[i] != NULL) {
			free(ds->markers[i]->name);
			free(ds->markers[i]);
		}
	}
	free(ds);
}
