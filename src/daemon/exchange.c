/*
 * exchange — one request between a client framing and an application:
 * request ids, routing, the queue's length (503 when it is full) and the
 * wait for a process, the REQUEST frame, the request body as REQ_DATA,
 * and the application's RESPONSE, RESP_DATA, REQ_CREDIT, CANCEL and
 * ERROR frames, checked before the framing writes anything. See
 * exchange.h for the interface and docs/protocol.md for the frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/util.h"
#include "daemon/answer.h"
#include "daemon/cacheserve.h"
#include "daemon/channel.h"
#include "daemon/exchange.h"
#include "daemon/log.h"
#include "daemon/qgate.h"
#include "daemon/registry.h"
#include "daemon/route.h"
#include "daemon/snapshot.h"
#include "daemon/stats.h"
#include "daemon/tls.h"
#include "daemon/trailers.h"
#include "daemon/waitlist.h"
#include "daemon/worker.h"
#include "http/chars.h"
#include "http/http.h"
#include "proto/exchange.h"
#include "url/url.h"


static void	queue_leave(struct exchange *);

/* --- the exchange table: request id -> exchange --------------------- */

/*
 * A request id is unique within a session, whose channels go to every
 * worker: generation (32 bits) | worker index (8) | slot (24). The
 * generation changes whenever a slot is reused, so a late frame for an
 * ended request finds nothing.
 */
#define XID_SLOT_BITS	24
#define XID_SLOTS	(1u << XID_SLOT_BITS)

static int
xid_grow(struct worker *w)
{
	uint32_t cap, i;
	struct exchange **ns;
	uint32_t *ng, *nf;

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
	return 0;
}

static int
xid_new(struct exchange *x)
{
	struct worker *w = x->w;
	uint32_t slot;

	if (w->nxfree == 0 && xid_grow(w) == -1)
		return -1;
	slot = w->xfree[--w->nxfree];
	w->xslot[slot] = x;
	w->xgen[slot]++;
	x->xid = (uint64_t)w->xgen[slot] << 32 | (uint32_t)w->index <<
	    XID_SLOT_BITS | slot;
	return 0;
}

static struct exchange *
xid_find(struct worker *w, uint64_t id)
{
	uint32_t slot = (uint32_t)id & (XID_SLOTS - 1);

	if (((uint32_t)id >> XID_SLOT_BITS) != (uint32_t)w->index ||
	    slot >= w->nxslot || w->xgen[slot] != (uint32_t)(id >> 32))
		return NULL;
	return w->xslot[slot];
}

/* The request leaves its queue and the application: its id is free. */
static void
xid_release(struct exchange *x)
{
	struct worker *w = x->w;
	uint32_t slot = (uint32_t)x->xid & (XID_SLOTS - 1);

	queue_leave(x);
	x->ch = NULL;
	if (x->xid == 0)
		return;
	w->xslot[slot] = NULL;
	w->xgen[slot]++;
	w->xfree[w->nxfree++] = slot;
	x->xid = 0;
}

void
exchange_init(struct exchange *x, struct worker *w,
    const struct exchange_ops *ops, const struct exchange_client *client)
{
	memset(x, 0, sizeof(*x));
	x->w = w;
	x->ops = ops;
	x->client = client;
}

static int
has_body(const struct http_request *r)
{
	return r->content_length > 0 || r->chunked;
}

/* --- the REQUEST frame ---------------------------------------------- */

static uint16_t
method_code(enum http_method m)
{
	switch (m) {
	case HTTP_METHOD_GET:		return PROTO_METHOD_GET;
	case HTTP_METHOD_HEAD:		return PROTO_METHOD_HEAD;
	case HTTP_METHOD_POST:		return PROTO_METHOD_POST;
	case HTTP_METHOD_PUT:		return PROTO_METHOD_PUT;
	case HTTP_METHOD_DELETE:	return PROTO_METHOD_DELETE;
	case HTTP_METHOD_OPTIONS:	return PROTO_METHOD_OPTIONS;
	case HTTP_METHOD_PATCH:		return PROTO_METHOD_PATCH;
	case HTTP_METHOD_CONNECT:	return PROTO_METHOD_CONNECT;
	case HTTP_METHOD_TRACE:		return PROTO_METHOD_TRACE;
	default:			return PROTO_METHOD_OTHER;
	}
}

