/*
 * exchange — one request, forwarded: its head and body up to the
 * upstream, the response's head and body back to the client, with the
 * blocking calls of libhsys and --timeout on every upstream wait, so both
 * directions move only as fast as the slower side takes them.
 *
 * The upstream's framing is trusted only as far as response.c accepts it:
 * a head it refuses, a body cut short or badly chunked, or bytes after the
 * response's end make the connection unusable (closed, never pooled), and
 * the client gets 502 when nothing had been sent to it yet, else a reset
 * (the request is cancelled). A chunked response's trailer section is
 * passed on (hsys_response_trailers). A pooled connection that the
 * upstream closed meanwhile is retried once on a new connection, when no
 * byte of the client's body had been sent yet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <hsys.h>

#include "forward/forward.h"

#define MAX_FIELDS	128
#define MAX_TRAILERS	100		/* hsys_response_trailers' bound */
#define TRAILER_ROOM	16384		/* and its bytes' */

enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_DONE };

struct ex {
	struct fwd_worker *w;
	struct hsys_request *r;
	int		 fd;
	int		 reused;	/* fd came from the pool */
	int		 body_sent;	/* some body bytes went upstream */
	int		 body_failed;	/* the upstream stopped taking it */
	int		 head;		/* a HEAD request */
	int		 long_wait;	/* fd's receive timeout is --timeout */
	int		 taken_err;	/* an errno exchange_try's recv took */
	size_t		 inlen;		/* bytes in w->in */
	size_t		 off;		/* where the body starts in w->in */
	struct fwd_response resp;
	struct http_header fields[MAX_FIELDS];
	struct http_header trailers[MAX_TRAILERS];	/* the upstream's */
	char		 tr_room[TRAILER_ROOM];
};

/* The scalars only: an initializer would clear the field and trailer
 * arrays (24 KiB) for every request. */
static void
ex_init(struct ex *x, struct fwd_worker *w, struct hsys_request *r, int fd)
{
	x->w = w;
	x->r = r;
	x->fd = fd;
	x->reused = x->body_sent = x->body_failed = x->head = 0;
	x->long_wait = 0;
	x->taken_err = 0;
	x->inlen = x->off = 0;
}

