/*
 * The daemon's own metrics, written after every window to --metrics-file
 * in the Prometheus text format, for node_exporter's textfile collector:
 * names profdrop_*, counters ending in _total, no timestamps. The file is
 * replaced whole (written beside it, then renamed), so a scrape never
 * reads half of it.
 */

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profdropd.h"

/* One metric: its name, type and help, then its value lines. */
static void
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	metrics_head(f, name, "counter", help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void
metrics_counter_seconds(FILE *f, const char *name, const char *help, double v)
{
	metrics_head(f, name, "counter", help);
	fprintf(f, "%s %.9f\n", name, v);
}

static void
metrics_gauge(FILE *f, const char *name, const char *help, double v)
{
	metrics_head(f, name, "gauge", help);
	fprintf(f, "%s %.17g\n", name, v);
}

static double
metrics_seconds(const struct timeval *tv)
{
	return (tv->tv_sec + tv->tv_usec / 1e6);
}

/* This process's resident bytes; 0 if /proc does not say. */
size_t
metrics_resident(void)
{
	unsigned long	 size, resident = 0;
	FILE		*f;

	if ((f = fopen("/proc/self/statm", "re")) != NULL) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (resident * (size_t)sysconf(_SC_PAGESIZE));
}

/* The uploader's counters, when there is one. */
static void
metrics_upload(FILE *f, const struct upload_stats *u,
    const struct dropdir_stats *drops)
{
	int64_t	 now = time(NULL);

	metrics_counter(f, "profdrop_upload_files_sent_total",
	    "Files the server took.", u->files_sent);
	metrics_counter(f, "profdrop_upload_files_failed_total",
	    "Files moved to failed/: refused, or too old to send.",
	    u->files_failed);
	metrics_counter(f, "profdrop_upload_files_removed_unsent_total",
	    "Files retention removed before they were sent.",
	    drops->files_unsent);
	metrics_counter(f, "profdrop_upload_retries_total",
	    "Requests that failed and were tried again later.", u->retries);
	metrics_counter(f, "profdrop_upload_bytes_sent_total",
	    "Bytes of the requests the server took.", u->bytes_sent);
	metrics_counter(f, "profdrop_upload_parts_sent_total",
	    "Requests the server took (a file is one part or more).",
	    u->parts_sent);
	metrics_counter(f, "profdrop_upload_parts_resent_total",
	    "Parts sent again after a restart, the server's answer unknown.",
	    u->parts_resent);
	metrics_counter(f, "profdrop_upload_restarts_total",
	    "Times the uploader process exited and was started again.",
	    u->restarts);
	metrics_gauge(f, "profdrop_upload_queue_files",
	    "Files waiting to be sent.", u->queue);
	metrics_gauge(f, "profdrop_upload_oldest_unsent_seconds",
	    "Age of the oldest file waiting, from its window's start; 0 if "
	    "none waits.", u->oldest != 0 && now > u->oldest ?
	    (double)(now - u->oldest) : 0);
	metrics_gauge(f, "profdrop_upload_last_success_timestamp_seconds",
	    "When the server last took a file (Unix time); 0: never.",
	    (double)u->last_success);
}

static void
metrics_print(FILE *f, const struct metrics *m)
{
	const struct pd_counters	*c = m->counters;
	struct rusage			 self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	metrics_counter(f, "profdrop_samples_total",
	    "CPU samples the kernel delivered.", c->samples);
	metrics_counter(f, "profdrop_samples_kept_total",
	    "CPU samples of the processes profiled (after --pid).",
	    c->samples_kept);
	metrics_counter(f, "profdrop_samples_idle_total",
	    "CPU samples of the idle task, left out of the profiles (keep them "
	    "with --idle).", c->samples_idle);
	metrics_counter(f, "profdrop_lost_records_total",
	    "Records the kernel dropped because a ring was full.", c->lost);
	metrics_counter(f, "profdrop_throttles_total",
	    "Times the kernel throttled sampling.", c->throttled);
	metrics_counter(f, "profdrop_malformed_records_total",
	    "Records that did not decode.", c->bad_records);
	metrics_counter(f, "profdrop_context_switches_total",
	    "sched_switch events read.", c->switches);
	metrics_head(f, "profdrop_unwinds_total", "counter",
	    "User stacks unwound, by how the walk ended.");
	fprintf(f, "profdrop_unwinds_total{result=\"complete\"} %" PRIu64 "\n"
	    "profdrop_unwinds_total{result=\"truncated\"} %" PRIu64 "\n"
	    "profdrop_unwinds_total{result=\"failed\"} %" PRIu64 "\n",
	    c->complete, c->truncated, c->failed);
	metrics_head(f, "profdrop_windows_total", "counter",
	    "Windows handed to a writer, by how writing ended.");
	fprintf(f, "profdrop_windows_total{result=\"written\"} %" PRIu64 "\n"
	    "profdrop_windows_total{result=\"failed\"} %" PRIu64 "\n",
	    m->writes->windows_written, m->writes->windows_failed);
	metrics_head(f, "profdrop_frames_total", "counter",
	    "Distinct addresses in the profiles written, by whether they "
	    "were named.");
	fprintf(f, "profdrop_frames_total{result=\"named\"} %" PRIu64 "\n"
	    "profdrop_frames_total{result=\"unknown\"} %" PRIu64 "\n",
	    m->writes->frames - m->writes->frames_unknown,
	    m->writes->frames_unknown);
	metrics_counter(f, "profdrop_files_written_total",
	    "Profiles published in the drop directory.", m->drops->files_written);
	metrics_counter(f, "profdrop_written_bytes_total",
	    "Bytes of the profiles published.", m->drops->bytes_written);
	metrics_counter_seconds(f, "profdrop_write_seconds_total",
	    "Time spent writing the profiles published: encoding, "
	    "compressing, syncing.", m->drops->write_ns / 1e9);
	metrics_head(f, "profdrop_files_failed_total", "counter",
	    "Profiles that could not be written, by cause.");
	fprintf(f, "profdrop_files_failed_total{cause=\"no_space\"} %" PRIu64
	    "\nprofdrop_files_failed_total{cause=\"other\"} %" PRIu64 "\n",
	    m->drops->files_full,
	    m->drops->files_failed - m->drops->files_full);
	metrics_counter(f, "profdrop_files_removed_total",
	    "Files removed by retention, and dead writers' temporary files.",
	    m->drops->files_removed);
	metrics_counter(f, "profdrop_removed_bytes_total",
	    "Bytes of the files removed.", m->drops->bytes_removed);
	metrics_head(f, "profdrop_cpu_seconds_total", "counter",
	    "CPU time, user and system, of the daemon and of its children "
	    "that have exited (window writers).");
	fprintf(f, "profdrop_cpu_seconds_total{process=\"daemon\"} %.6f\n"
	    "profdrop_cpu_seconds_total{process=\"children\"} %.6f\n",
	    metrics_seconds(&self.ru_utime) + metrics_seconds(&self.ru_stime),
	    metrics_seconds(&children.ru_utime) +
	    metrics_seconds(&children.ru_stime));
	metrics_gauge(f, "profdrop_resident_memory_bytes",
	    "The daemon's resident memory.", (double)metrics_resident());
	metrics_gauge(f, "profdrop_processes", "Processes tracked.",
	    m->usage->processes);
	metrics_gauge(f, "profdrop_binaries", "Binaries tracked.",
	    m->usage->binaries);
	metrics_gauge(f, "profdrop_unwind_table_bytes",
	    "Bytes of unwind tables held (capped by --unwind-memory).",
	    m->usage->unwind_bytes);
	metrics_gauge(f, "profdrop_cpus_unsampled",
	    "CPUs online that are not sampled: they came online after "
	    "profdropd started, which reopens no event (restart it).",
	    m->cpus_unsampled);
	metrics_gauge(f, "profdrop_last_window_seconds",
	    "How long the last window lasted.", m->window_seconds);
	if (m->upload != NULL)
		metrics_upload(f, m->upload, m->drops);
}

/* Replace path with the metrics m holds; -1 with *cause on failure. */
int
metrics_write(const char *path, const struct metrics *m, char **cause)
{
	char	*tmp;
	FILE	*f = NULL;
	int	 fd, rc = -1;

	xasprintf(&tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		xasprintf(cause, "--metrics-file: %s: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	metrics_print(f, m);
	if (fflush(f) != 0 || ferror(f)) {
		xasprintf(cause, "--metrics-file: writing %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "--metrics-file: renaming %s to %s: %s", tmp,
		    path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return (rc);
}
