/*
 * The uploader's HTTP session through libcurl: TLS verified by default
 * (--upload-ca, a client certificate), timeouts, credentials, and the
 * server's answer sorted into done, retry later, or refused for good.
 * A proxy comes from the usual environment variables, as libcurl reads
 * them by itself.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "upload.h"

struct upload_session {
	CURL			*curl;
	const struct upload_config *cfg;
	char			*url;
	struct curl_slist	*auth;		/* a bearer token's header */
	char			 error[CURL_ERROR_SIZE];
	struct upload_answer	*answer;	/* of the request under way */
	size_t			 body;		/* bytes of it kept in reason */
};

/* Keep the start of the answer's body: a refusal says why in it. */
static size_t
upload_curl_body(char *data, size_t size, size_t n, void *arg)
{
	struct upload_session	*s = arg;
	struct upload_answer	*a = s->answer;
	size_t			 len = size * n, i;
	char			 c;

	for (i = 0; i < len && s->body < sizeof a->reason - 1; i++) {
		c = data[i];
		a->reason[s->body++] = isprint((unsigned char)c) ? c : ' ';
	}
	a->reason[s->body] = '\0';
	return (len);
}

/* Retry-After: seconds, or an HTTP date. */
static size_t
upload_curl_header(char *data, size_t size, size_t n, void *arg)
{
	struct upload_session	*s = arg;
	size_t			 len = size * n;
	char			 line[128], *v;
	time_t			 when;
	long			 sec;

	if (len < 12 || len >= sizeof line ||
	    strncasecmp(data, "Retry-After:", 12) != 0)
		return (len);
	memcpy(line, data, len);
	line[len] = '\0';
	v = line + 12 + strspn(line + 12, " \t");
	v[strcspn(v, "\r\n")] = '\0';
	if (isdigit((unsigned char)*v))
		sec = strtol(v, NULL, 10);
	else if ((when = curl_getdate(v, NULL)) != -1)
		sec = when - time(NULL);
	else
		sec = 0;
	/* A day at most: a broken server does not stop the uploader. */
	if (sec > 0)
		s->answer->retry_after = sec < 86400 ? sec : 86400;
	return (len);
}

struct upload_session *
upload_session_new(const struct upload_config *cfg, const char *url,
    const char *token, char **cause)
{
	struct upload_session	*s;
	char			*auth;
	CURL			*c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c = curl_easy_init()) == NULL) {
		xasprintf(cause, "libcurl could not start");
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	s->curl = c;
	s->cfg = cfg;
	s->url = xstrdup(url);
	if (token != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", token);
		s->auth = curl_slist_append(NULL, auth);
		free(auth);
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "profdropd/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->error);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, upload_curl_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, upload_curl_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	if (cfg->ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca);
	if (cfg->cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key);
	}
	if (cfg->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password != NULL ?
		    cfg->password : "");
	}
	return (s);
}

/*
 * Whether the TLS alert in why is a server's refusal of our certificate:
 * libcurl has no code of its own for it before 7.77, only OpenSSL's text
 * of the alert, which comes as the first read fails.
 */
static int
upload_curl_cert_refused(const char *why)
{
	static const char *const alerts[] = {
		"alert bad certificate", "alert certificate required",
		"alert unknown ca", "alert certificate unknown", NULL
	};
	const char *const	*a;

	for (a = alerts; *a != NULL; a++) {
		if (strstr(why, *a) != NULL)
			return (1);
	}
	return (0);
}

/* What a failed transfer means for the user, with the fix if we know it. */
static void
upload_curl_failed(struct upload_session *s, CURLcode rc,
    struct upload_answer *a)
{
	const char	*why = s->error[0] != '\0' ? s->error :
	    curl_easy_strerror(rc);

	if (upload_curl_cert_refused(why)) {
		snprintf(a->reason, sizeof a->reason, "%.300s: TLS: the server "
		    "refused the client certificate%s%.300s (%.200s); give one "
		    "it trusts with --upload-cert and --upload-key", s->url,
		    s->cfg->cert != NULL ? " " : ", none was given",
		    s->cfg->cert != NULL ? s->cfg->cert : "", why);
		return;
	}
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(a->reason, sizeof a->reason, "%.300s: TLS: the server's "
		    "certificate is not trusted (%.200s); name the CA that signed "
		    "it with --upload-ca", s->url, why);
		break;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(a->reason, sizeof a->reason, "%.300s: TLS: the client "
		    "certificate is not usable (%.200s); check --upload-cert and "
		    "--upload-key", s->url, why);
		break;
	default:
		snprintf(a->reason, sizeof a->reason, "%.300s: %.200s", s->url,
		    why);
	}
}

/*
 * POST body with the headers given (and the user's); 2xx is done, 408,
 * 429, 5xx and no answer are tried again, any other status refused.
 */
enum upload_result
upload_session_post(struct upload_session *s, const char *const *headers,
    size_t nheaders, const void *body, size_t len, struct upload_answer *a)
{
	struct curl_slist	*list = NULL, *l;
	CURLcode		 rc;
	size_t			 i;

	memset(a, 0, sizeof *a);
	s->answer = a;
	s->body = 0;
	s->error[0] = '\0';
	for (i = 0; i < nheaders; i++)
		list = curl_slist_append(list, headers[i]);
	for (i = 0; i < s->cfg->nheaders; i++)
		list = curl_slist_append(list, s->cfg->headers[i]);
	for (l = s->auth; l != NULL; l = l->next)
		list = curl_slist_append(list, l->data);
	/* No "Expect: 100-continue" round trip before the body. */
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, list);
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	s->answer = NULL;
	if (rc != CURLE_OK) {
		upload_curl_failed(s, rc, a);
		return (UPLOAD_RETRY);
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->status >= 200 && a->status < 300)
		return (UPLOAD_DONE);
	if (a->status == 408 || a->status == 429 || a->status >= 500)
		return (UPLOAD_RETRY);
	return (UPLOAD_REFUSED);
}
