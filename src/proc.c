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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define PROC_MAX_HOOKS	4

struct proctab {
	struct htable		 procs;
	struct dsos		*dsos;
	unsigned int		 window;	/* the one being filled */
	const pid_t		*pids;		/* --pid, or none */
	size_t			 npids;
	struct proc_hooks	 hooks[PROC_MAX_HOOKS];
	size_t			 nhooks;
	int			 mmap_ids;	/* records carry device, inode */
	int			 exec_flag;	/* COMM records say exec */
};

/*
 * A table following the processes pids name (all when npids is 0), fed by
 * records as f says the kernel writes them.
 */
struct proctab *
proc_new_table(const pid_t *pids, size_t npids, const struct features *f)
{
	struct proctab	*pt;

	pt = xcalloc(1, sizeof *pt);
	pt->mmap_ids = f->mmap2;
	pt->exec_flag = f->comm_exec;
	htable_init(&pt->procs, 1024);
	pt->dsos = dsos_new();
	pt->window = 1;
	pt->pids = pids;
	pt->npids = npids;
	return (pt);
}

/* Tell an owner of per-process or per-dso state about each sweep. */
void
proc_add_hooks(struct proctab *pt, const struct proc_hooks *hooks)
{
	if (pt->nhooks == PROC_MAX_HOOKS)
		fatalx("proc_add_hooks: too many");
	pt->hooks[pt->nhooks++] = *hooks;
}

unsigned int
proc_window(const struct proctab *pt)
{
	return (pt->window);
}

struct dsos *
proc_dsos(struct proctab *pt)
{
	return (pt->dsos);
}

static uint64_t
pid_hash(pid_t pid)
{
	return (hash_bytes(&pid, sizeof pid, 0));
}

struct proc *
proc_find(struct proctab *pt, pid_t pid)
{
	struct hnode	*n;
	struct proc	*p;

	for (n = htable_find(&pt->procs, pid_hash(pid)); n != NULL;
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
proc_read_maps(struct proctab *pt, struct proc *p)
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
		maps_insert(p, start, end, off, prot, dso_get(pt->dsos,
		    line + pos, makedev(major, minor), ino, p->pid));
	}
	fclose(f);
}

static int
pid_listed(const struct proctab *pt, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < pt->npids; i++) {
		if (pt->pids[i] == pid)
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
proc_new(struct proctab *pt, pid_t pid)
{
	struct proc	*p;

	p = xcalloc(1, sizeof *p);
	p->pid = pid;
	htable_init(&p->threads, 4);
	htable_insert(&pt->procs, &p->node, pid_hash(pid));
	return (p);
}

/*
 * Without the kernel's exec flag (comm_exec, 3.16), a COMM record of a
 * process's main thread is an exec when /proc/PID/exe changed since.
 */
static int
proc_exec_guess(struct proc *p)
{
	char	 path[64], exe[PATH_MAX];
	ssize_t	 n;
	int	 changed;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) == -1)
		return (0);
	exe[n] = '\0';
	changed = p->exe != NULL && strcmp(p->exe, exe) != 0;
	free(p->exe);
	p->exe = xstrdup(exe);
	return (changed);
}

