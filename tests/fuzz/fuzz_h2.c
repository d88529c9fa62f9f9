/*
 * fuzz_h2 — libFuzzer target for the HTTP/2 session (src/h2): arbitrary
 * bytes after the client preface, fed in pieces whose sizes the first
 * byte picks, with an owner that answers every request.
 *
 * Besides crashes, leaks and sanitizer reports it asserts the session's
 * contract: h2_session_recv returns 0 or -1, and once -1 always -1; every
 * request's pointers lie inside its own head, which reads as the head
 * src/h2 synthesizes ("METHOD TARGET HTTP/2.0\r\n"); no more than
 * MAX_CONCURRENT_STREAMS requests are open at once; every stream the
 * owner took is closed exactly once, at the latest when the session goes.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h2/h2.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct owner {
	int		 open;
	int		 fatal;
};

static void
inside(const struct h2_stream *st, const char *p, size_t n)
{
	assert(p >= st->head && p + n <= st->head + st->head_len);
}

static int
o_request(void *arg, struct h2_stream *st)
{
	struct owner *o = arg;
	const struct http_request *r = &st->req;
	static const struct http_header h[] = { { "x-a", 3, "b", 1 } };
	size_t i;

	assert(st->owner == NULL && r->version == 20);
	inside(st, r->method, r->method_len);
	inside(st, r->target, r->target_len);
	if (r->host != NULL)
		inside(st, r->host, r->host_len);
	for (i = 0; i < r->nheaders; i++) {
		inside(st, r->headers[i].name, r->headers[i].name_len);
		inside(st, r->headers[i].value, r->headers[i].value_len);
	}
	assert(st->head_len >= 11 && memcmp(st->head + st->head_len - 2,
	    "\r\n", 2) == 0);
	st->owner = o;
	o->open++;
	assert(o->open <= 100);
	if (r->method_id == HTTP_METHOD_GET) {
		h2_respond(st, 200, h, 1, 0);
		h2_write(st, "hello", 5, 1);
	}
	return 0;
}

static void
o_refused(void *arg, struct h2_stream *st, int status, const char *why)
{
	(void)arg;
	assert(why != NULL);
	assert(status == 0 || (status >= 400 && status < 600));
	if (status > 0 && st->owner == NULL)
		h2_respond(st, status, NULL, 0, 1);
}

static void
o_body(void *arg, struct h2_stream *st, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	assert(st->owner != NULL);
	h2_consumed(st, n);
}

static void
o_body_end(void *arg, struct h2_stream *st)
{
	(void)arg;
	assert(st->owner != NULL);
	if (!st->resp)
		h2_respond(st, 204, NULL, 0, 1);
}

static void
o_sent(void *arg, struct h2_stream *st, size_t n)
{
	(void)arg;
	(void)st;
	assert(n > 0);
}

static void
o_closed(void *arg, struct h2_stream *st, uint32_t code)
{
	struct owner *o = arg;

	(void)code;
	if (st->owner == NULL)
		return;
	st->owner = NULL;
	o->open--;
	assert(o->open >= 0);
}

static void
o_fatal(void *arg, const char *why)
{
	struct owner *o = arg;

	assert(why != NULL && !o->fatal);
	o->fatal = 1;
}

static const struct h2_ops ops = {
	o_request, o_refused, o_body, o_body_end, o_sent, o_closed, o_fatal,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_limits small = {
		.max_request_line = 64, .max_header_line = 48,
		.max_head = 256, .max_headers = 6, .max_target = 40,
	};
	struct h2_limits lim = h2_limits_default;
	struct h2_session *s;
	struct owner o = { 0 };
	const uint8_t *out;
	size_t piece, n;
	int rc, failed = 0;
	uint64_t now = 1000;

	if (size < 1)
		return 0;
	piece = (data[0] & 0x3f) + 1;
	if (data[0] & 0x40)
		lim.http = &small;
	data++;
	size--;
	if (h2_session_new(&s, &lim, &ops, &o) == -1)
		return 0;
	rc = h2_session_recv(s, H2_PREFACE, H2_PREFACE_LEN, now);
	assert(rc == 0);
	while (size > 0) {
		n = size < piece ? size : piece;
		rc = h2_session_recv(s, data, n, now++);
		assert(rc == 0 || rc == -1);
		assert(!failed || rc == -1);
		failed = rc == -1;
		while (h2_session_output(s, &out) > 0)
			;
		data += n;
		size -= n;
	}
	h2_session_free(s);
	assert(o.open == 0);
	return 0;
}
