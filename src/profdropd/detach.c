/* Leave the terminal: fork first, report readiness or failure to it. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "profdropd.h"

/*
 * The kernel does not copy perf rings into a child (VM_DONTCOPY), so the
 * daemon forks before it opens anything. The parent waits for a byte
 * saying all is open and exits 0, or for end of file, which says the
 * child failed and has already printed why; it then exits 1.
 * Returns, in the child, the descriptor detach_ready() writes to.
 */
int
detach_begin(void)
{
	int	 p[2];
	char	 ok;
	ssize_t	 n;

	if (pipe2(p, O_CLOEXEC) != 0)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(p[0]);
		if (setsid() == -1)
			fatal("setsid");
		return (p[1]);
	}
	close(p[1]);
	do
		n = read(p[0], &ok, 1);
	while (n == -1 && errno == EINTR);
	_exit(n == 1 ? 0 : 1);
}

/* All is open: tell the parent, and let go of the terminal. */
void
detach_ready(int fd)
{
	int	 null;

	if (chdir("/") != 0)
		fatal("chdir /");
	if ((null = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	if (write(fd, "", 1) != 1)
		log_warn("telling the starting process it runs");
	close(fd);
}
