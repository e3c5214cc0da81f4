/*
 * Window writers: each window is named and written by a short-lived child
 * from a snapshot of the tables, so sampling never waits for naming and
 * the daemon never holds debug information. A writer has no capabilities:
 * it takes names from the names cache and the symbolizer only, and writes
 * the drop directory. Writers talk to the symbolizer one at a time, each
 * after the one before it has exited.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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
	int			 turn;	/* EOF when the last writer is gone */
	struct writer_stats	*stats;		/* shared with the writers */
};

struct writers *
writers_new(struct pd_engine *e, struct dropdir *dd, struct symcache *cache,
    struct symbolizer *sz)
{
	struct writers	*ws;

	ws = xcalloc(1, sizeof *ws);
	ws->stats = mmap(NULL, sizeof *ws->stats, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ws->stats == MAP_FAILED)
		fatal("mmap");
	ws->engine = e;
	ws->dropdir = dd;
	ws->cache = cache;
	ws->symbolizer = sz;
	ws->turn = -1;
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
			ws->stats->windows_written++;
		else
			ws->stats->windows_failed++;
		/* Exit status 1: the writer said why; otherwise it could not. */
		if (!ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 1))
			log_warnx("the process writing a window failed "
			    "(status %#x); that window is lost", status);
		symcache_absorb(ws->cache, ws->children[i].report, ok);
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
	    ws->symbolizer, 1, 0, 0 };
	unsigned int		 kinds = pd_engine_kinds(ws->engine);
	struct pd_pprof		*p;
	enum pd_kind		 kind;
	char			*cause = NULL;
	int			 rc = 0;

	for (kind = 0; kind < PD_NKINDS; kind++) {
		if (!(kinds & (1 << kind)))
			continue;
		p = pd_window_profile(w, kind, &names, &cause);
		/* Writers run one at a time; the last one (here) alone. */
		ws->stats->frames += names.frames;
		ws->stats->frames_unknown += names.unknown;
		names.frames = names.unknown = 0;
		if (p != NULL &&
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
 * In the child about to write a window: no capabilities, and wait for
 * the writer before it to exit (its end of the pipe closes then).
 */
static void
writers_child(int turn)
{
	char	 c;

	prctl(PR_SET_NAME, "profdropd-write");
	privdrop_keep(0);
	if (turn == -1)
		return;
	while (read(turn, &c, 1) == -1 && errno == EINTR)
		;
	close(turn);
}

/*
 * Write the window in a child; the last one (or when fork fails) is
 * written here, once no writer is left.
 */
void
writers_write(struct writers *ws, struct pd_window *w, int64_t start_ns,
    int last)
{
	struct symcache_report	*report = NULL;
	pid_t			 pid = -1;
	int			 p[2] = { -1, -1 };

	writers_reap(ws, last ? 0 : WNOHANG);
	if (ws->n == WRITERS_MAX) {
		log_warnx("%d windows are still being written; waiting",
		    ws->n);
		writers_reap(ws, 0);
	}
	if (!last) {
		report = symcache_report_new(ws->cache);
		if (pipe2(p, O_CLOEXEC) == -1)
			log_warn("pipe; writing the window in-process");
		else if ((pid = fork()) == -1)
			log_warn("fork; writing the window in-process");
	}
	if (pid == 0) {
		close(p[0]);
		writers_child(ws->turn);
		symcache_report_to(ws->cache, report);
		_exit(writers_files(ws, w, start_ns) ? 1 : 0);
	}
	if (p[1] != -1)
		close(p[1]);
	if (pid == -1) {
		if (p[0] != -1)
			close(p[0]);
		symcache_absorb(ws->cache, report, 0);
		writers_reap(ws, 0);
		if (writers_files(ws, w, start_ns) == 0)
			ws->stats->windows_written++;
		else
			ws->stats->windows_failed++;
		return;
	}
	if (ws->turn != -1)
		close(ws->turn);
	ws->turn = p[0];
	ws->children[ws->n].pid = pid;
	ws->children[ws->n++].report = report;
}

/* What the writers did so far. */
const struct writer_stats *
writers_stats(const struct writers *ws)
{
	return (ws->stats);
}

void
writers_free(struct writers *ws)
{
	writers_reap(ws, 0);
	if (ws->turn != -1)
		close(ws->turn);
	munmap(ws->stats, sizeof *ws->stats);
	free(ws);
}
