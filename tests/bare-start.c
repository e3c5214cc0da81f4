/*
 * A program whose entry code has no CFI, as musl's _start has none: the
 * unwinder's walk ends there without the root frame saying so. It spins
 * in bare_hot, called from bare_main, called from start_c, called from
 * _start, for the seconds given.
 */

#include <unistd.h>

#include "testprog.h"

/*
 * Entry: clear the frame pointer, align the stack, call start_c(sp).
 * Typed as a function so that it is named (musl's is a bare label).
 */
__asm__(".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call start_c\n"
    "	hlt\n");

static volatile unsigned long sink;

NOINLINE static void
bare_hot(long long end)
{
	SPIN_UNTIL(CLOCK_MONOTONIC, end, sink);
}

NOINLINE static int
bare_main(int argc, char **argv)
{
	long long	 secs;

	if (argc != 2)
		return (2);
	secs = count_arg(argv[1], 1, "usage: bare-start SECONDS");
	bare_hot(clock_ns(CLOCK_MONOTONIC) + secs * 1000000000LL);
	return (0);
}

NOINLINE void
start_c(long *sp)
{
	_exit(bare_main((int)sp[0], (char **)(sp + 1)));
}
