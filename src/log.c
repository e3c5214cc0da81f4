/*
 * Logging to stderr or syslog, by level, and the two fatal exits. A
 * warning said again within a minute is counted, not repeated.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "libprofdrop.h"

#define LOG_REPEAT_SECONDS	60

/* Where messages go is the process's, as syslog's own state is. */
static int	log_to_stderr = 1;
static int	log_level = PD_LOG_INFO;
/* The last warning, to count repeats of it. */
static char	log_last[1024];
static time_t	log_last_time;
static unsigned	log_repeats;

void
log_init(int to_stderr, int level)
{
	log_to_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog("profdropd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
log_emit(int priority, const char *msg)
{
	if (log_to_stderr)
		fprintf(stderr, "profdropd: %s\n", msg);
	else
		syslog(priority, "%s", msg);
}

/* A warning like the last within a minute is counted; say the count later. */
static int
log_repeated(const char *msg)
{
	time_t	 now = time(NULL);
	char	 note[64];

	if (strcmp(msg, log_last) == 0 &&
	    now - log_last_time < LOG_REPEAT_SECONDS) {
		log_repeats++;
		return (1);
	}
	if (log_repeats != 0) {
		snprintf(note, sizeof note, "(the last warning %u times more)",
		    log_repeats);
		log_emit(LOG_WARNING, note);
	}
	strlcpy(log_last, msg, sizeof log_last);
	log_last_time = now;
	log_repeats = 0;
	return (0);
}

static void
log_vwrite(int priority, const char *errstr, const char *fmt, va_list ap)
{
	char	 msg[1024], full[1100];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (priority == LOG_WARNING) {
		snprintf(full, sizeof full, "%s%s%s", msg, errstr != NULL ?
		    ": " : "", errstr != NULL ? errstr : "");
		if (log_repeated(full))
			return;
	}
	if (log_to_stderr) {
		if (errstr != NULL)
			fprintf(stderr, "profdropd: %s: %s\n", msg, errstr);
		else
			fprintf(stderr, "profdropd: %s\n", msg);
		return;
	}
	if (errstr != NULL)
		syslog(priority, "%s: %s", msg, errstr);
	else
		syslog(priority, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < PD_LOG_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < PD_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
