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
		if (!ok)
			log_warnx("the process writing a window failed "
			    "(status %#x); that window is lost", status);
		symcache_absorb(ws->cache, ws->children[i].report, ok);
		if (ws->children[i].pid == ws->sym_user)
			ws->sym_user = 0;
		ws->children[i] = ws->children[--ws->n];
	}
}

struct writers_file {
	struct pd_window	*window;
	enum pd_kind		 kind;
	struct pd_names		*names;
};

static int
writers_fill(int fd, void *arg, char **cause)
{
	struct writers_file	*wf = arg;

	return (pd_window_write(wf->window, wf->kind, fd, wf->names, cause));
}

/* Every profile this window has: one file each. */
static int
writers_files(struct writers *ws, struct pd_window *w, int64_t start_ns)
{
	struct pd_names		 names = { ws->cache, symbolizer_prefetch,
	    ws->symbolizer };
	struct writers_file	 wf = { w, PD_KIND_CPU, &names };
	unsigned int		 kinds = pd_engine_kinds(ws->engine);
	char			*cause = NULL;
	int			 rc = 0;

	for (wf.kind = 0; wf.kind < PD_NKINDS; wf.kind++) {
		if (!(kinds & (1 << wf.kind)))
			continue;
		if (dropdir_write(ws->dropdir, pd_kind_name(wf.kind), start_ns,
		    writers_fill, &wf, &cause) == 0)
			continue;
		log_warnx("writing the %s profile: %s; this window is lost",
		    pd_kind_name(wf.kind), cause);
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
	symbolizer_check(ws->symbolizer, pd_engine_window(ws->engine));
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
		writers_files(ws, w, start_ns);
		return;
	}
	ws->children[ws->n].pid = pid;
	ws->children[ws->n++].report = report;
	if (ws->sym_user == 0)
		ws->sym_user = pid;
}

void
writers_free(struct writers *ws)
{
	writers_reap(ws, 0);
	free(ws);
}
