/*
 * kemu [-l LOG] KERNEL -- COMMAND ARGS...: run COMMAND (and what it
 * forks) as if on an old kernel, for tests of the fallbacks made for it.
 * Its perf_event_open, ioctl(PERF_EVENT_IOC_ID), mount and uname calls
 * stop in a seccomp filter and come here; what the old kernel would have
 * refused is answered with its errno, the rest goes on to the host kernel.
 * Every answer is one line in LOG; kemu exits with COMMAND's status.
 * kemu -L lists the kernels it knows.
 */

#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kemu.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif

#define CAP_SYS_ADMIN_BIT	21

struct kemu {
	const struct kemu_kernel *k;
	FILE			*log;
	int			 listener;
	struct seccomp_notif	*req;
	struct seccomp_notif_resp *resp;
	size_t			 req_size;
	size_t			 resp_size;
	/* Answers given, for the last line of the log. */
	unsigned		 einval, e2big, enotty, enodev, efault;
	unsigned		 uname, cleared, continued;
};

static void __attribute__((format(printf, 2, 3)))
kemu_log(struct kemu *s, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(s->log, "kemu: ");
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fprintf(s->log, "\n");
}

static const char *
kemu_errname(int error)
{
	switch (error) {
	case EINVAL:
		return ("EINVAL");
	case E2BIG:
		return ("E2BIG");
	case ENOTTY:
		return ("ENOTTY");
	case ENODEV:
		return ("ENODEV");
	case EFAULT:
		return ("EFAULT");
	}
	return ("?");
}

/* Answer with error, counted; the caller has logged why. */
static void
kemu_answer(struct kemu *s, int error)
{
	s->resp->error = -error;
	switch (error) {
	case EINVAL:
		s->einval++;
		break;
	case E2BIG:
		s->e2big++;
		break;
	case ENOTTY:
		s->enotty++;
		break;
	case ENODEV:
		s->enodev++;
		break;
	case EFAULT:
		s->efault++;
		break;
	}
}

static void
kemu_continue(struct kemu *s)
{
	s->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	s->continued++;
}

/* Is the call still waiting? Its pid may belong to another task by now. */
static int
kemu_valid(struct kemu *s)
{
	return (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID,
	    &s->req->id) == 0);
}

/*
 * Read len bytes at addr in pid, or as many as its first page holds when
 * the next is not mapped: process_vm_readv never splits an iovec, so the
 * remote range is cut where the first page ends.
 */
static ssize_t
kemu_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec	 local = { buf, len };
	struct iovec	 remote[2];
	size_t		 first;

	first = KEMU_PAGE_SIZE - addr % KEMU_PAGE_SIZE;
	if (first > len)
		first = len;
	remote[0].iov_base = (void *)(uintptr_t)addr;
	remote[0].iov_len = first;
	remote[1].iov_base = (void *)(uintptr_t)(addr + first);
	remote[1].iov_len = len - first;
	return (process_vm_readv(pid, &local, 1, remote, len > first ? 2 : 1,
	    0));
}

static int
kemu_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec	 local = { (void *)buf, len };
	struct iovec	 remote = { (void *)(uintptr_t)addr, len };

	return (process_vm_writev(pid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)len ? 0 : -1);
}

static void
kemu_perf_open(struct kemu *s)
{
	const struct seccomp_data *d = &s->req->data;
	pid_t			 pid = s->req->pid;
	unsigned char		 attr[KEMU_PAGE_SIZE];
	static const unsigned char zero[KEMU_PAGE_SIZE];
	struct kemu_verdict	 v;
	uint32_t		 size, want;
	size_t			 len = 0;

	/* The size first, then as much of the attr as it says. */
	memset(attr, 0, sizeof attr);
	if (kemu_read(pid, d->args[0], attr, 8) == 8) {
		len = 8;
		memcpy(&size, attr + 4, sizeof size);
		want = size == 0 ? KEMU_ATTR_SIZE_VER0 : size;
		if (want >= KEMU_ATTR_SIZE_VER0 && want <= KEMU_PAGE_SIZE &&
		    kemu_read(pid, d->args[0], attr, want) == want)
			len = want;
	}
	rules_perf_open(s->k, attr, len, d->args[4], &v);
	if (!kemu_valid(s))
		return;
	if (v.error != 0) {
		/* The kernel tells the caller the size it knows. */
		if (v.error == E2BIG)
			kemu_write(pid, d->args[0] + 4, &v.size, sizeof v.size);
		kemu_log(s, "perf_event_open: %s: %s", kemu_errname(v.error),
		    v.why);
		kemu_answer(s, v.error);
		return;
	}
	if (v.clear_to > v.clear_from) {
		if (kemu_write(pid, d->args[0] + v.clear_from, zero,
		    v.clear_to - v.clear_from) == 0) {
			kemu_log(s, "perf_event_open: IGNORED: %s", v.why);
			s->cleared++;
		}
	} else if (v.why[0] != '\0')
		kemu_log(s, "perf_event_open: UNEMULATED: %s", v.why);
	kemu_continue(s);
}

