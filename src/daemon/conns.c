/*
 * conns — a worker's client connections as a whole: closing them all when
 * the worker stops, and draining them when hsysd ends without failing a
 * request (drain.c): HTTP/1.1 connections between requests close, HTTP/2
 * ones get GOAWAY and finish their streams. Connections whose TLS binding
 * went end the same way: HTTP/2 with GOAWAY, HTTP/1.1 after the response
 * in flight (Connection: close) or now when between requests. Worker
 * thread.
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

/* Whether an HTTP/1.1 connection is between requests and has sent
 * nothing more: then it may be closed now. One with bytes waiting (a
 * request on its way) is read and answered with Connection: close. A
 * fresh connection that has not sent its first request yet is left
 * alone: its client could not tell a close from a failure, and it is
 * answered and closed like the others. */
static int
between_requests(struct conn *c)
{
	char b;

	return c->state == CONN_HEAD && c->served && c->inlen == 0 &&
	    !(c->ssl != NULL && SSL_has_pending(c->ssl)) &&
	    recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

void
conns_drain(struct worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->h2 != NULL) {
			h2conn_goaway(c);	/* its streams finish */
			continue;
		}
		if (!between_requests(c))
			continue;
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
	}
}

/* The binding a TLS connection was made under, if it still is (a
 * binding's certificate may change: connections made under the old one
 * go on, as HTTP.sys's do). */
static const struct tls_binding *
binding_now(struct worker *w, struct conn *c)
{
	const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);

	return snapshot_pick(w->snapshot, (const unsigned char *)sni,
	    sni != NULL ? strlen(sni) : 0, &c->local, c->port);
}

/* An HTTP/1.1 connection whose binding went: the response in flight says
 * Connection: close and the connection ends after it, as when draining;
 * between requests it ends now. A tunnel (after a 101) is the
 * application's and goes on. */
static void
unbind_http1(struct conn *c)
{
	if (c->state == CONN_TUNNEL || c->state == CONN_CLOSING)
		return;
	c->unbound = 1;
	if (!c->resp_started && !c->resp_done)
		c->keep_alive = 0;
	if (!between_requests(c))
		return;
	shutdown(c->io.fd, SHUT_WR);
	conn_close(c);
}

void
conns_rebind(struct worker *w)
{
	const struct tls_binding *b;
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ssl == NULL || !c->handshaken || c->unbound)
			continue;
		b = binding_now(w, c);
		if (c->h2 != NULL) {
			if (b == NULL || (b->flags & TLS_NO_H2))
				h2conn_goaway(c);	/* its streams finish */
		} else if (b == NULL)
			unbind_http1(c);
	}
}
