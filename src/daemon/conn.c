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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/channel.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/route.h"
#include "daemon/snapshot.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "http/http.h"
#include "proto/proto.h"
#include "url/url.h"

#include <openssl/err.h>

/* More than the parser's 16 KiB head limit, so that it can see a head
 * is too long rather than wait for its end. */
#define CONN_IN_SIZE		(20u << 10)
#define CONN_MAX_HEADERS	100
#define CONN_TIMEOUT_MS		120000		/* header wait, idle */
#define REQUEST_FIXED		144
#define RESPONSE_FIXED		16
#define SPAN(i)			(72 + 8 * (i))	/* REQUEST's spans */

enum conn_state {
	CONN_HEAD,		/* reading a request head */
	CONN_EXCHANGE,		/* a request is with an application */
	CONN_CLOSING		/* flushing the last bytes, then close */
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

	char			*in;
	size_t			 inlen;
	char			*out;
	size_t			 outoff, outlen, outcap;

	/* The request in flight. */
	struct http_request	 req;
	struct http_header	 hdrs[CONN_MAX_HEADERS];
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
	int			 broken;	/* out of memory: close */
	int			 served;	/* a request was dispatched */
};

static void	conn_close(struct conn *);
static void	conn_read(struct conn *);
static void	conn_next(struct conn *);
static void	conn_pump_body(struct conn *);

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
	}
	if (c->resp_started)
		c->resp_owed += (uint32_t)(c->outoff - before);
	if (c->outoff < c->outlen)
		return 1;
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

/* --- answers made by the daemon itself ------------------------------ */

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
	    c->head_only ? 0 : blen, close ? "Connection: close\r\n" : "");
	if (out_append(c, head, (size_t)hlen) == -1 ||
	    (!c->head_only && out_append(c, body, (size_t)blen) == -1)) {
		conn_close(c);
		return;
	}
	c->keep_alive = c->keep_alive && !close;
	c->resp_done = 1;
	c->body_done = 1;
	conn_next(c);
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
	if (r->upgrade_req)
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

static void
dispatch(struct conn *c)
{
	char path[CONN_IN_SIZE + 1], prefix[URL_PREFIX_MAX];
	const struct url_prefix *pfx;
	struct http_cooked cooked;
	struct url_request ur;
	uint32_t queue;
	int status, n, plen;

	c->keep_alive = c->req.keep_alive && !c->w->draining;
	c->served = 1;
	c->head_only = c->req.method_id == HTTP_METHOD_HEAD;
	if (c->req.form == HTTP_FORM_AUTHORITY ||
	    c->req.form == HTTP_FORM_ASTERISK) {
		error_response(c, c->req.form == HTTP_FORM_ASTERISK ? 400 :
		    405, NULL, 1);
		return;
	}
	n = http_path_cook(c->req.target, c->req.target_len, path,
	    sizeof(path), &cooked);
	if (n == HTTP_ERROR) {
		error_response(c, 400, "Invalid URL", 1);
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
		error_response(c, status, status == 400 ? "Invalid Hostname" :
		    NULL, c->req.content_length > 0 || c->req.chunked);
		return;
	}
	if ((c->ch = route_channel(c->w, queue)) == NULL) {
		error_response(c, 503, NULL, c->req.content_length > 0 ||
		    c->req.chunked);
		return;
	}
	plen = url_prefix_format(pfx, prefix, sizeof(prefix));
	if (xid_new(c) == -1 || send_request(c, queue, cooked.path,
	    cooked.path_len, cooked.query, cooked.query_len, prefix,
	    (size_t)(plen > 0 ? plen : 0)) == -1) {
		xid_release(c);
		error_response(c, 503, NULL, 1);
		return;
	}
	c->state = CONN_EXCHANGE;
	c->req_credit = PROTO_WINDOW;
	c->body_left = c->req.chunked ? -1 : (c->req.content_length > 0 ?
	    c->req.content_length : 0);
	c->body_done = c->body_left == 0;
	if (c->req.chunked)
		http_chunked_init(&c->chunk, NULL);
	if (!c->body_done && c->req.expect_continue)
		out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	loop_timer_cancel(c->w->loop, &c->timer);
	conn_pump_body(c);
}

/* --- the request body ----------------------------------------------- */

/* Sends the body bytes waiting in `in` (after the head), as far as the
 * application's credit allows. */
static void
conn_pump_body(struct conn *c)
{
	char *p = c->in + c->head_len;
	size_t avail = c->inlen - c->head_len, in, n, used;
	int rc, end;

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
				error_response(c, c->chunk.status, NULL, 1);
				return;
			}
			used = rc == HTTP_INCOMPLETE ? in : (size_t)rc;
			end = rc != HTTP_INCOMPLETE;
		}
		if ((n > 0 || end) && channel_frame(c->ch, PROTO_REQ_DATA,
		    end ? PROTO_F_END : 0, c->xid, p, n) == -1)
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

static int
valid_token(const unsigned char *s, uint32_t n)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	uint32_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    strchr(tchar, s[i]) != NULL) || s[i] == '\0')
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