/* Where the request goes, and the strings the REQUEST adds after the
 * raw head: the cooked path, the matched prefix, and TLS facts. */
struct routed {
	uint32_t	 queue;
	const struct http_cooked *cooked;
	const char	*prefix;	/* route_prefix_text's */
	size_t		 plen;
	const char	*tls;		/* the client's tls_desc, or buf */
	size_t		 tlen;
	char		 buf[128];
	const char	*sni;
	size_t		 slen;
	unsigned char	*cert;		/* DER, OPENSSL_free */
	size_t		 clen;
};

/* The TLS facts of the connection; the client certificate's flag. */
static uint16_t
request_tls(const struct exchange *x, struct routed *rt)
{
	SSL *ssl = x->client->ssl;
	X509 *peer;
	int der;

	rt->tls = "";
	rt->tlen = rt->slen = rt->clen = 0;
	rt->sni = NULL;
	rt->cert = NULL;
	if (ssl == NULL)
		return 0;
	if (x->client->tls_desc[0] != '\0') {
		rt->tls = x->client->tls_desc;
	} else {
		tls_describe(ssl, rt->buf, sizeof(rt->buf));
		rt->tls = rt->buf;
	}
	rt->tlen = strlen(rt->tls);
	if ((rt->sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) !=
	    NULL)
		rt->slen = strlen(rt->sni);
	if ((peer = SSL_get0_peer_certificate(ssl)) == NULL ||
	    (der = i2d_X509(peer, &rt->cert)) <= 0)
		return 0;
	rt->clen = (size_t)der;
	return PROTO_REQUEST_F_CLIENT_CERT;
}

static uint16_t
request_flags(const struct exchange *x)
{
	const struct http_request *r = x->head->req;
	uint16_t flags = 0;

	if (has_body(r))
		flags |= PROTO_REQUEST_F_BODY;
	if (r->chunked)
		flags |= PROTO_REQUEST_F_CHUNKED;
	if (x->head->keep_alive)
		flags |= PROTO_REQUEST_F_KEEPALIVE;
	if (r->expect_continue)
		flags |= PROTO_REQUEST_F_EXPECT_CONTINUE;
	if (x->head->upgrade)
		flags |= PROTO_REQUEST_F_UPGRADE;
	if (x->client->tls)
		flags |= PROTO_REQUEST_F_TLS;
	return flags;
}

/* The fixed part: what, from whom, and the spans into the bytes area,
 * which holds the raw head, then the path, prefix and TLS strings.
 * Written field by field at proto/exchange.h's offsets rather than
 * through proto_request_put: filling a struct proto_request first costs
 * some 500 instructions per request (bench/callgrind). Spans left out
 * (no query, no Host) stay zero: the caller zeroed p. */
static void
request_fixed(unsigned char *p, const struct exchange *x,
    const struct routed *rt, uint16_t flags)
{
	const struct http_request *r = x->head->req;
	const char *raw = x->head->raw;
	const struct http_cooked *ck = rt->cooked;
	uint32_t base = (uint32_t)x->head->raw_len;

	proto_put32(p + PROTO_REQUEST_QUEUE, rt->queue);
	proto_put16(p + PROTO_REQUEST_METHOD, method_code(r->method_id));
	/* 1.0, 1.1, or 2.0 (HTTP/2: docs/protocol.md). */
	p[PROTO_REQUEST_VERSION_MAJOR] = (unsigned char)(r->version / 10);
	p[PROTO_REQUEST_VERSION_MINOR] = (unsigned char)(r->version % 10);
	proto_put16(p + PROTO_REQUEST_NHEADERS, (uint16_t)r->nheaders);
	proto_put16(p + PROTO_REQUEST_FLAGS, flags);
	proto_put64(p + PROTO_REQUEST_CONTENT_LENGTH, r->chunked ?
	    PROTO_LENGTH_UNKNOWN :
	    (uint64_t)(r->content_length > 0 ? r->content_length : 0));
	proto_put64(p + PROTO_REQUEST_CONNECTION, x->client->id);
	proto_addr_put(p + PROTO_REQUEST_PEER, x->client->peer);
	proto_addr_put(p + PROTO_REQUEST_LOCAL, x->client->local);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_METHOD),
	    (uint32_t)(r->method - raw), (uint32_t)r->method_len);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_RAW_URL),
	    (uint32_t)(r->target - raw), (uint32_t)r->target_len);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_PATH), base,
	    (uint32_t)ck->path_len);
	if (ck->query != NULL)
		proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_QUERY),
		    (uint32_t)(ck->query - raw), (uint32_t)ck->query_len);
	if (r->host != NULL)
		proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_HOST),
		    (uint32_t)(r->host - raw), (uint32_t)r->host_len);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_PREFIX),
	    base + (uint32_t)ck->path_len, (uint32_t)rt->plen);
	base += (uint32_t)(ck->path_len + rt->plen);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_TLS), base,
	    (uint32_t)rt->tlen);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_SNI),
	    base + (uint32_t)rt->tlen, (uint32_t)rt->slen);
	proto_span_put(p + PROTO_REQUEST_SPAN(PROTO_RS_CLIENT_CERT),
	    base + (uint32_t)(rt->tlen + rt->slen), (uint32_t)rt->clen);
}

