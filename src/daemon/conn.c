/*
 * conn — an HTTP/1.1 client connection: accept, TLS, reading and writing,
 * the input and output buffers, timers and limits (MaxConnections, the
 * timeouts, the minimum rates), the request heads and bodies read from
 * the client, and the pipeline of requests. See conn.h; the structure is
 * in conn_int.h.
 *
 * The life of a request: bytes arrive in `in`; http_request_parse() finds a
 * whole head; it goes to the exchange (exchange.h), which routes it and
 * sends it to an application; the body follows, no faster than the
 * application credits it; what comes back is written into `out` by
 * response.c through the exchange's ops, and credited back to the
 * application as the client drains it. Then the next (possibly
 * pipelined) request. After a 101 the connection is a tunnel (tunnel.c).
 *
 * On a TLS port the connection starts with the worker's listening
 * context; the ClientHello callback picks the binding (snapshot.h) and
 * switches to its context before anything is negotiated.
 *
 * Timeouts and limits come from the snapshot (snap_limits), read when a
 * timer is armed: the idle timer between requests, the header-wait timer
 * from a head's first byte to its end (not pushed back by each byte, so a
 * client trickling a head runs out), the entity-body timer while the body
 * is expected from the client (pushed back by progress, never running while
 * the application withholds credit), and the send-rate check while a
 * response waits on the client. Whatever ends a connection for the
 * client's behaviour goes through conn_drop() with HTTP.sys's httperr
 * reason.
 *
 * An idle connection holds no input buffer: it is allocated with the first
 * bytes of a request, and released when a keep-alive connection has stayed
 * idle for CONN_RELEASE_MS with nothing buffered, so that a busy connection
 * keeps its buffer from one request to the next.
 *
 * The TLS handshake, and its signature from the key process without
 * waiting: handshake.c.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/answer.h"
#include "daemon/conn.h"
#include "daemon/conn_int.h"
#include "daemon/h2conn.h"
#include "h2/h2.h"
#include "daemon/exchange.h"
#include "daemon/httplog.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/logline.h"
#include "daemon/snapshot.h"
#include "daemon/stats.h"
#include "daemon/tls.h"
#include "daemon/trailers.h"
#include "daemon/worker.h"
#include "http/http.h"
#include "proto/proto.h"

#include <openssl/err.h>

_Static_assert(CONN_IN_MAX <= EXCHANGE_TARGET_MAX,
    "a request-target in `in` must fit the exchange's scratch buffer");

static void	conn_read(struct conn *);
static void	conn_serve(struct conn *);
static void	conn_serve_more(struct conn *);
static void	conn_pump_body(struct conn *);
static void	conn_drop(struct conn *, const char *);
static void	arm_body(struct conn *);
static void	body_window(struct conn *);

/* An error answer (answer.h); reason: httperr's, or NULL. */
static void
conn_refuse(struct conn *c, int status, const char *detail, int close,
    const char *reason)
{
	answer_error(&c->x, status, detail, close, reason);
}

/* --- the request: its head to the exchange, its body after ---------- */

static void
conn_dispatch(struct conn *c)
{
	c->keep_alive = c->req.keep_alive && !c->w->draining &&
	    !c->unbound;
	c->served = 1;
	c->head_only = c->req.method_id == HTTP_METHOD_HEAD;
	/* An Upgrade with a body is served as a plain request: the body
	 * would have to end before the tunnel starts (docs/protocol.md). */
	c->upgrade_ok = c->req.upgrade_req && c->req.content_length <= 0 &&
	    !c->req.chunked;
	c->head.req = &c->req;
	c->head.raw = c->in;
	c->head.raw_len = c->head_len;
	c->head.keep_alive = c->keep_alive;
	c->head.upgrade = c->upgrade_ok;
	exchange_start(&c->x, &c->head);
}

/* A chunked body grew past MaxRequestBodySize (the application's request
 * is cancelled already): the client gets 413 unless its response began. */
