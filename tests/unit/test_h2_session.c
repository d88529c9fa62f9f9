/*
 * test_h2_session — one HTTP/2 connection over memory (src/h2/session.c),
 * against a libnghttp2 client session: streams become requests for the
 * owner, responses with bodies and trailers come back, back-pressure
 * holds, and each defence ends a flooding connection with GOAWAY.
 */
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "h2/h2.h"
#include "unit.h"

/* --- the owner: a tiny application ---------------------------------- */

struct owner {
	int		 requests, refused, refused_status, ends, closed;
	int		 fatal;
	const char	*why;
	size_t		 body, sent;
	int		 consume;	/* pass body bytes on at once */
	int		 answer;	/* answer at once */
	int		 trailers;	/* with response trailers */
	char		 path[256];
	struct h2_stream *last;
	uint32_t	 last_code;
};

static int
o_request(void *arg, struct h2_stream *st)
{
	struct owner *o = arg;
	static const struct http_header h[] = {
		{ "Content-Type", 12, "text/plain", 10 },
		{ "Connection", 10, "close", 5 },	/* left out */
	};

	o->requests++;
	o->last = st;
	st->owner = o;
	snprintf(o->path, sizeof(o->path), "%.*s", (int)st->req.target_len,
	    st->req.target);
	if (!o->answer || st->body)
		return 0;
	h2_respond(st, 200, h, 2, 0);
	if (o->trailers) {
		static const struct http_header t[] = {
			{ "grpc-status", 11, "0", 1 } };

		h2_trailers(st, t, 1);
	}
	h2_write(st, "hello", 5, 1);
	return 0;
}

static void
o_refused(void *arg, struct h2_stream *st, int status, const char *why)
{
	struct owner *o = arg;
	static const struct http_header h[] = { { "content-length", 14, "0",
	    1 } };

	o->refused++;
	o->refused_status = status;
	o->why = why;
	if (status > 0)
		h2_respond(st, status, h, 1, 1);
}

static void
o_body(void *arg, struct h2_stream *st, const uint8_t *p, size_t n)
{
	struct owner *o = arg;

	(void)p;
	o->body += n;
	if (o->consume)
		h2_consumed(st, n);
}

static void
o_body_end(void *arg, struct h2_stream *st)
{
	struct owner *o = arg;

	o->ends++;
	if (o->answer) {
		h2_respond(st, 201, NULL, 0, 0);
		h2_write(st, "done", 4, 1);
	}
}

static void
o_sent(void *arg, struct h2_stream *st, size_t n)
{
	(void)st;
	((struct owner *)arg)->sent += n;
}

static void
o_closed(void *arg, struct h2_stream *st, uint32_t code)
{
	struct owner *o = arg;

	o->closed++;
	o->last_code = code;
	if (o->last == st)
		o->last = NULL;
}

static void
o_fatal(void *arg, const char *why)
{
	struct owner *o = arg;

	o->fatal++;
	o->why = why;
}

static const struct h2_ops ops = {
	o_request, o_refused, o_body, o_body_end, o_sent, o_closed, o_fatal,
};

/* --- the client: libnghttp2 ----------------------------------------- */

struct client {
	nghttp2_session	*ng;
	int		 status;
	char		 body[1 << 18];
	size_t		 blen;
	int		 grpc_status;	/* trailer seen */
	int		 closed;
	uint32_t	 rst;		/* last RST_STREAM code */
	int		 goaway;
	uint32_t	 goaway_code;
	int32_t		 goaway_last;
};

static int
c_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *n,
    size_t nl, const uint8_t *v, size_t vl, uint8_t flags, void *arg)
{
	struct client *c = arg;

	(void)s;
	(void)f;
	(void)flags;
	if (nl == 7 && memcmp(n, ":status", 7) == 0)
		c->status = atoi((const char *)v);
	if (nl == 11 && memcmp(n, "grpc-status", 11) == 0 && vl == 1)
		c->grpc_status = 1;
	if (nl == 10 && memcmp(n, "connection", 10) == 0)
		c->status = -1;		/* must never come */
	return 0;
}

