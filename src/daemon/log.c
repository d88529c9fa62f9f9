/*
 * log — diagnostics on stderr or syslog, every message escaped. See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/logline.h"

#define LOG_MSG_MAX	2048	/* a message's bytes before escaping */

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

/*
 * The message is formatted first, then escaped as a whole (logline.h,
 * LOGLINE_ESC_TEXT): a client's SNI, Host, URL or a local user's session
 * and queue names can reach a message, and none may end the line and
 * start a forged one, wherever the call that logs it is.
 */
void
log_msg(int prio, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], line[4 * LOG_MSG_MAX + 128], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	size_t len;
	int n = 0;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog)
		n = 0;
	else if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", prio);
	else {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: ", stamp,
		    log_ident, (long)getpid(), prio_name(prio));
	}
	/* Always fits: 4 bytes at most per byte of msg. */
	len = (size_t)n + logline_escape(line + n, sizeof(line) - (size_t)n -
	    2, msg, strlen(msg), LOGLINE_ESC_TEXT);
	if (log_syslog) {
		line[len] = '\0';
		syslog(prio, "%s", line);
		return;
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1)
		return;		/* nowhere left to say it */
}