static void
body_too_large(struct conn *c)
{
	c->body_done = 1;	/* callers stop pumping */
	if (c->resp_started)
		conn_drop(c, "EntityTooLarge");
	else
		conn_refuse(c, 413, NULL, 1, "EntityTooLarge");
}

/* Decodes up to `in` bytes of a chunked body at p in place: *n body
 * bytes, *used input bytes, *end when the body is over. -1: refused. */
static int
body_dechunk(struct conn *c, char *p, size_t in, size_t *n, size_t *used,
    int *end)
{
	int rc;

	*n = in;
	rc = http_chunked_decode(&c->chunk, p, n);
	if (rc == HTTP_ERROR) {
		exchange_cancel(&c->x);
		conn_refuse(c, c->chunk.status, NULL, 1,
		    logline_reason(c->chunk.status, c->chunk.error));
		return -1;
	}
	*used = rc == HTTP_INCOMPLETE ? in : (size_t)rc;
	*end = rc != HTTP_INCOMPLETE;
	return 0;
}

/* n body bytes to the exchange; with the trailers at a chunked end. */
static int
body_send(struct conn *c, const char *p, size_t n, int end)
{
	size_t len;
	int rc;

	if (!end || c->body_left >= 0 || c->chunk.ntrailers == 0)
		return exchange_body(&c->x, p, n, end);
	if ((rc = exchange_body(&c->x, p, n, 0)) != 0)
		return rc;
	len = trailers_payload(c->tr, c->chunk.ntrailers);
	return exchange_trailers(&c->x, c->tr->payload, len);
}

/* Sends the body bytes waiting in `in` (after the head), as far as the
 * application's credit allows. */
static void
conn_pump_body(struct conn *c)
{
	char *p = c->in + c->head_len;
	size_t avail = c->inlen - c->head_len, in, n, used;
	int rc, end;

	if (c->state == CONN_TUNNEL) {
		tunnel_pump(c);
		return;
	}
	while (!c->body_done && avail > 0 && exchange_credit(&c->x) > 0 &&
	    exchange_active(&c->x)) {
		/* The decoder's output never exceeds its input, so capping
		 * the input keeps the output within credit. */
		in = avail;
		if (in > exchange_credit(&c->x))
			in = exchange_credit(&c->x);
		if (in > PROTO_MAX_FRAME)
			in = PROTO_MAX_FRAME;
		if (c->body_left >= 0) {
			if ((int64_t)in > c->body_left)
				in = (size_t)c->body_left;
			n = used = in;
			c->body_left -= (int64_t)n;
			end = c->body_left == 0;
		} else if (body_dechunk(c, p, in, &n, &used, &end) == -1)
			return;
		if ((rc = body_send(c, p, n, end)) == EXCHANGE_TOO_LARGE) {
			body_too_large(c);
			return;
		}
		if (rc == -1)
			return;
		c->body_done = end;
		/* Drop the bytes used from `in`, keeping the head. */
		memmove(p, p + used, avail - used);
		c->inlen -= used;
		avail -= used;
	}
}

/* --- what the exchange asks of the connection (exchange_ops) -------- */

/* The request went: the body is expected (with a 100 Continue when the
 * client waits for one). */
static void
conn_x_started(struct exchange *x)
{
	struct conn *c = conn_of(x);

	if (c->req.chunked && c->tr == NULL &&
	    (c->tr = malloc(sizeof(*c->tr))) == NULL) {
		exchange_cancel(x);
		conn_refuse(c, 503, NULL, 1, NULL);
		return;
	}
	c->state = CONN_EXCHANGE;
	c->body_left = c->req.chunked ? -1 : (c->req.content_length > 0 ?
	    c->req.content_length : 0);
	c->body_done = c->body_left == 0;
	if (c->req.chunked) {
		http_chunked_init(&c->chunk, NULL);
		http_chunked_keep_trailers(&c->chunk, c->tr->room,
		    sizeof(c->tr->room), c->tr->field, TRAILERS_MAX);
	}
	if (!c->body_done && c->req.expect_continue)
		out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	if (c->body_done) {
		loop_timer_cancel(c->w->loop, &c->timer);
	} else {
		arm_body(c);
		body_window(c);
	}
	conn_pump_body(c);
}

