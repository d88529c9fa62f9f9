/*
 * conn — client connections and their exchange with applications. See
 * conn.h and docs/protocol.md.
 *
 * The life of a request: bytes arrive in `in`; http_request_parse() finds a
 * whole head; the path is cooked and routed; a REQUEST frame carrying the
 * raw head and an offset table goes down a data channel; the body follows
 * as REQ_DATA, no faster than the application credits it; the RESPONSE and
 * RESP_DATA frames that come back become an HTTP/1.1 response in `out`,
 * credited back to the application as the client drains it. Then the next
 * (possibly pipelined) request.
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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/digits.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "daemon/channel.h"
#include "daemon/conn.h"
#include "daemon/httplog.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/registry.h"
#include "daemon/qgate.h"
#include "daemon/route.h"
#include "daemon/snapshot.h"
#include "daemon/stats.h"
#include "daemon/tls.h"
#include "daemon/trailers.h"
#include "daemon/waitlist.h"
#include "daemon/worker.h"
#include "http/chars.h"
#include "http/http.h"
#include "proto/proto.h"
#include "url/url.h"

#include <openssl/err.h>

/* The input buffer: more than the parser's head limit (MaxRequestBytes),
 * so that it can see a head is too long rather than wait for its end. */
#define CONN_IN_SIZE		(20u << 10)
#define CONN_IN_SLACK		(4u << 10)
#define CONN_IN_MAX		((64u << 10) + CONN_IN_SLACK)
#define CONN_MAX_HEADERS	1000	/* MaxHeaderCount's ceiling */
#define CONN_RELEASE_MS		1000	/* idle: the input buffer goes */
#define CONN_SEND_WINDOW_MS	4000	/* MinSendRate is measured over it */
#define CONN_BODY_WINDOW_MS	4000	/* and MinRequestBodyDataRate */
#define REQUEST_FIXED		144
#define RESPONSE_FIXED		16
#define SPAN(i)			(72 + 8 * (i))	/* REQUEST's spans */
#define INTERIM_MAX_BUFFERED	(64u << 10)	/* 1xx heads beyond: dropped */
#define CONN_PIPELINE_BATCH	16	/* answered in a row; then the others */

enum conn_state {
	CONN_HEAD,		/* reading a request head */
	CONN_EXCHANGE,		/* a request is with an application */
	CONN_WAITING,		/* routed; waits for a process (waitlist.h) */
	CONN_CLOSING,		/* flushing the last bytes, then close */
	CONN_TUNNEL		/* after a 101: bytes relayed both ways */
};

struct conn {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct loop_timer	 timer;
	struct worker		*w;
	struct conn		*next, **prevp;
	enum conn_state		 state;
	int			 dead;
	int			 tls;
	SSL			*ssl;
	int			 handshaken;
	uint16_t		 port;
	uint64_t		 id;
	struct sockaddr_storage	 peer, local;

	char			*in;		/* NULL while idle */
	size_t			 inlen;
	size_t			 incap;
	char			*out;
	size_t			 outoff, outlen, outcap;

	/* The request in flight. */
	struct http_request	 req;
	struct http_header	*hdrs;		/* after `in`'s bytes */
	size_t			 nhdrs;
	size_t			 head_len;
	uint64_t		 xid;
	struct channel		*ch;
	int			 keep_alive;
	int			 head_only;	/* HEAD: no response body */
	int64_t			 body_left;	/* request body; -1 chunked */
	struct http_chunked	 chunk;
	int			 body_done;
	uint32_t		 req_credit;	/* app's credit for REQ_DATA */
	int			 resp_started;
	int			 resp_chunked;
	int			 resp_close_delimited;
	int64_t			 resp_left;	/* -1: not counted */
	int			 resp_done;
	uint32_t		 resp_owed;	/* flushed, not yet credited */
	uint64_t		 resp_credit;	/* RESP_DATA the app may send */
	int			 broken;	/* out of memory: close */

	/* Upgrade tunnels (below, "upgrade tunnels") and trailers. */
	int			 upgrade_ok;	/* REQUEST had the UPGRADE flag */
	int			 tun_eof;	/* the client ended its side */
	int			 tun_shut;	/* we ended the client's side */
	struct trailers		*tr;		/* chunked requests' trailers */

	/* For the request logs (httplog.h). */
	int			 status;	/* of the response */
	uint64_t		 t0;		/* the request's first bytes, µs */
	uint64_t		 sent, sent0;	/* bytes out; at its start */
	int			 err_logged;	/* its httperr line is out */
	/* Accounting (stats.h): its queue's counters while it is in
	 * flight. */
	struct queue_stats	*qs;
	/* The request's place in its queue (qgate.h, waitlist.h). */
	struct qgate		*gate;		/* counted in it; or NULL */
	struct waiter		 waiter;
	/* Timeouts and limits. */
	uint64_t		 idle_until;	/* loop_now() deadline */
	int64_t			 body_max;	/* MaxRequestBodySize; -1 none */
	int64_t			 body_seen;	/* chunked: decoded so far */
	struct loop_timer	 send_timer;	/* MinSendRate */
	uint64_t		 send_mark;	/* `sent` at the last rate check */
	uint64_t		 rx;		/* bytes read from the client */
	uint64_t		 body_mark;	/* `rx` when the window began */
	uint64_t		 body_mark_ms;	/* and its loop_now() */
	int			 served;	/* a request was dispatched */
	/* Pipelined requests (conn_serve). */
	int			 serving;	/* conn_serve is on the stack */
	int			 again;		/* one was answered: next one */
	int			 resume;	/* more wait for writability */
};

static void	conn_close(struct conn *);
static void	conn_read(struct conn *);
static void	conn_next(struct conn *);
static void	conn_serve(struct conn *);
static void	conn_serve_more(struct conn *);
static void	conn_pump_body(struct conn *);
static void	tunnel_pump(struct conn *);
static void	tunnel_next(struct conn *, int);
static void	conn_leave_queue(struct conn *);
static void	conn_drop(struct conn *, const char *);
static const struct snap_limits *limits(const struct conn *);
static void	arm_body(struct conn *);
static void	body_window(struct conn *);
static void	send_watch(struct conn *);

/* --- the exchange table: request id -> connection ------------------- */

/*
 * A request id is unique within a session, whose channels go to every
 * worker: generation (32 bits) | worker index (8) | slot (24). The
 * generation changes whenever a slot is reused, so a late frame for an
 * ended request finds nothing.
 */
#define XID_SLOT_BITS	24
#define XID_SLOTS	(1u << XID_SLOT_BITS)

static int
xid_new(struct conn *c)
{
	struct worker *w = c->w;
	uint32_t slot, cap, i;
	struct conn **ns;
	uint32_t *ng, *nf;

	if (w->nxfree == 0) {
		cap = w->nxslot ? 2 * w->nxslot : 256;
		if (cap > XID_SLOTS)
			return -1;
		if ((ns = realloc(w->xslot, cap * sizeof(*ns))) == NULL)
			return -1;
		w->xslot = ns;
		if ((ng = realloc(w->xgen, cap * sizeof(*ng))) == NULL)
			return -1;
		w->xgen = ng;
		if ((nf = realloc(w->xfree, cap * sizeof(*nf))) == NULL)
			return -1;
		w->xfree = nf;
		for (i = w->nxslot; i < cap; i++) {
			w->xslot[i] = NULL;
			w->xgen[i] = 0;
			w->xfree[w->nxfree++] = cap - 1 - (i - w->nxslot);
		}
		w->nxslot = cap;
	}
	slot = w->xfree[--w->nxfree];
	w->xslot[slot] = c;
	w->xgen[slot]++;
	c->xid = (uint64_t)w->xgen[slot] << 32 | (uint32_t)w->index <<
	    XID_SLOT_BITS | slot;
	return 0;
}

