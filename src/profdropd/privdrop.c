/*
 * Least privilege: once the perf events are open, the tables scanned and
 * kallsyms read, each process keeps only the capabilities it still uses
 * (doc/design.md names the call that needs each). The daemon and the
 * symbolizer keep read access to other processes and their binaries;
 * window writers and the uploader keep none. Optionally all of them run
 * as --user. Raw capget/capset: libcap would add a dependency for two
 * system calls.
 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS		38
#endif
/* Newer than some build hosts' headers. */
#define PRIVDROP_CAP_CHECKPOINT_RESTORE	40

/* The highest capability this kernel knows (3.2+), or 36 before. */
static int
privdrop_last_cap(void)
{
	FILE	*f;
	int	 last = -1;

	if ((f = fopen("/proc/sys/kernel/cap_last_cap", "re")) != NULL) {
		if (fscanf(f, "%d", &last) != 1)
			last = -1;
		fclose(f);
	}
	return (last >= 0 && last < 64 ? last : CAP_BLOCK_SUSPEND);
}

/*
 * What reading other processes and their binaries takes: /proc/PID/maps,
 * /proc/PID/root and perf maps of other users (CAP_SYS_PTRACE), binaries
 * whatever their modes (CAP_DAC_READ_SEARCH), and a mapping's file in
 * /proc/PID/map_files once the binary was replaced, where a capability
 * narrower than CAP_SYS_ADMIN exists (5.9+).
 */
uint64_t
privdrop_read_caps(void)
{
	uint64_t	 caps;

	caps = 1ULL << CAP_SYS_PTRACE | 1ULL << CAP_DAC_READ_SEARCH;
	if (privdrop_last_cap() >= PRIVDROP_CAP_CHECKPOINT_RESTORE)
		caps |= 1ULL << PRIVDROP_CAP_CHECKPOINT_RESTORE;
	return (caps);
}

/* The effective set, or the permitted one: as /proc/self/status says. */
static uint64_t
privdrop_get(int permitted)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];

	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return (0);
	if (permitted)
		return ((uint64_t)data[1].permitted << 32 | data[0].permitted);
	return ((uint64_t)data[1].effective << 32 | data[0].effective);
}

uint64_t
privdrop_effective(void)
{
	return (privdrop_get(0));
}

/* Of caps, those this process has: a capability once dropped stays so. */
static int
privdrop_set(uint64_t caps)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];

	caps &= privdrop_get(1);
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	return (syscall(SYS_capset, &hdr, data));
}

/*
 * Keep caps and no more; nor can an exec give any back. Fatal if it
 * fails: the process would hold more than it says.
 */
void
privdrop_keep(uint64_t caps)
{
	/* Ambient capabilities (4.3+) and no_new_privs (3.5+): if known. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (privdrop_set(caps) != 0)
		fatal("capset");
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The bounding set, for every process to come: only caps. */
static void
privdrop_bound(uint64_t caps)
{
	int	 cap, last = privdrop_last_cap();

	for (cap = 0; cap <= last; cap++) {
		/* Without CAP_SETPCAP (a container): the sets still hold. */
		if (!(caps & 1ULL << cap) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			log_debug("the bounding set stays: %s",
			    strerror(errno));
			return;
		}
	}
}

/*
 * Become uid and gid, keeping the capabilities a change of user clears;
 * the drop directory becomes theirs first, so that they can write it.
 */
static void
privdrop_user(struct dropdir *dd, uid_t uid, gid_t gid, gid_t group)
{
	if (fchown(dropdir_fd(dd), uid, group != (gid_t)-1 ? group : gid) != 0)
		fatal("giving %s to uid %u", dropdir_path(dd), (unsigned)uid);
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0)
		fatal("setting the group to %u", (unsigned)gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		fatal("prctl(PR_SET_KEEPCAPS)");
	if (setresuid(uid, uid, uid) != 0)
		fatal("setting the user to %u", (unsigned)uid);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* In the daemon, once all is open: its own user, and read access. */
void
privdrop_daemon(const struct daemon_config *dc, struct dropdir *dd)
{
	uint64_t	 caps = privdrop_read_caps();

	privdrop_bound(caps);
	if (dc->user != NULL)
		privdrop_user(dd, dc->uid, dc->gid, dc->group);
	privdrop_keep(caps);
	log_debug("privileges dropped: running as uid %u with capabilities "
	    "%#llx", (unsigned)getuid(),
	    (unsigned long long)privdrop_effective());
}
