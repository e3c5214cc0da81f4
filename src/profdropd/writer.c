/*
 * Window writers: each window is named and written by a short-lived child
 * from a snapshot of the tables, so sampling never waits for naming and
 * the daemon never holds debug information. One writer at a time talks to
 * the symbolizer; what the others name they report to the names cache.
 */

#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

/* Children writing windows; a slow one does not hold up the next. */
#define WRITERS_MAX	4

struct writers {
	struct pd_engine	*engine;
	struct dropdir		*dropdir;
	struct symcache		*cache;
	struct symbolizer	*symbolizer;
	struct {
		pid_t			 pid;
		struct symcache_report	*report;	/* names it made, used */
	}			 children[WRITERS_MAX];
	int			 n;
	pid_t			 sym_user;	/* the one talking to it */
	uint64_t		 written;	/* windows, by how they ended */
	uint64_t		 failed;
};

struct writers *
writers_new(struct pd_engine *e, struct dropdir *dd, struct symcache *cache,
    struct symbolizer *sz)
{
	struct writers	*ws;

	ws = xcalloc(1, sizeof *ws);
	ws->engine = e;
	ws->dropdir = dd;
	ws->cache = cache;
	ws->symbolizer = sz;
	return (ws);
}

/* Collect the writers that finished (all of them with options 0). */
void
writers_reap(struct writers *ws, int options)
{
	int	 i = 0, status, ok;

	while (i < ws->n) {
		if (waitpid(ws->children[i].pid, &status, options) !=
		    ws->children[i].pid) {
			i++;
			continue;
		}
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (ok)
			ws->written++;
		else
			ws->failed++;
		/* Exit status 1: the writer said why; otherwise it could not. */
		if (!ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 1))
			log_warnx("the process writing a window failed "
			    "(status %#x); that window is lost", status);
		symcache_absorb(ws->cache, ws->children[i].report, ok);
		if (ws->children[i].pid == ws->sym_user)
			ws->sym_user = 0;
		ws->children[i] = ws->children[--ws->n];
	}
}

static int
writers_fill(int fd, void *arg, char **cause)
{
	return (pd_pprof_write(arg, fd, cause));
}

/*
 * Every profile this window has: one file each, named first, so a file
 * exists only while it is being written.
 */
static int
writers_files(struct writers *ws, struct pd_window *w, int64_t start_ns)
{
	struct pd_names		 names = { ws->cache, symbolizer_prefetch,
	    ws->symbolizer };
	unsigned int		 kinds = pd_engine_kinds(ws->engine);
	struct pd_pprof		*p;
	enum pd_kind		 kind;
	char			*cause = NULL;
	int			 rc = 0;

	for (kind = 0; kind < PD_NKINDS; kind++) {
		if (!(kinds & (1 << kind)))
			continue;
		if ((p = pd_window_profile(w, kind, &names, &cause)) != NULL &&
		    dropdir_write(ws->dropdir, pd_kind_name(kind), start_ns,
		    writers_fill, p, &cause) == 0) {
			pd_pprof_free(p);
			continue;
		}
		pd_pprof_free(p);
		log_warnx("writing the %s profile: %s; this window is lost",
		    pd_kind_name(kind), cause);
		free(cause);
		cause = NULL;
		rc = -1;
	}
	return (rc);
}

/*
 * Write the window in a child; the last one (or when fork fails) is
 * written here.
 */
void
writers_write(struct writers *ws, struct pd_window *w, int64_t start_ns,
    int last)
{
	struct symcache_report	*report = NULL;
	pid_t			 pid = -1;

	writers_reap(ws, last ? 0 : WNOHANG);
	if (ws->n == WRITERS_MAX) {
		log_warnx("%d windows are still being written; waiting",
		    ws->n);
		writers_reap(ws, 0);
	}
	if (!last) {
		report = symcache_report_new(ws->cache);
		if ((pid = fork()) == -1)
			log_warn("fork; writing the window in-process");
	}
	if (pid == 0) {
		symcache_report_to(ws->cache, report);
		if (ws->sym_user != 0)
			symbolizer_detach(ws->symbolizer);
		_exit(writers_files(ws, w, start_ns) ? 1 : 0);
	}
	if (pid == -1) {
		symcache_absorb(ws->cache, report, 0);
		/* In-process, it talks to the symbolizer: none may. */
		writers_reap(ws, 0);
		if (writers_files(ws, w, start_ns) == 0)
			ws->written++;
		else
			ws->failed++;
		return;
	}
	ws->children[ws->n].pid = pid;
	ws->children[ws->n++].report = report;
	if (ws->sym_user == 0)
		ws->sym_user = pid;
}

/* Windows written, and windows lost, so far. */
void
writers_counts(const struct writers *ws, uint64_t *written, uint64_t *failed)
{
	*written = ws->written;
	*failed = ws->failed;
}

void
writers_free(struct writers *ws)
{
	writers_reap(ws, 0);
	free(ws);
}