static struct conn *
xid_find(struct worker *w, uint64_t id)
{
	uint32_t slot = (uint32_t)id & (XID_SLOTS - 1);

	if (((uint32_t)id >> XID_SLOT_BITS) != (uint32_t)w->index ||
	    slot >= w->nxslot || w->xgen[slot] != (uint32_t)(id >> 32))
		return NULL;
	return w->xslot[slot];
}

static void
xid_release(struct conn *c)
{
	struct worker *w = c->w;
	uint32_t slot = (uint32_t)c->xid & (XID_SLOTS - 1);

	conn_leave_queue(c);
	if (c->xid == 0)
		return;
	w->xslot[slot] = NULL;
	w->xgen[slot]++;
	w->xfree[w->nxfree++] = slot;
	c->xid = 0;
	c->ch = NULL;
}

/* --- output to the client ------------------------------------------- */

static int
out_reserve(struct conn *c, size_t n)
{
	size_t cap;
	char *nb;

	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n <= c->outcap)
		return 0;
	cap = c->outcap ? c->outcap : 4096;
	while (cap < c->outlen + n)
		cap *= 2;
	if ((nb = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = nb;
	c->outcap = cap;
	return 0;
}

static int
out_append(struct conn *c, const void *p, size_t n)
{
	if (out_reserve(c, n) == -1) {
		c->broken = 1;	/* conn_next closes it */
		return -1;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

/* I/O through TLS or not: -1 with errno EAGAIN when it would block. */
static ssize_t
conn_send(struct conn *c, const void *p, size_t n)
{
	ssize_t r;
	int rc;

	if (c->ssl == NULL) {
		do
			r = send(c->io.fd, p, n, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		return r;
	}
	if ((rc = SSL_write(c->ssl, p, (int)(n > INT_MAX ? INT_MAX : n))) > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	default:
		ERR_clear_error();
		errno = EPIPE;
		return -1;
	}
}

static ssize_t
conn_recv(struct conn *c, void *p, size_t n)
{
	ssize_t r;
	int rc;

	if (c->ssl == NULL) {
		do
			r = recv(c->io.fd, p, n, 0);
		while (r == -1 && errno == EINTR);
		return r;
	}
	if ((rc = SSL_read(c->ssl, p, (int)n)) > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		errno = ECONNRESET;
		return -1;
	}
}

/* Writes what it can; 0 when all is out, 1 when some waits, -1 on error. */
static int
out_flush(struct conn *c)
{
	size_t before = c->outoff;
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = conn_send(c, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1)
			return -1;
		c->outoff += (size_t)n;
		c->sent += (size_t)n;
	}
	stats_add(&c->w->stats->bytes_out, c->outoff - before);
	if (c->resp_started)
		c->resp_owed += (uint32_t)(c->outoff - before);
	if (c->outoff < c->outlen) {
		send_watch(c);
		return 1;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* --- the Date header, once a second per worker ---------------------- */

static const char *
http_date(struct worker *w)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != w->date_sec) {
		w->date_sec = now;
		gmtime_r(&now, &tm);
		strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT",
		    &tm);
	}
	return w->date;
}

/* --- the request logs ---------------------------------------------- */

static void
find_header(const struct http_request *r, const char *name, size_t len,
    const char **v, size_t *vlen)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].name_len == len &&
		    strncasecmp(r->headers[i].name, name, len) == 0) {
			*v = r->headers[i].value;
			*vlen = r->headers[i].value_len;
			return;
		}
}

/* What the logs say of the request in flight; its head is known when
 * head_len is set (a head the parser refused is not). */
static void
conn_logrec(struct conn *c, struct logrec *r)
{
	memset(r, 0, sizeof(*r));
	r->peer = &c->peer;
	r->local = &c->local;
	r->status = c->status;
	r->bytes = c->sent - c->sent0;
	r->ms = c->t0 ? (loop_now_us(c->w->loop) - c->t0) / 1000 : 0;
	if (c->ssl != NULL && c->handshaken) {
		r->tls_version = SSL_get_version(c->ssl);
		r->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	}
	if (c->head_len == 0)
		return;
	r->method = c->req.method;
	r->method_len = c->req.method_len;
	r->uri = c->req.target;
	r->uri_len = c->req.target_len;
	r->version = c->req.version;
	r->host = c->req.host;
	r->host_len = c->req.host_len;
	find_header(&c->req, "user-agent", 10, &r->ua, &r->ua_len);
	find_header(&c->req, "referer", 7, &r->referer, &r->referer_len);
}

/* The httperr line of a connection's failure: one per connection. */
static void
conn_httperr(struct conn *c, const char *reason)
{
	struct logrec r;

	if (c->err_logged || c->w->log == NULL)
		return;
	c->err_logged = 1;
	conn_logrec(c, &r);
	httperr_conn(c->w, &c->peer, &c->local, reason, &r);
}

/* The access log's line, once a response is out. */
static void
conn_log_done(struct conn *c)
{
	struct logrec r;

	if (c->w->log != NULL) {
		conn_logrec(c, &r);
		httplog_access(c->w, &r);
	}
	c->sent0 = c->sent;
	c->t0 = 0;
	c->err_logged = 0;
	c->status = 0;	/* an idle close after it has no status */
}

/* --- answers made by the daemon itself ------------------------------ */

/*
 * The Connection header of a response: "close" when the connection ends
 * after it; for an HTTP/1.0 client that asked to keep it, "keep-alive"
 * when it stays (RFC 9112, 9.3: else that client waits for a close that
 * never comes); nothing for HTTP/1.1, whose default is to stay.
 */
static const char *
connection_header(const struct conn *c, int stays)
{
	if (!stays)
		return "Connection: close\r\n";
	return c->req.version == 10 ? "Connection: keep-alive\r\n" : "";
}

static void
error_response(struct conn *c, int status, const char *detail, int close)
{
	char body[512], head[512];
	const char *reason = http_status_reason(status);
	int blen, hlen;

	blen = snprintf(body, sizeof(body), "<!DOCTYPE html>\r\n<html><head>"
	    "<title>%s</title></head>\r\n<body><h2>%s%s%s</h2>\r\n<hr><p>HTTP "
	    "Error %d. %s</p>\r\n</body></html>\r\n", reason, reason,
	    detail ? " - " : "", detail ? detail : "", status,
	    detail ? detail : reason);
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Server: hsys\r\nContent-Type: text/html; charset=us-ascii\r\n"
	    "Content-Length: %d\r\n%s\r\n", status, reason, http_date(c->w),
	    c->head_only ? 0 : blen, connection_header(c, c->keep_alive &&
	    !close));
	if (out_append(c, head, (size_t)hlen) == -1 ||
	    (!c->head_only && out_append(c, body, (size_t)blen) == -1)) {
		conn_close(c);
		return;
	}
	c->keep_alive = c->keep_alive && !close;
	c->status = status;
	c->resp_done = 1;
	c->body_done = 1;
	conn_next(c);
}

