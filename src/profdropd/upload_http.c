/*
 * Plain HTTP: the file as it is (gzip pprof) in one POST, what it holds
 * in request headers: its type, the window's start and end in Unix
 * nanoseconds, the host, and its name.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upload.h"

enum upload_result
upload_http_send(struct upload_job *job)
{
	struct upload_progress	 p;
	struct pd_profile	*prof;
	enum upload_result	 rc;
	char			 h[6][128], *cause;
	const char		*headers[6];
	size_t			 i;

	if (pd_profile_read(job->data, job->len, 0, &prof, &cause) != 0) {
		snprintf(job->answer.reason, sizeof job->answer.reason,
		    "not a profile: %s", cause);
		free(cause);
		return (UPLOAD_REFUSED);
	}
	snprintf(h[0], sizeof h[0], "Content-Type: application/octet-stream");
	snprintf(h[1], sizeof h[1], "X-Profile-Type: %s", job->kind);
	snprintf(h[2], sizeof h[2], "X-Profile-Start: %" PRId64,
	    prof->time_nanos);
	snprintf(h[3], sizeof h[3], "X-Profile-End: %" PRId64,
	    prof->time_nanos + prof->duration_nanos);
	snprintf(h[4], sizeof h[4], "X-Profile-Host: %s", job->host);
	snprintf(h[5], sizeof h[5], "X-Profile-Name: %s", job->name);
	pd_profile_free(prof);
	for (i = 0; i < 6; i++)
		headers[i] = h[i];
	upload_progress_read(job, &p);
	if (p.done > 0)
		return (UPLOAD_DONE);
	rc = upload_part_send(job, &p, headers, 6, job->data, job->len);
	return (rc);
}
