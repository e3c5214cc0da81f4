/*
 * tracefs.c on the sched_switch format files of real kernels (mainline
 * 3.10.108, RHEL 7.9's 3.10.0-1160.el7, 4.4.178, and 6.18), kept in
 * tests/fixtures: an emulated kernel cannot change the format file, so
 * these are how old layouts and state letters are tested. prev_state's
 * letters and its preempted bit differ between them.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"
#include "check.h"

struct kernel_format {
	const char	*name;
	int		 state_size;	/* bytes of prev_state */
	unsigned long	 dead;		/* the X bit */
	unsigned long	 zombie;	/* the Z bit */
	unsigned long	 preempted;	/* the bit past the letters */
};

static const struct kernel_format kernels[] = {
	{ "3.10.108", 8, 32, 16, 1024 },
	{ "3.10.0-1160.el7", 8, 32, 16, 1024 },
	{ "4.4.178", 8, 32, 16, 2048 },
	{ "6.18", 8, 0x10, 0x20, 0x100 },
};

/* Lay the fixture out as a tracing directory would have it. */
static void
make_tracing(const char *dir, const char *fixture)
{
	char	 path[1024], cmd[2048];

	if ((size_t)snprintf(path, sizeof path, "%s/events/sched/sched_switch",
	    dir) >= sizeof path ||
	    (size_t)snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' "
	    "'%s/format' && echo 99 >'%s/id'", path, fixture, path,
	    path) >= sizeof cmd)
		fatalx("%s: path too long", dir);
	if (system(cmd) != 0)
		fatalx("%s", cmd);
}

static void
test_kernel(const struct kernel_format *k, const char *srcdir,
    const char *tmp)
{
	struct switch_format	 sf;
	char			 fixture[1024], dir[1024], *cause = NULL;

	snprintf(fixture, sizeof fixture, "%s/fixtures/sched_switch-%s.format",
	    srcdir, k->name);
	snprintf(dir, sizeof dir, "%s/%s", tmp, k->name);
	make_tracing(dir, fixture);
	CHECK(tracefs_sched_switch(dir, &sf, &cause) == 0, "%s: %s", k->name,
	    cause != NULL ? cause : "");
	free(cause);
	CHECK(sf.id == 99, "%s: id %llu", k->name, (unsigned long long)sf.id);
	CHECK(sf.prev_pid.offset == 24 && sf.prev_pid.size == 4, "%s",
	    k->name);
	CHECK(sf.prev_state.offset == 32 &&
	    sf.prev_state.size == k->state_size, "%s: prev_state %d bytes",
	    k->name, sf.prev_state.size);
	CHECK(sf.next_pid.offset == 56 && sf.next_pid.size == 4, "%s",
	    k->name);
	CHECK(sf.nstates >= 6, "%s: %zu state letters", k->name, sf.nstates);
	CHECK(tracefs_state_letter(&sf, 1) == 'S', "%s", k->name);
	CHECK(tracefs_state_letter(&sf, 2) == 'D', "%s", k->name);
	CHECK(tracefs_state_letter(&sf, k->dead) == 'X', "%s: %c", k->name,
	    tracefs_state_letter(&sf, k->dead));
	CHECK(tracefs_state_letter(&sf, k->zombie) == 'Z', "%s: %c", k->name,
	    tracefs_state_letter(&sf, k->zombie));
	CHECK(tracefs_state_letter(&sf, 0) == 'R', "%s", k->name);
	/* Preempted while runnable: still R, whatever its bit. */
	CHECK(tracefs_state_letter(&sf, k->preempted) == 'R', "%s: %c",
	    k->name, tracefs_state_letter(&sf, k->preempted));
}

int
main(void)
{
	char		 tmp[] = "/tmp/test-tracefs.XXXXXX", cmd[64], *srcdir;
	const char	*top = getenv("top_srcdir");
	size_t		 i;

	log_init(1, PD_LOG_INFO);
	xasprintf(&srcdir, "%s/tests", top != NULL ? top : ".");
	if (mkdtemp(tmp) == NULL)
		fatal("mkdtemp");
	for (i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		test_kernel(&kernels[i], srcdir, tmp);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fatalx("%s", cmd);
	free(srcdir);
	return (check_done("test-tracefs"));
}