/* The daemon's own page (metrics.c) for a request routed to it. */
static void
daemon_page(struct conn *c)
{
	struct strbuf body = { 0 };
	char head[256];
	int hlen, close = c->req.content_length > 0 || c->req.chunked;

	if (c->req.method_id != HTTP_METHOD_GET && !c->head_only) {
		error_response(c, 405, NULL, 1);
		return;
	}
	metrics_render(c->w, &body);
	if (strbuf_failed(&body)) {
		strbuf_free(&body);
		error_response(c, 500, NULL, 1);
		return;
	}
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nDate: %s\r\n"
	    "Server: hsys\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%s\r\n", http_date(c->w), METRICS_CONTENT_TYPE, body.len,
	    connection_header(c, c->keep_alive && !close));
	if (out_append(c, head, (size_t)hlen) == -1 || (!c->head_only &&
	    out_append(c, body.s, body.len) == -1)) {
		strbuf_free(&body);
		conn_close(c);
		return;
	}
	strbuf_free(&body);
	c->keep_alive = c->keep_alive && !close;
	c->resp_done = c->body_done = 1;
	c->status = 200;
	conn_next(c);
}

/* An error answer the httperr log records, with its reason. */
static void
refuse_request(struct conn *c, int status, const char *detail, int close,
    const char *reason)
{
	c->status = status;
	conn_httperr(c, reason);
	error_response(c, status, detail, close);
}

/* --- the REQUEST frame ---------------------------------------------- */

static uint16_t
method_code(enum http_method m)
{
	switch (m) {
	case HTTP_METHOD_GET:		return 1;
	case HTTP_METHOD_HEAD:		return 2;
	case HTTP_METHOD_POST:		return 3;
	case HTTP_METHOD_PUT:		return 4;
	case HTTP_METHOD_DELETE:	return 5;
	case HTTP_METHOD_OPTIONS:	return 6;
	case HTTP_METHOD_PATCH:		return 7;
	case HTTP_METHOD_CONNECT:	return 8;
	case HTTP_METHOD_TRACE:		return 9;
	default:			return 0;
	}
}

static void
put_addr(unsigned char *p, const struct sockaddr_storage *ss)
{
	memset(p, 0, 20);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		proto_put16(p, 2);
		proto_put16(p + 2, ntohs(sin->sin_port));
		memcpy(p + 4, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		proto_put16(p, 10);
		proto_put16(p + 2, ntohs(sin6->sin6_port));
		memcpy(p + 4, &sin6->sin6_addr, 16);
	}
}

static int
send_request(struct conn *c, uint32_t queue, const char *path,
    size_t pathlen, const char *query, size_t qlen, const char *prefix,
    size_t plen)
{
	static const unsigned char zero[8];
	unsigned char head[PROTO_HEADER_SIZE + REQUEST_FIXED];
	unsigned char *p = head + PROTO_HEADER_SIZE;
	unsigned char table[CONN_MAX_HEADERS * 16];
	const struct http_request *r = &c->req;
	size_t area = REQUEST_FIXED + 16 * r->nheaders, extra, len, i;
	uint32_t base = (uint32_t)c->head_len;
	struct iovec iov[9];
	uint16_t flags = 0;
	char tls[128] = "";
	const char *sni = NULL;
	unsigned char *cert = NULL;
	size_t tlen = 0, slen = 0, clen = 0;
	int rc, der;

	if (c->ssl != NULL) {
		tls_describe(c->ssl, tls, sizeof(tls));
		tlen = strlen(tls);
		if ((sni = SSL_get_servername(c->ssl,
		    TLSEXT_NAMETYPE_host_name)) != NULL)
			slen = strlen(sni);
		if (SSL_get0_peer_certificate(c->ssl) != NULL &&
		    (der = i2d_X509(SSL_get0_peer_certificate(c->ssl), &cert)) >
		    0) {
			clen = (size_t)der;
			flags |= 0x40;
		}
	}
	memset(head, 0, sizeof(head));
	extra = pathlen + plen + tlen + slen + clen;
	len = area + c->head_len + extra;
	proto_header_put(head, (uint32_t)len, PROTO_REQUEST, 0, c->xid);
	proto_put32(p, queue);
	proto_put16(p + 4, method_code(r->method_id));
	p[6] = 1;
	p[7] = r->version == 11 ? 1 : 0;
	proto_put16(p + 8, (uint16_t)r->nheaders);
	if (r->content_length > 0 || r->chunked)
		flags |= 0x1;
	if (r->chunked)
		flags |= 0x2;
	if (c->keep_alive)
		flags |= 0x4;
	if (r->expect_continue)
		flags |= 0x8;
	if (c->upgrade_ok)
		flags |= 0x10;
	if (c->tls)
		flags |= 0x20;
	proto_put16(p + 10, flags);
	proto_put64(p + 16, r->chunked ? UINT64_MAX :
	    (uint64_t)(r->content_length > 0 ? r->content_length : 0));
	proto_put64(p + 24, c->id);
	put_addr(p + 32, &c->peer);
	put_addr(p + 52, &c->local);
	/* Spans into the bytes area, which starts with the raw head. */
	proto_span_put(p + SPAN(0), (uint32_t)(r->method - c->in),
	    (uint32_t)r->method_len);
	proto_span_put(p + SPAN(1), (uint32_t)(r->target - c->in),
	    (uint32_t)r->target_len);
	proto_span_put(p + SPAN(2), base, (uint32_t)pathlen);
	if (query != NULL)
		proto_span_put(p + SPAN(3), (uint32_t)(query - c->in),
		    (uint32_t)qlen);
	if (r->host != NULL)
		proto_span_put(p + SPAN(4), (uint32_t)(r->host - c->in),
		    (uint32_t)r->host_len);
	proto_span_put(p + SPAN(5), base + (uint32_t)pathlen, (uint32_t)plen);
	base += (uint32_t)(pathlen + plen);
	proto_span_put(p + SPAN(6), base, (uint32_t)tlen);
	proto_span_put(p + SPAN(7), base + (uint32_t)tlen, (uint32_t)slen);
	proto_span_put(p + SPAN(8), base + (uint32_t)(tlen + slen),
	    (uint32_t)clen);
	for (i = 0; i < r->nheaders; i++) {
		proto_put32(table + 16 * i, (uint32_t)(r->headers[i].name -
		    c->in));
		proto_put32(table + 16 * i + 4, (uint32_t)r->headers[i].name_len);
		proto_put32(table + 16 * i + 8, (uint32_t)(r->headers[i].value -
		    c->in));
		proto_put32(table + 16 * i + 12,
		    (uint32_t)r->headers[i].value_len);
	}
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = table;
	iov[1].iov_len = 16 * r->nheaders;
	iov[2].iov_base = c->in;
	iov[2].iov_len = c->head_len;
	iov[3].iov_base = (void *)path;
	iov[3].iov_len = pathlen;
	iov[4].iov_base = (void *)prefix;
	iov[4].iov_len = plen;
	iov[5].iov_base = tls;
	iov[5].iov_len = tlen;
	iov[6].iov_base = (void *)sni;
	iov[6].iov_len = slen;
	iov[7].iov_base = cert;
	iov[7].iov_len = clen;
	iov[8].iov_base = (void *)zero;
	iov[8].iov_len = proto_frame_size((uint32_t)len) - PROTO_HEADER_SIZE -
	    len;
	rc = channel_writev(c->ch, iov, 9);
	OPENSSL_free(cert);
	return rc;
}

