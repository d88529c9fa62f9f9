/*
 * conns — a worker's client connections as a whole: closing them all when
 * the worker stops, and draining them when hsysd ends without failing a
 * request (drain.c): HTTP/1.1 connections between requests close, HTTP/2
 * ones get GOAWAY and finish their streams. Worker thread.
 */
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "daemon/conn.h"
#include "daemon/conn_int.h"
#include "daemon/h2conn.h"
#include "daemon/worker.h"

void
conns_close_all(struct worker *w)
{
	while (w->conns != NULL)
		conn_close(w->conns);
}

/* A connection between requests that has sent nothing more is closed now;
 * one with bytes waiting (a request on its way) is read and answered with
 * Connection: close. A fresh connection that has not sent its first
 * request yet is left alone: its client could not tell a close from a
 * failure, and it is answered and closed like the others. */
void
conns_drain(struct worker *w)
{
	struct conn *c, *next;
	char b;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->h2 != NULL) {
			h2conn_goaway(c);	/* its streams finish */
			continue;
		}
		if (c->state != CONN_HEAD || !c->served || c->inlen > 0 ||
		    (c->ssl != NULL && SSL_has_pending(c->ssl)) ||
		    recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			continue;
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
	}
}