/* The header table: each field's name and value as spans. */
static void
request_table(unsigned char *table, const struct http_request *r,
    const char *raw)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		proto_field_put(table + PROTO_FIELD_SIZE * i,
		    (uint32_t)(r->headers[i].name - raw),
		    (uint32_t)r->headers[i].name_len,
		    (uint32_t)(r->headers[i].value - raw),
		    (uint32_t)r->headers[i].value_len);
}

static int
request_send(struct exchange *x, struct routed *rt)
{
	static const unsigned char zero[8];
	const struct http_request *r = x->head->req;
	unsigned char head[PROTO_HEADER_SIZE + PROTO_REQUEST_FIXED];
	unsigned char table[EXCHANGE_FIELDS_MAX * PROTO_FIELD_SIZE];
	size_t len;
	struct iovec iov[9];
	uint16_t flags;
	int rc;

	flags = request_tls(x, rt) | request_flags(x);
	memset(head, 0, sizeof(head));
	len = proto_request_area(r->nheaders) + x->head->raw_len +
	    rt->cooked->path_len + rt->plen + rt->tlen + rt->slen + rt->clen;
	proto_header_put(head, (uint32_t)len, PROTO_REQUEST, 0, x->xid);
	request_fixed(head + PROTO_HEADER_SIZE, x, rt, flags);
	request_table(table, r, x->head->raw);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = table;
	iov[1].iov_len = PROTO_FIELD_SIZE * r->nheaders;
	iov[2].iov_base = (void *)x->head->raw;
	iov[2].iov_len = x->head->raw_len;
	iov[3].iov_base = rt->cooked->path;
	iov[3].iov_len = rt->cooked->path_len;
	iov[4].iov_base = (void *)rt->prefix;
	iov[4].iov_len = rt->plen;
	iov[5].iov_base = (void *)rt->tls;
	iov[5].iov_len = rt->tlen;
	iov[6].iov_base = (void *)rt->sni;
	iov[6].iov_len = rt->slen;
	iov[7].iov_base = rt->cert;
	iov[7].iov_len = rt->clen;
	iov[8].iov_base = (void *)zero;
	iov[8].iov_len = proto_frame_size((uint32_t)len) - PROTO_HEADER_SIZE -
	    len;
	rc = channel_writev(x->ch, iov, 9);
	OPENSSL_free(rt->cert);
	return rc;
}

/* --- routing --------------------------------------------------------- */

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

/* The cooked path, in the worker's scratch buffer: it is as long as a
 * head may be, too big for the stack. -1: answered. */
static int
route_cook(struct exchange *x, struct http_cooked *cooked)
{
	const struct http_request *r = x->head->req;

	if (x->w->cook == NULL &&
	    (x->w->cook = malloc(EXCHANGE_TARGET_MAX + 1)) == NULL) {
		answer_error(x, 503, NULL, 1, NULL);
		return -1;
	}
	if (http_path_cook(r->target, r->target_len, x->w->cook,
	    EXCHANGE_TARGET_MAX + 1, cooked) == HTTP_ERROR) {
		answer_error(x, 400, "Invalid URL", 1, "URL");
		return -1;
	}
	return 0;
}

static void
route_request(const struct exchange *x, const struct http_cooked *cooked,
    struct url_request *ur)
{
	const struct sockaddr_storage *local = x->client->local;

