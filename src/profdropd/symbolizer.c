/*
 * The symbolizer: a process of its own, started with the daemon, that names
 * addresses for the window writers. It keeps each binary's symbols and
 * DWARF open from one window to the next, so debug information is read
 * (and decompressed) once, not once per window. A writer asks it only for
 * what the names cache lacks, and names by itself if it is gone. One
 * writer at a time talks to it; the daemon decides which.
 */

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

#define SYMBOLIZER_BATCH	256	/* addresses per request */
#define SYMBOLIZER_MAX_DSOS	512	/* binaries kept open */
#define SYMBOLIZER_KEEP		3	/* windows a binary may go unused */
#define SYMBOLIZER_MAX_RSS	(128 << 20)	/* bytes, debug data mostly */
#define SYMBOLIZER_TIMEOUT	120	/* seconds a writer waits for a reply */
#define SYMBOLIZER_RESTARTS	8	/* deaths in a row before giving up */
#define SYMBOLIZER_FORGIVE	10	/* windows up that reset the count */

/* A request: naddrs addresses in one binary, then its name. */
struct symreq {
	uint64_t	 serial;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 map_start;
	uint64_t	 map_end;
	int32_t		 pid;
	uint32_t	 kind;
	uint32_t	 window;
	uint32_t	 naddrs;
	uint32_t	 namelen;	/* with its NUL */
	uint32_t	 pad;
};

/* One reply per address, in order; the packed names follow if named. */
struct symreply {
	uint64_t	 serial;
	uint64_t	 addr;
	uint64_t	 named;
};

#define SYMREQ_MAX	(sizeof(struct symreq) + SYMBOLIZER_BATCH * 8 + PATH_MAX)
#define SYMREPLY_MAX	(sizeof(struct symreply) + SYMCACHE_MAX_PACKED)

struct symdso {
	struct hnode	 node;
	struct dso	 dso;
	unsigned int	 used_window;
	unsigned int	 failed_window;	/* when opening it failed, or 0 */
};

/* The daemon's side, copied into each writer. */
struct symbolizer {
	int		 fd;
	pid_t		 pid;
	int		 restarts;
	unsigned int	 started;	/* window it was last started in */
	unsigned int	 window;	/* the window being written */
	struct symcache	*cache;		/* where its names go */
	void		(*forget)(void *);	/* frees the daemon's tables */
	void		*arg;
};

/* The symbolizer process's own state. */
struct symserver {
	struct htable	 symdsos;
	size_t		 base;		/* resident bytes when it started */
	struct perfmaps	*perfmaps;	/* JIT names, read once a window */
	unsigned int	 perfmaps_window;
};

static struct symdso *
serve_dso(struct symserver *ss, const struct symreq *rq, const char *name)
{
	struct symdso	*sd;
	struct hnode	*n;
	uint64_t	 h = hash_bytes(&rq->serial, sizeof rq->serial, 4);

	for (n = htable_find(&ss->symdsos, h); n != NULL;
	    n = htable_next_same(n)) {
		sd = container_of(n, struct symdso, node);
		if (sd->dso.serial == rq->serial)
			return (sd);
	}
	sd = xcalloc(1, sizeof *sd);
	sd->dso.serial = rq->serial;
	sd->dso.kind = rq->kind;
	sd->dso.name = xstrdup(name);
	sd->dso.dev = rq->dev;
	sd->dso.ino = rq->ino;
	sd->dso.pid = rq->pid;
	sd->dso.map_start = rq->map_start;
	sd->dso.map_end = rq->map_end;
	htable_insert(&ss->symdsos, &sd->node, h);
	return (sd);
}

struct serve_drop_arg {
	struct symserver	*ss;
	unsigned int		 before;
};

/* Close a binary no window since before asked about. */
static void
serve_drop(struct hnode *n, void *arg)
{
	struct serve_drop_arg	*da = arg;
	struct symdso		*sd = container_of(n, struct symdso, node);

	if (sd->used_window >= da->before)
		return;
	htable_remove(&da->ss->symdsos, n);
	symbols_close(&sd->dso);
	free(sd->dso.name);
	free(sd);
}

static void
serve_drop_before(struct symserver *ss, unsigned int window)
{
	struct serve_drop_arg	 da = { ss, window };
	size_t			 count = ss->symdsos.count;

	htable_foreach(&ss->symdsos, serve_drop, &da);
	if (ss->symdsos.count != count)
		malloc_trim(0);
}

