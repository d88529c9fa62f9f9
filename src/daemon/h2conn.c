/*
 * h2conn — HTTP/2 on a client connection; see h2conn.h.
 *
 * Bounds: a stream's request body waits here (pend) only up to its
 * window (the client cannot send more before bytes go on); the output
 * buffer takes the session's frames only while less than H2C_OUT_MAX
 * waits for the client, so a client that does not read holds the
 * applications' credit (their bytes wait in the streams, bounded by it)
 * and stops being read; MinSendRate (conn.c's send timer) ends it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "daemon/answer.h"
#include "daemon/conn_int.h"
#include "daemon/h2conn.h"
#include "daemon/httplog.h"
#include "daemon/logline.h"
#include "daemon/stats.h"
#include "daemon/trailers.h"
#include "h2/h2.h"
#include "proto/proto.h"

#define H2C_OUT_MAX	(64u << 10)	/* `out` beyond: frames wait */
#define H2C_READ	16384
#define H2C_LINGER_MS	2000	/* after GOAWAY, client bytes dropped */
#define H2C_FIELDS	EXCHANGE_FIELDS_MAX

struct h2conn {
	struct h2_session	*s;
	struct conn		*c;
	void			(*next)(struct conn *); /* conn.c's */
	int			 streams;	/* open, with a request */
	int			 fatal;		/* GOAWAY out, then close */
	int			 closing;	/* GOAWAY out: lingering */
	uint64_t		 streams_seen;	/* counted in stats */
	uint64_t		 resets_seen;
	int32_t			 waits;		/* the timer: H2C_IDLE, or a
						 * head's stream id, or
						 * H2C_BUSY */
};

#define H2C_BUSY	(-1)	/* streams open: no timer */
#define H2C_IDLE	0	/* none open: the idle timeout */

/* One stream's request. */
struct h2req {
	struct exchange		 x;
	struct exchange_head	 head;
	struct h2_stream	*st;
	struct h2conn		*h;
	char			*pend;		/* body waiting for credit */
	size_t			 plen, pcap;
	int			 body_end;	/* the client ended it */
	int			 sent_end;	/* END went on */
	int			 resp;		/* a final head went */
	int			 status;
	int			 head_only;
	int			 continued;	/* our 100 Continue went */
	uint64_t		 t0, bytes;
};

static struct h2req *
req_of(struct exchange *x)
{
	return container_of(x, struct h2req, x);
}

/* --- the request logs ----------------------------------------------- */

static void
logrec(struct h2req *r, struct logrec *l)
{
	struct conn *c = r->h->c;
	const struct http_request *q = &r->st->req;
	size_t i;

	memset(l, 0, sizeof(*l));
	l->peer = &c->peer;
	l->local = &c->local;
	l->status = r->status;
	l->bytes = r->bytes;
	l->ms = (loop_now_us(c->w->loop) - r->t0) / 1000;
	if (c->ssl != NULL) {
		l->tls_version = SSL_get_version(c->ssl);
		l->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	}
	l->version = 20;
	l->stream = r->st->id;
	if (r->st->head == NULL)
		return;		/* refused before it was whole */
	l->method = q->method;
	l->method_len = q->method_len;
	l->uri = q->target;
	l->uri_len = q->target_len;
	l->host = q->host;
	l->host_len = q->host_len;
	for (i = 0; i < q->nheaders; i++) {
		if (q->headers[i].name_len == 10 &&
		    memcmp(q->headers[i].name, "user-agent", 10) == 0) {
			l->ua = q->headers[i].value;
			l->ua_len = q->headers[i].value_len;
		}
		if (q->headers[i].name_len == 7 &&
		    memcmp(q->headers[i].name, "referer", 7) == 0) {
			l->referer = q->headers[i].value;
			l->referer_len = q->headers[i].value_len;
		}
	}
}

static void
log_err(struct h2req *r, const char *reason)
{
	struct logrec l;
	struct conn *c = r->h->c;

	if (c->w->log == NULL || reason == NULL)
		return;
	logrec(r, &l);
	httperr_conn(c->w, &c->peer, &c->local, reason, &l);
}

/* --- the request body: the client's DATA within credit -------------- */

static void
refuse(struct h2req *r, int status, const char *reason)
{
	answer_error(&r->x, status, NULL, 0, reason);
}

