/*
 * conns — a worker's client connections as a whole: closing them all when
 * the worker stops, and draining them when hsysd ends without failing a
 * request (drain.c): HTTP/1.1 connections between requests close, HTTP/2
 * ones get GOAWAY and finish their streams; HTTP/2 connections whose TLS
 * binding went get GOAWAY too. Worker thread.
 */
#include <string.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "daemon/conn.h"
#include "daemon/conn_int.h"
#include "daemon/h2conn.h"
#include "daemon/snapshot.h"
#include "daemon/tls.h"
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

/* Whether the binding a TLS connection was made under still is, and still
 * offers h2 (a binding's certificate may change: connections made under
 * the old one go on, as HTTP.sys's do). */
static int
still_bound(struct worker *w, struct conn *c)
{
	const struct tls_binding *b;
	const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);

	b = snapshot_pick(w->snapshot, (const unsigned char *)sni,
	    sni != NULL ? strlen(sni) : 0, &c->local, c->port);
	return b != NULL && !(b->flags & TLS_NO_H2);
}

void
conns_rebind(struct worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->h2 != NULL && c->ssl != NULL && !still_bound(w, c))
			h2conn_goaway(c);	/* its streams finish */
	}
}
