/*
 * A thread with a known off-CPU profile. Each round the worker sleeps
 * ~30 ms, blocks on a pipe ~20 ms, waits ~10 ms for a mutex another
 * thread holds, and burns ~5 ms of CPU. A second thread only sleeps.
 * At exit it prints what the waits took, in ms per round, as measured
 * around them: "rounds N sleep MS pipe MS lock MS".
 * Usage: waiter SECONDS
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int		 pipefd[2];
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 step = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 stepped = PTHREAD_COND_INITIALIZER;
static int		 phase;
static volatile int	 done;

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static double
now(clockid_t clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Ask the helper to do something for the next wait. */
static void
signal_helper(int what)
{
	pthread_mutex_lock(&step);
	phase = what;
	pthread_cond_signal(&stepped);
	pthread_mutex_unlock(&step);
}

static __attribute__((noinline)) void
wait_sleep(void)
{
	sleep_ms(30);
}

static __attribute__((noinline)) void
wait_pipe(void)
{
	char	 c;

	signal_helper(1);
	if (read(pipefd[0], &c, 1) != 1)
		abort();
}

static __attribute__((noinline)) void
wait_lock(void)
{
	signal_helper(2);
	/* The helper takes the lock first and holds it ~10 ms. */
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 3)
		sched_yield();
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

static __attribute__((noinline)) void
burn(void)
{
	double	 end = now(CLOCK_THREAD_CPUTIME_ID) + 0.005;

	while (now(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void *
helper(void *arg)
{
	int	 what;

	for (;;) {
		pthread_mutex_lock(&step);
		while (phase != 1 && phase != 2 && !done)
			pthread_cond_wait(&stepped, &step);
		what = phase;
		phase = 0;
		pthread_mutex_unlock(&step);
		if (done)
			return (NULL);
		if (what == 1) {
			sleep_ms(20);
			if (write(pipefd[1], "x", 1) != 1)
				abort();
		} else {
			pthread_mutex_lock(&lock);
			__atomic_store_n(&phase, 3, __ATOMIC_RELEASE);
			sleep_ms(10);
			pthread_mutex_unlock(&lock);
		}
	}
}

static double	 took[3];
static long	 rounds;

static __attribute__((noinline)) void *
worker(void *arg)
{
	double	 end = *(double *)arg, t0, t1, t2, t3;

	while ((t0 = now(CLOCK_MONOTONIC)) < end) {
		wait_sleep();
		t1 = now(CLOCK_MONOTONIC);
		wait_pipe();
		t2 = now(CLOCK_MONOTONIC);
		wait_lock();
		t3 = now(CLOCK_MONOTONIC);
		burn();
		took[0] += t1 - t0;
		took[1] += t2 - t1;
		took[2] += t3 - t2;
		rounds++;
	}
	return (NULL);
}

static __attribute__((noinline)) void *
sleeper(void *arg)
{
	double	 end = *(double *)arg;

	while (now(CLOCK_MONOTONIC) < end)
		sleep_ms(50);
	return (NULL);
}

int
main(int argc, char **argv)
{
	pthread_t	 w, h, s;
	double		 end;

	end = now(CLOCK_MONOTONIC) + (argc > 1 ? atof(argv[1]) : 5);
	if (pipe(pipefd) != 0)
		return (1);
	pthread_create(&h, NULL, helper, NULL);
	pthread_create(&s, NULL, sleeper, &end);
	pthread_create(&w, NULL, worker, &end);
	pthread_setname_np(w, "worker");
	pthread_setname_np(s, "sleeper");
	pthread_setname_np(h, "helper");
	pthread_join(w, NULL);
	pthread_join(s, NULL);
	pthread_mutex_lock(&step);
	done = 1;
	pthread_cond_signal(&stepped);
	pthread_mutex_unlock(&step);
	pthread_join(h, NULL);
	printf("rounds %ld sleep %.3f pipe %.3f lock %.3f\n", rounds,
	    1e3 * took[0] / rounds, 1e3 * took[1] / rounds,
	    1e3 * took[2] / rounds);
	return (0);
}