/* The trailers the client sent, as the final REQ_DATA. */
static int
send_trailers(struct h2req *r)
{
	struct h2_stream *st = r->st;
	struct trailers *tr;
	size_t i, n = st->ntrailers, len;
	int rc;

	if (n == 0)
		return exchange_body(&r->x, NULL, 0, 1);
	if (n > TRAILERS_MAX || (tr = malloc(sizeof(*tr))) == NULL)
		return exchange_body(&r->x, NULL, 0, 1);
	for (i = 0; i < n; i++)
		tr->field[i] = st->trailers[i];
	len = trailers_payload(tr, n);
	rc = len > 0 ? exchange_trailers(&r->x, tr->payload, len) :
	    exchange_body(&r->x, NULL, 0, 1);
	free(tr);
	return rc;
}

/* Passes the body bytes waiting on, as far as the credit goes; the
 * client's window reopens by as much. */
static void
pump(struct h2req *r)
{
	size_t n;
	int rc, end;

	while (!r->sent_end && exchange_active(&r->x)) {
		n = r->plen;
		if (n > exchange_credit(&r->x))
			n = exchange_credit(&r->x);
		if (n > PROTO_MAX_FRAME)
			n = PROTO_MAX_FRAME;
		end = r->body_end && n == r->plen;
		if (n == 0 && !end)
			return;
		if (end && r->st->ntrailers > 0) {
			rc = n > 0 ? exchange_body(&r->x, r->pend, n, 0) : 0;
			if (rc == 0)
				rc = send_trailers(r);
		} else
			rc = exchange_body(&r->x, r->pend, n, end);
		if (rc == EXCHANGE_TOO_LARGE) {
			if (r->resp)
				h2_reset(r->st, 0x2);
			else
				refuse(r, 413, "EntityTooLarge");
			return;
		}
		if (rc == -1)
			return;
		memmove(r->pend, r->pend + n, r->plen - n);
		r->plen -= n;
		h2_consumed(r->st, n);
		r->sent_end = end;
	}
}

/* --- what the exchange asks of the stream (exchange_ops) ------------ */

/* The request went: a client that waits for 100 Continue gets it now,
 * as over HTTP/1.1; its body flows within the credit. */
static void
x_started(struct exchange *x)
{
	struct h2req *r = req_of(x);

	if (r->st->req.expect_continue && !r->continued &&
	    h2_respond(r->st, 100, NULL, 0, 0) == 0)
		r->continued = 1;
	pump(r);
}

static void
x_waiting(struct exchange *x)
{
	(void)x;	/* the body waits in pend, within the window */
}

static void
x_resume(struct exchange *x)
{
	struct h2req *r = req_of(x);

	exchange_start(&r->x, &r->head);
}

static void
x_progress(struct exchange *x)
{
	req_of(x)->h->next(req_of(x)->h->c);
}

/* Date and Server, as HTTP/1.1 responses carry them. */
static size_t
own_fields(struct h2req *r, struct http_header *f)
{
	const char *date = answer_date(r->h->c->w);

	f[0] = (struct http_header){ "date", 4, date, strlen(date) };
	f[1] = (struct http_header){ "server", 6, "hsys", 4 };
	return 2;
}

static void
x_answer(struct exchange *x, const struct exchange_answer *a)
{
	struct h2req *r = req_of(x);
	struct http_header f[5];
	char len[24];
	size_t n = own_fields(r, f);
	int end = r->head_only || a->len == 0;

	r->status = a->status;
	log_err(r, a->reason);
	snprintf(len, sizeof(len), "%zu", a->len);
	f[n++] = (struct http_header){ "content-type", 12, a->ctype,
	    strlen(a->ctype) };
	f[n++] = (struct http_header){ "content-length", 14, len,
	    strlen(len) };
	if (h2_respond(r->st, a->status, f, n, end) == 0) {
		r->resp = 1;
		if (!end)
			h2_write(r->st, a->body, a->len, 1);
	} else
		h2_reset(r->st, 0x2);
	r->h->next(r->h->c);
}

static int
skip_field(const unsigned char *n, uint32_t len)
{
	static const char *const names[] = { "date", "server",
	    "connection", "keep-alive", "proxy-connection",
	    "transfer-encoding", "upgrade" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp((const char *)n,
		    names[i], len) == 0)
			return 1;
	return 0;
}