static int
c_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p,
    size_t n, void *arg)
{
	struct client *c = arg;

	(void)s;
	(void)flags;
	(void)id;
	if (c->blen + n <= sizeof(c->body)) {
		memcpy(c->body + c->blen, p, n);
		c->blen += n;
	}
	return 0;
}

static int
c_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct client *c = arg;

	(void)s;
	if (f->hd.type == NGHTTP2_RST_STREAM)
		c->rst = f->rst_stream.error_code;
	if (f->hd.type == NGHTTP2_GOAWAY) {
		c->goaway = 1;
		c->goaway_code = f->goaway.error_code;
		c->goaway_last = f->goaway.last_stream_id;
	}
	return 0;
}

static int
c_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	(void)s;
	(void)id;
	(void)code;
	((struct client *)arg)->closed++;
	return 0;
}

static void
client_new2(struct client *c, int manual_window)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	nghttp2_settings_entry iv = { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 };

	memset(c, 0, sizeof(*c));
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, c_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, c_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, c_close);
	nghttp2_option_new(&opt);
	nghttp2_option_set_no_auto_window_update(opt, manual_window);
	nghttp2_session_client_new2(&c->ng, cb, c, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, &iv, 1);
}

static void
client_new(struct client *c)
{
	client_new2(c, 0);
}

static uint64_t now_ms = 1000;

/* Drops what the server has for the client (a client that reads). */
static void
drain(struct h2_session *s)
{
	const uint8_t *p;

	while (h2_session_output(s, &p) > 0)
		;
}

/* Moves bytes both ways until neither side has any; the server's
 * result (0, or -1 once it ended the connection). */
