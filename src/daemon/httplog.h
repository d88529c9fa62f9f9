/*
 * httplog — hsysd's request logs: the access log (one line per response,
 * NCSA combined or W3C extended) and the error log in the spirit of
 * HTTP.sys's httperr (one line per connection-level failure, with a
 * reason such as Timer_ConnectionIdle or TLS_NoBinding).
 *
 * Workers never block on them: each worker formats lines into a buffer of
 * its own (no lock, no system call per line) and hands a full buffer, or
 * whatever it holds 100 ms after its first line, to one writer thread,
 * which write(2)s it to the file. The buffers are bounded: when the writer
 * falls behind, lines are dropped and counted, and the count is logged.
 * SIGHUP (httplog_reopen) makes the writer reopen the files, for
 * logrotate. docs/logging.md describes the files and their formats.
 */
#ifndef HSYS_DAEMON_HTTPLOG_H
#define HSYS_DAEMON_HTTPLOG_H

#include <limits.h>
#include <sys/socket.h>

#include "daemon/logline.h"

struct err;
struct httplog;
struct worker;

struct httplog_conf {
	char			 dir[PATH_MAX];	/* "": the default */
	enum logline_format	 access;	/* default NCSA */
	int			 errors;	/* httperr on; default 1 */
	uid_t			 owner;		/* of the files and the
						 * directory: --user's, or
						 * (uid_t)-1 to keep it */
};

/* Main thread, before the workers start: opens the files (creating the
 * directory) and starts the writer. *hl stays NULL when both logs are off. */
int	httplog_open(struct httplog **, const struct httplog_conf *,
	    int workers, struct err *);
/* Main thread: the writer reopens the files (after a rotation). */
void	httplog_reopen(struct httplog *);
/* Main thread, after the workers stopped: writes what is left, stops
 * the writer, closes the files. */
void	httplog_close(struct httplog *);

/* Worker: its part (NULL when logging is off), and the last hand-off
 * before its thread ends. */
struct wlog *httplog_worker(struct httplog *, struct worker *);
void	httplog_worker_flush(struct worker *);

/* Worker: a response went out (the access log). */
void	httplog_access(struct worker *, const struct logrec *);

/*
 * Worker: a connection-level failure (the httperr log). `reason` is one of
 * HTTP.sys's names (Timer_ConnectionIdle, Timer_HeaderWait,
 * Timer_MinBytesPerSecond, Timer_EntityBody, Connection_Dropped,
 * BadRequest and its kin from logline_reason(), AppOffline, QueueFull,
 * ConnLimit, TLS_NoBinding, TLS_HandshakeFailed, ...). `req` adds what is
 * known of the request (method, URL, version, status, queue) or is NULL.
 */
void	httperr_conn(struct worker *, const struct sockaddr_storage *peer,
	    const struct sockaddr_storage *local, const char *reason,
	    const struct logrec *req);

#endif
