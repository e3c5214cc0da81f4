/*
 * Names for code a JIT compiled into anonymous memory, from the map file
 * the runtime writes for perf: /tmp/perf-PID.map, lines "START SIZE name"
 * in hex. Read in the process's own root (its /tmp, its pid namespace),
 * only if the process's owner owns the file, since the daemon would
 * otherwise read whatever a link there points to.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define PERFMAP_MAX_SIZE	(64 << 20)

struct perfmap_entry {
	uint64_t	 start;
	uint64_t	 end;
	char		*name;
};

struct perfmap {
	struct hnode		 node;
	pid_t			 pid;
	struct perfmap_entry	*entries;
	size_t			 n;
};

/* The maps read so far, by pid. */
struct perfmaps {
	struct htable		 maps;
};

struct perfmaps *
perfmap_new(void)
{
	struct perfmaps	*pm;

	pm = xcalloc(1, sizeof *pm);
	htable_init(&pm->maps, 64);
	return (pm);
}

static int
perfmap_cmp(const void *a, const void *b)
{
	const struct perfmap_entry	*ea = a, *eb = b;

	return (ea->start < eb->start ? -1 : ea->start > eb->start);
}

/* The pid inside the process's own namespace: the last of NSpid. */
static pid_t
perfmap_nspid(pid_t pid, uid_t *uid)
{
	char	 path[64], line[256];
	pid_t	 ns = pid;
	FILE	*f;
	char	*p;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	*uid = (uid_t)-1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0)
			*uid = strtoul(line + 4, NULL, 10);
		else if (strncmp(line, "NSpid:", 6) == 0 &&
		    (p = strrchr(line, '\t')) != NULL)
			ns = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	return (*uid == (uid_t)-1 ? -1 : ns);
}

static FILE *
perfmap_open(pid_t pid)
{
	struct stat	 st;
	char		 path[128];
	uid_t		 uid;
	pid_t		 ns;
	int		 fd;

	if ((ns = perfmap_nspid(pid, &uid)) <= 0)
		return (NULL);
	snprintf(path, sizeof path, "/proc/%d/root/tmp/perf-%d.map", (int)pid,
	    (int)ns);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC))
	    == -1)
		return (NULL);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    st.st_size > PERFMAP_MAX_SIZE) {
		log_debug("%s: not a perf map the process owns", path);
		close(fd);
		return (NULL);
	}
	return (fdopen(fd, "r"));
}

static struct perfmap *
perfmap_load(pid_t pid)
{
	struct perfmap	*m;
	FILE		*f;
	char		 line[1024], *p, *end;
	uint64_t	 start, size;
	size_t		 cap = 0;

	m = xcalloc(1, sizeof *m);
	m->pid = pid;
	if ((f = perfmap_open(pid)) == NULL)
		return (m);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		start = strtoull(line, &p, 16);
		if (p == line || *p != ' ')
			continue;
		size = strtoull(p + 1, &end, 16);
		if (end == p + 1 || *end != ' ' || end[1] == '\0' ||
		    start + size < start)
			continue;
		if (m->n == cap) {
			cap = cap ? cap * 2 : 64;
			m->entries = xreallocarray(m->entries, cap,
			    sizeof *m->entries);
		}
		m->entries[m->n].start = start;
		m->entries[m->n].end = start + size;
		m->entries[m->n].name = xstrdup(end + 1);
		m->n++;
	}
	fclose(f);
	qsort(m->entries, m->n, sizeof *m->entries, perfmap_cmp);
	return (m);
}

/* The name the process's perf map gives addr, or NULL. */
const char *
perfmap_lookup(struct perfmaps *pm, pid_t pid, uint64_t addr)
{
	struct perfmap	*m = NULL;
	struct hnode	*n;
	size_t		 lo, hi, mid;
	uint64_t	 h = hash_bytes(&pid, sizeof pid, 2);
	const char	*name = NULL;

	for (n = htable_find(&pm->maps, h); n != NULL;
	    n = htable_next_same(n)) {
		if (container_of(n, struct perfmap, node)->pid == pid) {
			m = container_of(n, struct perfmap, node);
			break;
		}
	}
	if (m == NULL) {
		m = perfmap_load(pid);
		htable_insert(&pm->maps, &m->node, h);
	}
	/* Later lines win: the last entry that starts at or below addr. */
	lo = 0;
	hi = m->n;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (m->entries[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && addr < m->entries[lo - 1].end)
		name = m->entries[lo - 1].name;
	return (name);
}

static void
perfmap_release(struct hnode *n, void *arg)
{
	struct perfmap	*m = container_of(n, struct perfmap, node);
	size_t		 i;

	htable_remove(arg, n);
	for (i = 0; i < m->n; i++)
		free(m->entries[i].name);
	free(m->entries);
	free(m);
}

/* Forget what was read: maps grow, and the next window reads them anew. */
void
perfmap_free(struct perfmaps *pm)
{
	if (pm == NULL)
		return;
	htable_foreach(&pm->maps, perfmap_release, &pm->maps);
	htable_free(&pm->maps);
	free(pm);
}