/* The connection is still read while the request waits, so a client
 * that leaves is noticed; its body waits in `in`. */
static void
conn_x_waiting(struct exchange *x)
{
	struct conn *c = conn_of(x);

	c->state = CONN_WAITING;
	loop_io_change(c->w->loop, &c->io, c->inlen < c->incap ?
	    LOOP_READ : 0);
}

static void
conn_x_resume(struct exchange *x)
{
	struct conn *c = conn_of(x);

	c->state = CONN_HEAD;
	conn_dispatch(c);
	if (c->dead || c->state != CONN_EXCHANGE)
		return;
	conn_next(c);	/* flushes a 100 Continue, reads the body */
	if (!c->dead && c->ssl != NULL && SSL_has_pending(c->ssl))
		conn_read(c);
}

static void
conn_x_answer(struct exchange *x, const struct exchange_answer *a)
{
	struct conn *c = conn_of(x);

	if (c->state == CONN_WAITING)
		c->state = CONN_HEAD;
	if (a->reason != NULL) {
		c->status = a->status;
		conn_httperr(c, a->reason);
	}
	if (response_answer(c, a) == -1) {
		conn_close(c);
		return;
	}
	conn_next(c);
}

static void
conn_x_fail(struct exchange *x, int status, const char *reason)
{
	struct conn *c = conn_of(x);

	if (!c->resp_started) {
		conn_refuse(c, status, NULL, 1, reason);
		return;
	}
	if (reason != NULL)
		conn_httperr(c, reason);
	conn_close(c);		/* a partial response, or a tunnel: reset */
}

static void
conn_x_credit(struct exchange *x, uint32_t bytes)
{
	struct conn *c = conn_of(x);

	if (c->state == CONN_TUNNEL) {
		tunnel_pump(c);
		conn_next(c);
		/* TLS may hold decrypted bytes epoll cannot see. */
		if (!c->dead && c->state == CONN_TUNNEL && !c->tun_eof &&
		    exchange_credit(x) > 0 && c->ssl != NULL &&
		    SSL_has_pending(c->ssl))
			conn_read(c);
		return;
	}
	if (exchange_credit(x) == bytes || c->inlen == c->incap)
		body_window(c);	/* the application held it back */
	if (!c->body_done)
		arm_body(c);	/* the wait is the client's again */
	conn_pump_body(c);
	if (!c->body_done) {
		loop_io_change(c->w->loop, &c->io, LOOP_READ |
		    (c->outlen > c->outoff ? LOOP_WRITE : 0));
		/* TLS may hold decrypted bytes epoll cannot see. */
		if (c->ssl != NULL && SSL_has_pending(c->ssl))
			conn_read(c);
	}
}

static void
conn_x_progress(struct exchange *x)
{
	conn_next(conn_of(x));
}

static const struct exchange_ops conn_ops = {
	.started = conn_x_started,
	.waiting = conn_x_waiting,
	.resume = conn_x_resume,
	.answer = conn_x_answer,
	.head = response_head,
	.body = response_body,
	.trailers = response_trailers,
	.credit = conn_x_credit,
	.fail = conn_x_fail,
	.progress = conn_x_progress,
};

/* --- timeouts and limits -------------------------------------------- */

/*
 * Ends a connection for what its client did or failed to do: a timer ran
 * out, a limit was reached. reason is HTTP.sys's httperr name
 * (Timer_HeaderWait, ConnLimit, ...). Every such end comes here and goes
 * to the httperr log.
 */
static void
conn_drop(struct conn *c, const char *reason)
{
	static const struct linger rst = { 1, 0 };

	conn_httperr(c, reason);
	log_debug("worker %d: connection %llu: %s; closed", c->w->index,
	    (unsigned long long)c->id, reason);
	/* A client that misbehaved gets a reset: what the kernel still holds
	 * for it (a response it does not read) goes at once. An idle one
	 * did nothing wrong and gets a FIN. */
	if (strcmp(reason, "Timer_ConnectionIdle") != 0)
		setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &rst,
		    sizeof(rst));
	conn_close(c);
}

