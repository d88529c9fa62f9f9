/*
 * answer — the answers hsysd makes itself, whatever the framing: error
 * pages (400, 404, 413, 503 when a queue is full or has no process...),
 * the daemon's own metrics page, and the Date header every response
 * carries. An answer goes to the framing through its exchange_ops'
 * answer; the framing writes it (HTTP/1.1: response.c).
 */
#ifndef HSYS_DAEMON_ANSWER_H
#define HSYS_DAEMON_ANSWER_H

#include <time.h>

#include "daemon/worker.h"

struct exchange;

/*
 * An error page for status. detail goes after the reason phrase (NULL:
 * none); close: the connection ends after it; reason: HTTP.sys's httperr
 * reason, or NULL when the answer is not an httperr event.
 */
void	answer_error(struct exchange *, int status, const char *detail,
	    int close, const char *reason);

/* The daemon's own page (metrics.c), for a request routed to it: GET
 * and HEAD only. */
void	answer_metrics(struct exchange *);

/* An ACME HTTP-01 challenge's key authorization (acmechal.h). */
void	answer_acme(struct exchange *, const char *keyauth);

void	answer_date_set(struct worker *, time_t);

/* The Date header's value (RFC 9110 §6.6.1): formatted once a second per
 * worker. */
static inline const char *
answer_date(struct worker *w)
{
	time_t now = time(NULL);

	if (now != w->date_sec)
		answer_date_set(w, now);
	return w->date;
}

#endif