static int
pump(struct client *c, struct h2_session *s)
{
	const uint8_t *p;
	ssize_t n;
	int rc = 0, moved;

	do {
		moved = 0;
		while ((n = nghttp2_session_mem_send(c->ng, &p)) > 0) {
			moved = 1;
			if (h2_session_recv(s, p, (size_t)n, now_ms) == -1)
				rc = -1;
		}
		while ((n = h2_session_output(s, &p)) > 0) {
			moved = 1;
			nghttp2_session_mem_recv(c->ng, p, (size_t)n);
		}
	} while (moved);
	return rc;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
	sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

static int32_t
get(struct client *c, const char *path)
{
	nghttp2_nv nv[] = { NV(":method", "GET"), NV(":scheme", "https"),
	    NV(":authority", "a.test"), NV(":path", "") };

	nv[3].value = (uint8_t *)path;
	nv[3].valuelen = strlen(path);
	return nghttp2_submit_request(c->ng, NULL, nv, 4, NULL, NULL);
}

static void
setup(struct client *c, struct h2_session **s, struct owner *o,
    const struct h2_limits *lim)
{
	memset(o, 0, sizeof(*o));
	o->answer = o->consume = 1;
	client_new(c);
	CHECK(h2_session_new(s, lim, &ops, o) == 0);
}

static void
teardown(struct client *c, struct h2_session *s)
{
	h2_session_free(s);
	nghttp2_session_del(c->ng);
}

static void
test_get(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	uint64_t streams, resets;

	setup(&c, &s, &o, NULL);
	o.trailers = 1;
	get(&c, "/hello?x=1");
	CHECK(pump(&c, s) == 0);
	CHECK(o.requests == 1 && strcmp(o.path, "/hello?x=1") == 0);
	CHECK(c.status == 200 && c.blen == 5 && memcmp(c.body, "hello", 5) ==
	    0);
	CHECK(c.grpc_status == 1);	/* trailers reach the client */
	CHECK(o.closed == 1 && o.last_code == 0 && c.closed == 1);
	CHECK(o.sent == 5);
	/* SETTINGS_MAX_CONCURRENT_STREAMS 100 reached the client. */
	CHECK(nghttp2_session_get_remote_settings(c.ng,
	    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 100);
	CHECK(nghttp2_session_get_remote_settings(c.ng,
	    NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 0);
	h2_session_counts(s, &streams, &resets);
	CHECK(streams == 1 && resets == 0);
	/* Many streams on one connection. */
	for (int i = 0; i < 50; i++)
		get(&c, "/many");
	CHECK(pump(&c, s) == 0 && o.requests == 51 && o.closed == 51);
	teardown(&c, s);
}

/* A request body of n bytes, from a provider. */
static size_t upload_left;

static ssize_t
upload(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	(void)s;
	(void)id;
	(void)src;
	(void)arg;
	if (len > upload_left)
		len = upload_left;
	memset(buf, 'b', len);
	upload_left -= len;
	if (upload_left == 0)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)len;
}

static void
post(struct client *c, size_t n)
{
	nghttp2_nv nv[] = { NV(":method", "POST"), NV(":scheme", "https"),
	    NV(":authority", "a.test"), NV(":path", "/up") };
	nghttp2_data_provider dp = { .read_callback = upload };

	upload_left = n;
	nghttp2_submit_request(c->ng, NULL, nv, 4, &dp, NULL);
}

static void
test_body_and_backpressure(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;

	setup(&c, &s, &o, NULL);
	post(&c, 300000);
	CHECK(pump(&c, s) == 0);
	CHECK(o.requests == 1 && o.last == NULL && o.body == 300000 &&
	    o.ends == 1);
	CHECK(c.status == 201 && c.blen == 4);
	teardown(&c, s);

	/* An application that does not take the body: the client is held
	 * to one window, nothing more arrives to be buffered. */
	setup(&c, &s, &o, NULL);
	o.consume = 0;
	post(&c, 300000);
	CHECK(pump(&c, s) == 0);
	CHECK(o.body == 65536 && o.ends == 0);
	h2_consumed(o.last, 65536);	/* it takes them: one more window */
	CHECK(pump(&c, s) == 0 && o.body == 65536 * 2);
	teardown(&c, s);
}

static void
test_slow_response(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	static char chunk[40000];

	setup(&c, &s, &o, NULL);
	nghttp2_session_del(c.ng);
	client_new2(&c, 1);
	o.answer = 0;
	get(&c, "/slow");
	CHECK(pump(&c, s) == 0 && o.requests == 1);
	CHECK(h2_respond(o.last, 200, NULL, 0, 0) == 0);
	CHECK(h2_respond(o.last, 200, NULL, 0, 0) == -1);	/* twice */
	memset(chunk, 'r', sizeof(chunk));
	CHECK(h2_write(o.last, chunk, sizeof(chunk), 0) == 0);
	CHECK(pump(&c, s) == 0 && c.blen == sizeof(chunk) &&
	    o.sent == sizeof(chunk));
	/* The client's window (65535) holds the rest back: the bytes wait,
	 * ops->sent does not credit them. */
	CHECK(h2_write(o.last, chunk, sizeof(chunk), 1) == 0);
	CHECK(pump(&c, s) == 0 && c.blen == 65535 && o.sent == 65535);
	nghttp2_session_consume(c.ng, 1, c.blen);
	CHECK(pump(&c, s) == 0);
	CHECK(c.blen == 2 * sizeof(chunk) && o.closed == 1);
	teardown(&c, s);
}

static void
test_refusals(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	static char big[2000];
	struct http_limits hl = http_limits_default;
	struct h2_limits lim = h2_limits_default;
	nghttp2_nv bad[] = { NV(":method", "GET"), NV(":scheme", "https"),
	    NV(":path", "/"), NV("connection", "close") };
	nghttp2_nv large[] = { NV(":method", "GET"), NV(":scheme", "https"),
	    NV(":path", "/"), NV(":authority", "a"), NV("x-big", "") };

	hl.max_header_line = 1000;
	lim.http = &hl;
	setup(&c, &s, &o, &lim);
	nghttp2_submit_request(c.ng, NULL, bad, 4, NULL, NULL);
	CHECK(pump(&c, s) == 0);
	CHECK(o.requests == 0 && o.refused == 1 && o.refused_status == 0);
	CHECK(c.rst == NGHTTP2_PROTOCOL_ERROR);
	/* A field beyond MaxFieldLength: answered 431, as HTTP/1.1. */
	memset(big, 'x', sizeof(big));
	large[4].value = (uint8_t *)big;
	large[4].valuelen = sizeof(big);
	nghttp2_submit_request(c.ng, NULL, large, 5, NULL, NULL);
	CHECK(pump(&c, s) == 0);
	CHECK(o.refused == 2 && o.refused_status == 431 && c.status == 431);
	/* The connection lives on. */
	get(&c, "/after");
	CHECK(pump(&c, s) == 0 && o.requests == 1 && c.status == 200);
	teardown(&c, s);
}

static void
test_goaway(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;

	setup(&c, &s, &o, NULL);
	o.answer = 0;
	get(&c, "/1");
	get(&c, "/2");
	CHECK(pump(&c, s) == 0 && o.requests == 2);
	h2_session_goaway(s, 1);
	CHECK(pump(&c, s) == 0);
	CHECK(c.goaway && c.goaway_code == 0 && c.goaway_last == 3);
	CHECK(h2_session_alive(s));	/* streams under way finish */
	teardown(&c, s);
}

/* The graceful GOAWAY: a stream the client sent before it saw the shutdown
 * notice, arriving after it went out, is still taken; the GOAWAY with the
 * last id follows the PING's ACK and names it. */
static void
test_goaway_graceful(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	unsigned char held[4096];
	const uint8_t *p;
	size_t nheld = 0;
	ssize_t n;

	setup(&c, &s, &o, NULL);
	o.answer = 0;
	get(&c, "/1");
	CHECK(pump(&c, s) == 0 && o.requests == 1);
	get(&c, "/2");				/* on its way ... */
	while ((n = nghttp2_session_mem_send(c.ng, &p)) > 0 &&
	    nheld + (size_t)n <= sizeof(held)) {
		memcpy(held + nheld, p, (size_t)n);
		nheld += (size_t)n;
	}
	h2_session_goaway(s, 0);		/* ... when the notice goes */
	while ((n = h2_session_output(s, &p)) > 0)
		nghttp2_session_mem_recv(c.ng, p, (size_t)n);
	CHECK(c.goaway && c.goaway_last == 0x7fffffff);
	CHECK(h2_session_recv(s, held, nheld, now_ms) == 0);
	CHECK(o.requests == 2);			/* taken */
	CHECK(pump(&c, s) == 0);		/* the PING's ACK */
	CHECK(c.goaway && c.goaway_code == 0 && c.goaway_last == 3);
	CHECK(h2_session_alive(s));
	teardown(&c, s);
}

/* Raw frames after the client's preface and SETTINGS: how the floods are
 * mounted (a well-behaved client library would not send them). */
static void
frame(unsigned char *p, size_t len, int type, int flags, uint32_t id)
{
	p[0] = (unsigned char)(len >> 16);
	p[1] = (unsigned char)(len >> 8);
	p[2] = (unsigned char)len;
	p[3] = (unsigned char)type;
	p[4] = (unsigned char)flags;
	p[5] = (unsigned char)(id >> 24);
	p[6] = (unsigned char)(id >> 16);
	p[7] = (unsigned char)(id >> 8);
	p[8] = (unsigned char)id;
}

static void
test_ping_and_settings_floods(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	unsigned char f[17] = { 0 };

	int i, rc = 0;

	setup(&c, &s, &o, NULL);
	CHECK(pump(&c, s) == 0);
	frame(f, 8, NGHTTP2_PING, 0, 0);
	for (i = 0; i < 5000 && rc == 0; i++) {
		rc = h2_session_recv(s, f, 17, now_ms);
		if (i % 10 == 0)
			drain(s);
	}
	CHECK(rc == -1 && o.fatal == 1 && o.why != NULL &&
	    strcmp(o.why, "H2_Flood") == 0);
	CHECK(i >= 999 && i <= 1001);	/* the client's SETTINGS took one */
	pump(&c, s);
	CHECK(c.goaway && c.goaway_code == NGHTTP2_ENHANCE_YOUR_CALM);
	teardown(&c, s);

	/* A client that sends PINGs and reads nothing: the ACKs it would
	 * be owed are capped (nghttp2's max_outbound_ack). */
	setup(&c, &s, &o, NULL);
	CHECK(pump(&c, s) == 0);
	rc = 0;
	for (i = 0; i < 5000 && rc == 0; i++) {
		if (i % 50 == 0)
			now_ms += 1000;
		rc = h2_session_recv(s, f, 17, now_ms);
	}
	CHECK(rc == -1 && o.fatal == 1 && i <= 1001);
	teardown(&c, s);

	/* Spread over time, the same count is fine. */
	setup(&c, &s, &o, NULL);
	CHECK(pump(&c, s) == 0);
	frame(f, 0, NGHTTP2_SETTINGS, 0, 0);
	rc = 0;
	for (i = 0; i < 3000 && rc == 0; i++) {
		if (i % 50 == 0)
			now_ms += 1000;
		rc = h2_session_recv(s, f, 9, now_ms);
		drain(s);
	}
	CHECK(rc == 0 && o.fatal == 0);
	/* And empty DATA frames count as well: a stream left open (HEADERS
	 * :method GET, :scheme https, :path /, no END_STREAM), then empty
	 * DATA on it. */
	o.answer = 0;
	frame(f, 6, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 3);
	f[9] = 0x82;
	f[10] = 0x87;
	f[11] = 0x84;
	f[12] = 0x41;	/* :authority, literal "a" */
	f[13] = 0x01;
	f[14] = 'a';
	CHECK(h2_session_recv(s, f, 15, now_ms) == 0 && o.requests == 1);
	frame(f, 0, NGHTTP2_DATA, 0, 3);
	for (i = 0; i < 5000 && rc == 0; i++)
		rc = h2_session_recv(s, f, 9, now_ms);
	CHECK(rc == -1 && o.why != NULL && strcmp(o.why, "H2_Flood") == 0);
	teardown(&c, s);
}

static void
test_rapid_reset(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	int i, rc = 0;
	int32_t id;

	setup(&c, &s, &o, NULL);
	o.answer = 0;
	for (i = 0; i < 2000 && rc == 0 && !o.fatal; i++) {
		id = get(&c, "/r");
		if ((rc = pump(&c, s)) != 0)
			break;
		nghttp2_submit_rst_stream(c.ng, NGHTTP2_FLAG_NONE, id,
		    NGHTTP2_CANCEL);
		rc = pump(&c, s);
	}
	CHECK(o.fatal == 1 && o.why != NULL && strcmp(o.why, "H2_ResetFlood") == 0);
	CHECK(i > 150 && i < 260);
	CHECK(c.goaway);
	/* Every stream was let go of. */
	CHECK(o.closed == o.requests);
	teardown(&c, s);
}

static void
test_continuation_flood(void)
{
	struct client c;
	struct h2_session *s;
	struct owner o;
	/* HEADERS with :method GET (static index 2), no END_HEADERS, then
	 * CONTINUATIONs of one literal field each. */
	unsigned char f[9 + 1], cont[9 + 5] = { 0 };
	int i, rc;

	setup(&c, &s, &o, NULL);
	CHECK(pump(&c, s) == 0);
	frame(f, 1, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1);
	f[9] = 0x82;
	rc = h2_session_recv(s, f, 10, now_ms);
	frame(cont, 5, NGHTTP2_CONTINUATION, 0, 1);
	/* Literal without indexing, new name "a" = "b". */
	cont[9] = 0x00;
	cont[10] = 0x01;
	cont[11] = 'a';
	cont[12] = 0x01;
	cont[13] = 'b';
	for (i = 0; i < 100 && rc == 0; i++)
		rc = h2_session_recv(s, cont, 14, now_ms);
	CHECK(rc == -1 && i <= 10);
	CHECK(o.requests == 0);
	teardown(&c, s);
}

static void
test_bad_preface(void)
{
	struct h2_session *s;
	struct owner o;

	memset(&o, 0, sizeof(o));
	CHECK(h2_session_new(&s, NULL, &ops, &o) == 0);
	CHECK(h2_session_recv(s, "GET / HTTP/1.1\r\n\r\n", 18, now_ms) ==
	    -1 && o.fatal == 1);
	h2_session_free(s);
}

int
main(void)
{
	RUN(test_get);
	RUN(test_body_and_backpressure);
	RUN(test_slow_response);
	RUN(test_refusals);
	RUN(test_goaway);
	RUN(test_goaway_graceful);
	RUN(test_ping_and_settings_floods);
	RUN(test_rapid_reset);
	RUN(test_continuation_flood);
	RUN(test_bad_preface);
	return unit_done();
}