/* MaxConnections, across workers: one over it is closed at once. */
static void
conn_limit(struct conn *c)
{
	long n = atomic_fetch_add(&c->w->d->conns, 1);
	int64_t max = conn_limits(c)->max_connections;

	if (max >= 0 && n >= max)
		conn_drop(c, "ConnLimit");
}

/* Between requests: idleconnectiontimeout, in steps that release the
 * buffer first. */
static void
arm_idle(struct conn *c)
{
	uint32_t ms = conn_limits(c)->idle_ms;

	c->idle_until = loop_now(c->w->loop) + ms;
	loop_timer_set(c->w->loop, &c->timer, c->in != NULL &&
	    ms > CONN_RELEASE_MS ? CONN_RELEASE_MS : ms);
}

/* MinRequestBodyDataRate: a new window starts (the body is expected,
 * or reading resumes after the application held it back). */
static void
body_window(struct conn *c)
{
	c->body_mark = c->rx;
	c->body_mark_ms = loop_now(c->w->loop);
}

/*
 * Checked as body bytes arrive: a client that sends each byte just
 * before the entity-body timeout would hold the request (and the
 * application's attention) for ever. Over each window the client must
 * have sent MinRequestBodyDataRate bytes a second, as Kestrel's setting
 * of that name; 0 when the connection is dropped.
 */
static int
body_rate_ok(struct conn *c)
{
	uint64_t now = loop_now(c->w->loop);
	uint64_t rate = conn_limits(c)->min_body_rate;

	if (rate == 0 || now - c->body_mark_ms < CONN_BODY_WINDOW_MS)
		return 1;
	if ((c->rx - c->body_mark) * 1000 < rate * (now - c->body_mark_ms)) {
		conn_drop(c, "Timer_MinReceiveRate");
		return 0;
	}
	body_window(c);
	return 1;
}

static void
arm_body(struct conn *c)
{
	loop_timer_set(c->w->loop, &c->timer, conn_limits(c)->entitybody_ms);
}

static void
send_check(struct loop *l, struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, send_timer);
	uint64_t want = (uint64_t)conn_limits(c)->min_send_rate *
	    CONN_SEND_WINDOW_MS / 1000;

	if (c->outoff >= c->outlen)
		return;		/* nothing waits on the client */
	/* A tunnel's peer may pause as long as it likes: the application is
	 * held by credit (nothing grows), and the idle timeout ends it. */
	if (c->state == CONN_TUNNEL) {
		c->send_mark = c->sent;
		loop_timer_set(l, t, CONN_SEND_WINDOW_MS);
		return;
	}
	if (c->sent - c->send_mark < want) {
		conn_drop(c, "Timer_MinBytesPerSecond");
		return;
	}
	c->send_mark = c->sent;
	loop_timer_set(l, t, CONN_SEND_WINDOW_MS);
}

/* --- the connection's cycle ----------------------------------------- */

static void
conn_free(struct loop_defer *df)
{
	struct conn *c = container_of(df, struct conn, free);

	atomic_fetch_sub(&c->w->d->conns, 1);
	SSL_free(c->ssl);
	close(c->io.fd);
	free(c->in);
	free(c->out);
	free(c->tr);
	free(c);
}

void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	if (c->sigwait) {
		/* Its job ends now: resumed before its answer, it fails. */
		c->sigwait = 0;
		SSL_do_handshake(c->ssl);
		ERR_clear_error();
	}
	c->dead = 1;
	h2conn_free(c);
	stats_add(&c->w->stats->closed, 1);
	stats_port(&c->w->stats->port_open[c->port], 0);
	exchange_cancel(&c->x);
	exchange_finish(&c->x, 0);	/* a request cut short */
	loop_timer_cancel(c->w->loop, &c->timer);
	loop_timer_cancel(c->w->loop, &c->send_timer);
	loop_io_remove(c->w->loop, &c->io);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	/* A flush already queued holds the connection until it runs (the
	 * deferred list would otherwise reach it through freed memory). */
	if (!c->flush_pending)
		loop_defer(c->w->loop, &c->free);
}

