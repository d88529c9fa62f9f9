/*
 * response — what an HTTP/1.1 client receives: the application's
 * response head and body as they come from the exchange (framed by
 * Content-Length, chunked, or the connection's end), its interim 1xx
 * heads and the 101 that starts a tunnel, and the answers the daemon
 * makes itself (answer.h) written out. Everything goes into the
 * connection's `out` (conn_int.h); conn.c flushes it.
 */
#include <stdio.h>
#include <string.h>

#include "common/digits.h"
#include "daemon/answer.h"
#include "daemon/conn_int.h"
#include "daemon/log.h"

#define INTERIM_MAX_BUFFERED	(64u << 10)	/* 1xx heads beyond: dropped */

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

int
response_answer(struct conn *c, const struct exchange_answer *a)
{
	char head[512];
	int hlen;

	hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Server: hsys\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%s\r\n", a->status, http_status_reason(a->status),
	    answer_date(c->w), a->ctype, c->head_only && a->error ? 0 : a->len,
	    connection_header(c, c->keep_alive && !a->close));
	if (out_append(c, head, (size_t)hlen) == -1 ||
	    (!c->head_only && out_append(c, a->body, a->len) == -1))
		return -1;
	c->keep_alive = c->keep_alive && !a->close;
	c->status = a->status;
	c->resp_done = 1;
	c->body_done = 1;
	return 0;
}

/* The application's headers, but for those that frame the connection or
 * that the daemon writes itself. */
static void
put_app_headers(struct conn *c, const struct exchange_resp *r)
{
	struct exchange_field f;
	uint32_t i;

	for (i = 0; i < r->nfields; i++) {
		exchange_resp_field(r, i, &f);
		if (exchange_name_is(f.name, f.nlen, "connection") ||
		    exchange_name_is(f.name, f.nlen, "transfer-encoding") ||
		    exchange_name_is(f.name, f.nlen, "keep-alive") ||
		    exchange_name_is(f.name, f.nlen, "content-length") ||
		    exchange_name_is(f.name, f.nlen, "date") ||
		    exchange_name_is(f.name, f.nlen, "server"))
			continue;
		out_append(c, f.name, f.nlen);
		out_append(c, ": ", 2);
		out_append(c, f.value, f.vlen);
		out_append(c, "\r\n", 2);
	}
}

static void
put_reason(struct conn *c, const struct exchange_resp *r)
{
	const char *phrase;

	if (r->rlen > 0) {
		out_append(c, r->reason, r->rlen);
		return;
	}
	phrase = http_status_reason(r->status);
	out_append(c, phrase, strlen(phrase));
}

static void
put_date_server(struct conn *c)
{
	const char *date = answer_date(c->w);

	out_append(c, "Date: ", 6);
	out_append(c, date, strlen(date));
	out_append(c, "\r\nServer: hsys\r\n", 16);
}

/*
 * A 1xx head. 101 switches protocols: only for a request sent with the
 * UPGRADE flag, and with an Upgrade header, else the RESPONSE is
 * malformed (-1). Others are interim responses relayed as they come (RFC
 * 9110 §15.2), except to HTTP/1.0 clients, a 100 when hsysd sent its own
 * 100 Continue, and while the client is not reading (they are advisory;
 * dropping them keeps `out` bounded).
 */
static int
response_interim(struct conn *c, const struct exchange_resp *r)
{
	char line[32];
	int n;

	if (r->status == 101) {
		if (!c->upgrade_ok || !r->upgrade || r->end)
			return -1;
	} else if (c->req.version != 11 || (r->status == 100 &&
	    c->req.expect_continue && (c->req.content_length > 0 ||
	    c->req.chunked)) || c->outlen - c->outoff > INTERIM_MAX_BUFFERED)
		return 0;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", r->status);
	out_append(c, line, (size_t)n);
	put_reason(c, r);
	out_append(c, "\r\n", 2);
	if (r->status == 101)
		put_date_server(c);
	put_app_headers(c, r);
	if (r->status == 101)
		out_append(c, "Connection: Upgrade\r\n", 21);
	out_append(c, "\r\n", 2);
	if (r->status == 101) {
		c->status = 101;
		c->resp_started = 1;
		tunnel_start(c);
	}
	return 0;
}

/* How the body is delimited: by its Content-Length (given, or 0 for an
 * empty one), chunked for HTTP/1.1, else by the connection's end. */
