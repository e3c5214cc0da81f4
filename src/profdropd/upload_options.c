/*
 * The uploader's keys: where to send (--upload, --upload-url), how
 * (TLS, timeouts, credentials) and how hard to try. Secrets are never
 * echoed in a message.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdropd.h"

/* Keys whose values are secrets: never on a command line, never logged. */
static const char *const upload_secrets[] = {
	"upload-token", "upload-password", "upload-header", NULL
};

int
upload_secret(const char *key)
{
	const char *const *k;

	for (k = upload_secrets; *k != NULL; k++) {
		if (strcmp(*k, key) == 0)
			return (1);
	}
	return (0);
}

/* Milliseconds: "250ms", or seconds as config_duration takes them. */
static int
upload_ms(const char *key, const char *value, unsigned long long min,
    unsigned long long *out, char **cause)
{
	static const char	 hint[] = "give 100ms, 5s, 10m or 1h (a plain "
	    "number is seconds)";
	unsigned long long	 v;
	size_t			 len = strlen(value);
	char			*num;
	int			 rc;

	if (len > 2 && strcmp(value + len - 2, "ms") == 0) {
		num = xstrdup(value);
		num[len - 2] = '\0';
		rc = config_number(key, num, 0, 86400000, hint, &v, cause);
		free(num);
	} else {
		rc = config_duration(key, value, 0, 86400, hint, &v, cause);
		v *= 1000;
	}
	if (rc != 0)
		return (-1);
	if (v < min) {
		xasprintf(cause, "--%s %s: too short; %s", key, value, hint);
		return (-1);
	}
	*out = v;
	return (0);
}

static int
upload_string(char **field, const char *key, const char *value, int path,
    char **cause)
{
	if (*value == '\0' || (path && *value != '/')) {
		xasprintf(cause, "--%s: give %s", key, path ?
		    "an absolute path" : "a value");
		return (-1);
	}
	free(*field);
	*field = xstrdup(value);
	return (0);
}

/* A header line: a name of token characters, a colon, no line breaks. */
static int
upload_header(struct upload_config *uc, const char *value, char **cause)
{
	size_t	 n = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789!#$%&'*+-.^_`|~");

	if (n == 0 || value[n] != ':' || strpbrk(value, "\r\n") != NULL) {
		xasprintf(cause, "--upload-header: give 'Name: value' on one "
		    "line (the value is not shown: it may be a secret)");
		return (-1);
	}
	uc->headers = xreallocarray(uc->headers, uc->nheaders + 1,
	    sizeof *uc->headers);
	uc->headers[uc->nheaders++] = xstrdup(value);
	return (0);
}

static int
upload_url(struct upload_config *uc, const char *value, char **cause)
{
	if ((strncmp(value, "http://", 7) != 0 &&
	    strncmp(value, "https://", 8) != 0) ||
	    strpbrk(value, " \t\r\n") != NULL) {
		xasprintf(cause, "--upload-url %s: give an http:// or https:// "
		    "URL", value);
		return (-1);
	}
	free(uc->url);
	uc->url = xstrdup(value);
	return (0);
}

/* A stop waits this long at most: a minute, well within a service's. */
static int
upload_drain(struct upload_config *uc, const char *value, char **cause)
{
	if (upload_ms("upload-drain", value, 0, &uc->drain_ms, cause) != 0)
		return (-1);
	if (uc->drain_ms > 60000) {
		xasprintf(cause, "--upload-drain %s: too long, a stop would "
		    "wait for it; give 0 to 60s", value);
		return (-1);
	}
	return (0);
}