static void
try_head(struct conn *c)
{
	int rc;

	if (c->inlen == 0)
		return;
	if (c->t0 == 0)
		c->t0 = loop_now_us(c->w->loop);
	rc = http_request_parse(c->in, c->inlen, &c->req,
	    &conn_limits(c)->http);
	if (rc == HTTP_INCOMPLETE)
		return;
	if (rc == HTTP_ERROR) {
		c->head_only = 0;
		c->keep_alive = 0;
		conn_refuse(c, c->req.status, NULL, 1,
		    logline_reason(c->req.status, c->req.error));
		return;
	}
	c->head_len = (size_t)rc;
	conn_dispatch(c);
}

/* The response is out: count and log it, then the next request or the
 * end. */
static void
conn_done(struct conn *c)
{
	stats_request(c->w->stats, c->status, loop_now_us(c->w->loop) -
	    c->t0);
	exchange_finish(&c->x, c->status);
	conn_log_done(c);
	if (!c->keep_alive || !c->body_done || c->w->draining ||
	    c->unbound) {
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
		return;
	}
	memmove(c->in, c->in + c->head_len, c->inlen - c->head_len);
	c->inlen -= c->head_len;
	c->head_len = 0;
	c->state = CONN_HEAD;
	c->resp_started = c->resp_done = c->resp_chunked = 0;
	c->resp_close_delimited = 0;
	c->body_done = 0;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
	if (c->inlen > 0)
		loop_timer_set(c->w->loop, &c->timer,
		    conn_limits(c)->headerwait_ms);
	else
		arm_idle(c);
	if (c->serving) {	/* conn_serve's loop takes the next one */
		c->again = 1;
		return;
	}
	/* Answers come one per flush: after CONN_PIPELINE_BATCH of them
	 * with no event from the client in between, the rest waits until
	 * the socket is writable again (as conn_serve's batch does). */
	if (++c->inrow >= CONN_PIPELINE_BATCH) {
		c->resume = 1;
		loop_io_change(c->w->loop, &c->io, LOOP_WRITE);
		return;
	}
	conn_serve_more(c);	/* a pipelined request may be here already */
}

/* After output progress: credit the application, and when the response
 * is done and out, start on the next request or close. */
static void
conn_next_now(struct conn *c)
{
	int rc;

	if (c->dead)
		return;
	if (c->h2 != NULL) {
		if (h2conn_next(c))
			conn_close(c);
		return;
	}
	rc = c->broken ? -1 : out_flush(c);
	if (rc == -1) {
		if (!c->broken)
			conn_httperr(c, "Connection_Dropped");
		conn_close(c);
		return;
	}
	/* A response that is done and out needs no more credit (a frame
	 * per response the application would only read and drop). */
	if (c->x.resp_owed > 0 && !(rc == 0 && c->resp_done &&
	    c->state != CONN_TUNNEL))
		exchange_credit_back(&c->x, rc == 0);
	if (c->state == CONN_TUNNEL) {
		if (tunnel_next(c, rc))
			conn_close(c);
		return;
	}
	if (rc == 1 || !c->resp_done) {
		/* Reading goes on while the application answers: a pipelined
		 * request is buffered, a client that leaves is noticed at
		 * once, and interest does not flip twice per request (an
		 * epoll_ctl each). It stops for a body without credit or a
		 * full buffer. */
		loop_io_change(c->w->loop, &c->io, (rc == 1 ? LOOP_WRITE : 0) |
		    (c->state == CONN_HEAD || (c->state == CONN_EXCHANGE &&
		    (c->body_done ? c->inlen < c->incap :
		    exchange_credit(&c->x) > 0)) ? LOOP_READ : 0));
		return;
	}
	conn_done(c);
}