static int
x_head(struct exchange *x, const struct exchange_resp *rs)
{
	struct h2req *r = req_of(x);
	struct http_header *f;
	struct exchange_field ef;
	size_t n = 0;
	uint32_t i;
	int end, rc;

	if (rs->status == 101)
		return -1;	/* no Upgrade in HTTP/2 (RFC 9113 §8.6) */
	if (rs->status == 100 && r->continued)
		return 0;	/* hsysd sent its own */
	if ((f = malloc((rs->nfields + 2) * sizeof(*f))) == NULL)
		return -1;
	if (rs->status >= 200)
		n = own_fields(r, f);
	for (i = 0; i < rs->nfields; i++) {
		exchange_resp_field(rs, i, &ef);
		if (skip_field(ef.name, ef.nlen))
			continue;
		f[n++] = (struct http_header){ (const char *)ef.name, ef.nlen,
		    (const char *)ef.value, ef.vlen };
	}
	end = rs->status >= 200 && (rs->end || r->head_only ||
	    rs->status == 204 || rs->status == 304);
	rc = h2_respond(r->st, rs->status, f, n, end);
	free(f);
	if (rc == -1)
		return -1;
	if (rs->status < 200)
		return 0;
	r->resp = 1;
	r->status = rs->status;
	return end;
}

static int
x_body(struct exchange *x, const void *p, size_t n, int end)
{
	struct h2req *r = req_of(x);

	if (h2_write(r->st, p, n, end) == -1)
		return -1;
	return end;
}

/* Trailers (gRPC's grpc-status): a HEADERS frame with END_STREAM once
 * the DATA went. */
static int
x_trailers(struct exchange *x, const struct http_header *f, size_t n)
{
	struct h2req *r = req_of(x);

	if (n > 0 && h2_trailers(r->st, f, n) == -1)
		return -1;
	return x_body(x, NULL, 0, 1);
}

static void
x_credit(struct exchange *x, uint32_t bytes)
{
	(void)bytes;
	pump(req_of(x));
	req_of(x)->h->next(req_of(x)->h->c);
}

static void
x_fail(struct exchange *x, int status, const char *reason)
{
	struct h2req *r = req_of(x);

	if (!r->resp) {
		refuse(r, status, reason);
		return;
	}
	log_err(r, reason);
	h2_reset(r->st, 0x2);		/* INTERNAL_ERROR: that stream only */
	r->h->next(r->h->c);
}

static const struct exchange_ops h2_xops = {
	.started = x_started,
	.waiting = x_waiting,
	.resume = x_resume,
	.answer = x_answer,
	.head = x_head,
	.body = x_body,
	.trailers = x_trailers,
	.credit = x_credit,
	.fail = x_fail,
	.progress = x_progress,
};

/* --- what the session tells us (h2_ops) ----------------------------- */

static struct h2req *
req_new(struct h2conn *h, struct h2_stream *st)
{
	struct h2req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->st = st;
	r->h = h;
	r->t0 = loop_now_us(h->c->w->loop);
	exchange_init(&r->x, h->c->w, &h2_xops, &h->c->client);
	st->owner = r;
	h->streams++;
	return r;
}

static int
s_request(void *arg, struct h2_stream *st)
{
	struct h2conn *h = arg;
	struct h2req *r;

	if ((r = req_new(h, st)) == NULL)
		return -1;
	h->c->served = 1;
	r->head_only = st->req.method_id == HTTP_METHOD_HEAD;
	r->head.req = &st->req;
	r->head.raw = st->head;
	r->head.raw_len = st->head_len;
	exchange_start(&r->x, &r->head);
	return 0;
}

static void
s_refused(void *arg, struct h2_stream *st, int status, const char *why)
{
	struct h2conn *h = arg;
	struct h2req *r = st->owner;
	const char *reason = logline_reason(status ? status : 400, why);

	if (r == NULL && (r = req_new(h, st)) == NULL)
		return;
	if (status == 0) {
		log_err(r, reason);
		return;
	}
	refuse(r, status, reason);
}

