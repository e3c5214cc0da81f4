/*
 * The process table: names, threads and executable mappings of every
 * process, fed by perf records and seeded from /proc. Exited processes stay
 * until the window that saw them has been written.
 */

#include <sys/sysmacros.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

unsigned int		 proc_window = 1;

static struct htable	 procs;
static struct htable	 dsos;
static struct dso	 kernel_dso = { .kind = DSO_KERNEL, .name = "[kernel]" };
static struct dso	*markers[8];

struct dso *
dso_kernel(void)
{
	return (&kernel_dso);
}

/* Placeholder frames that keep a stack's loss visible. */
struct dso *
dso_marker(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof markers / sizeof markers[0]; i++) {
		if (markers[i] == NULL) {
			markers[i] = xcalloc(1, sizeof *markers[i]);
			markers[i]->kind = DSO_MARKER;
			markers[i]->name = xstrdup(name);
			return (markers[i]);
		}
		if (strcmp(markers[i]->name, name) == 0)
			return (markers[i]);
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
static struct dso *
dso_get(const char *name, uint64_t dev, uint64_t ino, pid_t pid)
{
	struct hnode	*n;
	struct dso	*d;
	enum dso_kind	 kind = dso_kind_of(name);
	static uint64_t	 serial;
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
	for (n = htable_find(&dsos, h); n != NULL; n = htable_next_same(n)) {
		d = container_of(n, struct dso, node);
		if (d->kind == kind && d->dev == dev && d->ino == ino &&
		    (kind != DSO_ANON || d->pid == owner) &&
		    strcmp(d->name, name) == 0)
			return (d);
	}
	d = xcalloc(1, sizeof *d);
	d->serial = ++serial;
	d->kind = kind;
	d->name = xstrdup(name);
	d->dev = dev;
	d->ino = ino;
	d->pid = pid;
	htable_insert(&dsos, &d->node, h);
	return (d);
}

static void
dso_put(struct dso *d)
{
	if (d->refs == 0)
		fatalx("dso_put: %s has no references", d->name);
	d->refs--;
}

void
proc_init(void)
{
	htable_init(&procs, 1024);
	htable_init(&dsos, 1024);
}

static uint64_t
pid_hash(pid_t pid)
{
	return (hash_bytes(&pid, sizeof pid, 0));
}

struct proc *
proc_find(pid_t pid)
{
	struct hnode	*n;
	struct proc	*p;

	for (n = htable_find(&procs, pid_hash(pid)); n != NULL;
	    n = htable_next_same(n)) {
		p = container_of(n, struct proc, node);
		if (p->pid == pid)
			return (p);
	}
	return (NULL);
}

static void
maps_clear(struct proc *p)
{
	size_t	 i;

	for (i = 0; i < p->nmaps; i++)
		dso_put(p->maps[i].dso);
	p->nmaps = 0;
	p->map_generation++;
}

static void
maps_put(struct proc *p, size_t at, const struct map *m)
{
	if (p->nmaps == p->mapcap) {
		p->mapcap = p->mapcap ? p->mapcap * 2 : 16;
		p->maps = xreallocarray(p->maps, p->mapcap, sizeof *p->maps);
	}
	memmove(&p->maps[at + 1], &p->maps[at],
	    (p->nmaps - at) * sizeof *p->maps);
	p->maps[at] = *m;
	m->dso->refs++;
	p->nmaps++;
}

/* Insert [start, end), cutting away whatever it overlaps, as mmap does. */
static void
maps_insert(struct proc *p, uint64_t start, uint64_t end, uint64_t pgoff,
    uint32_t prot, struct dso *d)
{
	struct map	*m, tail, new = { start, end, pgoff, prot, d };
	size_t		 i = 0;

	/* The newest mapping: where the mapped file is found if renamed. */
	if (d->kind == DSO_FILE) {
		d->pid = p->pid;
		d->map_start = start;
		d->map_end = end;
	}

	while (i < p->nmaps) {
		m = &p->maps[i];
		if (m->end <= start || m->start >= end)
			i++;
		else if (m->start < start && m->end > end) {
			tail = *m;
			tail.pgoff += end - m->start;
			tail.start = end;
			m->end = start;
			maps_put(p, i + 1, &tail);
			i += 2;
		} else if (m->start < start) {
			m->end = start;
			i++;
		} else if (m->end > end) {
			m->pgoff += end - m->start;
			m->start = end;
			i++;
		} else {
			dso_put(m->dso);
			memmove(m, m + 1, (p->nmaps - i - 1) * sizeof *m);
			p->nmaps--;
		}
	}
	for (i = 0; i < p->nmaps && p->maps[i].start < start; i++)
		;
	maps_put(p, i, &new);
	p->map_generation++;
}

const struct map *
proc_find_map(struct proc *p, uint64_t addr)
{
	size_t	 lo = 0, hi = p->nmaps, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (addr < p->maps[mid].start)
			hi = mid;
		else if (addr >= p->maps[mid].end)
			lo = mid + 1;
		else
			return (&p->maps[mid]);
	}
	return (NULL);
}

