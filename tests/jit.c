/*
 * jit: runs code from anonymous executable memory that only
 * /tmp/perf-PID.map names, as a JIT compiler would.
 *
 * The machine code of jit_src, kept alone in its own section so its bounds
 * are known, is copied into an anonymous mapping named jit_hot_loop in the
 * map, which then runs.  Once LATE-FILE exists, a second copy is mapped,
 * appended to the map as jit_late_loop, and the two run in turn.  The
 * entries are written the two ways perf maps are found: without and with
 * the 0x prefix.  The map goes when the program ends.
 *
 * usage: jit SECONDS READY-FILE LATE-FILE
 */

#include <sys/mman.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define ROUND (1UL << 20)

typedef unsigned long (*loop_fn)(unsigned long, unsigned long);

unsigned long	jit_src(unsigned long, unsigned long);

/* No calls and no data references: the code runs wherever it is copied. */
NOINLINE __attribute__((used, section("jit_text"))) unsigned long
jit_src(unsigned long n, unsigned long x)
{
	while (n-- > 0)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

extern const char	__start_jit_text[], __stop_jit_text[];

static char		map_path[64];
volatile unsigned long	sink;

static void
remove_map(void)
{
	unlink(map_path);
}

static void
on_signal(int sig)
{
	unlink(map_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A copy of jit_src in fresh executable memory, named NAME in the map. */
static loop_fn
jit_emit(const char *name, const char *fmt)
{
	size_t	 size = __stop_jit_text - __start_jit_text;
	void	*p;
	FILE	*f;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED || size > 4096) {
		perror("mmap");
		exit(1);
	}
	memcpy(p, __start_jit_text, size);
	__builtin___clear_cache((char *)p, (char *)p + size);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		exit(1);
	}
	if ((f = fopen(map_path, "a")) == NULL ||
	    fprintf(f, fmt, (unsigned long)p, (unsigned long)size, name) < 0 ||
	    fclose(f) != 0) {
		perror(map_path);
		exit(1);
	}
	return (loop_fn)p;
}

int
main(int argc, char **argv)
{
	long long	 seconds, end;
	loop_fn		 hot, late = NULL;
	char		*ep;
	FILE		*f;

	if (argc != 4) {
		fprintf(stderr, "usage: jit SECONDS READY-FILE LATE-FILE\n");
		return 2;
	}
	errno = 0;
	seconds = strtoll(argv[1], &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == argv[1] || seconds < 0) {
		fprintf(stderr, "usage: jit SECONDS READY-FILE LATE-FILE\n");
		return 2;
	}
	snprintf(map_path, sizeof map_path, "/tmp/perf-%ld.map", (long)getpid());
	unlink(map_path);
	atexit(remove_map);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);

	hot = jit_emit("jit_hot_loop", "%lx %lx %s\n");
	if ((f = fopen(argv[2], "w")) == NULL || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	end = now_ns() + seconds * 1000000000LL;
	while (now_ns() < end) {
		sink = hot(ROUND, sink);
		if (late == NULL && access(argv[3], F_OK) == 0)
			late = jit_emit("jit_late_loop", "0x%lx 0x%lx %s\n");
		if (late != NULL)
			sink = late(ROUND, sink);
	}
	return 0;
}