/* The deferred conn_next: whatever the batch of events queued for the
 * client goes now, in one write (one TLS record up to its size). */
static void
conn_flush(struct loop_defer *df)
{
	struct conn *c = container_of(df, struct conn, flush);

	c->flush_pending = 0;
	if (c->dead) {
		conn_free(&c->free);	/* closed while this was queued */
		return;
	}
	conn_next_now(c);
}

/* Never later than the loop's iteration (conn_int.h): deferred work runs
 * before the loop waits again. */
void
conn_next(struct conn *c)
{
	if (c->dead || c->flush_pending)
		return;
	c->flush_pending = 1;
	loop_defer(c->w->loop, &c->flush);
}

/*
 * Serves the requests buffered in `in`, one after another, in a loop. An
 * answer the daemon makes itself (an error, the metrics page) completes
 * inside try_head, and its conn_next comes back here through `again`
 * rather than recursing into the next request: a client pipelining
 * thousands of requests in one packet must not grow the stack. After
 * CONN_PIPELINE_BATCH answers in a row the rest waits until the socket
 * is writable again (the next loop iteration at the earliest), so one
 * connection cannot starve the others, and a client that does not read
 * its answers gets no more of them.
 */
static void
conn_serve(struct conn *c)
{
	int n;

	c->serving = 1;
	for (n = 0;; n++) {
		c->again = 0;
		try_head(c);
		if (c->dead || !c->again)
			break;
		if (n + 1 == CONN_PIPELINE_BATCH) {
			c->resume = 1;
			loop_io_change(c->w->loop, &c->io, LOOP_WRITE);
			break;
		}
	}
	c->serving = 0;
}

/*
 * conn_serve, then reading on if TLS holds decrypted bytes epoll cannot
 * see. Not for conn_read_once, whose caller loops over those already.
 */
static void
conn_serve_more(struct conn *c)
{
	conn_serve(c);
	if (!c->dead && c->state == CONN_HEAD && !c->resume &&
	    c->ssl != NULL && SSL_has_pending(c->ssl))
		conn_read(c);
}

/* The socket is writable again: the pipelined requests conn_serve left. */
static void
conn_resume(struct conn *c)
{
	c->resume = 0;
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
	conn_serve_more(c);
}

/* A read while a tunnel's reading is off: the client hung up, or not. */
static void
conn_tunnel_hangup(struct conn *c)
{
	int rc = tunnel_hangup(c);

	if (rc == -1)
		conn_close(c);
	else if (rc == 1)
		conn_next(c);
}

/* What new bytes in `in` bring about, by the connection's state. */
/*
 * HTTP/2 with prior knowledge on a cleartext port: the connection starts
 * with the client preface. 1 when it did (HTTP/2 took over, or it is
 * closed), 0 when it is HTTP/1.1, -1 when too few bytes tell yet.
 */
static int
conn_h2c(struct conn *c)
{
	size_t n = c->inlen < H2_PREFACE_LEN ? c->inlen : H2_PREFACE_LEN;

	if (c->ssl != NULL || c->served || c->state != CONN_HEAD ||
	    !conn_limits(c)->h2c || memcmp(c->in, H2_PREFACE, n) != 0)
		return 0;
	if (n < H2_PREFACE_LEN)
		return -1;
	if (h2conn_start(c, conn_next) == -1)
		conn_drop(c, "OutOfMemory");
	else
		conn_next(c);
	return 1;
}

/* After the TLS handshake: ALPN chose h2. */
static void
conn_alpn(struct conn *c)
{
	const unsigned char *p;
	unsigned n;

	SSL_get0_alpn_selected(c->ssl, &p, &n);
	if (n == 10 && memcmp(p, "acme-tls/1", 10) == 0) {
		/* RFC 8737 §3: the handshake was the answer. */
		conn_close(c);
		return;
	}
	if (n != 2 || memcmp(p, "h2", 2) != 0)
		return;
	if (h2conn_start(c, conn_next) == -1)
		conn_drop(c, "OutOfMemory");
	else
		conn_next(c);
}