/* The Host header's name without its port; brackets kept for IPv6. */
static void
host_name(const struct http_request *r, const char **h, size_t *n)
{
	const char *p = r->host;
	size_t len = r->host_len, i;

	*h = p;
	*n = len;
	if (p == NULL)
		return;
	if (len > 0 && p[0] == '[') {
		for (i = 0; i < len && p[i] != ']'; i++)
			;
		*n = i < len ? i + 1 : len;
		return;
	}
	for (i = len; i > 0; i--) {
		if (p[i - 1] == ':') {
			*n = i - 1;
			return;
		}
	}
}

/* --- the request's queue: its length and the wait for a process ---- */

static void	dispatch(struct conn *);

/* Counts the request in its queue (once, however often it is routed);
 * -1 when the queue is full (answered 503). */
static int
conn_enter_queue(struct conn *c, const struct url_prefix *pfx)
{
	struct qgate *g = route_gate(c->w, pfx);

	if (g == c->gate)
		return 0;
	conn_leave_queue(c);
	if (qgate_enter(g) == -1) {
		log_info("worker %d: QueueFull: queue %u holds %u requests, its "
		    "length; answering 503", c->w->index, g->queue,
		    atomic_load(&g->length));
		refuse_request(c, 503, NULL, c->req.content_length > 0 ||
		    c->req.chunked, "QueueFull");
		return -1;
	}
	c->gate = g;
	return 0;
}

/* Called when the final response starts, or the request ends. */
static void
conn_leave_queue(struct conn *c)
{
	if (c->gate == NULL)
		return;
	qgate_leave(c->gate);
	c->gate = NULL;
}

static void
conn_offline(struct conn *c, const char *why)
{
	log_info("worker %d: AppOffline: queue %u %s; answering 503",
	    c->w->index, c->gate ? c->gate->queue : 0, why);
	conn_leave_queue(c);
	c->state = CONN_HEAD;
	refuse_request(c, 503, NULL, c->req.content_length > 0 ||
	    c->req.chunked, "AppOffline");
}

/* Back from the waitlist: a process came (route again) or none did. */
static void
conn_waited(struct waiter *wt, enum wait_end how)
{
	struct conn *c = container_of(wt, struct conn, waiter);

	if (how == WAIT_EXPIRED) {
		conn_offline(c, "had no process in time");
		return;
	}
	c->state = CONN_HEAD;
	dispatch(c);
	if (c->dead || c->state != CONN_EXCHANGE)
		return;
	conn_next(c);	/* flushes a 100 Continue, reads the body */
	if (!c->dead && c->ssl != NULL && SSL_has_pending(c->ssl))
		conn_read(c);
}

/* No process of the queue on this worker: wait for one within the
 * queue's grace period, or 503 at once. The connection is still read, so
 * a client that leaves is noticed; its body waits in `in`. Whatever
 * closes the connection meanwhile (the client, a timer) takes it off the
 * list in conn_close. */
static void
conn_wait(struct conn *c, uint32_t queue)
{
	uint64_t until = qgate_wait_until(c->gate, loop_now(c->w->loop));

	if (until == 0) {
		conn_offline(c, "has no process");
		return;
	}
	c->waiter.fn = conn_waited;
	if (route_wait(c->w, queue, &c->waiter, until) == -1) {
		conn_offline(c, "cannot hold more requests (out of memory)");
		return;
	}
	c->state = CONN_WAITING;
	loop_io_change(c->w->loop, &c->io, c->inlen < c->incap ?
	    LOOP_READ : 0);
}

static void
dispatch(struct conn *c)
{
	char *path, prefix[URL_PREFIX_MAX];
	const struct url_prefix *pfx;
	struct http_cooked cooked;
	struct url_request ur;
	uint32_t queue;
	int status, n, plen;

	c->keep_alive = c->req.keep_alive && !c->w->draining;
	c->served = 1;
	c->head_only = c->req.method_id == HTTP_METHOD_HEAD;
	/* An Upgrade with a body is served as a plain request: the body
	 * would have to end before the tunnel starts (docs/protocol.md). */
	c->upgrade_ok = c->req.upgrade_req && c->req.content_length <= 0 &&
	    !c->req.chunked;
	if (c->req.form == HTTP_FORM_AUTHORITY ||
	    c->req.form == HTTP_FORM_ASTERISK) {
		refuse_request(c, c->req.form == HTTP_FORM_ASTERISK ? 400 :
		    405, NULL, 1, c->req.form == HTTP_FORM_ASTERISK ? "URL" :
		    "Verb");
		return;
	}
	/* The cooked path goes in the worker's scratch buffer: it is as
	 * long as a head may be, too big for the stack. */
	if (c->w->cook == NULL &&
	    (c->w->cook = malloc(CONN_IN_MAX + 1)) == NULL) {
		error_response(c, 503, NULL, 1);
		return;
	}
	path = c->w->cook;
	n = http_path_cook(c->req.target, c->req.target_len, path,
	    CONN_IN_MAX + 1, &cooked);
	if (n == HTTP_ERROR) {
		refuse_request(c, 400, "Invalid URL", 1, "URL");
		return;
	}
	memset(&ur, 0, sizeof(ur));
	ur.https = c->tls;
	host_name(&c->req, &ur.host, &ur.hostlen);
	ur.local_family = c->local.ss_family;
	ur.local_addr = c->local.ss_family == AF_INET ?
	    (const unsigned char *)&((struct sockaddr_in *)&c->local)->sin_addr :
	    (const unsigned char *)&((struct sockaddr_in6 *)&c->local)->sin6_addr;
	ur.port = c->port;
	ur.path = cooked.path;
	ur.pathlen = cooked.path_len;
	if (route_find(c->w, &ur, &pfx, &queue, &status) == -1) {
		refuse_request(c, status, status == 400 ? "Invalid Hostname" :
		    NULL, c->req.content_length > 0 || c->req.chunked,
		    status == 400 ? "Hostname" : "NotFound");
		return;
	}
	if (queue == REGISTRY_INTERNAL) {
		daemon_page(c);
		return;
	}
	/* MaxRequestBodySize: a declared length is refused at once, a
	 * chunked body once it grows past (conn_pump_body). */
	c->body_max = snapshot_body_max(limits(c), &ur);
	c->body_seen = 0;
	if (c->body_max >= 0 && c->req.content_length > c->body_max) {
		refuse_request(c, 413, NULL, 1, "EntityTooLarge");
		return;
	}
	if (c->qs == NULL)	/* once, however often it is routed */
		c->qs = qstats_begin(route_stats(c->w, pfx));
	if (conn_enter_queue(c, pfx) == -1)
		return;
	if ((c->ch = route_channel(c->w, queue)) == NULL) {
		conn_wait(c, queue);
		return;
	}
	if (c->req.chunked && c->tr == NULL &&
	    (c->tr = malloc(sizeof(*c->tr))) == NULL) {
		error_response(c, 503, NULL, 1);
		return;
	}
	plen = url_prefix_format(pfx, prefix, sizeof(prefix));
	if (xid_new(c) == -1 || send_request(c, queue, cooked.path,
	    cooked.path_len, cooked.query, cooked.query_len, prefix,
	    (size_t)(plen > 0 ? plen : 0)) == -1) {
		xid_release(c);
		refuse_request(c, 503, NULL, 1, "AppOffline");
		return;
	}
	c->state = CONN_EXCHANGE;
	c->req_credit = PROTO_WINDOW;
	c->resp_credit = PROTO_WINDOW;
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

/* --- the request body ----------------------------------------------- */

/* The last body bytes, then the trailers as the final REQ_DATA (TRAILERS
 * and END; it is not counted against credit: the decoder bounds it). */
static int
send_trailers(struct conn *c, const char *p, size_t n)
{
	size_t len = trailers_payload(c->tr, c->chunk.ntrailers);

	if (n > 0 && channel_frame(c->ch, PROTO_REQ_DATA, 0, c->xid, p, n) ==
	    -1)
		return -1;
	if (len == 0)
		return channel_frame(c->ch, PROTO_REQ_DATA, PROTO_F_END,
		    c->xid, NULL, 0);
	return channel_frame(c->ch, PROTO_REQ_DATA, PROTO_F_TRAILERS |
	    PROTO_F_END, c->xid, c->tr->payload, len);
}

/* A chunked body grew past MaxRequestBodySize: the application's request
 * is cancelled; the client gets 413 unless its response began. */
static void
body_too_large(struct conn *c)
{
	channel_frame(c->ch, PROTO_CANCEL, 0, c->xid, NULL, 0);
	xid_release(c);
	c->body_done = 1;	/* callers stop pumping */
	if (c->resp_started)
		conn_drop(c, "EntityTooLarge");
	else
		refuse_request(c, 413, NULL, 1, "EntityTooLarge");
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
	while (!c->body_done && avail > 0 && c->req_credit > 0 && c->ch) {
		/* The decoder's output never exceeds its input, so capping
		 * the input keeps the output within credit. */
		in = avail;
		if (in > c->req_credit)
			in = c->req_credit;
		if (in > PROTO_MAX_FRAME)
			in = PROTO_MAX_FRAME;
		if (c->body_left >= 0) {
			if ((int64_t)in > c->body_left)
				in = (size_t)c->body_left;
			n = used = in;
			c->body_left -= (int64_t)n;
			end = c->body_left == 0;
		} else {
			n = in;
			rc = http_chunked_decode(&c->chunk, p, &n);
			if (rc == HTTP_ERROR) {
				channel_frame(c->ch, PROTO_CANCEL, 0, c->xid,
				    NULL, 0);
				xid_release(c);
				refuse_request(c, c->chunk.status, NULL, 1,
				    logline_reason(c->chunk.status,
				    c->chunk.error));
				return;
			}
			used = rc == HTTP_INCOMPLETE ? in : (size_t)rc;
			end = rc != HTTP_INCOMPLETE;
			c->body_seen += (int64_t)n;
			if (c->body_max >= 0 && c->body_seen > c->body_max) {
				body_too_large(c);
				return;
			}
		}
		if (end && c->body_left < 0 && c->chunk.ntrailers > 0) {
			if (send_trailers(c, p, n) == -1)
				return;
		} else if ((n > 0 || end) && channel_frame(c->ch,
		    PROTO_REQ_DATA, end ? PROTO_F_END : 0, c->xid, p, n) == -1)
			return;
		c->req_credit -= (uint32_t)n;
		c->body_done = end;
		/* Drop the bytes used from `in`, keeping the head. */
		memmove(p, p + used, avail - used);
		c->inlen -= used;
		avail -= used;
	}
}

/* --- frames from the application ------------------------------------ */

/* A header name: a token (RFC 9110 §5.6.2), by the parsers' table. */
static int
valid_token(const unsigned char *s, uint32_t n)
{
	uint32_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!HTTP_IS(s[i], HC_TOKEN))
			return 0;
	return 1;
}