/* PERF_EVENT_IOC_ID alone is sent here; on a perf event, it is 3.12's. */
static void
kemu_ioctl(struct kemu *s)
{
	char	 path[64], link[64];
	ssize_t	 n;

	snprintf(path, sizeof path, "/proc/%u/fd/%d", s->req->pid,
	    (int)s->req->data.args[0]);
	n = readlink(path, link, sizeof link - 1);
	if (n < 0)
		n = 0;
	link[n] = '\0';
	if (!kemu_valid(s))
		return;
	if (s->k->ioc_id || strcmp(link, "anon_inode:[perf_event]") != 0) {
		kemu_continue(s);
		return;
	}
	kemu_log(s, "ioctl PERF_EVENT_IOC_ID: ENOTTY");
	kemu_answer(s, ENOTTY);
}

static int
kemu_capable(pid_t pid)
{
	char			 path[64], line[256];
	unsigned long long	 caps = 0;
	FILE			*f;

	snprintf(path, sizeof path, "/proc/%u/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	}
	fclose(f);
	return ((caps >> CAP_SYS_ADMIN_BIT) & 1);
}

/* Does the mount's target exist, as the caller sees its files? */
static int
kemu_target(pid_t pid, uint64_t addr)
{
	char		 dir[PATH_MAX], path[PATH_MAX + 64];
	struct stat	 sb;
	ssize_t		 n;

	if ((n = kemu_read(pid, addr, dir, sizeof dir - 1)) <= 0)
		return (0);
	dir[n] = '\0';
	if (dir[0] == '/')
		snprintf(path, sizeof path, "/proc/%u/root%s", pid, dir);
	else
		snprintf(path, sizeof path, "/proc/%u/cwd/%s", pid, dir);
	return (stat(path, &sb) == 0);
}

/*
 * tracefs is 4.1's. A kernel without it says ENODEV, but only after
 * finding the caller may mount and the target exists.
 */
static void
kemu_mount(struct kemu *s)
{
	const struct seccomp_data *d = &s->req->data;
	char			 type[16];
	ssize_t			 n = 0;
	int			 refuse;

	memset(type, 0, sizeof type);
	if (d->args[2] != 0)
		n = kemu_read(s->req->pid, d->args[2], type, sizeof type - 1);
	refuse = !s->k->tracefs && n > 0 && strcmp(type, "tracefs") == 0 &&
	    kemu_capable(s->req->pid) && kemu_target(s->req->pid, d->args[1]);
	if (!kemu_valid(s))
		return;
	if (!refuse) {
		kemu_continue(s);
		return;
	}
	kemu_log(s, "mount tracefs: ENODEV");
	kemu_answer(s, ENODEV);
}

/* No way to change what the host answers: answer it whole. */
static void
kemu_uname(struct kemu *s)
{
	struct utsname	 u;

	if (uname(&u) == -1)
		err(1, "uname");
	snprintf(u.release, sizeof u.release, "%s", s->k->release);
	snprintf(u.version, sizeof u.version, "%s", s->k->version);
	if (!kemu_valid(s))
		return;
	if (kemu_write(s->req->pid, s->req->data.args[0], &u, sizeof u) == -1) {
		kemu_log(s, "uname: EFAULT");
		kemu_answer(s, EFAULT);
		return;
	}
	kemu_log(s, "uname: %s", s->k->release);
	s->uname++;
}

static void
kemu_notify(struct kemu *s)
{
	memset(s->req, 0, s->req_size);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, s->req) == -1) {
		/* The caller may be gone already. */
		if (errno == EINTR || errno == ENOENT)
			return;
		err(1, "SECCOMP_IOCTL_NOTIF_RECV");
	}
	memset(s->resp, 0, s->resp_size);
	s->resp->id = s->req->id;
	switch (s->req->data.nr) {
	case __NR_perf_event_open:
		kemu_perf_open(s);
		break;
	case __NR_ioctl:
		kemu_ioctl(s);
		break;
	case __NR_mount:
		kemu_mount(s);
		break;
	case __NR_uname:
		kemu_uname(s);
		break;
	default:
		kemu_continue(s);
		break;
	}
	/* A caller gone meanwhile is nobody to answer: ENOENT. */
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp) == -1 &&
	    errno != ENOENT)
		err(1, "SECCOMP_IOCTL_NOTIF_SEND");
}

