/*
 * The command's side: a private mount namespace with tracing where the
 * emulated kernel had it, the seccomp filter that sends its calls to the
 * supervisor, then the command itself.
 */

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "kemu.h"

#define TRACING		"/sys/kernel/tracing"
#define DEBUGFS		"/sys/kernel/debug"

/* The child's failures before exec, told apart from the command's. */
#define CHILD_FAILED	125

#define ARG1_LOW	(offsetof(struct seccomp_data, args[1]))

static struct sock_filter child_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	/* x32 calls share numbers with other meanings: let them be. */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 6, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 6, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mount, 5, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_uname, 4, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 2),
	/* The request is an unsigned int: its low word is all that counts. */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LOW),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PERF_EVENT_IOC_ID, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};

static int
child_is_fs(const char *path, long magic)
{
	struct statfs	 sf;

	return (statfs(path, &sf) == 0 && sf.f_type == magic);
}

/*
 * Tracing as the kernel had it: debugfs at /sys/kernel/debug, as
 * distributions mount it, with tracing under it (the host mounts its
 * tracefs there); and tracefs at /sys/kernel/tracing from 4.1 on, or
 * before that nothing there: an empty, read-only tmpfs over it.
 */
static void
child_tracing(const struct kemu_kernel *k)
{
	if (unshare(CLONE_NEWNS) == -1)
		err(CHILD_FAILED, "unshare(CLONE_NEWNS) (kemu needs root)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(CHILD_FAILED, "make mounts private");
	if (!child_is_fs(DEBUGFS, DEBUGFS_MAGIC) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL) == -1)
		err(CHILD_FAILED, "mount debugfs at %s", DEBUGFS);
	if (k->tracefs) {
		if (!child_is_fs(TRACING, TRACEFS_MAGIC) &&
		    mount("nodev", TRACING, "tracefs", 0, NULL) == -1)
			err(CHILD_FAILED, "mount tracefs at %s", TRACING);
		return;
	}
	while (umount2(TRACING, MNT_DETACH) == 0)
		;
	if (mount("tmpfs", TRACING, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "mode=755,size=4k") == -1 && errno != ENOENT)
		err(CHILD_FAILED, "hide %s", TRACING);
}

static int
child_filter_install(void)
{
	struct sock_fprog	 prog = {
		.len = sizeof child_filter / sizeof child_filter[0],
		.filter = child_filter,
	};
	int			 fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd == -1)
		err(CHILD_FAILED, "seccomp user notification (Linux 5.5+)");
	return (fd);
}

static void
child_send_fd(int sock, int fd)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	char		 byte = 0;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 control;

	memset(&msg, 0, sizeof msg);
	memset(&control, 0, sizeof control);
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	if (sendmsg(sock, &msg, 0) != 1)
		err(CHILD_FAILED, "send the listener");
}

static int
child_recv_fd(int sock)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	char		 byte;
	int		 fd;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 control;

	memset(&msg, 0, sizeof msg);
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1 ||
	    (cmsg = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cmsg->cmsg_type != SCM_RIGHTS)
		return (-1);
	memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
	return (fd);
}

static void __attribute__((noreturn))
child_run(const struct kemu_kernel *k, char **argv, int sock)
{
	sigset_t	 all;
	int		 fd;

	/* The supervisor blocked the signals it passes on; the command not. */
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	child_tracing(k);
	fd = child_filter_install();
	child_send_fd(sock, fd);
	close(fd);
	close(sock);
	execvp(argv[0], argv);
	err(errno == ENOENT ? 127 : 126, "%s", argv[0]);
}

/* Start argv as under k; the supervisor's end of its filter in *listener. */
int
child_start(const struct kemu_kernel *k, char **argv, int *listener)
{
	int	 sv[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(CHILD_FAILED, "socketpair");
	if ((pid = fork()) == -1)
		err(CHILD_FAILED, "fork");
	if (pid == 0) {
		close(sv[0]);
		child_run(k, argv, sv[1]);
	}
	close(sv[1]);
	*listener = child_recv_fd(sv[0]);
	close(sv[0]);
	return (pid);
}