/*
 * Close the binaries no recent window asked about. Over a cap, close
 * those this window has not asked about; if that is not enough, all.
 */
static void
serve_evict(struct symserver *ss, unsigned int window)
{
	if (window > SYMBOLIZER_KEEP)
		serve_drop_before(ss, window - SYMBOLIZER_KEEP);
	if (ss->symdsos.count < SYMBOLIZER_MAX_DSOS &&
	    metrics_resident() <= ss->base + SYMBOLIZER_MAX_RSS)
		return;
	serve_drop_before(ss, window);
	if (ss->symdsos.count >= SYMBOLIZER_MAX_DSOS ||
	    metrics_resident() > ss->base + SYMBOLIZER_MAX_RSS)
		serve_drop_before(ss, UINT_MAX);
}

/* send(2), again when a signal interrupts it. */
static ssize_t
send_all(int fd, const void *buf, size_t len)
{
	ssize_t	 n;

	while ((n = send(fd, buf, len, 0)) == -1 && errno == EINTR)
		;
	return (n);
}

static ssize_t
recv_one(int fd, void *buf, size_t len)
{
	ssize_t	 n;

	while ((n = recv(fd, buf, len, 0)) == -1 && errno == EINTR)
		;
	return (n);
}

/* Send the reply for one address; 1 if it failed. */
static int
serve_reply(int fd, uint64_t serial, uint64_t addr,
    const struct symbol_info *info, unsigned char *out)
{
	struct symreply	 reply;
	size_t		 n;

	n = info->nlines == 0 ? 0 : symcache_pack(serial, addr, info,
	    out + sizeof reply, SYMCACHE_MAX_PACKED);
	reply.serial = serial;
	reply.addr = addr;
	reply.named = n != 0;
	memcpy(out, &reply, sizeof reply);
	return (send_all(fd, out, sizeof reply + n) == -1);
}

/* Addresses in a process's anonymous memory: its perf map names them. */
static int
serve_jit(struct symserver *ss, int fd, const struct symreq *rq,
    const unsigned char *addrs, unsigned char *out)
{
	struct symbol_info	 info;
	uint64_t		 addr;
	size_t			 i;

	/* The JIT writes its map as it compiles: read it again each window. */
	if (ss->perfmaps == NULL || ss->perfmaps_window != rq->window) {
		perfmap_free(ss->perfmaps);
		ss->perfmaps = perfmap_new();
		ss->perfmaps_window = rq->window;
	}
	for (i = 0; i < rq->naddrs; i++) {
		memcpy(&addr, addrs + i * 8, 8);
		memset(&info, 0, sizeof info);
		info.vaddr = addr;
		if ((info.lines[0].function = perfmap_lookup(ss->perfmaps,
		    rq->pid, addr)) != NULL)
			info.nlines = 1;
		if (serve_reply(fd, rq->serial, addr, &info, out) != 0)
			return (1);
	}
	return (0);
}

/* Answer one request; -1 if it is malformed (1 if the reply failed). */
static int
serve_request(struct symserver *ss, int fd, const unsigned char *buf,
    size_t len, unsigned char *out)
{
	struct symreq		 rq;
	struct symbol_info	 info;
	struct symdso		*sd;
	const char		*name;
	uint64_t		 addr;
	size_t			 i;
	int			 failed;

	if (len < sizeof rq)
		return (-1);
	memcpy(&rq, buf, sizeof rq);
	if (rq.naddrs == 0 || rq.naddrs > SYMBOLIZER_BATCH ||
	    rq.namelen == 0 || rq.namelen > PATH_MAX ||
	    len != sizeof rq + rq.naddrs * 8 + rq.namelen ||
	    (rq.kind != DSO_FILE && rq.kind != DSO_SPECIAL &&
	    rq.kind != DSO_ANON))
		return (-1);
	name = (const char *)buf + sizeof rq + rq.naddrs * 8;
	if (name[rq.namelen - 1] != '\0')
		return (-1);
	if (rq.kind == DSO_ANON)
		return (serve_jit(ss, fd, &rq, buf + sizeof rq, out));
	serve_evict(ss, rq.window);
	sd = serve_dso(ss, &rq, name);
	sd->used_window = rq.window;
	/* A debuginfod server may be back: try again now and then. */
	if (sd->dso.symbols_failed &&
	    sd->failed_window + SYMBOLIZER_KEEP <= rq.window)
		sd->dso.symbols_failed = 0;
	failed = sd->dso.symbols_failed;
	for (i = 0; i < rq.naddrs; i++) {
		memcpy(&addr, buf + sizeof rq + i * 8, 8);
		memset(&info, 0, sizeof info);
		symbols_lookup(&sd->dso, addr, &info);
		if (serve_reply(fd, rq.serial, addr, &info, out) != 0)
			return (1);
	}
	if (!failed && sd->dso.symbols_failed)
		sd->failed_window = rq.window;
	return (0);
}