/* Read a small /proc file into buf, without its trailing newline. */
static int
read_proc_line(char *buf, size_t size, const char *fmt, ...)
{
	char	 path[64];
	va_list	 ap;
	FILE	*f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	if (fgets(buf, size, f) == NULL) {
		fclose(f);
		return (-1);
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return (0);
}

static void
proc_read_maps(struct proc *p)
{
	char		 path[64], line[4096], perms[8];
	unsigned int	 major, minor;
	unsigned long long start, end, off, ino;
	uint32_t	 prot;
	int		 pos;
	FILE		*f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)p->pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		pos = -1;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start,
		    &end, perms, &off, &major, &minor, &ino, &pos) != 7 ||
		    pos == -1 || end <= start)
			continue;
		if (strlen(perms) < 4 || perms[2] != 'x')
			continue;
		prot = 0x4 | (perms[0] == 'r' ? 0x1 : 0) |
		    (perms[1] == 'w' ? 0x2 : 0);
		maps_insert(p, start, end, off, prot,
		    dso_get(line + pos, makedev(major, minor), ino, p->pid));
	}
	fclose(f);
}

static int
pid_listed(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < opts.npids; i++) {
		if (opts.pids[i] == pid)
			return (1);
	}
	return (0);
}

/*
 * The container a process runs in, from its cgroup path: docker, cri-o,
 * containerd and podman all name a cgroup after the container's 64-hex
 * id ("docker-ID.scope", "crio-ID.scope", "/docker/ID", "libpod-ID").
 */
static void
proc_read_cgroup(struct proc *p)
{
	char	 path[64], line[4096], *s;
	size_t	 run;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)p->pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	/* cgroup v2's "0::PATH" if there is one, else the first line. */
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((s = strchr(line, ':')) == NULL ||
		    (s = strchr(s + 1, ':')) == NULL)
			continue;
		if (p->cgroup == NULL || strncmp(line, "0::", 3) == 0) {
			free(p->cgroup);
			p->cgroup = xstrdup(s + 1);
		}
	}
	fclose(f);
	if (p->cgroup == NULL)
		return;
	for (s = p->cgroup, run = 0; *s != '\0'; s++) {
		run = isxdigit((unsigned char)*s) ? run + 1 : 0;
		if (run == 64 && !isxdigit((unsigned char)s[1]))
			strlcpy(p->container_id, s - 63, sizeof p->container_id);
	}
}