static int
valid_value(const unsigned char *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 0;
	return 1;
}

static int
is_name(const unsigned char *s, uint32_t n, const char *name)
{
	return strlen(name) == n && strncasecmp((const char *)s, name, n) == 0;
}

/* The application's headers of a RESPONSE (validated already), but for
 * those that frame the connection or that the daemon writes itself. */
static void
put_app_headers(struct conn *c, const struct proto_frame *f, uint32_t nh,
    size_t area)
{
	const unsigned char *t, *name;
	uint32_t i, nlen;

	for (i = 0; i < nh; i++) {
		t = f->payload + RESPONSE_FIXED + 16 * i;
		name = f->payload + area + proto_get32(t);
		nlen = proto_get32(t + 4);
		if (is_name(name, nlen, "connection") ||
		    is_name(name, nlen, "transfer-encoding") ||
		    is_name(name, nlen, "keep-alive") ||
		    is_name(name, nlen, "content-length") ||
		    is_name(name, nlen, "date") || is_name(name, nlen, "server"))
			continue;
		out_append(c, name, nlen);
		out_append(c, ": ", 2);
		out_append(c, f->payload + area + proto_get32(t + 8),
		    proto_get32(t + 12));
		out_append(c, "\r\n", 2);
	}
}

/* --- interim responses and upgrade tunnels ------------------------- */

/*
 * After a 101 the connection carries opaque bytes both ways: the client's
 * go down as REQ_DATA within the application's credit (reading stops at
 * zero credit), the application's RESP_DATA go out raw and are credited
 * back as the client drains them, as for bodies. Either side's END is a
 * half-close passed on (the client's EOF becomes REQ_DATA END; the
 * application's END a shutdown of our sending side, close_notify on TLS);
 * both ended, the connection closes. CANCEL, a channel lost or an error
 * closes it at once. An idle tunnel times out like an idle connection.
 */
static void
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
	loop_timer_set(c->w->loop, &c->timer, limits(c)->idle_ms);
	tunnel_pump(c);
}

/* The client's bytes in `in`, within credit; END once it ended and all
 * went. */
static void
tunnel_pump(struct conn *c)
{
	size_t n;

	while (c->inlen > 0 && c->req_credit > 0 && c->ch != NULL) {
		n = c->inlen;
		if (n > c->req_credit)
			n = c->req_credit;
		if (n > PROTO_MAX_FRAME)
			n = PROTO_MAX_FRAME;
		if (channel_frame(c->ch, PROTO_REQ_DATA, 0, c->xid, c->in, n) ==
		    -1)
			return;		/* the channel is going: so are we */
		c->req_credit -= (uint32_t)n;
		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
	}
	if (c->tun_eof && c->inlen == 0 && !c->body_done && c->ch != NULL &&
	    channel_frame(c->ch, PROTO_REQ_DATA, PROTO_F_END, c->xid, NULL,
	    0) == 0)
		c->body_done = 1;
}

/* After output progress (rc as out_flush's): half-close, close, or wait
 * for what can move. */
static void
tunnel_next(struct conn *c, int rc)
{
	if (rc == 0 && c->resp_done && !c->tun_shut) {
		if (c->ssl != NULL && SSL_shutdown(c->ssl) < 0)
			ERR_clear_error();
		shutdown(c->io.fd, SHUT_WR);
		c->tun_shut = 1;
	}
	if (c->tun_shut && c->body_done) {
		xid_release(c);		/* both ended: nothing to cancel */
		conn_close(c);
		return;
	}
	if (c->tun_shut && c->tun_eof) {
		/* Both peers are gone but client bytes still wait for
		 * credit from an application that ended: they cannot go. */
		conn_close(c);
		return;
	}
	loop_io_change(c->w->loop, &c->io, (rc == 1 ? LOOP_WRITE : 0) |
	    (!c->tun_eof && c->req_credit > 0 && c->inlen < c->incap ?
	    LOOP_READ : 0));
	loop_timer_set(c->w->loop, &c->timer, limits(c)->idle_ms);
}

/*
 * Called to read while reading is off (the client ended, or `in` is full
 * waiting for credit): that is an error or hang-up report. A socket error
 * closes the connection; a FIN with nothing after it is the client's EOF;
 * anything else waits for credit.
 */