	memset(ur, 0, sizeof(*ur));
	ur->https = x->client->tls;
	host_name(x->head->req, &ur->host, &ur->hostlen);
	ur->local_family = local->ss_family;
	ur->local_addr = local->ss_family == AF_INET ?
	    (const unsigned char *)&((const struct sockaddr_in *)
	    (const void *)local)->sin_addr :
	    (const unsigned char *)&((const struct sockaddr_in6 *)
	    (const void *)local)->sin6_addr;
	ur->port = x->client->port;
	ur->path = cooked->path;
	ur->pathlen = cooked->path_len;
}

/* --- the request's queue: its length and the wait for a process ---- */

/* Counts the request in its queue (once, however often it is routed);
 * -1 when the queue is full (answered 503). */
static int
queue_enter(struct exchange *x, const struct url_prefix *pfx)
{
	struct qgate *g = route_gate(x->w, pfx);

	if (g == x->gate)
		return 0;
	queue_leave(x);
	if (qgate_enter(g) == -1) {
		log_info("worker %d: QueueFull: queue %u holds %u requests, its "
		    "length; answering 503", x->w->index, g->queue,
		    atomic_load(&g->length));
		answer_error(x, 503, NULL, has_body(x->head->req),
		    "QueueFull");
		return -1;
	}
	x->gate = g;
	return 0;
}

/* Called when the final response starts, or the request ends. */
static void
queue_leave(struct exchange *x)
{
	if (x->gate == NULL)
		return;
	qgate_leave(x->gate);
	x->gate = NULL;
}

static void
queue_offline(struct exchange *x, const char *why)
{
	log_info("worker %d: AppOffline: queue %u %s; answering 503",
	    x->w->index, x->gate ? x->gate->queue : 0, why);
	queue_leave(x);
	answer_error(x, 503, NULL, has_body(x->head->req), "AppOffline");
}

/* Back from the waitlist: a process came (route again) or none did. */
static void
queue_waited(struct waiter *wt, enum wait_end how)
{
	struct exchange *x = container_of(wt, struct exchange, waiter);

	if (how == WAIT_EXPIRED)
		queue_offline(x, "had no process in time");
	else
		x->ops->resume(x);
}

/* No process of the queue on this worker: wait for one within the
 * queue's grace period, or 503 at once. Whatever ends the request
 * meanwhile (the client, a timer) takes it off the list in
 * exchange_cancel. */
static void
queue_wait(struct exchange *x, uint32_t queue)
{
	uint64_t until = qgate_wait_until(x->gate, loop_now(x->w->loop));

	if (until == 0) {
		queue_offline(x, "has no process");
		return;
	}
	x->waiter.fn = queue_waited;
	if (route_wait(x->w, queue, &x->waiter, until) == -1) {
		queue_offline(x, "cannot hold more requests (out of memory)");
		return;
	}
	x->ops->waiting(x);
}

/* --- the start of a request ----------------------------------------- */

/* The REQUEST goes down the channel: the request is the application's. */
static void
exchange_send(struct exchange *x, uint32_t queue,
    const struct url_prefix *pfx, const struct http_cooked *cooked)
{
	struct routed rt;

	rt.queue = queue;
	rt.cooked = cooked;
	x->route = pfx;
	x->queue = queue;
	rt.prefix = route_prefix_text(x->w, pfx, &rt.plen);
	if (xid_new(x) == -1 || request_send(x, &rt) == -1) {
		xid_release(x);
		answer_error(x, 503, NULL, 1, "AppOffline");
		return;
	}
	x->req_credit = PROTO_WINDOW;
	x->resp_credit = PROTO_WINDOW;
	x->ops->started(x);
}

static int	resp_parse(const struct proto_frame *, struct exchange_resp *,
		    int);

/* A response from the cache (cacheserve.h), handed to the framing as an
 * application's would be, without a channel or a place in the queue. */
static int
cache_answer(struct exchange *x, const struct url_prefix *pfx,
    uint32_t queue, const struct http_cooked *cooked)
{
	struct proto_frame f;
	struct exchange_resp r;
	const void *body;
	size_t blen;
	int rc;

	if (!cacheserve_find(x, pfx, queue, cooked, &f, &body, &blen) ||
	    resp_parse(&f, &r, 1) == -1)
		return 0;
	x->ops->started(x);
	x->final = 1;
	if ((rc = x->ops->head(x, &r)) == 0)
		rc = x->ops->body(x, body, blen, 1);
	if (rc == -1) {
		x->final = 0;
		x->ops->fail(x, 500, NULL);
		return 1;
	}
	x->ended = 1;
	x->ops->progress(x);
	return 1;
}

