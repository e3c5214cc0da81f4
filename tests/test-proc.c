/*
 * The process table's mappings: a new mapping cuts away what it overlaps,
 * as mmap does, and lookups find the mapping that holds an address.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"
#include "check.h"

/* A pid no process has, so nothing is read from /proc. */
#define PID	2000000000

static struct proctab	*pt;

static void
mmap_at(pid_t pid, uint64_t start, uint64_t size, uint64_t pgoff,
    uint32_t prot, uint64_t dev, uint64_t ino, const char *name)
{
	struct perf_mmap	 m = { pid, start, size, pgoff, prot, dev, ino,
	    name };

	proc_mmap(pt, &m);
}

static const char *
name_at(struct proc *p, uint64_t addr)
{
	const struct map	*m = proc_find_map(p, addr);

	return (m != NULL ? m->dso->name : NULL);
}

int
main(void)
{
	struct features		 f = { .mmap2 = 1, .comm_exec = 1 };
	struct proc		*p, *child;
	const struct map	*m;

	pt = proc_new_table(NULL, 0, &f);
	mmap_at(PID, 0x1000, 0x9000, 0, 0x5, 0x801, 11, "/bin/a");
	p = proc_find(pt, PID);
	CHECK(p != NULL && p->nmaps == 1);

	/* Split [0x1000,0xa000) by a map in its middle. */
	mmap_at(PID, 0x4000, 0x2000, 0x100000, 0x5, 0x801, 12, "/lib/b.so");
	CHECK(p->nmaps == 3);
	CHECK(strcmp(name_at(p, 0x3fff), "/bin/a") == 0);
	CHECK(strcmp(name_at(p, 0x4000), "/lib/b.so") == 0);
	CHECK(strcmp(name_at(p, 0x6000), "/bin/a") == 0);
	m = proc_find_map(p, 0x6000);
	CHECK(m != NULL && m->start == 0x6000 && m->pgoff == 0x5000);
	CHECK(name_at(p, 0xa000) == NULL && name_at(p, 0xfff) == NULL);
	CHECK(m != NULL && m->dso->refs == 2);

	/* Cover the tail of one and the head of the next. */
	mmap_at(PID, 0x5000, 0x2000, 0, 0x5, 0, 0, "//anon");
	CHECK(p->nmaps == 4);
	CHECK(proc_find_map(p, 0x4fff)->end == 0x5000);
	CHECK(proc_find_map(p, 0x5000)->dso->kind == DSO_ANON);
	m = proc_find_map(p, 0x7000);
	CHECK(m != NULL && m->start == 0x7000 && m->pgoff == 0x6000);

	/* Non-executable maps are not kept. */
	mmap_at(PID, 0x20000, 0x1000, 0, 0x1, 0x801, 13, "/data");
	CHECK(name_at(p, 0x20000) == NULL);

	/* A child inherits the maps; exec replaces them. */
	proc_comm(pt, PID, PID, "parent", 0);
	proc_fork(pt, PID + 1, PID, PID + 1, PID);
	child = proc_find(pt, PID + 1);
	CHECK(child != NULL && child->nmaps == 4);
	CHECK(child != NULL && strcmp(child->comm, "parent") == 0);
	proc_comm(pt, PID + 1, PID + 1, "child", 1);
	CHECK(child != NULL && child->nmaps == 0);
	CHECK(strcmp(proc_thread(child, PID + 1)->comm, "child") == 0);

	/* Exited processes stay for the window they exited in, no longer. */
	proc_exit(pt, PID + 1, PID + 1);
	proc_sweep(pt);
	CHECK(proc_find(pt, PID + 1) != NULL);
	proc_next_window(pt);
	proc_sweep(pt);
	CHECK(proc_find(pt, PID + 1) == NULL);
	CHECK(proc_find(pt, PID) != NULL);

	/* Contiguous maps of the same file resolve to one shared dso. */
	mmap_at(PID, 0x30000, 0x1000, 0, 0x5, 0x801, 11, "/bin/a");
	CHECK(proc_find_map(p, 0x30000)->dso == proc_find_map(p, 0x1000)->dso);

	proc_free_table(pt);
	return (check_done("test-proc"));
}