static __dead void
serve(struct symbolizer *sz, int fd)
{
	struct symserver ss;
	unsigned char	*buf = xmalloc(SYMREQ_MAX), *out = xmalloc(SYMREPLY_MAX);
	ssize_t		 n;
	int		 rc;

	prctl(PR_SET_NAME, "profdropd-sym");
	/* It parses hostile binaries: read access, nothing more. */
	privdrop_keep(privdrop_read_caps());
	/* The daemon stops it by closing the socket. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sz->forget(sz->arg);
	malloc_trim(0);
	memset(&ss, 0, sizeof ss);
	ss.base = metrics_resident();
	htable_init(&ss.symdsos, 256);
	while ((n = recv_one(fd, buf, SYMREQ_MAX)) > 0) {
		if ((rc = serve_request(&ss, fd, buf, n, out)) < 0)
			log_warnx("symbolizer: a malformed request; stopping");
		if (rc != 0)
			break;
	}
	_exit(0);
}

/* Fork the process; without one, the writers name by themselves. */
static void
symbolizer_fork(struct symbolizer *sz, unsigned int window)
{
	int	 sv[2];

	if (sz->restarts > SYMBOLIZER_RESTARTS) {
		log_warnx("the symbolizer keeps exiting; window writers "
		    "name addresses by themselves from now on");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair; window writers name addresses by "
		    "themselves");
		return;
	}
	switch (sz->pid = fork()) {
	case -1:
		log_warn("fork of the symbolizer");
		close(sv[0]);
		close(sv[1]);
		return;
	case 0:
		close(sv[0]);
		serve(sz, sv[1]);
	}
	close(sv[1]);
	sz->fd = sv[0];
	sz->started = window;
}

/*
 * Start the symbolizer, its names going to cache. In the new process,
 * forget(arg) frees what the daemon holds.
 */
struct symbolizer *
symbolizer_start(struct symcache *cache, unsigned int window,
    void (*forget)(void *), void *arg)
{
	struct symbolizer	*sz;

	sz = xcalloc(1, sizeof *sz);
	sz->fd = -1;
	sz->pid = -1;
	sz->cache = cache;
	sz->forget = forget;
	sz->arg = arg;
	sz->window = window;
	symbolizer_fork(sz, window);
	return (sz);
}

/* In the daemon, as window ends: restart the symbolizer if it died. */
void
symbolizer_check(struct symbolizer *sz, unsigned int window)
{
	int	 status;

	sz->window = window;
	if (sz->pid == -1)
		return;
	if (waitpid(sz->pid, &status, WNOHANG) != sz->pid) {
		/* Up long enough: its earlier deaths are forgiven. */
		if (window - sz->started >= SYMBOLIZER_FORGIVE)
			sz->restarts = 0;
		return;
	}
	log_warnx("the symbolizer exited (status %#x); starting it again",
	    status);
	close(sz->fd);
	sz->fd = -1;
	sz->pid = -1;
	sz->restarts++;
	symbolizer_fork(sz, window);
}

/* Talk to it no more. */
static void
symbolizer_detach(struct symbolizer *sz)
{
	if (sz->fd != -1)
		close(sz->fd);
	sz->fd = -1;
}

/*
 * A conversation went wrong: replies may be left in the socket for the
 * next writer to misread. Kill the symbolizer; the daemon starts a clean
 * one.
 */
static void
symbolizer_abandon(struct symbolizer *sz)
{
	log_warnx("the symbolizer did not answer as it should; names in this window are incomplete");
	if (sz->pid != -1)
		kill(sz->pid, SIGKILL);
	symbolizer_detach(sz);
}