static void
kemu_sizes(struct kemu *s)
{
	struct seccomp_notif_sizes	 sizes;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == -1)
		err(1, "SECCOMP_GET_NOTIF_SIZES");
	s->req_size = sizes.seccomp_notif > sizeof *s->req ?
	    sizes.seccomp_notif : sizeof *s->req;
	s->resp_size = sizes.seccomp_notif_resp > sizeof *s->resp ?
	    sizes.seccomp_notif_resp : sizeof *s->resp;
	if ((s->req = calloc(1, s->req_size)) == NULL ||
	    (s->resp = calloc(1, s->resp_size)) == NULL)
		err(1, NULL);
}

/* Serve the command's calls until it exits; its wait status. */
static int
kemu_serve(struct kemu *s, pid_t pid, int sigfd)
{
	struct pollfd			 pfd[3];
	struct signalfd_siginfo		 si;
	int				 status, pidfd;

	if ((pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1)
		err(1, "pidfd_open");
	pfd[0].fd = s->listener;
	pfd[1].fd = sigfd;
	pfd[2].fd = pidfd;
	for (;;) {
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (pfd[0].revents & POLLIN)
			kemu_notify(s);
		else if (pfd[0].revents & (POLLHUP | POLLERR))
			pfd[0].fd = -1;
		if ((pfd[1].revents & POLLIN) &&
		    read(sigfd, &si, sizeof si) == sizeof si)
			kill(pid, si.ssi_signo);
		if (pfd[2].revents & POLLIN)
			break;
	}
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	close(pidfd);
	return (status);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: kemu [-l log] kernel -- command [arg ...]\n"
	    "       kemu -L\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct kemu	 s;
	sigset_t	 pass;
	const char	*logpath = NULL;
	int		 ch, sigfd, status;
	pid_t		 pid;

	memset(&s, 0, sizeof s);
	while ((ch = getopt(argc, argv, "+l:L")) != -1) {
		switch (ch) {
		case 'l':
			logpath = optarg;
			break;
		case 'L':
			kernels_list(stdout);
			return (0);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((s.k = kernels_find(argv[0])) == NULL)
		errx(2, "no kernel %s (kemu -L lists them)", argv[0]);
	argc--;
	argv++;
	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1)
		usage();
	s.log = stderr;
	if (logpath != NULL && (s.log = fopen(logpath, "ae")) == NULL)
		err(2, "%s", logpath);
	setvbuf(s.log, NULL, _IOLBF, 0);
	kemu_sizes(&s);

	/* Signals for the command come through a descriptor, passed on. */
	sigemptyset(&pass);
	sigaddset(&pass, SIGTERM);
	sigaddset(&pass, SIGINT);
	sigaddset(&pass, SIGHUP);
	sigaddset(&pass, SIGQUIT);
	sigaddset(&pass, SIGUSR1);
	sigaddset(&pass, SIGUSR2);
	sigprocmask(SIG_BLOCK, &pass, NULL);
	if ((sigfd = signalfd(-1, &pass, SFD_CLOEXEC)) == -1)
		err(1, "signalfd");

	pid = child_start(s.k, argv, &s.listener);
	if (s.listener == -1) {
		/* The child said why. */
		waitpid(pid, &status, 0);
		return (WIFEXITED(status) ? WEXITSTATUS(status) : 125);
	}
	signal(SIGPIPE, SIG_IGN);
	status = kemu_serve(&s, pid, sigfd);
	kemu_log(&s, "counts: EINVAL=%u E2BIG=%u ENOTTY=%u ENODEV=%u "
	    "EFAULT=%u uname=%u cleared=%u continued=%u", s.einval, s.e2big,
	    s.enotty, s.enodev, s.efault, s.uname, s.cleared, s.continued);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}
