/*
 * test_h2_head — an HTTP/2 request head, field by field (src/h2/head.c):
 * RFC 9113 §8's rules, and HTTP/1.1's limits with HTTP/1.1's statuses.
 */
#include <string.h>

#include "h2/h2.h"
#include "unit.h"

static char buf[1 << 17];
static struct http_header hdrs[128];
static struct h2_head h;

struct f {
	const char	*n, *v;
};

/* Feeds the fields; returns the first non-OK result, or h2_head_end's. */
static int
run(const struct f *fs, int body, const struct http_limits *lim,
    int trailers)
{
	int rc;

	h2_head_init(&h, buf, sizeof(buf), hdrs, 128, lim, trailers);
	for (; fs->n != NULL; fs++)
		if ((rc = h2_head_field(&h, fs->n, strlen(fs->n), fs->v,
		    strlen(fs->v))) != H2_OK)
			return rc;
	return h2_head_end(&h, body);
}

static int
has(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

static void
test_request(void)
{
	static const struct f get[] = { { ":method", "GET" },
	    { ":scheme", "https" }, { ":path", "/a/b?c=1" },
	    { ":authority", "ex.test:8443" }, { "user-agent", "t" },
	    { "accept", "*/*" }, { NULL, NULL } };
	int rc = run(get, 0, NULL, 0);
	const char *want = "GET /a/b?c=1 HTTP/2.0\r\nhost: ex.test:8443\r\n"
	    "user-agent: t\r\naccept: */*\r\n\r\n";

	CHECK(rc == (int)strlen(want));
	CHECK(rc > 0 && memcmp(buf, want, (size_t)rc) == 0);
	CHECK(h.req.version == 20 && h.req.method_id == HTTP_METHOD_GET);
	CHECK(has(h.req.method, h.req.method_len, "GET"));
	CHECK(has(h.req.target, h.req.target_len, "/a/b?c=1"));
	CHECK(h.req.form == HTTP_FORM_ORIGIN);
	CHECK(has(h.req.host, h.req.host_len, "ex.test:8443"));
	/* Host first, from :authority, then the fields in their order. */
	CHECK(h.req.nheaders == 3 && has(h.req.headers[0].name, 4, "host"));
	CHECK(has(h.req.headers[2].value, h.req.headers[2].value_len, "*/*"));
	CHECK(h.req.content_length == -1 && !h.req.chunked);
	CHECK(!h.req.keep_alive && !h.req.upgrade_req);
}

/* §8.2.3: cookie crumbs joined with "; " into one field, wherever they
 * came; the host field (when sent) still found after the packing. */
static void
test_cookies(void)
{
	static const struct f crumbs[] = { { ":method", "GET" },
	    { ":scheme", "https" }, { ":path", "/" }, { "cookie", "a=1" },
	    { "host", "ex.test" }, { "accept", "*/*" }, { "cookie", "b=2" },
	    { "x", "y" }, { "cookie", "c=3" }, { NULL, NULL } };
	static const struct f one[] = { { ":method", "GET" },
	    { ":scheme", "https" }, { ":path", "/" }, { ":authority", "a" },
	    { "cookie", "a=1; b=2" }, { "x", "y" }, { NULL, NULL } };
	const char *want = "GET / HTTP/2.0\r\nhost: ex.test\r\naccept: */*\r\n"
	    "x: y\r\ncookie: a=1; b=2; c=3\r\n\r\n";
	int rc = run(crumbs, 0, NULL, 0);

	CHECK(rc == (int)strlen(want));
	CHECK(rc > 0 && memcmp(buf, want, (size_t)rc) == 0);
	CHECK(h.req.nheaders == 4);
	CHECK(has(h.req.headers[3].name, h.req.headers[3].name_len, "cookie"));
	CHECK(has(h.req.headers[3].value, h.req.headers[3].value_len,
	    "a=1; b=2; c=3"));
	CHECK(has(h.req.headers[0].value, h.req.headers[0].value_len,
	    "ex.test"));
	CHECK(has(h.req.host, h.req.host_len, "ex.test"));
	CHECK(has(h.req.headers[2].value, h.req.headers[2].value_len, "y"));
	/* One cookie field stays as it came. */
	want = "GET / HTTP/2.0\r\nhost: a\r\ncookie: a=1; b=2\r\nx: y\r\n\r\n";
	rc = run(one, 0, NULL, 0);
	CHECK(rc == (int)strlen(want));
	CHECK(rc > 0 && memcmp(buf, want, (size_t)rc) == 0);
}

static void
test_bodies(void)
{
	static const struct f post[] = { { ":method", "POST" },
	    { ":scheme", "http" }, { ":path", "/" }, { ":authority", "a" },
	    { "content-length", "5" }, { NULL, NULL } };
	static const struct f stream[] = { { ":method", "POST" },
	    { ":scheme", "http" }, { ":path", "/" }, { ":authority", "a" },
	    { "expect", "100-continue" }, { NULL, NULL } };

	CHECK(run(post, 1, NULL, 0) > 0 && h.req.content_length == 5 &&
	    !h.req.chunked);
	/* No content-length: the body ends with END_STREAM ("chunked" to
	 * the application, as HTTP/1.1's length-less bodies). */
	CHECK(run(stream, 1, NULL, 0) > 0 && h.req.chunked &&
	    h.req.content_length == -1 && h.req.expect_continue);
	CHECK(run(stream, 0, NULL, 0) > 0 && !h.req.chunked &&
	    !h.req.expect_continue);
	/* A length promised, END_STREAM with the head: malformed. */
	CHECK(run(post, 0, NULL, 0) == H2_MALFORMED);
}

static void
test_malformed(void)
{
	static const struct f cases[][7] = {
		/* Pseudo-header after a regular field. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" },
		  { "accept", "x" }, { ":path", "/" }, { NULL, NULL } },
		/* Twice; unknown; :status in a request. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":method", "GET" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":protocol", "websocket" },
		  { NULL, NULL } },
		{ { ":status", "200" }, { NULL, NULL } },
		/* Missing :path, :scheme, :method. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":path", "/" }, { NULL, NULL } },
		{ { ":scheme", "http" }, { ":path", "/" }, { NULL, NULL } },
		/* Connection-specific fields; TE other than trailers. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "connection", "close" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "transfer-encoding", "chunked" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "upgrade", "h2c" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "keep-alive", "5" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "te", "gzip" }, { NULL, NULL } },
		/* Uppercase; a bad name; CR/LF/NUL or edge space in values. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "Accept", "x" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "a b", "x" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "x", "a\r\nb" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "/" },
		  { "x", " a" }, { NULL, NULL } },
		/* :path not in origin form; '*' but for OPTIONS; empty. */
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" },
		  { ":path", "http://a/" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "*" },
		  { NULL, NULL } },
		{ { ":method", "GET" }, { ":authority", "a" },
		  { ":scheme", "http" }, { ":path", "" },
		  { NULL, NULL } },
		/* CONNECT with :path; a Host that differs from :authority. */
		{ { ":method", "CONNECT" }, { ":authority", "a:443" },
		  { ":path", "/" }, { NULL, NULL } },
		{ { ":method", "GET" }, { ":scheme", "http" }, { ":path", "/" },
		  { ":authority", "a" }, { "host", "b" }, { NULL, NULL } },
		/* A method that is not a token. */
		{ { ":method", "G(T" }, { ":scheme", "http" }, { ":path", "/" },
		  { NULL, NULL } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run(cases[i], 0, NULL, 0);

		if (!CHECK(rc == H2_MALFORMED && h.error != NULL &&
		    strstr(h.error, "neither") == NULL))
			printf("#   case %zu: %d\n", i, rc);
	}
}

static void
test_forms(void)
{
	static const struct f star[] = { { ":method", "OPTIONS" },
	    { ":scheme", "http" }, { ":path", "*" }, { ":authority", "a" },
	    { NULL, NULL } };
	static const struct f conn[] = { { ":method", "CONNECT" },
	    { ":authority", "a.test:443" }, { NULL, NULL } };
	static const struct f te[] = { { ":method", "GET" },
	    { ":scheme", "http" }, { ":path", "/" }, { "te", "trailers" },
	    { "host", "h.test" }, { NULL, NULL } };
	static const struct f badhost[] = { { ":method", "GET" },
	    { ":scheme", "http" }, { ":path", "/" },
	    { ":authority", "a@b" }, { NULL, NULL } };
	static const struct f noauth[] = { { ":method", "GET" },
	    { ":scheme", "http" }, { ":path", "/" }, { NULL, NULL } };
	static const struct f expect[] = { { ":method", "PUT" },
	    { ":scheme", "http" }, { ":path", "/" }, { "expect", "magic" },
	    { NULL, NULL } };

	CHECK(run(star, 0, NULL, 0) > 0 && h.req.form == HTTP_FORM_ASTERISK);
	CHECK(run(conn, 0, NULL, 0) > 0 && h.req.form == HTTP_FORM_AUTHORITY &&
	    h.req.method_id == HTTP_METHOD_CONNECT);
	/* te: trailers is allowed; a host field alone names the host. */
	CHECK(run(te, 0, NULL, 0) > 0 && has(h.req.host, h.req.host_len,
	    "h.test"));
	/* As HTTP/1.1 answers them: 400 for a bad host, 417. */
	CHECK(run(badhost, 0, NULL, 0) == H2_REFUSE && h.status == 400 &&
	    strstr(h.error, "Host") != NULL);
	/* Neither :authority nor host: malformed (§8.3.1; libnghttp2
	 * says the same). */
	CHECK(run(noauth, 0, NULL, 0) == H2_MALFORMED);
	CHECK(run(expect, 1, NULL, 0) == H2_REFUSE && h.status == 417);
}

static void
test_limits(void)
{
	struct http_limits l = http_limits_default;
	static char big[70000];
	struct f fs[8] = { { ":method", "GET" }, { ":scheme", "http" },
	    { ":path", "/" }, { ":authority", "a" }, { "x", big },
	    { NULL, NULL } };
	int i, rc;

	/* MaxFieldLength: 431 "field line too long" (FieldLength). */
	memset(big, 'v', 200);
	l.max_header_line = 100;
	CHECK(run(fs, 0, &l, 0) == H2_REFUSE && h.status == 431 &&
	    strstr(h.error, "line too long") != NULL);
	/* MaxRequestBytes over many fields: 431 "head too large". */
	l = http_limits_default;
	l.max_head = 1000;
	big[0] = '\0';
	memset(big, 'v', 400);
	fs[5] = (struct f){ "y", big };
	fs[6] = (struct f){ "z", big };
	fs[7] = (struct f){ NULL, NULL };
	CHECK(run(fs, 0, &l, 0) == H2_REFUSE && h.status == 431 &&
	    strstr(h.error, "too large") != NULL);
	/* MaxUrlLength: 414. */
	l = http_limits_default;
	l.max_target = 10;
	fs[2] = (struct f){ ":path", "/0123456789abc" };
	fs[4] = (struct f){ NULL, NULL };
	CHECK(run(fs, 0, &l, 0) == H2_REFUSE && h.status == 414);
	/* The field count (MaxHeaderCount-like): 431; the host line
	 * counts. */
	l = http_limits_default;
	l.max_headers = 3;
	fs[2] = (struct f){ ":path", "/" };
	for (i = 0; i < 3; i++)
		fs[4 + i] = (struct f){ "k", "v" };
	fs[7] = (struct f){ NULL, NULL };
	CHECK(run(fs, 0, &l, 0) == H2_REFUSE && h.status == 431);
	/* A huge field (an HPACK bomb's output) is refused before it is
	 * kept: the buffer holds no more than the limit. */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	l = http_limits_default;
	fs[4] = (struct f){ "x", big };
	fs[5] = (struct f){ NULL, NULL };
	rc = run(fs, 0, &l, 0);
	CHECK(rc == H2_REFUSE && h.status == 431 && h.len < l.max_head);
	/* Content-Length: two that differ, not a number. */
	fs[4] = (struct f){ "content-length", "4" };
	fs[5] = (struct f){ "content-length", "5" };
	fs[6] = (struct f){ NULL, NULL };
	CHECK(run(fs, 1, NULL, 0) == H2_REFUSE && h.status == 400);
	fs[5] = (struct f){ "content-length", "4x" };
	CHECK(run(fs, 1, NULL, 0) == H2_REFUSE && h.status == 400);
	fs[5] = (struct f){ "content-length", "4" };
	CHECK(run(fs, 1, NULL, 0) > 0 && h.req.content_length == 4);
}

static void
test_trailers(void)
{
	static const struct f ok[] = { { "grpc-status", "0" },
	    { "x-sum", "abc" }, { NULL, NULL } };
	static const struct f ps[] = { { ":path", "/" }, { NULL, NULL } };
	static const struct f conn[] = { { "connection", "x" },
	    { NULL, NULL } };
	int rc = run(ok, 0, NULL, 1);

	CHECK(rc > 0 && h.req.nheaders == 2);
	CHECK(has(h.req.headers[1].name, h.req.headers[1].name_len, "x-sum") &&
	    has(h.req.headers[1].value, h.req.headers[1].value_len, "abc"));
	CHECK(run(ps, 0, NULL, 1) == H2_MALFORMED);
	CHECK(run(conn, 0, NULL, 1) == H2_MALFORMED);
}

int
main(void)
{
	RUN(test_request);
	RUN(test_cookies);
	RUN(test_bodies);
	RUN(test_malformed);
	RUN(test_forms);
	RUN(test_limits);
	RUN(test_trailers);
	return unit_done();
}
