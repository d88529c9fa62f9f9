/*
 * log — diagnostics on stderr or syslog. See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"

/* Set once in main before any thread starts; read-only afterwards. */
static const char *log_ident = "hsysd";
static int log_syslog, log_journal, log_verbose;

void
log_init(const char *ident, int to_syslog, int verbose)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_ERR:		return "error";
	case LOG_WARNING:	return "warning";
	case LOG_NOTICE:	return "notice";
	case LOG_INFO:		return "info";
	default:		return "debug";
	}
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[2048], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	int n = 0;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", prio);
	else {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: ", stamp,
		    log_ident, (long)getpid(), prio_name(prio));
	}
	if (n < 0)
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) == -1)
		return;		/* nowhere left to say it */
}