static int
from_response(struct conn *c, const struct proto_frame *f)
{
	const unsigned char *reason, *name, *value, *t;
	const char *date;
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
	/* 1xx interim answers and 101 tunnels are not relayed yet. */
	if (c->resp_started || status < 200 || status > 999)
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
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
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
	for (i = 0; i < nh; i++) {
		t = f->payload + RESPONSE_FIXED + 16 * i;
		name = f->payload + area + proto_get32(t);
		nlen = proto_get32(t + 4);
		/* The daemon owns the framing of the connection. */
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
	c->resp_left = -1;
	if (status == 204 || status == 304) {
		c->resp_left = 0;
	} else if (cl_given) {
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
		    (long long)cl);
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
	/* Answering before the whole request body arrived: that body can
	 * no longer be skipped reliably, so the connection ends. */
	if (!c->body_done || c->w->draining)
		c->keep_alive = 0;
	if (!c->keep_alive)
		out_append(c, "Connection: close\r\n", 19);
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
			n = snprintf(line, sizeof(line), "%x\r\n", f->length);
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
		if (from_response(c, f) == -1) {
			/* That request fails, not the whole session. */
			log_info("worker %d: a malformed RESPONSE; answering "
			    "502", w->index);
			refuse(ch, f->id, "the RESPONSE is malformed: a status "
			    "outside 200-999, a header name that is not a "
			    "token, or a value with CR, LF or NUL");
			xid_release(c);
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
		c->req_credit += proto_get32(f->payload);
		conn_pump_body(c);
		if (!c->body_done) {
			loop_io_change(w->loop, &c->io, LOOP_READ |
			    (c->outlen > c->outoff ? LOOP_WRITE : 0));
			/* TLS may hold decrypted bytes epoll cannot see. */
			if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
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
		if (c->resp_started)
			conn_close(c);	/* a partial response: reset */
		else
			error_response(c, 503, NULL, 1);
	}
}

/* --- the connection's cycle ----------------------------------------- */

static void
conn_free(struct loop_defer *df)
{
	struct conn *c = container_of(df, struct conn, free);

	SSL_free(c->ssl);
	close(c->io.fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->xid != 0 && c->ch != NULL)
		channel_frame(c->ch, PROTO_CANCEL, 0, c->xid, NULL, 0);
	xid_release(c);
	loop_timer_cancel(c->w->loop, &c->timer);
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
	rc = http_request_parse(c->in, c->inlen, &c->req, NULL);
	if (rc == HTTP_INCOMPLETE)
		return;
	if (rc == HTTP_ERROR) {
		c->head_only = 0;
		c->keep_alive = 0;
		error_response(c, c->req.status, NULL, 1);
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
		conn_close(c);
		return;
	}
	if (c->xid != 0 && c->resp_owed > 0 && (rc == 0 || c->resp_owed >=
	    PROTO_WINDOW / 2)) {
		unsigned char p[4];

		proto_put32(p, c->resp_owed);
		channel_frame(c->ch, PROTO_RESP_CREDIT, 0, c->xid, p, 4);
		c->resp_owed = 0;
	}
	if (rc == 1 || !c->resp_done) {
		loop_io_change(c->w->loop, &c->io, (rc == 1 ? LOOP_WRITE : 0) |
		    (c->state == CONN_EXCHANGE && !c->body_done &&
		    c->req_credit > 0 ? LOOP_READ : 0) |
		    (c->state == CONN_HEAD ? LOOP_READ : 0));
		return;
	}
	/* The response is out. */
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
	http_request_init(&c->req, c->hdrs, CONN_MAX_HEADERS);
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
	loop_timer_set(c->w->loop, &c->timer, CONN_TIMEOUT_MS);
	try_head(c);	/* a pipelined request may be here already */
	if (!c->dead && c->state == CONN_HEAD && c->ssl != NULL &&
	    SSL_pending(c->ssl) > 0)
		conn_read(c);
}

static void
conn_read(struct conn *c)
{
	ssize_t n;

	if (c->inlen == CONN_IN_SIZE) {
		/* Full: a head this long was refused by the parser already;
		 * a body waits for credit (reading is off meanwhile). */
		if (c->state == CONN_HEAD)
			error_response(c, 431, NULL, 1);
		return;
	}
	n = conn_recv(c, c->in + c->inlen, CONN_IN_SIZE - c->inlen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if (c->state == CONN_HEAD)
		try_head(c);
	else if (c->state == CONN_EXCHANGE) {
		conn_pump_body(c);
		if (!c->body_done && (c->req_credit == 0 ||
		    c->inlen == CONN_IN_SIZE))
			loop_io_change(c->w->loop, &c->io,
			    c->outlen > c->outoff ? LOOP_WRITE : 0);
	}
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
	if (rev & LOOP_WRITE)
		conn_next(c);
	if (!c->dead && rev & (LOOP_READ | LOOP_ERROR))
		conn_read(c);
}

static void
conn_timeout(struct loop *l, struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);

	(void)l;
	if (c->state == CONN_HEAD)
		conn_close(c);	/* idle, or a head that never came */
}

void
conn_accept(struct worker *w, int fd, uint16_t port, int tls)
{
	socklen_t len;
	struct conn *c;
	struct err e;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(CONN_IN_SIZE)) == NULL) {
		free(c);
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
	http_request_init(&c->req, c->hdrs, CONN_MAX_HEADERS);
	if (tls && ((c->ssl = SSL_new(w->tls_ctx)) == NULL ||
	    !SSL_set_fd(c->ssl, fd))) {
		ERR_clear_error();
		SSL_free(c->ssl);
		free(c->in);
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
		free(c->in);
		free(c);
		close(fd);
		return;
	}
	if ((c->next = w->conns) != NULL)
		c->next->prevp = &c->next;
	w->conns = c;
	c->prevp = &w->conns;
	loop_timer_set(w->loop, &c->timer, CONN_TIMEOUT_MS);
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
		    (c->ssl != NULL && SSL_pending(c->ssl) > 0) ||
		    recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			continue;
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c);
	}
}