/* Find a process, or learn it from /proc when no record announced it. */
struct proc *
proc_get(struct proctab *pt, pid_t pid)
{
	struct proc	*p, *parent;

	if ((p = proc_find(pt, pid)) != NULL)
		return (p);
	p = proc_new(pt, pid);
	if (pid == 0) {
		strlcpy(p->comm, "swapper", sizeof p->comm);
		p->wanted = pt->npids == 0;
		return (p);
	}
	read_proc_line(p->comm, sizeof p->comm, "/proc/%d/comm", (int)pid);
	proc_read_maps(pt, p);
	proc_read_cgroup(p);
	if (!pt->exec_flag)
		proc_exec_guess(p);
	p->ppid = proc_read_ppid(pid);
	p->wanted = pt->npids == 0 || pid_listed(pt, pid);
	if (!p->wanted && (parent = proc_find(pt, p->ppid)) != NULL)
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
proc_comm(struct proctab *pt, pid_t pid, pid_t tid, const char *comm, int exec)
{
	struct proc	*p = proc_get(pt, pid);

	if (!pt->exec_flag && pid == tid)
		exec = proc_exec_guess(p);
	if (exec)
		maps_clear(p);
	if (pid == tid)
		strlcpy(p->comm, comm, sizeof p->comm);
	strlcpy(proc_thread(p, tid)->comm, comm, sizeof p->comm);
}

void
proc_fork(struct proctab *pt, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid)
{
	struct proc	*p, *parent;
	size_t		 i;

	parent = proc_get(pt, ppid);
	if (pid == ppid) {
		strlcpy(proc_thread(parent, tid)->comm,
		    proc_thread(parent, ptid)->comm, sizeof parent->comm);
		return;
	}
	if ((p = proc_find(pt, pid)) != NULL) {
		/* A reused pid whose old process was not swept yet. */
		maps_clear(p);
		p->exited = 0;
	} else
		p = proc_new(pt, pid);
	strlcpy(p->comm, parent->comm, sizeof p->comm);
	strlcpy(p->container_id, parent->container_id, sizeof p->container_id);
	free(p->cgroup);
	p->cgroup = parent->cgroup != NULL ? xstrdup(parent->cgroup) : NULL;
	free(p->exe);
	p->exe = parent->exe != NULL ? xstrdup(parent->exe) : NULL;
	p->ppid = ppid;
	p->wanted = pt->npids == 0 || pid_listed(pt, pid) || parent->wanted;
	for (i = 0; i < parent->nmaps; i++) {
		maps_insert(p, parent->maps[i].start, parent->maps[i].end,
		    parent->maps[i].pgoff, parent->maps[i].prot,
		    parent->maps[i].dso);
	}
}

void
proc_exit(struct proctab *pt, pid_t pid, pid_t tid)
{
	struct proc	*p;

	if ((p = proc_find(pt, pid)) == NULL)
		return;
	proc_thread(p, tid)->exited = pt->window;
	if (pid == tid)
		p->exited = pt->window;
}

/*
 * MMAP records (before mmap2, 3.16) name a file but not its device and
 * inode: take them from the process's maps while it still has them.
 */
static void
proc_map_ids(pid_t pid, uint64_t start, const char *name, uint64_t *dev,
    uint64_t *ino)
{
	char			 path[64], line[4096];
	unsigned int		 major, minor;
	unsigned long long	 lo, hi, off, inode;
	int			 pos;
	FILE			*f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		pos = -1;
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &lo, &hi,
		    &off, &major, &minor, &inode, &pos) != 6 || pos == -1 ||
		    lo != start || strcmp(line + pos, name) != 0)
			continue;
		*dev = makedev(major, minor);
		*ino = inode;
		break;
	}
	fclose(f);
}

void
proc_mmap(struct proctab *pt, const struct perf_mmap *m)
{
	struct proc	*p;
	uint64_t	 dev = m->dev, ino = m->ino;

	if (m->size == 0 || m->start + m->size < m->start || !(m->prot & 0x4))
		return;
	if (m->pid == -1)
		return;		/* kernel modules; kallsyms names them */
	p = proc_get(pt, m->pid);
	if (!pt->mmap_ids && m->name[0] == '/')
		proc_map_ids(m->pid, m->start, m->name, &dev, &ino);
	maps_insert(p, m->start, m->start + m->size, m->pgoff, m->prot,
	    dso_get(pt->dsos, m->name, dev, ino, m->pid));
}

struct inherit_arg {
	struct proctab	*pt;
	int		 changed;
};

