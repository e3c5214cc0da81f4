/* Logging to stderr or syslog, and the two fatal exits. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "libprofdrop.h"

/* Where messages go is the process's, as syslog's own state is. */
static int	log_to_stderr = 1;
static int	log_verbose;

void
log_init(int to_stderr, int verbose)
{
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog("profdropd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
log_vwrite(int priority, const char *errstr, const char *fmt, va_list ap)
{
	char	 msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
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

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
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