/* Stop it: the closed socket tells it to; a busy one gets 2 s. */
void
symbolizer_stop(struct symbolizer *sz)
{
	int	 i;

	if (sz == NULL)
		return;
	symbolizer_detach(sz);
	if (sz->pid != -1) {
		for (i = 0; i < 200 && waitpid(sz->pid, NULL, WNOHANG) == 0;
		    i++)
			usleep(10000);
		if (i == 200) {
			kill(sz->pid, SIGKILL);
			waitpid(sz->pid, NULL, 0);
		}
	}
	free(sz);
}

static int
symbolizer_frame_cmp(const void *a, const void *b)
{
	const struct frame	*fa = a, *fb = b;

	if (fa->dso->serial != fb->dso->serial)
		return (fa->dso->serial < fb->dso->serial ? -1 : 1);
	return (fa->addr < fb->addr ? -1 : fa->addr > fb->addr);
}

/*
 * Ask for one batch of addresses in one binary; keep the names, and mark
 * in answered the frames the symbolizer answered.
 */
static int
symbolizer_batch(struct symbolizer *sz, const struct frame *f, size_t n,
    unsigned char *answered, unsigned char *buf)
{
	struct symreq		 rq;
	struct symreply		 reply;
	struct symbol_info	 info;
	uint64_t		 serial, addr;
	size_t			 i, namelen = strlen(f->dso->name) + 1;
	ssize_t			 len;

	if (namelen > PATH_MAX)
		return (0);	/* no such path: leave them to the writer */
	memset(&rq, 0, sizeof rq);
	rq.serial = f->dso->serial;
	rq.dev = f->dso->dev;
	rq.ino = f->dso->ino;
	rq.map_start = f->dso->map_start;
	rq.map_end = f->dso->map_end;
	rq.pid = f->dso->pid;
	rq.kind = f->dso->kind;
	rq.window = sz->window;
	rq.naddrs = n;
	rq.namelen = namelen;
	memcpy(buf, &rq, sizeof rq);
	for (i = 0; i < n; i++)
		memcpy(buf + sizeof rq + i * 8, &f[i].addr, 8);
	memcpy(buf + sizeof rq + n * 8, f->dso->name, namelen);
	if (send_all(sz->fd, buf, sizeof rq + n * 8 + namelen) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((len = recv_one(sz->fd, buf, SYMREPLY_MAX)) <
		    (ssize_t)sizeof reply)
			return (-1);
		memcpy(&reply, buf, sizeof reply);
		if (reply.serial != f->dso->serial || reply.addr != f[i].addr)
			return (-1);
		if (reply.named && (symcache_unpack(buf + sizeof reply,
		    len - sizeof reply, &serial, &addr, &info) == 0 ||
		    serial != reply.serial || addr != reply.addr))
			return (-1);
		/* A JIT's names change: they stay with this window. */
		if (reply.named && f->dso->kind == DSO_ANON)
			symcache_add_local(sz->cache, f->dso, addr, &info);
		else if (reply.named)
			symcache_add(sz->cache, f->dso, addr, &info);
		answered[i] = 1;
	}
	return (0);
}

/*
 * A writer's prefetch (struct pd_names): have the symbolizer name the
 * frames into the names cache. The frames are sorted here; answered[i]
 * is set for each frame it answered (named, or found nameless), in the
 * sorted order.
 */
void
symbolizer_prefetch(void *arg, struct frame *frames, size_t n,
    unsigned char *answered)
{
	struct symbolizer	*sz = arg;
	struct timeval		 tv = { SYMBOLIZER_TIMEOUT, 0 };
	unsigned char		*buf;
	size_t			 i, j;

	memset(answered, 0, n);
	if (sz->fd == -1 || n == 0)
		return;
	setsockopt(sz->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	qsort(frames, n, sizeof *frames, symbolizer_frame_cmp);
	buf = xmalloc(SYMREQ_MAX > SYMREPLY_MAX ? SYMREQ_MAX : SYMREPLY_MAX);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && j - i < SYMBOLIZER_BATCH &&
		    frames[j].dso == frames[i].dso; j++)
			;
		if (symbolizer_batch(sz, &frames[i], j - i, answered + i,
		    buf) != 0) {
			symbolizer_abandon(sz);
			break;
		}
	}
	free(buf);
}
