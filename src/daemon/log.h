/*
 * log — hsysd's diagnostics: one line per event on stderr (journald adds
 * its own time stamps when JOURNAL_STREAM says stderr is the journal), or
 * syslog after --daemon. Lines are written with one write(2) each, so
 * threads never interleave within a line. Each message is escaped whole
 * (logline_escape, LOGLINE_ESC_TEXT): whatever a client or a local user
 * put in it, it stays one line. Access and error logs of the
 * request path come later and are separate from this.
 */
#ifndef HSYS_DAEMON_LOG_H
#define HSYS_DAEMON_LOG_H

#include <syslog.h>

void	log_init(const char *ident, int to_syslog, int verbose);
void	log_msg(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