static void
tunnel_hangup(struct conn *c)
{
	char b;
	ssize_t n;

	n = recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		conn_close(c);
	else if (n == 0 && !c->tun_eof) {
		c->tun_eof = 1;
		tunnel_pump(c);
		conn_next(c);
	}
}

static void
tunnel_credit(struct conn *c, uint32_t bytes)
{
	c->req_credit += bytes;
	tunnel_pump(c);
	conn_next(c);
	/* TLS may hold decrypted bytes epoll cannot see. */
	if (!c->dead && c->state == CONN_TUNNEL && !c->tun_eof &&
	    c->req_credit > 0 && c->ssl != NULL && SSL_has_pending(c->ssl))
		conn_read(c);
}

/*
 * A 1xx head from the application. 101 switches protocols: only for a
 * request sent with the UPGRADE flag, and with an Upgrade header, else
 * the RESPONSE is malformed (-1). Others are interim responses relayed
 * as they come (RFC 9110 §15.2), except to HTTP/1.0 clients, a 100 when
 * hsysd sent its own 100 Continue, and while the client is not reading
 * (they are advisory; dropping them keeps `out` bounded).
 */
static int
from_interim(struct conn *c, const struct proto_frame *f, int status,
    size_t area, const unsigned char *reason, uint32_t rlen, int end)
{
	const unsigned char *t;
	const char *phrase, *date;
	uint32_t nh = proto_get16(f->payload + 2), i;
	char line[32];
	int n, upgrade = 0;

	for (i = 0; i < nh; i++) {
		t = f->payload + RESPONSE_FIXED + 16 * i;
		if (is_name(f->payload + area + proto_get32(t),
		    proto_get32(t + 4), "upgrade"))
			upgrade = 1;
	}
	if (status == 101) {
		if (!c->upgrade_ok || !upgrade || end)
			return -1;
	} else if (c->req.version != 11 || (status == 100 &&
	    c->req.expect_continue && (c->req.content_length > 0 ||
	    c->req.chunked)) || c->outlen - c->outoff > INTERIM_MAX_BUFFERED)
		return 0;
	phrase = http_status_reason(status);
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	out_append(c, line, (size_t)n);
	if (rlen > 0)
		out_append(c, reason, rlen);
	else
		out_append(c, phrase, strlen(phrase));
	out_append(c, "\r\n", 2);
	if (status == 101) {
		date = http_date(c->w);
		out_append(c, "Date: ", 6);
		out_append(c, date, strlen(date));
		out_append(c, "\r\nServer: hsys\r\n", 16);
	}
	put_app_headers(c, f, nh, area);
	if (status == 101)
		out_append(c, "Connection: Upgrade\r\n", 21);
	out_append(c, "\r\n", 2);
	if (status == 101) {
		c->status = 101;
		c->resp_started = 1;
		tunnel_start(c);
	}
	return 0;
}

static int
from_response(struct conn *c, const struct proto_frame *f)
{
	const unsigned char *reason, *name, *value, *t;
	const char *date, *conn_hdr;
	char line[64];
	uint32_t rlen, nlen, vlen, nh, i;
	size_t area;
	int status, n, end, cl_given = 0;
	int64_t cl = -1;

	if (f->length < RESPONSE_FIXED)
		return -1;
	status = proto_get16(f->payload);
	nh = proto_get16(f->payload + 2);
	end = (proto_get32(f->payload + 4) & 0x1) != 0;
	area = RESPONSE_FIXED + 16 * (size_t)nh;
	if (area > f->length || proto_span_get(f, 8, area, &reason, &rlen) ==
	    -1)
		return -1;
	/* 1xx heads come before the final one (from_interim). */
	if (c->resp_started || status < 100 || status > 999)
		return -1;
	/* Validate everything before writing anything. */
	for (i = 0; i < nh; i++) {
		t = f->payload + RESPONSE_FIXED + 16 * i;
		if ((uint64_t)proto_get32(t) + proto_get32(t + 4) > f->length -
		    area || (uint64_t)proto_get32(t + 8) + proto_get32(t + 12) >
		    f->length - area)
			return -1;
		name = f->payload + area + proto_get32(t);
		nlen = proto_get32(t + 4);
		value = f->payload + area + proto_get32(t + 8);
		vlen = proto_get32(t + 12);
		if (!valid_token(name, nlen) || !valid_value(value, vlen))
			return -1;
		if (is_name(name, nlen, "content-length")) {
			char num[24];

			if (vlen == 0 || vlen >= sizeof(num))
				return -1;
			memcpy(num, value, vlen);
			num[vlen] = '\0';
			cl = strtoll(num, NULL, 10);
			if (cl < 0 || strspn(num, "0123456789") != vlen)
				return -1;
			cl_given = 1;
		}
	}
	if (!valid_value(reason, rlen))
		return -1;
	if (status < 200)
		return from_interim(c, f, status, area, reason, rlen, end);
	c->status = status;
	memcpy(line, "HTTP/1.1 ", 9);
	n = 9 + (int)digits_put(line + 9, (uint64_t)status, 10);
	line[n++] = ' ';
	out_append(c, line, (size_t)n);
	if (rlen > 0)
		out_append(c, reason, rlen);
	else
		out_append(c, http_status_reason(status),
		    strlen(http_status_reason(status)));
	date = http_date(c->w);
	out_append(c, "\r\nDate: ", 8);
	out_append(c, date, strlen(date));
	out_append(c, "\r\nServer: hsys\r\n", 16);
	put_app_headers(c, f, nh, area);
	c->resp_left = -1;
	if (status == 204 || status == 304) {
		c->resp_left = 0;
	} else if (cl_given) {
		memcpy(line, "Content-Length: ", 16);
		n = 16 + (int)digits_put(line + 16, (uint64_t)cl, 10);
		line[n++] = '\r';
		line[n++] = '\n';
		out_append(c, line, (size_t)n);
		c->resp_left = cl;
	} else if (end) {
		out_append(c, "Content-Length: 0\r\n", 19);
		c->resp_left = 0;
	} else if (c->req.version == 11) {
		out_append(c, "Transfer-Encoding: chunked\r\n", 28);
		c->resp_chunked = 1;
	} else {
		c->resp_close_delimited = 1;
		c->keep_alive = 0;
	}
	/* Ended short of its Content-Length: the client would read the
	 * next response as this one's body, so the connection ends (the
	 * client sees EOF before the length it was promised). */
	if (end && c->resp_left > 0 && !c->head_only) {
		log_info("worker %d: an application ended a response short of "
		    "its Content-Length; closing the client connection",
		    c->w->index);
		c->keep_alive = 0;
	}
	/* Answering before the whole request body arrived: that body can
	 * no longer be skipped reliably, so the connection ends. */
	if (!c->body_done || c->w->draining)
		c->keep_alive = 0;
	conn_hdr = connection_header(c, c->keep_alive);
	out_append(c, conn_hdr, strlen(conn_hdr));
	out_append(c, "\r\n", 2);
	c->resp_started = 1;
	if (c->head_only)
		c->resp_left = 0;
	if (end || c->resp_left == 0) {
		if (c->resp_chunked && !c->head_only)
			out_append(c, "0\r\n\r\n", 5);
		c->resp_done = 1;
	}
	return 0;
}