/* Set one uploader key; 1 if key is not one. */
int
upload_option(struct upload_config *uc, const char *key, const char *value,
    char **cause)
{
	if (strcmp(key, "upload") == 0) {
		if (strcmp(value, "none") == 0)
			uc->kind = UPLOAD_NONE;
		else if (strcmp(value, "http") == 0)
			uc->kind = UPLOAD_HTTP;
		else if (strcmp(value, "pyroscope") == 0)
			uc->kind = UPLOAD_PYROSCOPE;
		else {
			xasprintf(cause, "--upload %s: give pyroscope, http or "
			    "none", value);
			return (-1);
		}
	} else if (strcmp(key, "upload-url") == 0)
		return (upload_url(uc, value, cause));
	else if (strcmp(key, "upload-delete") == 0)
		uc->delete = 1;
	else if (strcmp(key, "upload-thread-labels") == 0)
		uc->thread_labels = 1;
	else if (strcmp(key, "upload-max-age") == 0)
		return (config_duration(key, value, 60, 7 * 86400, "give 1m to "
		    "7d (a plain number is seconds; or 90s, 55m, 2h)",
		    &uc->max_age, cause));
	else if (strcmp(key, "upload-backoff") == 0)
		return (upload_ms(key, value, 10, &uc->backoff_ms, cause));
	else if (strcmp(key, "upload-backoff-max") == 0)
		return (upload_ms(key, value, 10, &uc->backoff_max_ms, cause));
	else if (strcmp(key, "upload-connect-timeout") == 0)
		return (upload_ms(key, value, 100, &uc->connect_timeout_ms,
		    cause));
	else if (strcmp(key, "upload-timeout") == 0)
		return (upload_ms(key, value, 100, &uc->timeout_ms, cause));
	else if (strcmp(key, "upload-drain") == 0)
		return (upload_drain(uc, value, cause));
	else if (strcmp(key, "upload-max-samples") == 0)
		return (config_number(key, value, 1, 10000000, "give 1 to "
		    "10000000 samples per request", &uc->max_samples, cause));
	else if (strcmp(key, "upload-max-bytes") == 0)
		return (config_size(key, value, 1, 4096, 1ULL << 30, "give "
		    "4KiB to 1GiB (a plain number is bytes; or KiB, MiB)",
		    &uc->max_bytes, cause));
	else if (strcmp(key, "tenant") == 0)
		return (upload_string(&uc->tenant, key, value, 0, cause));
	else if (strcmp(key, "service-label") == 0)
		return (upload_string(&uc->service_label, key, value, 0,
		    cause));
	else if (strcmp(key, "upload-header") == 0)
		return (upload_header(uc, value, cause));
	else if (strcmp(key, "upload-token") == 0)
		return (upload_string(&uc->token, key, value, 0, cause));
	else if (strcmp(key, "upload-token-file") == 0)
		return (upload_string(&uc->token_file, key, value, 1, cause));
	else if (strcmp(key, "upload-user") == 0)
		return (upload_string(&uc->user, key, value, 0, cause));
	else if (strcmp(key, "upload-password") == 0)
		return (upload_string(&uc->password, key, value, 0, cause));
	else if (strcmp(key, "upload-ca") == 0)
		return (upload_string(&uc->ca, key, value, 1, cause));
	else if (strcmp(key, "upload-cert") == 0)
		return (upload_string(&uc->cert, key, value, 1, cause));
	else if (strcmp(key, "upload-key") == 0)
		return (upload_string(&uc->key, key, value, 1, cause));
	else
		return (1);
	return (0);
}

/* What only the keys together say: a kind needs a URL, and so on. */
int
upload_check(const struct upload_config *uc, char **cause)
{
	if (uc->kind != UPLOAD_NONE && uc->url == NULL) {
		xasprintf(cause, "--upload %s needs --upload-url",
		    uc->kind == UPLOAD_HTTP ? "http" : "pyroscope");
		return (-1);
	}
	if ((uc->cert == NULL) != (uc->key == NULL)) {
		xasprintf(cause, "--upload-cert and --upload-key go together: "
		    "give both");
		return (-1);
	}
	if (uc->token != NULL && uc->token_file != NULL) {
		xasprintf(cause, "--upload-token and --upload-token-file: give "
		    "one of them");
		return (-1);
	}
	if (uc->backoff_max_ms < uc->backoff_ms) {
		xasprintf(cause, "--upload-backoff-max is below "
		    "--upload-backoff: give a larger one");
		return (-1);
	}
	return (0);
}

void
upload_config_free(struct upload_config *uc)
{
	size_t	 i;

	free(uc->url);
	free(uc->tenant);
	free(uc->service_label);
	for (i = 0; i < uc->nheaders; i++)
		free(uc->headers[i]);
	free(uc->headers);
	free(uc->token);
	free(uc->token_file);
	free(uc->user);
	free(uc->password);
	free(uc->ca);
	free(uc->cert);
	free(uc->key);
}