void
exchange_start(struct exchange *x, const struct exchange_head *h)
{
	const struct http_request *r = h->req;
	const struct url_prefix *pfx;
	struct http_cooked cooked;
	struct url_request ur;
	const char *ka;
	uint32_t queue;
	int status;

	x->head = h;
	if (r->form == HTTP_FORM_AUTHORITY || r->form == HTTP_FORM_ASTERISK) {
		answer_error(x, r->form == HTTP_FORM_ASTERISK ? 400 : 405,
		    NULL, 1, r->form == HTTP_FORM_ASTERISK ? "URL" : "Verb");
		return;
	}
	if (route_cook(x, &cooked) == -1)
		return;
	/* A pending ACME HTTP-01 token, before any prefix (acmechal.h). */
	if (x->w->snapshot != NULL && (r->method_id == HTTP_METHOD_GET ||
	    r->method_id == HTTP_METHOD_HEAD) && (ka = acmechal_token(
	    &x->w->snapshot->acme, cooked.path, cooked.path_len)) != NULL) {
		answer_acme(x, ka);
		return;
	}
	route_request(x, &cooked, &ur);
	if (route_find(x->w, &ur, &pfx, &queue, &status) == -1) {
		answer_error(x, status, status == 400 ? "Invalid Hostname" :
		    NULL, has_body(r), status == 400 ? "Hostname" : "NotFound");
		return;
	}
	if (queue == REGISTRY_INTERNAL) {
		answer_metrics(x);
		return;
	}
	if (cache_answer(x, pfx, queue, &cooked))
		return;
	/* MaxRequestBodySize: a declared length is refused at once, a
	 * chunked body once it grows past (exchange_body). */
	x->body_max = snapshot_body_max(snapshot_limits(x->w->snapshot), &ur);
	x->body_seen = 0;
	if (x->body_max >= 0 && r->content_length > x->body_max) {
		answer_error(x, 413, NULL, 1, "EntityTooLarge");
		return;
	}
	if (x->qs == NULL)	/* once, however often it is routed */
		x->qs = qstats_begin(route_stats(x->w, pfx));
	if (queue_enter(x, pfx) == -1)
		return;
	if ((x->ch = route_channel(x->w, queue)) == NULL) {
		queue_wait(x, queue);
		return;
	}
	exchange_send(x, queue, pfx, &cooked);
}

/* --- the request body ----------------------------------------------- */

int
exchange_body(struct exchange *x, const void *p, size_t n, int end)
{
	/* After a 101 the bytes are a tunnel's, not a body's. */
	if (!x->upgraded) {
		x->body_seen += (int64_t)n;
		if (x->body_max >= 0 && x->body_seen > x->body_max) {
			channel_frame(x->ch, PROTO_CANCEL, 0, x->xid, NULL, 0);
			xid_release(x);
			return EXCHANGE_TOO_LARGE;
		}
	}
	if ((n > 0 || end) && channel_frame(x->ch, PROTO_REQ_DATA, end ?
	    PROTO_F_END : 0, x->xid, p, n) == -1)
		return -1;
	x->req_credit -= (uint32_t)n;
	return 0;
}

/* The trailers go as the final REQ_DATA (TRAILERS and END); they are not
 * counted against credit: the decoder bounds them. */
int
exchange_trailers(struct exchange *x, const void *p, size_t len)
{
	if (len == 0)
		return channel_frame(x->ch, PROTO_REQ_DATA, PROTO_F_END,
		    x->xid, NULL, 0);
	return channel_frame(x->ch, PROTO_REQ_DATA, PROTO_F_TRAILERS |
	    PROTO_F_END, x->xid, p, len);
}

void
exchange_credit_back(struct exchange *x, int all_out)
{
	unsigned char p[PROTO_CREDIT_SIZE];

	if (x->xid == 0 || x->resp_owed == 0 || (!all_out &&
	    x->resp_owed < PROTO_WINDOW / 2))
		return;
	proto_credit_put(p, x->resp_owed);
	channel_frame(x->ch, PROTO_RESP_CREDIT, 0, x->xid, p, sizeof(p));
	x->resp_credit += x->resp_owed;
	x->resp_owed = 0;
}