static pid_t
proc_read_ppid(pid_t pid)
{
	char	 buf[1024], *p;
	int	 ppid;

	if (read_proc_line(buf, sizeof buf, "/proc/%d/stat", (int)pid) != 0)
		return (-1);
	/* The name may hold spaces and parentheses; skip to the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		return (-1);
	return (ppid);
}

static struct proc *
proc_new(pid_t pid)
{
	struct proc	*p;

	p = xcalloc(1, sizeof *p);
	p->pid = pid;
	htable_init(&p->threads, 4);
	htable_insert(&procs, &p->node, pid_hash(pid));
	return (p);
}

/* Find a process, or learn it from /proc when no record announced it. */
struct proc *
proc_get(pid_t pid)
{
	struct proc	*p, *parent;

	if ((p = proc_find(pid)) != NULL)
		return (p);
	p = proc_new(pid);
	if (pid == 0) {
		strlcpy(p->comm, "swapper", sizeof p->comm);
		p->wanted = opts.npids == 0;
		return (p);
	}
	read_proc_line(p->comm, sizeof p->comm, "/proc/%d/comm", (int)pid);
	proc_read_maps(p);
	proc_read_cgroup(p);
	p->ppid = proc_read_ppid(pid);
	p->wanted = opts.npids == 0 || pid_listed(pid);
	if (!p->wanted && (parent = proc_find(p->ppid)) != NULL)
		p->wanted = parent->wanted;
	return (p);
}

struct thread *
proc_thread(struct proc *p, pid_t tid)
{
	struct hnode	*n;
	struct thread	*t;

	for (n = htable_find(&p->threads, pid_hash(tid)); n != NULL;
	    n = htable_next_same(n)) {
		t = container_of(n, struct thread, node);
		if (t->tid == tid)
			return (t);
	}
	t = xcalloc(1, sizeof *t);
	t->tid = tid;
	if (read_proc_line(t->comm, sizeof t->comm, "/proc/%d/task/%d/comm",
	    (int)p->pid, (int)tid) != 0)
		strlcpy(t->comm, p->comm, sizeof t->comm);
	htable_insert(&p->threads, &t->node, pid_hash(tid));
	return (t);
}

void
proc_comm(pid_t pid, pid_t tid, const char *comm, int exec)
{
	struct proc	*p = proc_get(pid);

	if (exec)
		maps_clear(p);
	if (pid == tid)
		strlcpy(p->comm, comm, sizeof p->comm);
	strlcpy(proc_thread(p, tid)->comm, comm, sizeof p->comm);
}

void
proc_fork(pid_t pid, pid_t ppid, pid_t tid, pid_t ptid)
{
	struct proc	*p, *parent;
	size_t		 i;

	parent = proc_get(ppid);
	if (pid == ppid) {
		strlcpy(proc_thread(parent, tid)->comm,
		    proc_thread(parent, ptid)->comm, sizeof parent->comm);
		return;
	}
	if ((p = proc_find(pid)) != NULL) {
		/* A reused pid whose old process was not swept yet. */
		maps_clear(p);
		p->exited = 0;
	} else
		p = proc_new(pid);
	strlcpy(p->comm, parent->comm, sizeof p->comm);
	strlcpy(p->container_id, parent->container_id, sizeof p->container_id);
	free(p->cgroup);
	p->cgroup = parent->cgroup != NULL ? xstrdup(parent->cgroup) : NULL;
	p->ppid = ppid;
	p->wanted = opts.npids == 0 || pid_listed(pid) || parent->wanted;
	for (i = 0; i < parent->nmaps; i++) {
		maps_insert(p, parent->maps[i].start, parent->maps[i].end,
		    parent->maps[i].pgoff, parent->maps[i].prot,
		    parent->maps[i].dso);
	}
}

void
proc_exit(pid_t pid, pid_t tid)
{
	struct proc	*p;

	if ((p = proc_find(pid)) == NULL)
		return;
	proc_thread(p, tid)->exited = proc_window;
	if (pid == tid)
		p->exited = proc_window;
}

void
proc_mmap(pid_t pid, uint64_t start, uint64_t size, uint64_t pgoff,
    uint32_t prot, uint64_t dev, uint64_t ino, const char *name)
{
	struct proc	*p;

	if (size == 0 || start + size < start || !(prot & 0x4))
		return;
	if (pid == -1)
		return;		/* kernel modules; kallsyms names them */
	p = proc_get(pid);
	maps_insert(p, start, start + size, pgoff, prot,
	    dso_get(name, dev, ino, pid));
}

static void
inherit_wanted(struct hnode *n, void *arg)
{
	struct proc	*p = container_of(n, struct proc, node), *parent;
	int		*changed = arg;

	if (!p->wanted && (parent = proc_find(p->ppid)) != NULL &&
	    parent->wanted) {
		p->wanted = 1;
		*changed = 1;
	}
}

/* Learn every running process, and which of them --pid selects. */
int
proc_seed(char **cause)
{
	DIR		*dir;
	struct dirent	*de;
	size_t		 i;
	char		*end;
	long		 pid;
	int		 changed;

	for (i = 0; i < opts.npids; i++) {
		if (kill(opts.pids[i], 0) != 0 && errno == ESRCH) {
			xasprintf(cause, "--pid %d: no such process",
			    (int)opts.pids[i]);
			return (-1);
		}
	}
	if ((dir = opendir("/proc")) == NULL) {
		xasprintf(cause, "opendir /proc: %s; is /proc mounted?",
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(dir)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end == '\0' && pid > 0)
			proc_get(pid);
	}
	closedir(dir);
	if (opts.npids != 0) {
		do {
			changed = 0;
			htable_foreach(&procs, inherit_wanted, &changed);
		} while (changed);
	}
	return (0);
}

static void
thread_sweep(struct hnode *n, void *arg)
{
	struct proc	*p = arg;
	struct thread	*t = container_of(n, struct thread, node);

	if ((t->exited != 0 && t->exited < proc_window) ||
	    (p->exited != 0 && p->exited < proc_window)) {
		htable_remove(&p->threads, n);
		free(t);
	}
}

static void
proc_release(struct hnode *n, void *arg)
{
	struct proc	*p = container_of(n, struct proc, node);

	if (arg != NULL)
		p->exited = 1;
	/* libunwind's state for a process no sample needed goes too. */
	if (p->unwind_window + 1 < proc_window)
		unwind_proc_free(p);
	htable_foreach(&p->threads, thread_sweep, p);
	if (p->exited == 0 || p->exited >= proc_window)
		return;
	maps_clear(p);
	unwind_proc_free(p);
	htable_remove(&procs, n);
	htable_free(&p->threads);
	free(p->maps);
	free(p->cgroup);
	free(p);
}

/*
 * A binary no sample used in the last window gives up its tables; one
 * nothing maps any more goes entirely. Frames of the window being filled
 * may still name it, so only what that window did not use goes.
 */
static void
dso_release(struct hnode *n, void *arg)
{
	struct dso	*d = container_of(n, struct dso, node);

	if (d->used_window + 1 >= proc_window && arg == NULL)
		return;
	symbols_close(d);
	unwind_dso_free(d);
	if (d->refs != 0)
		return;
	htable_remove(&dsos, n);
	free(d->name);
	free(d);
}

/*
 * Start a new window. What exited or went unused before it can go once
 * the windows that could name it are written: call proc_sweep() then.
 */
void
proc_next_window(void)
{
	proc_window++;
}

struct proc_foreach_arg {
	void	(*cb)(struct proc *, void *);
	void	 *arg;
};

static void
proc_foreach_one(struct hnode *n, void *arg)
{
	struct proc_foreach_arg	*fa = arg;

	fa->cb(container_of(n, struct proc, node), fa->arg);
}

void
proc_foreach(void (*cb)(struct proc *, void *), void *arg)
{
	struct proc_foreach_arg	 fa = { cb, arg };

	htable_foreach(&procs, proc_foreach_one, &fa);
}

void
proc_sweep(void)
{
	htable_foreach(&procs, proc_release, NULL);
	htable_foreach(&dsos, dso_release, NULL);
}

void
proc_free(void)
{
	size_t	 i;

	htable_foreach(&procs, proc_release, "all");
	htable_foreach(&dsos, dso_release, "all");
	htable_free(&procs);
	htable_free(&dsos);
	for (i = 0; i < sizeof markers / sizeof markers[0]; i++) {
		if (markers[i] != NULL) {
			free(markers[i]->name);
			free(markers[i]);
		}
	}
}