static void
conn_got(struct conn *c, size_t was)
{
	if (c->state == CONN_HEAD && !c->served && conn_h2c(c) != 0)
		return;
	/* The header wait runs from a head's first byte; the entity-body
	 * wait restarts with each piece of body. */
	if (c->state == CONN_HEAD && was == 0)
		loop_timer_set(c->w->loop, &c->timer,
		    conn_limits(c)->headerwait_ms);
	else if (c->state == CONN_EXCHANGE && !c->body_done) {
		if (!body_rate_ok(c))
			return;
		arm_body(c);
	}
	if (c->state == CONN_HEAD) {
		if (!c->resume)
			conn_serve(c);
	} else if (c->state == CONN_WAITING && c->inlen == c->incap)
		loop_io_change(c->w->loop, &c->io, 0);
	else if (c->state == CONN_EXCHANGE) {
		conn_pump_body(c);
		if ((!c->body_done && exchange_credit(&c->x) == 0) ||
		    c->inlen == c->incap)
			loop_io_change(c->w->loop, &c->io,
			    c->outlen > c->outoff ? LOOP_WRITE : 0);
	} else if (c->state == CONN_TUNNEL) {
		tunnel_pump(c);
		conn_next(c);
	}
}

/* One read from the client, and what it brings about. */
static void
conn_read_once(struct conn *c)
{
	size_t was = c->inlen;
	ssize_t n;

	if (c->h2 != NULL) {
		if (h2conn_read(c))
			conn_close(c);
		return;
	}
	if (c->state == CONN_TUNNEL && (c->tun_eof ||
	    c->inlen == c->incap)) {
		conn_tunnel_hangup(c);
		return;
	}
	if (c->in == NULL) {
		if ((n = in_first(c)) == -1)
			conn_close(c);
		else if (n == -2)
			conn_drop(c, "OutOfMemory");
		if (n != 1)
			return;
		stats_add(&c->w->stats->bytes_in, c->inlen);
		conn_got(c, was);
		return;
	}
	if (c->inlen == c->incap) {
		/* Full: a head this long was refused by the parser already;
		 * a body waits for credit (reading is off meanwhile). */
		if (c->state == CONN_HEAD)
			conn_refuse(c, 431, NULL, 1, "RequestLength");
		return;
	}
	n = conn_recv(c, c->in + c->inlen, c->incap - c->inlen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == 0 && c->state == CONN_TUNNEL) {
		c->tun_eof = 1;		/* a half-close, passed on as END */
		tunnel_pump(c);
		conn_next(c);
		return;
	}
	if (n <= 0) {
		/* Gone with a request under way: HTTP.sys logs that. */
		if (c->state != CONN_HEAD || c->inlen > 0)
			conn_httperr(c, "Connection_Dropped");
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->rx += (uint64_t)n;
	stats_add(&c->w->stats->bytes_in, (uint64_t)n);
	conn_got(c, was);
}

/*
 * Reads while reading is wanted and OpenSSL holds records it read ahead:
 * epoll cannot see those (bounded: a full buffer turns reading off, and
 * the buffer holds a few records at most).
 */
static void
conn_read(struct conn *c)
{
	int n = 0;

	do
		conn_read_once(c);
	while (++n < 64 && !c->dead && c->ssl != NULL &&
	    c->io.events & LOOP_READ && SSL_has_pending(c->ssl));
}

static void conn_io(struct loop *, struct loop_io *, unsigned);

/* Its signature came (handshake.c's async callback deferred this): the
 * handshake goes on. Closed meanwhile: conn_close resumed its job, and
 * its free is queued after this. */
static void
conn_sig_resume(struct loop_defer *df)
{
	struct conn *c = container_of(df, struct conn, sigdone);

	if (c->dead || !c->sigwait)
		return;
	arm_idle(c);
	conn_io(c->w->loop, &c->io, 0);
}

static void
conn_io(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct conn *c = container_of(io, struct conn, io);
	int rc;

	(void)l;
	c->inrow = 0;
	if (c->ssl != NULL && !c->handshaken) {
		if ((rc = handshake_step(c)) == -1)
			conn_close(c);
		if (rc != 1)
			return;
		conn_alpn(c);
		if (c->dead)
			return;
		rev |= LOOP_READ;	/* a request may follow at once */
	}
	if (rev & LOOP_WRITE && c->resume)
		conn_resume(c);
	else if (rev & LOOP_WRITE)
		conn_next(c);
	if (!c->dead && rev & (LOOP_READ | LOOP_ERROR))
		conn_read(c);
}

static void
conn_timeout(struct loop *l, struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);
	uint64_t now = loop_now(l);
	const char *why;

	if (c->sigwait) {
		handshake_failed(c, "no signature in time");
		conn_close(c);
		return;
	}
	if (c->h2 != NULL) {
		if ((why = h2conn_timeout(c)) != NULL)
			conn_drop(c, why);
		return;
	}
	if (c->state == CONN_HEAD && c->inlen > 0) {
		conn_drop(c, "Timer_HeaderWait");
	} else if (c->state == CONN_HEAD && now < c->idle_until) {
		/* Idle for a while: the buffer goes, the wait goes on. */
		in_release(c);
		loop_timer_set(l, t, c->idle_until - now);
	} else if (c->state == CONN_HEAD) {
		conn_drop(c, "Timer_ConnectionIdle");
	} else if (c->state == CONN_EXCHANGE && !c->body_done) {
		/* Not the client's fault while the application withholds
		 * credit, or while the buffer waits for it. */
		if (exchange_credit(&c->x) == 0 || c->inlen == c->incap)
			arm_body(c);
		else
			conn_drop(c, "Timer_EntityBody");
	} else if (c->state == CONN_TUNNEL) {
		conn_drop(c, "Timer_ConnectionIdle");
	}
}