static void
drop_fd(struct ex *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

/* The client gets status (nothing was sent to it yet); the log says why. */
static int
refuse(struct ex *x, int status, const char *why, int err)
{
	char msg[160];

	fwd_log("%d for %s %s: upstream %s%s%s", status,
	    hsys_request_method(x->r), hsys_request_raw_url(x->r), why,
	    err != 0 ? ": " : "", err != 0 ? strerror(-err) : "");
	snprintf(msg, sizeof(msg), "%s\n", status == 504 ?
	    "504 Gateway Timeout: the upstream did not answer in time" :
	    "502 Bad Gateway: the upstream server failed to answer");
	hsys_respond(x->r, status, "text/plain; charset=utf-8", msg,
	    strlen(msg));
	drop_fd(x);
	return ATTEMPT_DONE;
}

/* A failure once the response had started: the client's connection is
 * reset, the upstream's closed. */
static void
abort_response(struct ex *x, const char *why, int err)
{
	fwd_log("aborted %s %s: upstream %s%s%s", hsys_request_method(x->r),
	    hsys_request_raw_url(x->r), why, err != 0 ? ": " : "",
	    err != 0 ? strerror(-err) : "");
	hsys_request_cancel(x->r);
	drop_fd(x);
}

/* GET and HEAD skip the check of a pooled connection (a syscall): if the
 * upstream closed it, they are retried, having no body. */
static int
open_upstream(struct ex *x, int fresh)
{
	int check = !x->head && strcmp(hsys_request_method(x->r), "GET") != 0;
	int fd = fresh ? -1 : upstream_pool_get(&x->w->pool, check);

	x->reused = fd >= 0;
	x->long_wait = 0;
	if (fd < 0 && (fd = upstream_connect(x->w->cfg)) < 0)
		return refuse(x, fd == -ETIMEDOUT ? 504 : 502,
		    "connect failed", fd);
	x->fd = fd;
	return ATTEMPT_OK;
}

/* A write error on a pooled connection before any body byte: retry. */
static int
send_failed(struct ex *x, int rc)
{
	if (x->reused && !x->body_sent) {
		drop_fd(x);
		return ATTEMPT_RETRY;
	}
	return refuse(x, rc == -ETIMEDOUT ? 504 : 502,
	    "stopped taking the request", rc);
}

/* One piece of body, framed as chunk when chunked; in w->out at 32. */
static int
send_piece(struct ex *x, size_t n, int chunked)
{
	char *data = x->w->out + 32, line[24];
	int k = 0;

	if (chunked) {
		k = snprintf(line, sizeof(line), "%zx\r\n", n);
		memcpy(data - k, line, (size_t)k);
		memcpy(data + n, "\r\n", 2);
		n += 2;
	}
	return upstream_write(x->fd, data - k, n + (size_t)k,
	    x->w->cfg->timeout_ms);
}

/* The end of a chunked body, with the client's trailer fields. */
static int
send_last_chunk(struct ex *x)
{
	char *p = x->w->out, *end = p + FWD_BUF;
	const char *name, *value;
	size_t i, n = hsys_request_trailer_count(x->r);
	int k;

	p += snprintf(p, 8, "0\r\n");
	for (i = 0; i < n; i++) {
		if (hsys_request_trailer_at(x->r, i, &name, &value) < 0)
			break;
		k = snprintf(p, (size_t)(end - p), "%s: %s\r\n", name, value);
		if (k < 0 || k >= end - p - 2)
			break;
		p += k;
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	return upstream_write(x->fd, x->w->out, (size_t)(p - x->w->out),
	    x->w->cfg->timeout_ms);
}

/* The client's body, streamed. ATTEMPT_OK (also when the upstream stopped
 * reading: its answer may say why), or ATTEMPT_DONE. */
static int
send_body(struct ex *x)
{
	int chunked = hsys_request_content_length(x->r) < 0, rc;
	ssize_t n;

	if (hsys_request_content_length(x->r) == 0)
		return ATTEMPT_OK;
	for (;;) {
		n = hsys_request_read(x->r, x->w->out + 32, FWD_BUF - 64);
		if (n < 0) {
			fwd_log("client went away during %s %s: %s",
			    hsys_request_method(x->r),
			    hsys_request_raw_url(x->r), hsys_strerror((int)n));
			hsys_request_cancel(x->r);
			drop_fd(x);
			return ATTEMPT_DONE;
		}
		x->body_sent = 1;
		if (n == 0)
			break;
		if (!x->body_failed && (rc = send_piece(x, (size_t)n,
		    chunked)) < 0)
			x->body_failed = 1;
	}
	if (chunked && !x->body_failed && send_last_chunk(x) < 0)
		x->body_failed = 1;
	return ATTEMPT_OK;
}

/* Reads from the upstream. Answers to earlier requests of the batch
 * hsys_next handed out (and this response's first bytes) are corked in
 * libhsys until it waits; we wait on the upstream instead. The socket's
 * receive timeout starts as the grace (FWD_GRACE_MS): a fast upstream
 * answers within it and the batch stays one write, at no extra syscall;
 * past it, what is corked leaves and the wait goes on to --timeout, so a
 * slow upstream holds back no other client. */
static ssize_t
up_read(struct ex *x, void *buf, size_t len)
{
	const struct fwd_config *cfg = x->w->cfg;
	ssize_t n;
	int rc;

	/* A socket reports its error once: the read that took it off
	 * (exchange_try's) hands it on, or this one would see an end. */
	if (x->taken_err != 0) {
		n = -x->taken_err;
		x->taken_err = 0;
		return n;
	}
	n = upstream_read(x->fd, buf, len, cfg->timeout_ms);
	if (n != -ETIMEDOUT || x->long_wait)
		return n;
	hsys_flush(x->w->h);
	if ((rc = upstream_recv_timeout(x->fd, cfg->timeout_ms)) < 0)
		return rc;
	x->long_wait = 1;
	return upstream_read(x->fd, buf, len, cfg->timeout_ms);
}

/* Reads until a whole head is in w->in. ATTEMPT_OK with x->off set. */
static int
read_head(struct ex *x)
{
	ssize_t n;
	int rc;

	fwd_response_init(&x->resp, x->fields, MAX_FIELDS, FWD_BUF);
	for (;;) {
		rc = fwd_response_parse(x->w->in, x->inlen, &x->resp);
		if (rc > 0) {
			x->off = (size_t)rc;
			return ATTEMPT_OK;
		}
		if (rc == HTTP_ERROR)
			return refuse(x, 502, x->resp.error, 0);
		n = up_read(x, x->w->in + x->inlen, FWD_BUF - x->inlen);
		if (n == -ETIMEDOUT)
			return refuse(x, 504, "did not answer in time", 0);
		if (n <= 0 && x->inlen == 0 && x->reused && !x->body_sent) {
			drop_fd(x);
			return ATTEMPT_RETRY;
		}
		if (n == 0)
			return refuse(x, 502, x->inlen == 0 ? "closed the "
			    "connection without answering" : "closed the "
			    "connection within the response head", 0);
		if (n < 0)
			return refuse(x, 502, "connection failed", (int)n);
		x->inlen += (size_t)n;
	}
}

/* The response's fields for libhsys: NUL-terminated copies in w->out,
 * the hop-by-hop ones left out (Upgrade kept on a 101). */
/* One field into h, its name and value copied to p as C strings; returns
 * where the next goes. */
static char *
put_field(char *p, struct hsys_header *h, const struct http_header *f)
{
	h->name = p;
	memcpy(p, f->name, f->name_len);
	p += f->name_len;
	*p++ = '\0';
	h->value = p;
	memcpy(p, f->value, f->value_len);
	p += f->value_len;
	*p++ = '\0';
	return p;
}

static size_t
copy_fields(struct ex *x, struct hsys_header *hh)
{
	const struct http_header *f = x->resp.headers;
	char *p = x->w->out;
	size_t i, n = 0, nf = x->resp.nheaders;

	for (i = 0; i < nf; i++) {
		if (fwd_hop_by_hop(f, nf, f[i].name, f[i].name_len) &&
		    !(x->resp.status == 101 && f[i].name_len == 7 &&
		    strncasecmp(f[i].name, "upgrade", 7) == 0))
			continue;
		p = put_field(p, &hh[n++], &f[i]);
	}
	return n;
}

/* Removes the head just handled from w->in. */
static void
consume_head(struct ex *x)
{
	memmove(x->w->in, x->w->in + x->off, x->inlen - x->off);
	x->inlen -= x->off;
	x->off = 0;
}

/* Sends the head upstream and the body. */
static int
attempt_send(struct ex *x, int fresh, int headlen)
{
	int rc;

	x->inlen = 0;
	if ((rc = open_upstream(x, fresh)) != ATTEMPT_OK)
		return rc;
	if ((rc = upstream_write(x->fd, x->w->out, (size_t)headlen,
	    x->w->cfg->timeout_ms)) < 0)
		return send_failed(x, rc);
	return send_body(x);
}

/* Reads the final head (relaying interim 1xx heads). */
static int
await_final(struct ex *x)
{
	struct hsys_header hh[MAX_FIELDS];
	int rc;

	for (;;) {
		if ((rc = read_head(x)) != ATTEMPT_OK)
			return rc;
		if (x->resp.status >= 200 || x->resp.status == 101)
			return ATTEMPT_OK;
		/* Interim: 100 is hsysd's business; others go on. */
		if (x->resp.status != 100)
			hsys_response_start(x->r, x->resp.status, hh,
			    copy_fields(x, hh), 0);
		consume_head(x);
	}
}

/* Sends the head upstream, the body, and reads the final head. */
static int
attempt(struct ex *x, int fresh, int headlen)
{
	int rc;

	if ((rc = attempt_send(x, fresh, headlen)) != ATTEMPT_OK)
		return rc;
	return await_final(x);
}

static int
client_write(struct ex *x, const char *p, size_t n)
{
	ssize_t w;

	if (n == 0)
		return 0;
	x->w->lib_read = 1;	/* it may wait for credit, reading */
	if ((w = hsys_response_write(x->r, p, n)) == (ssize_t)n)
		return 0;
	fwd_log("client went away during %s %s: %s",
	    hsys_request_method(x->r), hsys_request_raw_url(x->r),
	    hsys_strerror((int)w));
	hsys_request_cancel(x->r);
	drop_fd(x);
	return -1;
}

/* Reads more of the body into w->in (emptied): bytes, or -1 after the
 * request was aborted (eof_ok: the body ends at EOF). libhsys corks what
 * was written to the client until it would wait itself; we are about to
 * wait on the upstream instead, so what the client has been given leaves
 * first (a stream, such as server-sent events, is not held back until
 * 32 KiB or its end). Nothing queued: no system call. */
static ssize_t
body_read(struct ex *x, int eof_ok)
{
	ssize_t n;

	hsys_flush(x->w->h);
	n = up_read(x, x->w->in, FWD_BUF);

	if (n > 0 || (n == 0 && eof_ok))
		return n;
	abort_response(x, n == 0 ? "closed the connection within the body" :
	    n == -ETIMEDOUT ? "stalled within the body" : "failed within "
	    "the body", n < 0 ? (int)n : 0);
	return -1;
}

/* Content-Length bytes. 0, or -1 once aborted. Bytes past the end make
 * the connection unusable. */
static int
relay_length(struct ex *x, int *reusable)
{
	uint64_t left = (uint64_t)x->resp.content_length;
	size_t have = x->inlen - x->off, k;
	ssize_t n;

	k = have < left ? have : (size_t)left;
	if (client_write(x, x->w->in + x->off, k) < 0)
		return -1;
	left -= k;
	if (have > k)
		*reusable = 0;
	while (left > 0) {
		if ((n = body_read(x, 0)) < 0)
			return -1;
		k = (uint64_t)n < left ? (size_t)n : (size_t)left;
		if ((size_t)n > k)
			*reusable = 0;
		if (client_write(x, x->w->in, k) < 0)
			return -1;
		left -= k;
	}
	return 0;
}

/* The chunked bytes that came with the head, decoded before the response
 * starts, so that framing broken from the start is still a 502. */
static int
chunked_first(struct ex *x, struct http_chunked *ch, size_t *len, int *rc)
{
	http_chunked_init(ch, NULL);
	http_chunked_keep_trailers(ch, x->tr_room, sizeof(x->tr_room),
	    x->trailers, MAX_TRAILERS);
	*len = x->inlen - x->off;
	if (*len == 0) {
		*rc = HTTP_INCOMPLETE;
		return 0;
	}
	*rc = http_chunked_decode(ch, x->w->in + x->off, len);
	return *rc == HTTP_ERROR ? -1 : 0;
}

static int
relay_chunked(struct ex *x, struct http_chunked *ch, size_t len, int rc,
    int *reusable)
{
	char *p = x->w->in + x->off;
	size_t piece = x->inlen - x->off;
	ssize_t n;

	for (;;) {
		if (rc == HTTP_ERROR) {
			abort_response(x, ch->error, 0);
			return -1;
		}
		if (client_write(x, p, len) < 0)
			return -1;
		if (rc >= 0) {
			if ((size_t)rc < piece)
				*reusable = 0;
			return 0;
		}
		if ((n = body_read(x, 0)) < 0)
			return -1;
		p = x->w->in;
		piece = len = (size_t)n;
		rc = http_chunked_decode(ch, p, &len);
	}
}

/* The upstream's trailer fields (kept by the chunked decoder) end the
 * response: NUL-terminated copies in w->out, hop-by-hop ones left out
 * (hsysd leaves out those a trailer may not carry). A daemon without
 * response trailers, or fields it refuses, and the response just ends. */
static void
send_trailers(struct ex *x, const struct http_chunked *ch)
{
	struct hsys_header hh[MAX_TRAILERS];
	const struct http_header *f = ch->tr;
	char *p = x->w->out;
	size_t i, n = 0, nf = ch->ntrailers;
	int rc;

	for (i = 0; i < nf; i++) {
		if (fwd_hop_by_hop(f, nf, f[i].name, f[i].name_len))
			continue;
		p = put_field(p, &hh[n++], &f[i]);
	}
	if (n == 0 || (rc = hsys_response_trailers(x->r, hh, n)) == 0 ||
	    rc == -EOPNOTSUPP)
		return;
	fwd_log("trailers of %s %s not forwarded: %s",
	    hsys_request_method(x->r), hsys_request_raw_url(x->r),
	    hsys_strerror(rc));
}

static int
relay_close(struct ex *x)
{
	ssize_t n;

	if (client_write(x, x->w->in + x->off, x->inlen - x->off) < 0)
		return -1;
	while ((n = body_read(x, 1)) > 0)
		if (client_write(x, x->w->in, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

/* Whether the response is small, whole in w->in, and says nothing but
 * Content-Type (hsysd writes Date and Server itself): then hsys_respond
 * sends head, body and end in one write. */
static int
simple(struct ex *x, enum fwd_body kind, const char **ctype)
{
	const struct http_header *f = x->resp.headers;
	size_t i;

	if (kind != FWD_BODY_LENGTH || x->resp.status < 200 ||
	    (uint64_t)x->resp.content_length != x->inlen - x->off)
		return 0;
	*ctype = NULL;
	for (i = 0; i < x->resp.nheaders; i++) {
		if (f[i].name_len == 12 && strncasecmp(f[i].name,
		    "content-type", 12) == 0 && *ctype == NULL &&
		    f[i].value_len < FWD_BUF) {
			memcpy(x->w->out, f[i].value, f[i].value_len);
			x->w->out[f[i].value_len] = '\0';
			*ctype = x->w->out;
		} else if (!fwd_hop_by_hop(f, x->resp.nheaders, f[i].name,
		    f[i].name_len) && !(f[i].name_len == 14 &&
		    strncasecmp(f[i].name, "content-length", 14) == 0) &&
		    !(f[i].name_len == 4 && strncasecmp(f[i].name, "date",
		    4) == 0) && !(f[i].name_len == 6 &&
		    strncasecmp(f[i].name, "server", 6) == 0))
			return 0;
	}
	return 1;
}

/* Back to the pool, with the grace as its receive timeout again. */
static void
pool_put(struct ex *x)
{
	if (x->long_wait && upstream_recv_timeout(x->fd, FWD_GRACE_MS) < 0) {
		drop_fd(x);
		return;
	}
	upstream_pool_put(&x->w->pool, x->fd);
	x->fd = -1;
}

static void
respond(struct ex *x)
{
	struct hsys_header hh[MAX_FIELDS];
	enum fwd_body kind = fwd_response_body(&x->resp, x->head);
	int reusable = !x->resp.close && !x->body_failed, rc = 0, crc = 0;
	struct http_chunked ch;
	const char *ctype;
	size_t clen = 0;

	if (kind == FWD_BODY_TUNNEL &&
	    hsys_request_header(x->r, "Upgrade") == NULL) {
		refuse(x, 502, "switched protocols unasked", 0);
		return;
	}
	if (simple(x, kind, &ctype)) {
		/* Past the window it writes as hsys_response_write does. */
		if (x->inlen - x->off > 16384)
			x->w->lib_read = 1;
		hsys_respond(x->r, x->resp.status, ctype, x->w->in + x->off,
		    x->inlen - x->off);
		if (reusable)
			pool_put(x);
		else
			close(x->fd);
		return;
	}
	if (kind == FWD_BODY_CHUNKED && chunked_first(x, &ch, &clen,
	    &crc) < 0) {
		refuse(x, 502, ch.error, 0);
		return;
	}
	if (hsys_response_start(x->r, x->resp.status, hh, copy_fields(x, hh),
	    kind == FWD_BODY_NONE ? HSYS_RESPONSE_END : 0) < 0) {
		hsys_request_cancel(x->r);
		drop_fd(x);
		return;
	}
	if (kind == FWD_BODY_TUNNEL) {
		x->w->lib_read = 1;
		tunnel_add(x->w, x->r, x->fd, x->w->in + x->off,
		    x->inlen - x->off);
		return;
	}
	if (kind == FWD_BODY_NONE && x->inlen > x->off)
		reusable = 0;
	if (kind == FWD_BODY_LENGTH)
		rc = relay_length(x, &reusable);
	else if (kind == FWD_BODY_CHUNKED &&
	    (rc = relay_chunked(x, &ch, clen, crc, &reusable)) == 0)
		send_trailers(x, &ch);
	else if (kind == FWD_BODY_CLOSE)
		rc = relay_close(x), reusable = 0;
	if (rc < 0)
		return;
	hsys_response_end(x->r);
	if (reusable)
		pool_put(x);
	else
		close(x->fd);
}

/* After the first attempt (rc): once more on a fresh connection when a
 * reused one closed without answering, then the answer relayed or 502. */
static void
conclude(struct ex *x, int rc)
{
	if (rc == ATTEMPT_RETRY)
		/* outbound_head again: w->out may hold body or fields. */
		rc = attempt(x, 1, outbound_head(x->w->cfg, x->r, x->w->out,
		    FWD_BUF));
	if (rc == ATTEMPT_RETRY)
		rc = refuse(x, 502, "closed the connection without answering",
		    0);
	if (rc == ATTEMPT_OK)
		respond(x);
}

void
exchange_run(struct fwd_worker *w, struct hsys_request *r)
{
	struct ex x;
	int headlen;

	w->lib_read = 1;	/* the body is read waiting in libhsys */
	ex_init(&x, w, r, -1);
	x.head = strcmp(hsys_request_method(r), "HEAD") == 0;
	headlen = outbound_head(w->cfg, r, w->out, FWD_BUF);
	if (headlen < 0) {
		refuse(&x, 502, "request head too large to forward", 0);
		return;
	}
	conclude(&x, attempt(&x, 0, headlen));
}

void
exchange_start(struct fwd_worker *w, struct hsys_request *r)
{
	struct ex x;
	struct fwd_flight *f;
	int headlen, rc;

	ex_init(&x, w, r, -1);
	if (hsys_request_content_length(r) != 0 ||
	    w->nflights == FWD_MAX_FLIGHTS) {
		exchange_run(w, r);
		return;
	}
	x.head = strcmp(hsys_request_method(r), "HEAD") == 0;
	headlen = outbound_head(w->cfg, r, w->out, FWD_BUF);
	if (headlen < 0) {
		refuse(&x, 502, "request head too large to forward", 0);
		return;
	}
	rc = attempt_send(&x, 0, headlen);
	if (rc == ATTEMPT_RETRY)
		rc = attempt_send(&x, 1, headlen);	/* w->out holds it */
	if (rc == ATTEMPT_RETRY)
		rc = refuse(&x, 502, "stopped taking the request", 0);
	if (rc != ATTEMPT_OK)
		return;
	f = &w->flights[w->nflights++];
	f->r = r;
	f->fd = x.fd;
	f->reused = (unsigned)x.reused;
	f->head = (unsigned)x.head;
	f->deadline = fwd_now_ms() + w->cfg->timeout_ms;
}

/* have: bytes of the answer already in w->in (exchange_try); err: the
 * errno its read took off the socket, or 0. */
void
exchange_resume(struct fwd_worker *w, const struct fwd_flight *f,
    size_t have, int err)
{
	struct ex x;

	ex_init(&x, w, f->r, f->fd);
	x.reused = (int)f->reused;
	x.head = (int)f->head;
	x.inlen = have;
	x.taken_err = err;

	conclude(&x, await_final(&x));
}

int
exchange_try(struct fwd_worker *w, const struct fwd_flight *f, int wait)
{
	ssize_t n;

	while ((n = recv(f->fd, w->in, FWD_BUF, wait ? 0 : MSG_DONTWAIT))
	    == -1 && errno == EINTR)
		;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	/* An end or an error: resume says which (an error is reported once:
	 * it goes along). */
	exchange_resume(w, f, n > 0 ? (size_t)n : 0, n == -1 ? errno : 0);
	return 1;
}

void
exchange_expire(struct fwd_worker *w, const struct fwd_flight *f)
{
	struct ex x;

	ex_init(&x, w, f->r, f->fd);

	refuse(&x, 504, "did not answer in time", 0);
}