static void
s_body(void *arg, struct h2_stream *st, const uint8_t *p, size_t n)
{
	struct h2req *r = st->owner;
	size_t cap;
	char *nb;

	(void)arg;
	if (r->sent_end || r->resp || r->x.ended) {
		h2_consumed(st, n);	/* answered already: dropped */
		return;
	}
	if (r->plen + n > r->pcap) {
		cap = r->pcap ? r->pcap : 16384;
		while (cap < r->plen + n)
			cap *= 2;
		if ((nb = realloc(r->pend, cap)) == NULL) {
			h2_reset(st, 0x2);
			return;
		}
		r->pend = nb;
		r->pcap = cap;
	}
	memcpy(r->pend + r->plen, p, n);
	r->plen += n;
	pump(r);
}

static void
s_body_end(void *arg, struct h2_stream *st)
{
	struct h2req *r = st->owner;

	(void)arg;
	r->body_end = 1;
	pump(r);
}

static void
s_sent(void *arg, struct h2_stream *st, size_t n)
{
	struct h2req *r = st->owner;

	(void)arg;
	r->bytes += n;
	exchange_sent(&r->x, n);
	exchange_credit_back(&r->x, st->olen == st->ooff);
}

static void
s_closed(void *arg, struct h2_stream *st, uint32_t code)
{
	struct h2conn *h = arg;
	struct h2req *r = st->owner;
	struct logrec l;

	if (r == NULL)
		return;
	h->streams--;
	if (code == 0 && r->resp) {
		stats_request(h->c->w->stats, r->status,
		    loop_now_us(h->c->w->loop) - r->t0);
		stats_add(&h->c->w->stats->h2_requests, 1);
		exchange_finish(&r->x, r->status);
		if (h->c->w->log != NULL) {
			logrec(r, &l);
			httplog_access(h->c->w, &l);
		}
	} else {
		exchange_cancel(&r->x);
		exchange_finish(&r->x, 0);
	}
	free(r->pend);
	free(r);
	st->owner = NULL;
}

static void
s_fatal(void *arg, const char *why)
{
	struct h2conn *h = arg;

	h->fatal = 1;
	conn_httperr(h->c, why);
}

static const struct h2_ops h2_sops = {
	.request = s_request,
	.refused = s_refused,
	.body = s_body,
	.body_end = s_body_end,
	.sent = s_sent,
	.closed = s_closed,
	.fatal = s_fatal,
};

/* --- the connection's hooks ----------------------------------------- */

int
h2conn_start(struct conn *c, void (*next)(struct conn *))
{
	const struct snap_limits *l = conn_limits(c);
	struct h2_limits lim = h2_limits_default;
	struct h2conn *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	h->c = c;
	h->next = next;
	lim.http = &l->http;
	lim.max_streams = l->h2_streams;
	if (h2_session_new(&h->s, &lim, &h2_sops, h) == -1) {
		free(h);
		return -1;
	}
	c->h2 = h;
	c->state = CONN_EXCHANGE;
	stats_add(&c->w->stats->h2_accepted, 1);
	loop_timer_cancel(c->w->loop, &c->timer);
	/* What came before the switch (the cleartext preface, the first
	 * frames) is the session's first input. */
	if (c->inlen > 0 && h2_session_recv(h->s, c->in, c->inlen,
	    loop_now(c->w->loop)) == -1)
		h->fatal = 1;
	in_release(c);
	return 0;
}

int
h2conn_read(struct conn *c)
{
	struct h2conn *h = c->h2;
	char buf[H2C_READ];
	ssize_t n;

	n = conn_recv(c, buf, sizeof(buf));
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (h->closing)
		return n <= 0;	/* dropped, until the client's end */
	if (n <= 0) {
		if (h->streams > 0)
			conn_httperr(c, "Connection_Dropped");
		return 1;
	}
	c->rx += (uint64_t)n;
	stats_add(&c->w->stats->bytes_in, (uint64_t)n);
	if (h2_session_recv(h->s, buf, (size_t)n, loop_now(c->w->loop)) ==
	    -1)
		h->fatal = 1;
	h->next(c);	/* at the batch's end, with the streams' answers */
	return 0;
}

/*
 * The GOAWAY is out: our side ends, and what the client still sends is
 * read and dropped for a moment before the close, so that its kernel
 * does not get a reset that would discard the GOAWAY unread (RFC 9113
 * §6.8 wants it seen). 1 when the connection is to close now.
 */
