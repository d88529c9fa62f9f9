/*
 * tunnel — an HTTP/1.1 connection after a 101 (Upgrade: WebSocket and
 * the like).
 *
 * The connection carries opaque bytes both ways: the client's go down as
 * REQ_DATA within the application's credit (reading stops at zero
 * credit), the application's RESP_DATA go out raw and are credited back
 * as the client drains them, as for bodies. Either side's END is a
 * half-close passed on (the client's EOF becomes REQ_DATA END; the
 * application's END a shutdown of our sending side, close_notify on TLS);
 * both ended, the connection closes. CANCEL, a channel lost or an error
 * closes it at once. An idle tunnel times out like an idle connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "daemon/conn_int.h"
#include "daemon/exchange.h"
#include "proto/proto.h"

void
tunnel_start(struct conn *c)
{
	/* What followed the head is the client's first tunnel bytes. */
	memmove(c->in, c->in + c->head_len, c->inlen - c->head_len);
	c->inlen -= c->head_len;
	c->head_len = 0;
	c->state = CONN_TUNNEL;
	c->body_done = 0;
	c->keep_alive = 0;
	c->head_only = 0;
	c->resp_left = -1;
	loop_timer_set(c->w->loop, &c->timer, conn_limits(c)->idle_ms);
	tunnel_pump(c);
}

/* The client's bytes in `in`, within credit; END once it ended and all
 * went. */
void
tunnel_pump(struct conn *c)
{
	size_t n;

	while (c->inlen > 0 && exchange_credit(&c->x) > 0 &&
	    exchange_active(&c->x)) {
		n = c->inlen;
		if (n > exchange_credit(&c->x))
			n = exchange_credit(&c->x);
		if (n > PROTO_MAX_FRAME)
			n = PROTO_MAX_FRAME;
		if (exchange_body(&c->x, c->in, n, 0) == -1)
			return;		/* the channel is going: so are we */
		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
	}
	if (c->tun_eof && c->inlen == 0 && !c->body_done &&
	    exchange_active(&c->x) && exchange_body(&c->x, NULL, 0, 1) == 0)
		c->body_done = 1;
}

int
tunnel_next(struct conn *c, int rc)
{
	if (rc == 0 && c->resp_done && !c->tun_shut) {
		if (c->ssl != NULL && SSL_shutdown(c->ssl) < 0)
			ERR_clear_error();
		shutdown(c->io.fd, SHUT_WR);
		c->tun_shut = 1;
	}
	if (c->tun_shut && c->body_done) {
		exchange_finish(&c->x, 0);	/* both ended: no CANCEL */
		return 1;
	}
	/* Both peers are gone but client bytes still wait for credit from
	 * an application that ended: they cannot go. */
	if (c->tun_shut && c->tun_eof)
		return 1;
	loop_io_change(c->w->loop, &c->io, (rc == 1 ? LOOP_WRITE : 0) |
	    (!c->tun_eof && exchange_credit(&c->x) > 0 && c->inlen < c->incap ?
	    LOOP_READ : 0));
	loop_timer_set(c->w->loop, &c->timer, conn_limits(c)->idle_ms);
	return 0;
}

/*
 * Called to read while reading is off (the client ended, or `in` is full
 * waiting for credit): that is an error or hang-up report. A socket error
 * closes the connection; a FIN with nothing after it is the client's EOF;
 * anything else waits for credit.
 */
int
tunnel_hangup(struct conn *c)
{
	char b;
	ssize_t n;

	n = recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (n == 0 && !c->tun_eof) {
		c->tun_eof = 1;
		tunnel_pump(c);
		return 1;
	}
	return 0;
}