static void
inherit_wanted(struct hnode *n, void *arg)
{
	struct proc		*p = container_of(n, struct proc, node), *parent;
	struct inherit_arg	*ia = arg;

	if (!p->wanted && (parent = proc_find(ia->pt, p->ppid)) != NULL &&
	    parent->wanted) {
		p->wanted = 1;
		ia->changed = 1;
	}
}

/* Learn every running process, and which of them --pid selects. */
int
proc_seed(struct proctab *pt, char **cause)
{
	struct inherit_arg	 ia = { pt, 0 };
	DIR			*dir;
	struct dirent		*de;
	size_t			 i;
	char			*end;
	long			 pid;

	for (i = 0; i < pt->npids; i++) {
		if (kill(pt->pids[i], 0) != 0 && errno == ESRCH) {
			xasprintf(cause, "--pid %d: no such process",
			    (int)pt->pids[i]);
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
			proc_get(pt, pid);
	}
	closedir(dir);
	if (pt->npids != 0) {
		do {
			ia.changed = 0;
			htable_foreach(&pt->procs, inherit_wanted, &ia);
		} while (ia.changed);
	}
	return (0);
}

struct sweep_arg {
	struct proctab	*pt;
	struct proc	*p;
	int		 all;
};

static void
thread_sweep(struct hnode *n, void *arg)
{
	struct sweep_arg	*sa = arg;
	struct proc		*p = sa->p;
	struct thread		*t = container_of(n, struct thread, node);
	unsigned int		 window = sa->pt->window;

	if (sa->all || (t->exited != 0 && t->exited < window) ||
	    (p->exited != 0 && p->exited < window)) {
		htable_remove(&p->threads, n);
		free(t);
	}
}

/*
 * What exited before the window being filled goes; the owners of
 * per-process state hear of every process, to drop what went unused.
 */
static void
proc_release(struct hnode *n, void *arg)
{
	struct sweep_arg	*sa = arg;
	struct proctab		*pt = sa->pt;
	struct proc		*p = container_of(n, struct proc, node);
	size_t			 i;
	int			 going;

	going = sa->all || (p->exited != 0 && p->exited < pt->window);
	for (i = 0; i < pt->nhooks; i++) {
		if (pt->hooks[i].proc_swept != NULL)
			pt->hooks[i].proc_swept(pt->hooks[i].arg, p, going);
	}
	sa->p = p;
	htable_foreach(&p->threads, thread_sweep, sa);
	if (!going)
		return;
	maps_clear(p);
	htable_remove(&pt->procs, n);
	htable_free(&p->threads);
	free(p->maps);
	free(p->cgroup);
	free(p->exe);
	free(p);
}

/*
 * Start a new window. What exited or went unused before it can go once
 * the windows that could name it are written: call proc_sweep() then.
 */
void
proc_next_window(struct proctab *pt)
{
	pt->window++;
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
proc_foreach(struct proctab *pt, void (*cb)(struct proc *, void *), void *arg)
{
	struct proc_foreach_arg	 fa = { cb, arg };

	htable_foreach(&pt->procs, proc_foreach_one, &fa);
}

void
proc_sweep(struct proctab *pt)
{
	struct sweep_arg	 sa = { pt, NULL, 0 };

	htable_foreach(&pt->procs, proc_release, &sa);
	dsos_sweep(pt->dsos, pt->window, pt->hooks, pt->nhooks, 0);
}

/* How many processes and binaries the table holds. */
void
proc_usage(const struct proctab *pt, size_t *procs, size_t *dsos)
{
	*procs = pt->procs.count;
	*dsos = dsos_count(pt->dsos);
}

void
proc_free_table(struct proctab *pt)
{
	struct sweep_arg	 sa = { pt, NULL, 1 };

	if (pt == NULL)
		return;
	htable_foreach(&pt->procs, proc_release, &sa);
	htable_free(&pt->procs);
	dsos_free(pt->dsos, pt->hooks, pt->nhooks);
	free(pt);
}
