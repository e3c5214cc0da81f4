/*
 * A command to profile: started held before its exec, so that the events
 * can be opened on it first, then released, and its end told as a shell
 * tells it.
 */

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* In the child: wait for the word, then become the command. */
static void
command_child(char **argv, int hold)
{
	char	 go;
	int	 error;

	if (read(hold, &go, 1) != 1)
		_exit(127);	/* the capture was given up */
	close(hold);
	execvp(argv[0], argv);
	error = errno;
	fprintf(stderr, "profdrop record: %s: %s\n", argv[0], strerror(error));
	/* As shells say it: found but not runnable, or not found. */
	_exit(error == ENOENT ? 127 : 126);
}

/*
 * Fork the command, held before its exec until command_release(); its
 * pid, or -1 with *cause set.
 */
pid_t
command_start(char **argv, struct command *cmd, char **cause)
{
	int	 fds[2];

	if (pipe(fds) != 0) {
		*cause = alloc_printf("pipe: %s", strerror(errno));
		return (-1);
	}
	fflush(NULL);
	if ((cmd->pid = fork()) == -1) {
		*cause = alloc_printf("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	if (cmd->pid == 0) {
		close(fds[1]);
		command_child(argv, fds[0]);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	cmd->release = fds[1];
	cmd->exited = 0;
	cmd->status = 0;
	return (cmd->pid);
}

/* Let the command run: it execs now. */
void
command_release(struct command *cmd)
{
	char	 go = 1;

	if (write(cmd->release, &go, 1) != 1)
		perror("profdrop record: releasing the command");
	close(cmd->release);
	cmd->release = -1;
}

/* Give up a command not released: it exits without running. */
void
command_abandon(struct command *cmd)
{
	close(cmd->release);
	cmd->release = -1;
	command_wait(cmd, 0);
}

/* Has the command exited? With block, wait until it has. */
int
command_wait(struct command *cmd, int block)
{
	pid_t	 rc;

	while (!cmd->exited) {
		rc = waitpid(cmd->pid, &cmd->status, block ? 0 : WNOHANG);
		if (rc == cmd->pid)
			cmd->exited = 1;
		else if (rc == 0 || (rc == -1 && errno != EINTR))
			break;
	}
	return (cmd->exited);
}

/* Its exit status as a shell gives it: 128 + N for a death by signal N. */
int
command_status(const struct command *cmd)
{
	if (WIFSIGNALED(cmd->status))
		return (128 + WTERMSIG(cmd->status));
	return (WEXITSTATUS(cmd->status));
}
