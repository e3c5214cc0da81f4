/*
 * profdropd's private header: the daemon's own configuration and the
 * modules around the engine, grouped by the file that defines them.
 */
#ifndef PROFDROPD_H
#define PROFDROPD_H

#include <sys/types.h>

#include <stdint.h>

#include "libprofdrop.h"

/* What the user asked of the uploader (upload_options.c). */
enum upload_kind {
	UPLOAD_NONE,
	UPLOAD_HTTP,
	UPLOAD_PYROSCOPE
};
struct upload_config {
	enum upload_kind kind;
	char		*url;
	int		 delete;	/* sent files removed, not kept */
	unsigned long long max_age;	/* seconds; older ones go to failed/ */
	unsigned long long backoff_ms;	/* first wait after a failure */
	unsigned long long backoff_max_ms;
	unsigned long long max_samples;	/* per part sent */
	unsigned long long max_bytes;	/* per part, not compressed */
	char		*tenant;
	char		*service_label;
	int		 thread_labels;
	char		**headers;	/* "Name: value" */
	size_t		 nheaders;
	char		*token;		/* secret */
	char		*token_file;
	char		*user;
	char		*password;	/* secret */
	char		*ca;
	char		*cert;
	char		*key;
	unsigned long long connect_timeout_ms;
	unsigned long long timeout_ms;
	unsigned long long drain_ms;	/* on stop, to send what is left */
};

/* What the user asked of the daemon: the engine's part and its own. */
struct daemon_config {
	struct pd_config engine;
	char		*output_dir;
	unsigned int	 rotate;	/* seconds per window */
	unsigned int	 duration;	/* 0: run until signalled */
	int		 foreground;
	int		 log_level;	/* PD_LOG_*; --verbose is debug */
	char		*pidfile;	/* NULL: none */
	unsigned long long max_age;	/* seconds a file is kept, 0: always */
	unsigned long long max_bytes;	/* under the directory, 0: any */
	unsigned long long max_files;	/* 0: any number */
	char		*metrics_file;	/* NULL: none */
	int		 disabled;	/* enabled = no */
	gid_t		 group;		/* of the drop directory, -1: ours */
	char		*user;		/* to run as, NULL: as started */
	uid_t		 uid;		/* and its ids */
	gid_t		 gid;
	struct upload_config upload;
	/* The settings that won, "key=value" (a flag's value is "yes"). */
	char		**settings;
	size_t		 nsettings;
};

struct dropdir;

/* privdrop.c: least privilege. */
uint64_t	 privdrop_read_caps(void);
void		 privdrop_keep(uint64_t);
uint64_t	 privdrop_effective(void);
void		 privdrop_daemon(const struct daemon_config *,
		     struct dropdir *);

/* reload.c: SIGHUP. */
void		 reload(struct daemon_config *, int, char **);

/* detach.c: leave the terminal once all is open. */
int		 detach_begin(void);
void		 detach_ready(int);

struct dropdir_stats;
struct writer_stats;
struct upload_stats;

/* metrics.c: what the daemon reports of itself after each window. */
struct metrics {
	const struct pd_counters *counters;
	const struct pd_usage	*usage;
	const struct writer_stats *writes;
	int			 cpus_unsampled;
	double			 window_seconds;	/* the last one's length */
	const struct dropdir_stats *drops;
	const struct upload_stats *upload;	/* NULL: no uploader */
};
int		 metrics_write(const char *, const struct metrics *, char **);
size_t		 metrics_resident(void);

/* options.c */
int		 options_parse(struct daemon_config *, int, char **, char **);
void		 options_free(struct daemon_config *);

/* dropdir.c */
typedef int (*dropdir_fill)(int, void *, char **);
/* What the drop directory saw, writers (child processes) included. */
struct dropdir_stats {
	uint64_t	 files_written;
	uint64_t	 bytes_written;
	uint64_t	 write_ns;	/* encoding, compressing, syncing them */
	uint64_t	 files_failed;
	uint64_t	 files_full;	/* of those, for lack of space */
	uint64_t	 files_removed;	/* by retention or as dead writers' */
	uint64_t	 bytes_removed;
	uint64_t	 files_unsent;	/* of those, waiting for the uploader */
};
struct dropdir	*dropdir_open(const char *, gid_t, char **);
int		 dropdir_fd(struct dropdir *);
const char	*dropdir_path(struct dropdir *);
int		 dropdir_write(struct dropdir *, const char *, int64_t,
		     dropdir_fill, void *, char **);
int		 dropdir_name_time(const char *, time_t *);
void		 dropdir_removed(struct dropdir *, uint64_t, uint64_t,
		     uint64_t);
const struct dropdir_stats *dropdir_stats(struct dropdir *);
void		 dropdir_close(struct dropdir *);

/* retention.c */
void		 retention_apply(struct dropdir *,
		     const struct daemon_config *);

/* upload_options.c */
int		 upload_option(struct upload_config *, const char *,
		     const char *, char **);
int		 upload_secret(const char *);
int		 upload_check(const struct upload_config *, char **);
void		 upload_config_free(struct upload_config *);

/* upload.c: the uploader, a child that sends what the directory holds. */
struct upload;
/* Shared with the child; the daemon reads them for the metrics. */
struct upload_stats {
	uint64_t	 files_sent;
	uint64_t	 files_failed;
	uint64_t	 retries;
	uint64_t	 bytes_sent;
	uint64_t	 parts_sent;
	uint64_t	 parts_resent;	/* maybe taken before a restart */
	uint64_t	 queue;		/* files waiting */
	int64_t		 oldest;	/* the oldest one's time, 0: none */
	int64_t		 last_success;	/* unix time, 0: never */
	uint64_t	 restarts;
};
struct upload	*upload_start(const struct daemon_config *,
		     struct dropdir *, void (*)(void *), void *, char **);
void		 upload_reap(struct upload *);
const struct upload_stats *upload_stats(struct upload *);
void		 upload_stop(struct upload *);

/* symbolizer.c */
struct symbolizer;
struct symbolizer *symbolizer_start(struct symcache *, unsigned int,
		     void (*)(void *), void *);
void		 symbolizer_check(struct symbolizer *, unsigned int);
void		 symbolizer_prefetch(void *, struct frame *, size_t,
		     unsigned char *);
void		 symbolizer_stop(struct symbolizer *);

/* writer.c */
struct writers;
/* What the writers did, they (child processes) included. */
struct writer_stats {
	uint64_t	 windows_written;
	uint64_t	 windows_failed;
	uint64_t	 frames;	/* distinct addresses a window named */
	uint64_t	 frames_unknown;	/* of those, left nameless */
};
struct writers	*writers_new(struct pd_engine *, struct dropdir *,
		     struct symcache *, struct symbolizer *);
void		 writers_reap(struct writers *, int);
void		 writers_write(struct writers *, struct pd_window *, int64_t,
		     int);
const struct writer_stats *writers_stats(const struct writers *);
void		 writers_free(struct writers *);

#endif /* PROFDROPD_H */
