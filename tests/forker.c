/*
 * forker: a parent that forks a child and exits with a known status.
 *
 * The parent spends PARENT_MS of CPU time in parent_burn, then waits for
 * the child, which spends CHILD_MS of CPU time in child_burn and exits 0;
 * the parent then exits with STATUS.
 *
 * usage: forker PARENT_MS CHILD_MS STATUS
 */

#include <sys/wait.h>

#include <unistd.h>

#include "testprog.h"

#define USAGE	"forker PARENT_MS CHILD_MS STATUS"

void	parent_burn(long long);
void	child_burn(long long);

volatile unsigned long sink;

/* Spend ms of this process's CPU time in the caller's frame. */
#define BURN_CPU(ms) do {						\
	long long	end_;						\
									\
	end_ = clock_ns(CLOCK_PROCESS_CPUTIME_ID) + (ms) * 1000000LL;	\
	SPIN_UNTIL(CLOCK_PROCESS_CPUTIME_ID, end_, sink);		\
} while (0)

NOINLINE void
parent_burn(long long ms)
{
	BURN_CPU(ms);
}

NOINLINE void
child_burn(long long ms)
{
	BURN_CPU(ms);
}

int
main(int argc, char **argv)
{
	long long	parent_ms, child_ms, status;
	pid_t		pid;
	int		wstatus;

	if (argc != 4) {
		fprintf(stderr, "usage: %s\n", USAGE);
		return 2;
	}
	parent_ms = count_arg(argv[1], 0, USAGE);
	child_ms = count_arg(argv[2], 0, USAGE);
	status = count_arg(argv[3], 0, USAGE);
	if ((pid = fork()) == -1) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		child_burn(child_ms);
		_exit(0);
	}
	parent_burn(parent_ms);
	if (waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) ||
	    WEXITSTATUS(wstatus) != 0) {
		fprintf(stderr, "forker: the child failed\n");
		return 1;
	}
	return (int)status;
}
