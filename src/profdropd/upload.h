/*
 * The uploader's own header: the modules of the child process that sends
 * the drop directory's files, by the file that defines them.
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include "profdropd.h"

/* How a request, a part or a file ended. */
enum upload_result {
	UPLOAD_DONE,		/* the server has it */
	UPLOAD_RETRY,		/* try again later: down, busy, 5xx */
	UPLOAD_REFUSED		/* the server will never take it: 4xx */
};

struct upload_answer {
	long		 status;	/* HTTP status, 0 if none came */
	unsigned int	 retry_after;	/* seconds the server asked, 0: none */
	char		 reason[1024];	/* why it failed, for the log */
};

/* upload_curl.c: one libcurl session with the user's TLS and auth. */
struct upload_session;
struct upload_session *upload_session_new(const struct upload_config *,
		     const char *, const char *, char **);
enum upload_result upload_session_post(struct upload_session *,
		     const char *const *, size_t, const void *, size_t,
		     struct upload_answer *);

/* What a backend needs to send one file of the directory. */
struct upload_job {
	struct upload_session	*session;
	const struct upload_config *cfg;
	struct upload_stats	*stats;
	int			 dirfd;
	const char		*name;		/* in the drop directory */
	const char		*kind;		/* cpu, offcpu, wall */
	const char		*host;
	const struct pd_config_label *labels;	/* --label */
	size_t			 nlabels;
	const unsigned char	*data;		/* the file */
	size_t			 len;
	struct upload_answer	 answer;
};

/* upload_sidecar.c: which parts of a file the server has taken. */
struct upload_progress {
	unsigned int	 done;		/* parts taken, in order */
	int		 inflight;	/* part done was sent, no answer kept */
	unsigned long long max_samples;	/* the split the parts were cut by */
};
void		 upload_progress_read(struct upload_job *,
		     struct upload_progress *);
enum upload_result upload_part_send(struct upload_job *,
		     struct upload_progress *, const char *const *, size_t,
		     const void *, size_t);
void		 upload_progress_remove(int, const char *);
void		 upload_progress_clean(int);

/* upload_http.c: the file as it is, one POST. */
enum upload_result upload_http_send(struct upload_job *);

/* upload_pyroscope.c: Pyroscope's push API, a request per part. */
enum upload_result upload_pyroscope_send(struct upload_job *);

#endif /* UPLOAD_H */