void
exchange_cancel(struct exchange *x)
{
	waitlist_remove(&x->waiter);
	if (x->xid != 0 && x->ch != NULL)
		channel_frame(x->ch, PROTO_CANCEL, 0, x->xid, NULL, 0);
	xid_release(x);
}

void
exchange_finish(struct exchange *x, int status)
{
	qstats_end(x->qs, status);
	x->qs = NULL;
	cacheserve_abort(x);
	xid_release(x);
	x->final = x->ended = x->upgraded = 0;
	x->resp_owed = 0;
}

/* --- frames from the application ------------------------------------ */

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

/* All digits, at most 23 of them; a value past INT64_MAX is INT64_MAX (as
 * strtoll had it). By hand: strtoll and strspn cost some 150 instructions
 * a response (bench/callgrind). */
static int
content_length(const unsigned char *v, uint32_t n, int64_t *cl)
{
	int64_t x = 0, d;
	uint32_t i;

	if (n == 0 || n >= 24)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = v[i] - '0';
		x = x > (INT64_MAX - d) / 10 ? INT64_MAX : x * 10 + d;
	}
	*cl = x;
	return 0;
}

/* One field of a RESPONSE: within the frame, a token, a clean value
 * (unless trusted). */
static int
resp_check_field(struct exchange_resp *r, uint32_t i, int trusted)
{
	struct proto_field fl;

	if (proto_field_get(r->frame, PROTO_RESPONSE_FIXED, r->area, i,
	    &fl) == -1)
		return -1;
	if (!trusted && (!valid_token(fl.name, fl.name_len) ||
	    !valid_value(fl.value, fl.value_len)))
		return -1;
	if (exchange_name_is(fl.name, fl.name_len, "content-length"))
		return content_length(fl.value, fl.value_len,
		    &r->content_length);
	if (exchange_name_is(fl.name, fl.name_len, "upgrade"))
		r->upgrade = 1;
	return 0;
}

/*
 * A RESPONSE's payload, checked whole before anything is written.
 * trusted: the cache's (cacheserve_find), whose fields were checked as
 * they came from the application, and whose Age and Content-Length are
 * hsysd's: their bytes are not scanned again (some 400 instructions a
 * hit, bench/callgrind).
 */
static int
resp_parse(const struct proto_frame *f, struct exchange_resp *r, int trusted)
{
	struct proto_response pr;
	uint32_t i;

	if (proto_response_get(f, &pr) == -1)
		return -1;
	r->status = pr.status;
	r->nfields = pr.nheaders;
	r->end = (pr.flags & PROTO_RESPONSE_F_END) != 0;
	r->reason = proto_span_at(f, pr.area, pr.reason);
	r->rlen = pr.reason.len;
	r->content_length = -1;
	r->upgrade = 0;
	r->cache = (pr.flags & PROTO_RESPONSE_F_CACHE) != 0;
	r->cache_ttl = 0;
	if (r->status < 100 || r->status > 999 || (r->cache &&
	    proto_response_ttl(f, &pr, &r->cache_ttl) == -1))
		return -1;
	r->frame = f;
	r->area = pr.area;
	for (i = 0; i < r->nfields; i++)
		if (resp_check_field(r, i, trusted) == -1)
			return -1;
	return trusted || valid_value(r->reason, r->rlen) ? 0 : -1;
}

/* ERROR for one request, down its data channel. */
static void
refuse(struct channel *ch, uint64_t id, const char *why)
{
	unsigned char p[256];
	size_t n = proto_error_put(p, sizeof(p), EINVAL, why, strlen(why));

	channel_frame(ch, PROTO_ERROR, 0, id, p, n);
}

/* A RESPONSE the request cannot have: that request fails (502), not the
 * whole session. */
static void
resp_malformed(struct exchange *x, uint64_t id)
{
	log_info("worker %d: a malformed RESPONSE; answering 502",
	    x->w->index);
	refuse(x->ch, id, "the RESPONSE is malformed: a status outside "
	    "100-999, a second final status, a 101 to a request without the "
	    "UPGRADE flag or without an Upgrade header, a header name that "
	    "is not a token, or a value with CR, LF or NUL");
	xid_release(x);
	x->final = x->upgraded = 0;
	x->ops->fail(x, 502, NULL);
}