static int
linger(struct conn *c)
{
	struct h2conn *h = c->h2;

	if (h->closing)
		return 0;
	h->closing = 1;
	if (shutdown(c->io.fd, SHUT_WR) == -1)
		return 1;
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
	loop_timer_set(c->w->loop, &c->timer, H2C_LINGER_MS);
	return 0;
}

/* The session's stream and reset counts, into the worker's counters as
 * they grow. */
static void
count(struct h2conn *h)
{
	struct worker_stats *ws = h->c->w->stats;
	uint64_t streams, resets;

	h2_session_counts(h->s, &streams, &resets);
	stats_add(&ws->h2_streams, streams - h->streams_seen);
	stats_add(&ws->h2_resets, resets - h->resets_seen);
	h->streams_seen = streams;
	h->resets_seen = resets;
}

/*
 * The connection's one timer: the header wait while a header block is
 * under way (HEADERS without END_HEADERS: no other frame may come until
 * it ends, RFC 9113 §4.3, so a client that stops there holds the
 * connection, as a half-sent HTTP/1.1 head would); none while streams
 * are open; else the idle timeout. Each runs from when its state began.
 */
static void
arm(struct h2conn *h)
{
	struct conn *c = h->c;
	int32_t head = h2_session_head_pending(h->s);
	int32_t want = head > 0 ? head : h->streams > 0 ? H2C_BUSY : H2C_IDLE;

	if (want == h->waits && (want == H2C_BUSY || c->timer.deadline != 0))
		return;
	h->waits = want;
	if (want == H2C_IDLE)
		h2_session_trim(h->s);
	if (want == H2C_BUSY)
		loop_timer_cancel(c->w->loop, &c->timer);
	else
		loop_timer_set(c->w->loop, &c->timer, want > 0 ?
		    conn_limits(c)->headerwait_ms : conn_limits(c)->idle_ms);
}

int
h2conn_next(struct conn *c)
{
	struct h2conn *h = c->h2;
	const uint8_t *p;
	ssize_t n;
	int rc;

	if (h->closing)
		return 0;
	/* Frames while `out` has room; again while the socket takes them
	 * all and the session has more. */
	do {
		while (c->outlen - c->outoff < H2C_OUT_MAX &&
		    (n = h2_session_output(h->s, &p)) > 0)
			if (out_append(c, p, (size_t)n) == -1)
				return 1;
		rc = c->broken ? -1 : out_flush(c);
	} while (rc == 0 && h2_session_want_write(h->s));
	if (rc == -1)
		return 1;
	if (rc == 0 && (h->fatal || !h2_session_alive(h->s)))
		return linger(c);	/* the GOAWAY is out */
	/* A client that does not read its answers is not read either. */
	loop_io_change(c->w->loop, &c->io, (rc == 1 ? LOOP_WRITE : 0) |
	    (!h->fatal && c->outlen - c->outoff < H2C_OUT_MAX ? LOOP_READ :
	    0));
	count(h);
	arm(h);
	return 0;
}

const char *
h2conn_timeout(struct conn *c)
{
	struct h2conn *h = c->h2;
	const uint8_t *p;
	ssize_t n;
	int head;

	if (h->closing)
		return "Timer_ConnectionIdle";	/* logged already */
	head = h2_session_head_pending(h->s) > 0;
	if (!head && h->streams > 0)
		return NULL;
	/* Idle, or a head that stopped half-way (nothing else may come
	 * before its end): a GOAWAY says so before the close (RFC 9113
	 * §6.8). */
	h2_session_goaway(h->s, 1);
	while ((n = h2_session_output(h->s, &p)) > 0)
		out_append(c, p, (size_t)n);
	out_flush(c);
	return head ? "Timer_HeaderWait" : "Timer_ConnectionIdle";
}

void
h2conn_goaway(struct conn *c)
{
	h2_session_goaway(c->h2->s, 0);
	c->h2->next(c);
}

void
h2conn_free(struct conn *c)
{
	struct h2conn *h = c->h2;

	if (h == NULL)
		return;
	c->h2 = NULL;
	count(h);
	h2_session_free(h->s);	/* every stream's exchange ends (closed) */
	stats_add(&c->w->stats->h2_closed, 1);
	free(h);
}