/* A new connection's fields, and its exchange's view of it. */
static void
conn_init(struct conn *c, struct worker *w, int fd, uint16_t port, int tls)
{
	socklen_t len;

	len = sizeof(c->peer);
	getpeername(fd, (struct sockaddr *)&c->peer, &len);
	len = sizeof(c->local);
	getsockname(fd, (struct sockaddr *)&c->local, &len);
	c->w = w;
	c->id = ++w->last_conn_id;
	c->port = port;
	c->tls = tls;
	c->io.fd = fd;
	c->io.fn = conn_io;
	c->free.fn = conn_free;
	c->flush.fn = conn_flush;
	c->timer.fn = conn_timeout;
	c->send_timer.fn = send_check;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
	c->client.id = c->id;
	c->client.port = port;
	c->client.tls = tls;
	c->client.peer = &c->peer;
	c->client.local = &c->local;
	exchange_init(&c->x, w, &conn_ops, &c->client);
}

void
conn_accept(struct worker *w, int fd, uint16_t port, int tls)
{
	struct conn *c;
	struct err e;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_init(c, w, fd, port, tls);
	if (tls && ((c->ssl = SSL_new(w->tls_ctx)) == NULL ||
	    !SSL_set_fd(c->ssl, fd))) {
		ERR_clear_error();
		SSL_free(c->ssl);
		free(c);
		close(fd);
		return;
	}
	if (c->ssl != NULL) {
		SSL_set_app_data(c->ssl, c);
		SSL_set_accept_state(c->ssl);
		handshake_setup(c, conn_sig_resume);
		c->client.ssl = c->ssl;
	}
	if (loop_io_add(w->loop, &c->io, LOOP_READ, &e) == -1) {
		SSL_free(c->ssl);
		free(c);
		close(fd);
		return;
	}
	if ((c->next = w->conns) != NULL)
		c->next->prevp = &c->next;
	w->conns = c;
	c->prevp = &w->conns;
	stats_add(&w->stats->accepted, 1);
	stats_port(&w->stats->port_open[port], 1);
	arm_idle(c);
	conn_limit(c);
}