static int
from_resp_data(struct conn *c, const struct proto_frame *f)
{
	char line[32];
	int n, end = (f->flags & PROTO_F_END) != 0;

	if (!c->resp_started || c->resp_done)
		return -1;
	/* Beyond its credit: an application that would make the daemon
	 * buffer without bound is cut off (its channel ends). */
	if (f->length > c->resp_credit) {
		log_info("worker %d: an application sent RESP_DATA beyond its "
		    "credit", c->w->index);
		return -1;
	}
	c->resp_credit -= f->length;
	if (c->resp_left >= 0 && (int64_t)f->length > c->resp_left) {
		/* More than its Content-Length: the client cannot be told
		 * reliably, so the connection ends after what was promised. */
		log_info("worker %d: an application sent more than its "
		    "Content-Length; closing the client connection",
		    c->w->index);
		c->keep_alive = 0;
		c->resp_done = 1;
		return 0;
	}
	if (!c->head_only && f->length > 0) {
		if (c->resp_chunked) {
			n = (int)digits_put(line, f->length, 16);
			line[n++] = '\r';
			line[n++] = '\n';
			out_append(c, line, (size_t)n);
		}
		out_append(c, f->payload, f->length);
		if (c->resp_chunked)
			out_append(c, "\r\n", 2);
	}
	if (c->resp_left >= 0)
		c->resp_left -= f->length;
	if (end) {
		if (c->resp_left > 0)
			c->keep_alive = 0;	/* short: the client sees EOF */
		if (c->resp_chunked && !c->head_only)
			out_append(c, "0\r\n\r\n", 5);
		c->resp_done = 1;
	}
	return 0;
}

/* ERROR for one request, down its data channel. */
static void
refuse(struct channel *ch, uint64_t id, const char *why)
{
	unsigned char p[256];
	size_t n = proto_error_put(p, sizeof(p), EINVAL, why, strlen(why));

	channel_frame(ch, PROTO_ERROR, 0, id, p, n);
}

int
conn_from_app(struct worker *w, struct channel *ch,
    const struct proto_frame *f)
{
	struct conn *c;

	switch (f->type) {
	case PROTO_RESPONSE:
	case PROTO_RESP_DATA:
	case PROTO_REQ_CREDIT:
	case PROTO_CANCEL:
		break;
	case PROTO_ERROR:
		if (f->id == 0)
			return -1;	/* the application ends the session */
		break;
	default:
		return -1;
	}
	/* A request that ended meanwhile (the client left): not an error. */
	if ((c = xid_find(w, f->id)) == NULL || c->ch != ch)
		return 0;
	switch (f->type) {
	case PROTO_RESPONSE:
		conn_leave_queue(c);	/* its final response started */
		if (from_response(c, f) == -1) {
			/* That request fails, not the whole session. */
			log_info("worker %d: a malformed RESPONSE; answering "
			    "502", w->index);
			refuse(ch, f->id, "the RESPONSE is malformed: a status "
			    "outside 100-999, a second final status, a 101 to "
			    "a request without the UPGRADE flag or without an "
			    "Upgrade header, a header name that is not a "
			    "token, or a value with CR, LF or NUL");
			xid_release(c);
			if (c->resp_started)
				conn_close(c);	/* mid-response or tunnel */
			else
				error_response(c, 502, NULL, 1);
			return 0;
		}
		break;
	case PROTO_RESP_DATA:
		if (from_resp_data(c, f) == -1)
			return -1;
		break;
	case PROTO_REQ_CREDIT:
		if (f->length < 4)
			return -1;
		if (c->state == CONN_TUNNEL) {
			tunnel_credit(c, proto_get32(f->payload));
			return 0;
		}
		if (c->req_credit == 0 || c->inlen == c->incap)
			body_window(c);	/* the application held it back */
		c->req_credit += proto_get32(f->payload);
		if (!c->body_done)
			arm_body(c);	/* the wait is the client's again */
		conn_pump_body(c);
		if (!c->body_done) {
			loop_io_change(w->loop, &c->io, LOOP_READ |
			    (c->outlen > c->outoff ? LOOP_WRITE : 0));
			/* TLS may hold decrypted bytes epoll cannot see. */
			if (c->ssl != NULL && SSL_has_pending(c->ssl))
				conn_read(c);
		}
		return 0;
	case PROTO_CANCEL:
	case PROTO_ERROR:
		xid_release(c);
		if (c->resp_started)
			conn_close(c);
		else
			error_response(c, 500, NULL, 1);
		return 0;
	}
	conn_next(c);
	return 0;
}

void
conn_channel_lost(struct worker *w, struct channel *ch)
{
	struct conn *c;
	uint32_t i;

	for (i = 0; i < w->nxslot; i++) {
		if ((c = w->xslot[i]) == NULL || c->ch != ch)
			continue;
		xid_release(c);
		if (c->resp_started) {
			conn_httperr(c, "Connection_Abandoned_By_ReqQueue");
			conn_close(c);	/* a partial response: reset */
		} else
			refuse_request(c, 503, NULL, 1,
			    "Connection_Abandoned_By_ReqQueue");
	}
}

/* --- timeouts and limits -------------------------------------------- */

static const struct snap_limits *
limits(const struct conn *c)
{
	return snapshot_limits(c->w->snapshot);
}

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
	int64_t max = limits(c)->max_connections;

	if (max >= 0 && n >= max)
		conn_drop(c, "ConnLimit");
}

/* The input buffer and the header table, sized by the limits in force. */
static int
in_alloc(struct conn *c)
{
	const struct snap_limits *l = limits(c);
	size_t cap = l->http.max_head + CONN_IN_SLACK, nh = l->http.max_headers;

	if (cap < CONN_IN_SIZE)
		cap = CONN_IN_SIZE;
	if (cap > CONN_IN_MAX)
		cap = CONN_IN_MAX;
	cap = (cap + 15) & ~(size_t)15;
	if (nh > CONN_MAX_HEADERS)
		nh = CONN_MAX_HEADERS;
	if ((c->in = malloc(cap + nh * sizeof(*c->hdrs))) == NULL)
		return -1;
	c->incap = cap;
	c->hdrs = (struct http_header *)(void *)(c->in + cap);
	c->nhdrs = nh;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
	return 0;
}

static void
in_release(struct conn *c)
{
	free(c->in);
	c->in = NULL;
	c->hdrs = NULL;
	c->inlen = c->incap = c->nhdrs = 0;
}

/*
 * The first read of an idle connection: into the stack, so that a wakeup
 * without data (or a TLS record that is not application data) costs no
 * buffer. Returns 1 when bytes are in `in`, 0 when none came (or the
 * connection ended).
 */
static int
in_first(struct conn *c)
{
	char first[2048];
	ssize_t n, m;

	n = conn_recv(c, first, sizeof(first));
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		conn_close(c);
		return 0;
	}
	if (in_alloc(c) == -1) {
		conn_drop(c, "OutOfMemory");
		return 0;
	}
	memcpy(c->in, first, (size_t)n);
	c->inlen = (size_t)n;
	/* TLS may hold more that epoll will not report. */
	if ((size_t)n == sizeof(first) && (m = conn_recv(c, c->in + n,
	    c->incap - (size_t)n)) > 0)
		c->inlen += (size_t)m;
	return 1;
}

/* Between requests: idleconnectiontimeout, in steps that release the
 * buffer first. */
static void
arm_idle(struct conn *c)
{
	uint32_t ms = limits(c)->idle_ms;

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
	uint64_t now = loop_now(c->w->loop), rate = limits(c)->min_body_rate;

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
	loop_timer_set(c->w->loop, &c->timer, limits(c)->entitybody_ms);
}