static void
from_response(struct exchange *x, const struct proto_frame *f)
{
	struct exchange_resp r;
	int rc;

	queue_leave(x);		/* its final response started */
	/* 1xx heads come before the final one. */
	if (resp_parse(f, &r, 0) == -1 || x->final) {
		resp_malformed(x, f->id);
		return;
	}
	if (r.status == 101)	/* the tunnel's bytes start in head() */
		x->final = x->upgraded = 1;
	if ((rc = x->ops->head(x, &r)) == -1) {
		resp_malformed(x, f->id);
		return;
	}
	if (r.status >= 200) {
		x->final = 1;
		cacheserve_begin(x, &r);
	}
	x->ended = rc == 1;
	if (x->ended)
		cacheserve_abort(x);	/* a fill ends with its body's END */
	x->ops->progress(x);
}

/* The response's trailers, with its END (not counted against credit:
 * trailers_from_app bounds them). Malformed ones fail that request. */
static int
from_resp_trailers(struct exchange *x, const struct proto_frame *f)
{
	struct http_header fl[TRAILERS_MAX];
	int n, rc;

	if (!(f->flags & PROTO_F_END) || x->upgraded ||
	    (n = trailers_from_app(f, fl)) == -1) {
		log_info("worker %d: malformed response trailers; resetting "
		    "the response", x->w->index);
		refuse(x->ch, f->id, "the trailers are malformed: without "
		    "END, after a 101, over 100 fields or 16 KiB, a name that "
		    "is not a token, or a value with CR, LF or NUL");
		xid_release(x);
		x->ops->fail(x, 502, NULL);
		return 0;
	}
	if ((rc = x->ops->trailers(x, fl, (size_t)n)) == -1)
		return -1;
	x->ended = rc == 1;
	x->ops->progress(x);
	return 0;
}

static int
from_resp_data(struct exchange *x, const struct proto_frame *f)
{
	int rc;

	/* Body bytes after an end the daemon decided on (a HEAD request, a
	 * 204, a Content-Length reached): dropped, as they are once the
	 * connection's deferred flush has ended the exchange. */
	if (x->final && x->ended)
		return 0;
	if (!x->final)
		return -1;
	if (f->flags & PROTO_F_TRAILERS)
		return from_resp_trailers(x, f);
	/* Beyond its credit: an application that would make the daemon
	 * buffer without bound is cut off (its channel ends). */
	if (f->length > x->resp_credit) {
		log_info("worker %d: an application sent RESP_DATA beyond its "
		    "credit", x->w->index);
		return -1;
	}
	x->resp_credit -= f->length;
	cacheserve_body(x, f->payload, f->length, (f->flags & PROTO_F_END) !=
	    0);
	if ((rc = x->ops->body(x, f->payload, f->length,
	    (f->flags & PROTO_F_END) != 0)) == -1)
		return -1;
	x->ended = rc == 1;
	x->ops->progress(x);
	return 0;
}

static int
from_req_credit(struct exchange *x, const struct proto_frame *f)
{
	uint32_t n;

	if (proto_credit_get(f, &n) == -1)
		return -1;
	x->req_credit += n;
	x->ops->credit(x, n);
	return 0;
}

int
exchange_from_app(struct worker *w, struct channel *ch,
    const struct proto_frame *f)
{
	struct exchange *x;

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
	if ((x = xid_find(w, f->id)) == NULL || x->ch != ch)
		return 0;
	switch (f->type) {
	case PROTO_RESPONSE:
		from_response(x, f);
		return 0;
	case PROTO_RESP_DATA:
		return from_resp_data(x, f);
	case PROTO_REQ_CREDIT:
		return from_req_credit(x, f);
	default:		/* CANCEL, ERROR */
		xid_release(x);
		x->ops->fail(x, 500, NULL);
		return 0;
	}
}

void
exchange_channel_lost(struct worker *w, struct channel *ch)
{
	struct exchange *x;
	uint32_t i;

	for (i = 0; i < w->nxslot; i++) {
		if ((x = w->xslot[i]) == NULL || x->ch != ch)
			continue;
		xid_release(x);
		/* Its whole response came (an application that answers and
		 * then ends its session, as a server that drains does): the
		 * framing still owes the client its last bytes, and sends
		 * them. A tunnel's client bytes have nowhere to go. */
		if (x->ended && !x->upgraded)
			continue;
		x->ops->fail(x, 503, "Connection_Abandoned_By_ReqQueue");
	}
}
