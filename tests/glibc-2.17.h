/*
 * glibc-2.17.h: makes this machine's headers look like RHEL/CentOS 7's
 * (glibc 2.17, Linux 3.10's headers, gcc 4.8) to a build that is given
 * "-include tests/glibc-2.17.h" (tests/run-old-userland.sh does).
 *
 * Functions glibc added after 2.17 are poisoned: any use of the name is
 * an error. #pragma GCC poison also fires on a declaration met later, in
 * a system header too, so the headers that declare them are included
 * first (their guards keep them from being read again). Macros that came
 * later (glibc's and Linux's after 3.10) are undefined, so that a use
 * needs the project's own fallback. The version beside each name is the
 * glibc release that added it (its symbol version in libc.so.6, or NEWS).
 *
 * What it cannot do: hide struct members or enum values of newer headers
 * (the project takes the perf ABI from src/linux_abi.h, not from
 * linux/perf_event.h), or catch a library call through a macro defined
 * before the poisoning.
 */

#ifndef PROFDROP_GLIBC_217_H
#define PROFDROP_GLIBC_217_H

/* Every file of the project is built with it (AM_CPPFLAGS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __has_include
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#endif
#if __has_include(<sys/pidfd.h>)
#include <sys/pidfd.h>
#endif
#if __has_include(<threads.h>)
#include <threads.h>
#endif
#endif

/* glibc 2.18 */
#pragma GCC poison pthread_getattr_default_np pthread_setattr_default_np
/* glibc 2.25 */
#pragma GCC poison explicit_bzero getentropy getrandom
#pragma GCC poison strfromd strfromf strfroml
/* glibc 2.26 */
#pragma GCC poison reallocarray preadv2 pwritev2
/* glibc 2.27 */
#pragma GCC poison memfd_create mlock2 copy_file_range
#pragma GCC poison pkey_alloc pkey_free pkey_get pkey_set pkey_mprotect
/* glibc 2.28 */
#pragma GCC poison statx renameat2
#pragma GCC poison thrd_create thrd_current thrd_detach thrd_equal thrd_exit
#pragma GCC poison thrd_join thrd_sleep thrd_yield call_once
#pragma GCC poison mtx_init mtx_lock mtx_timedlock mtx_trylock mtx_unlock
#pragma GCC poison mtx_destroy cnd_init cnd_signal cnd_broadcast cnd_wait
#pragma GCC poison cnd_timedwait cnd_destroy tss_create tss_get tss_set
#pragma GCC poison tss_delete
/* glibc 2.29 */
#pragma GCC poison getcpu
#pragma GCC poison posix_spawn_file_actions_addchdir_np
#pragma GCC poison posix_spawn_file_actions_addfchdir_np
/* glibc 2.30 */
#pragma GCC poison gettid tgkill getdents64 sem_clockwait
#pragma GCC poison pthread_cond_clockwait pthread_mutex_clocklock
#pragma GCC poison pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock
/* glibc 2.31 */
#pragma GCC poison pthread_clockjoin_np
/* glibc 2.32 */
#pragma GCC poison sigabbrev_np sigdescr_np strerrorname_np strerrordesc_np
#pragma GCC poison pthread_attr_getsigmask_np pthread_attr_setsigmask_np
/* glibc 2.33 */
#pragma GCC poison mallinfo2
/* glibc 2.34 */
#pragma GCC poison close_range closefrom execveat _Fork timespec_getres
#pragma GCC poison posix_spawn_file_actions_addclosefrom_np
/* glibc 2.35 */
#pragma GCC poison epoll_pwait2
/* glibc 2.36 */
#pragma GCC poison pidfd_open pidfd_getfd pidfd_send_signal
#pragma GCC poison process_madvise process_mrelease
#pragma GCC poison fsopen fsmount fsconfig fspick open_tree move_mount
#pragma GCC poison mount_setattr arc4random arc4random_buf arc4random_uniform
/*
 * glibc 2.38: strlcpy and strlcat are not poisoned: the project defines
 * its own when configure finds none (HAVE_STRLCPY), and the test runs
 * configure with ac_cv_func_strlcpy=no so that it does.
 */
/* glibc 2.39 */
#pragma GCC poison pidfd_spawn pidfd_spawnp pidfd_getpid

/* gcc 4.8 (RHEL 7) has none of these: 4.9, 5 and 9 added them. */
#pragma GCC poison _Atomic _Thread_local _Generic __auto_type
#pragma GCC poison __builtin_add_overflow __builtin_sub_overflow
#pragma GCC poison __builtin_mul_overflow __builtin_expect_with_probability

/* Macros of glibc after 2.17. */
#undef MFD_CLOEXEC		/* 2.27, with memfd_create */
#undef MFD_ALLOW_SEALING
#undef MFD_HUGETLB
#undef MLOCK_ONFAULT		/* 2.27 */
#undef GRND_NONBLOCK		/* 2.25 */
#undef GRND_RANDOM
#undef O_TMPFILE		/* 2.19 */
#undef F_OFD_GETLK		/* 2.20 */
#undef F_OFD_SETLK
#undef F_OFD_SETLKW
#undef CLOCK_TAI		/* 2.21 */
#undef RENAME_NOREPLACE		/* 2.28 */
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT
#undef MAP_FIXED_NOREPLACE	/* 2.28 */
#undef MAP_SHARED_VALIDATE
#undef MAP_SYNC
#undef AT_STATX_SYNC_AS_STAT	/* 2.28 */
#undef STATX_BASIC_STATS

/* System calls after Linux 3.10, and their names in <sys/syscall.h>. */
#undef __NR_sched_setattr		/* 3.14 */
#undef SYS_sched_setattr
#undef __NR_sched_getattr
#undef SYS_sched_getattr
#undef __NR_renameat2			/* 3.15 */
#undef SYS_renameat2
#undef __NR_seccomp			/* 3.17 */
#undef SYS_seccomp
#undef __NR_getrandom
#undef SYS_getrandom
#undef __NR_memfd_create
#undef SYS_memfd_create
#undef __NR_bpf				/* 3.18 */
#undef SYS_bpf
#undef __NR_execveat			/* 3.19 */
#undef SYS_execveat
#undef __NR_userfaultfd			/* 4.3 */
#undef SYS_userfaultfd
#undef __NR_membarrier
#undef SYS_membarrier
#undef __NR_mlock2			/* 4.4 */
#undef SYS_mlock2
#undef __NR_copy_file_range		/* 4.5 */
#undef SYS_copy_file_range
#undef __NR_preadv2			/* 4.6 */
#undef SYS_preadv2
#undef __NR_pwritev2
#undef SYS_pwritev2
#undef __NR_statx			/* 4.11 */
#undef SYS_statx
#undef __NR_rseq			/* 4.18 */
#undef SYS_rseq
#undef __NR_pidfd_send_signal		/* 5.1 */
#undef SYS_pidfd_send_signal
#undef __NR_io_uring_setup
#undef SYS_io_uring_setup
#undef __NR_pidfd_open			/* 5.3 */
#undef SYS_pidfd_open
#undef __NR_clone3
#undef SYS_clone3
#undef __NR_openat2			/* 5.6 */
#undef SYS_openat2
#undef __NR_pidfd_getfd
#undef SYS_pidfd_getfd
#undef __NR_close_range			/* 5.9 */
#undef SYS_close_range
#undef __NR_process_madvise		/* 5.10 */
#undef SYS_process_madvise

#endif