/* Output waits on the client: MinSendRate is checked every window. */
static void
send_watch(struct conn *c)
{
	if (c->send_timer.deadline != 0)
		return;
	c->send_mark = c->sent;
	loop_timer_set(c->w->loop, &c->send_timer, CONN_SEND_WINDOW_MS);
}

static void
send_check(struct loop *l, struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, send_timer);
	uint64_t want = (uint64_t)limits(c)->min_send_rate *
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

static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	qstats_end(c->qs, 0);	/* a request cut short */
	c->qs = NULL;
	stats_add(&c->w->stats->closed, 1);
	stats_port(&c->w->stats->port_open[c->port], 0);
	waitlist_remove(&c->waiter);
	if (c->xid != 0 && c->ch != NULL)
		channel_frame(c->ch, PROTO_CANCEL, 0, c->xid, NULL, 0);
	xid_release(c);
	loop_timer_cancel(c->w->loop, &c->timer);
	loop_timer_cancel(c->w->loop, &c->send_timer);
	loop_io_remove(c->w->loop, &c->io);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
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
	rc = http_request_parse(c->in, c->inlen, &c->req, &limits(c)->http);
	if (rc == HTTP_INCOMPLETE)
		return;
	if (rc == HTTP_ERROR) {
		c->head_only = 0;
		c->keep_alive = 0;
		refuse_request(c, c->req.status, NULL, 1,
		    logline_reason(c->req.status, c->req.error));
		return;
	}
	c->head_len = (size_t)rc;
	dispatch(c);
}

/* After output progress: credit the application, and when the response
 * is done and out, start on the next request or close. */
static void
conn_next(struct conn *c)
{
	int rc;

	if (c->dead)
		return;
	rc = c->broken ? -1 : out_flush(c);
	if (rc == -1) {
		if (!c->broken)
			conn_httperr(c, "Connection_Dropped");
		conn_close(c);
		return;
	}
	if (c->xid != 0 && c->resp_owed > 0 && (rc == 0 || c->resp_owed >=
	    PROTO_WINDOW / 2)) {
		unsigned char p[4];

		proto_put32(p, c->resp_owed);
		channel_frame(c->ch, PROTO_RESP_CREDIT, 0, c->xid, p, 4);
		c->resp_credit += c->resp_owed;
		c->resp_owed = 0;
	}
	if (c->state == CONN_TUNNEL) {
		tunnel_next(c, rc);
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
		    (c->body_done ? c->inlen < c->incap : c->req_credit > 0)) ?
		    LOOP_READ : 0));
		return;
	}
	/* The response is out. */
	stats_request(c->w->stats, c->status, loop_now_us(c->w->loop) -
	    c->t0);
	qstats_end(c->qs, c->status);
	c->qs = NULL;
	conn_log_done(c);
	xid_release(c);
	if (!c->keep_alive || !c->body_done || c->w->draining) {
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
	c->resp_owed = 0;
	c->body_done = 0;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
	if (c->inlen > 0)
		loop_timer_set(c->w->loop, &c->timer, limits(c)->headerwait_ms);
	else
		arm_idle(c);
	if (c->serving) {	/* conn_serve's loop takes the next one */
		c->again = 1;
		return;
	}
	conn_serve_more(c);	/* a pipelined request may be here already */
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

/* One read from the client, and what it brings about. */
static void
conn_read_once(struct conn *c)
{
	size_t was = c->inlen;
	ssize_t n;

	if (c->state == CONN_TUNNEL && (c->tun_eof ||
	    c->inlen == c->incap)) {
		tunnel_hangup(c);
		return;
	}
	if (c->in == NULL) {
		if (in_first(c) == 0)
			return;
		stats_add(&c->w->stats->bytes_in, c->inlen);
		goto got;
	}
	if (c->inlen == c->incap) {
		/* Full: a head this long was refused by the parser already;
		 * a body waits for credit (reading is off meanwhile). */
		if (c->state == CONN_HEAD)
			refuse_request(c, 431, NULL, 1, "RequestLength");
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
got:
	/* The header wait runs from a head's first byte; the entity-body
	 * wait restarts with each piece of body. */
	if (c->state == CONN_HEAD && was == 0)
		loop_timer_set(c->w->loop, &c->timer, limits(c)->headerwait_ms);
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
		if ((!c->body_done && c->req_credit == 0) ||
		    c->inlen == c->incap)
			loop_io_change(c->w->loop, &c->io,
			    c->outlen > c->outoff ? LOOP_WRITE : 0);
	} else if (c->state == CONN_TUNNEL) {
		tunnel_pump(c);
		conn_next(c);
	}
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

/* 1: done; 0: in progress; -1: failed (the connection is closed). */
static int
conn_handshake(struct conn *c)
{
	unsigned long e;
	int rc;

	if ((rc = SSL_do_handshake(c->ssl)) == 1) {
		c->handshaken = 1;
		loop_io_change(c->w->loop, &c->io, LOOP_READ);
		return 1;
	}
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		loop_io_change(c->w->loop, &c->io, LOOP_READ);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		loop_io_change(c->w->loop, &c->io, LOOP_READ | LOOP_WRITE);
		return 0;
	default:
		e = ERR_peek_last_error();
		if (e != 0)
			conn_httperr(c, "TLS_HandshakeFailed");
		stats_add(&c->w->stats->handshake_failures, 1);
		log_debug("worker %d: TLS_HandshakeFailed: %s", c->w->index,
		    e ? ERR_reason_error_string(e) : "connection closed");
		ERR_clear_error();
		conn_close(c);
		return -1;
	}
}

int
conn_tls_hello(SSL *ssl, int *alert, void *arg)
{
	struct worker *w = arg;
	struct conn *c = SSL_get_app_data(ssl);
	const struct tls_binding *b;
	const unsigned char *sni = NULL;
	size_t snilen = 0;

	if (!tls_hello_sni(ssl, &sni, &snilen))
		sni = NULL;
	b = snapshot_pick(w->snapshot, sni, snilen, &c->local, c->port);
	if (b == NULL) {
		log_info("worker %d: TLS_NoBinding: no certificate bound for "
		    "port %u%s%.*s", w->index, c->port, sni ? ", name " : "",
		    sni ? (int)snilen : 0, sni ? (const char *)sni : "");
		conn_httperr(c, "TLS_NoBinding");
		*alert = sni ? SSL_AD_UNRECOGNIZED_NAME :
		    SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	tls_use_binding(ssl, b->ctx, b->flags);
	return SSL_CLIENT_HELLO_SUCCESS;
}

static void
conn_io(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct conn *c = container_of(io, struct conn, io);

	(void)l;
	if (c->ssl != NULL && !c->handshaken) {
		if (conn_handshake(c) != 1)
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
		if (c->req_credit == 0 || c->inlen == c->incap)
			arm_body(c);
		else
			conn_drop(c, "Timer_EntityBody");
	} else if (c->state == CONN_TUNNEL) {
		conn_drop(c, "Timer_ConnectionIdle");
	}
}

void
conn_accept(struct worker *w, int fd, uint16_t port, int tls)
{
	socklen_t len;
	struct conn *c;
	struct err e;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
	c->timer.fn = conn_timeout;
	c->send_timer.fn = send_check;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
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
		if (c->state != CONN_HEAD || !c->served || c->inlen > 0 ||
		    (c->ssl != NULL && SSL_has_pending(c->ssl)) ||
		    recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			continue;
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
	}
}