static void
put_framing(struct conn *c, const struct exchange_resp *r)
{
	char line[48];
	int n;

	c->resp_left = -1;
	if (r->status == 204 || r->status == 304) {
		c->resp_left = 0;
	} else if (r->content_length >= 0) {
		memcpy(line, "Content-Length: ", 16);
		n = 16 + (int)digits_put(line + 16,
		    (uint64_t)r->content_length, 10);
		line[n++] = '\r';
		line[n++] = '\n';
		out_append(c, line, (size_t)n);
		c->resp_left = r->content_length;
	} else if (r->end) {
		out_append(c, "Content-Length: 0\r\n", 19);
		c->resp_left = 0;
	} else if (c->req.version == 11) {
		out_append(c, "Transfer-Encoding: chunked\r\n", 28);
		c->resp_chunked = 1;
	} else {
		c->resp_close_delimited = 1;
		c->keep_alive = 0;
	}
}

/* Whether the connection outlives this response, as its Connection
 * header says. */
static void
put_connection(struct conn *c, const struct exchange_resp *r)
{
	const char *h;

	/* Ended short of its Content-Length: the client would read the
	 * next response as this one's body, so the connection ends (the
	 * client sees EOF before the length it was promised). */
	if (r->end && c->resp_left > 0 && !c->head_only) {
		log_info("worker %d: an application ended a response short of "
		    "its Content-Length; closing the client connection",
		    c->w->index);
		c->keep_alive = 0;
	}
	/* Answering before the whole request body arrived: that body can
	 * no longer be skipped reliably, so the connection ends. */
	if (!c->body_done || c->w->draining || c->unbound)
		c->keep_alive = 0;
	h = connection_header(c, c->keep_alive);
	out_append(c, h, strlen(h));
}

static int
response_final(struct conn *c, const struct exchange_resp *r)
{
	char line[32];
	int n;

	c->status = r->status;
	memcpy(line, "HTTP/1.1 ", 9);
	n = 9 + (int)digits_put(line + 9, (uint64_t)r->status, 10);
	line[n++] = ' ';
	out_append(c, line, (size_t)n);
	put_reason(c, r);
	out_append(c, "\r\n", 2);
	put_date_server(c);
	put_app_headers(c, r);
	put_framing(c, r);
	put_connection(c, r);
	out_append(c, "\r\n", 2);
	c->resp_started = 1;
	if (c->head_only)
		c->resp_left = 0;
	if (r->end || c->resp_left == 0) {
		if (c->resp_chunked && !c->head_only)
			out_append(c, "0\r\n\r\n", 5);
		c->resp_done = 1;
	}
	return c->resp_done;
}

int
response_head(struct exchange *x, const struct exchange_resp *r)
{
	struct conn *c = conn_of(x);

	return r->status < 200 ? response_interim(c, r) :
	    response_final(c, r);
}

int
response_body(struct exchange *x, const void *p, size_t len, int end)
{
	struct conn *c = conn_of(x);
	char line[32];
	int n;

	if (c->resp_left >= 0 && (int64_t)len > c->resp_left) {
		/* More than its Content-Length: the client cannot be told
		 * reliably, so the connection ends after what was promised. */
		log_info("worker %d: an application sent more than its "
		    "Content-Length; closing the client connection",
		    c->w->index);
		c->keep_alive = 0;
		c->resp_done = 1;
		return 1;
	}
	if (!c->head_only && len > 0) {
		if (c->resp_chunked) {
			n = (int)digits_put(line, len, 16);
			line[n++] = '\r';
			line[n++] = '\n';
			out_append(c, line, (size_t)n);
		}
		out_append(c, p, len);
		if (c->resp_chunked)
			out_append(c, "\r\n", 2);
	}
	if (c->resp_left >= 0)
		c->resp_left -= (int64_t)len;
	if (end) {
		if (c->resp_left > 0)
			c->keep_alive = 0;	/* short: the client sees EOF */
		if (c->resp_chunked && !c->head_only)
			out_append(c, "0\r\n\r\n", 5);
		c->resp_done = 1;
	}
	return c->resp_done;
}

/*
 * The response ends with trailer fields: in the last chunk's trailer
 * section (RFC 9112 §7.1.2) when the response is chunked; a response
 * framed by Content-Length or the connection's end has no place for
 * them, so it just ends.
 */
int
response_trailers(struct exchange *x, const struct http_header *f, size_t n)
{
	struct conn *c = conn_of(x);
	size_t i;

	if (!c->resp_chunked || c->head_only || n == 0)
		return response_body(x, NULL, 0, 1);
	out_append(c, "0\r\n", 3);
	for (i = 0; i < n; i++) {
		out_append(c, f[i].name, f[i].name_len);
		out_append(c, ": ", 2);
		out_append(c, f[i].value, f[i].value_len);
		out_append(c, "\r\n", 2);
	}
	out_append(c, "\r\n", 2);
	c->resp_done = 1;
	return 1;
}
