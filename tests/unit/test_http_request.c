/*
 * Unit tests of the request-head parser: a table of heads with the result
 * and status each must give (every strictness rule and limit of
 * docs/http1.md), the facts computed for valid heads, pipelining, and the
 * same table fed a byte at a time, which must give the same answer.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "unit.h"

#define OK	0	/* want: the whole input is one head */

struct tcase {
	const char	*in;
	int		 want;	/* OK, HTTP_INCOMPLETE or HTTP_ERROR */
	int		 status;
};

#define H11	"GET / HTTP/1.1\r\nHost: a\r\n"
#define POST	"POST / HTTP/1.1\r\nHost: a\r\n"

static const struct tcase cases[] = {
	/* valid */
	{ H11 "\r\n", OK, 0 },
	{ "GET / HTTP/1.0\r\n\r\n", OK, 0 },
	{ "\r\n" H11 "\r\n", OK, 0 },
	{ "get /x HTTP/1.1\r\nHOST: a\r\n\r\n", OK, 0 },
	{ "GET http://example.com:8080/x?y HTTP/1.1\r\nHost: b\r\n\r\n", OK, 0 },
	{ "GET HTTPS://example.com HTTP/1.1\r\nHost: b\r\n\r\n", OK, 0 },
	{ "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
	    OK, 0 },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", OK, 0 },
	{ "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", OK, 0 },
	{ "GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n", OK, 0 },
	{ POST "Content-Length: 0\r\n\r\n", OK, 0 },
	{ POST "Content-Length: 4611686018427387904\r\n\r\n", OK, 0 },
	{ POST "Transfer-Encoding: chunked\r\n\r\n", OK, 0 },
	{ POST "Transfer-Encoding:  CHUNKED \r\n\r\n", OK, 0 },
	{ H11 "X:\r\n\r\n", OK, 0 },
	{ H11 "X: \t a\x80\xff b \t\r\n\r\n", OK, 0 },
	{ H11 "Connection: ,, keep-alive ,close\r\n\r\n", OK, 0 },
	{ H11 "Expect: 100-Continue\r\n\r\n", OK, 0 },
	/* incomplete */
	{ "", HTTP_INCOMPLETE, 0 },
	{ "\r", HTTP_INCOMPLETE, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r", HTTP_INCOMPLETE, 0 },
	/* framing: the smuggling vectors */
	{ POST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	    HTTP_ERROR, 400 },
	{ POST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 5, 5\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: -1\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: +5\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 0x10\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 1 2\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: \r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 4611686018427387905\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Content-Length: 99999999999999999999999\r\n\r\n",
	    HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: gzip, chunked\r\n\r\n", HTTP_ERROR, 501 },
	{ POST "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_ERROR, 501 },
	{ POST "Transfer-Encoding: chunked, gzip\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: chunked, chunked\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: gzip\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: chunked;x=1\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: chunked,\r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: \r\n\r\n", HTTP_ERROR, 400 },
	{ POST "Transfer-Encoding: xchunked\r\n\r\n", HTTP_ERROR, 400 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_ERROR, 400 },
	/* field syntax */
	{ H11 "X: a\r\n b\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\r\n\tb\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\n Host: a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X : a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X\t: a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 ": a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X(: a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X\x80: a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\x01" "b\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\x7f" "b\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\x1b\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\rb\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "X: a\r\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "\rX: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\nHost: a\n\n", HTTP_ERROR, 400 },
	{ H11 "X: a\n\r\n", HTTP_ERROR, 400 },
	{ H11 "\n", HTTP_ERROR, 400 },
	{ "\n" H11 "\r\n", HTTP_ERROR, 400 },
	{ "\r\n\r\n" H11 "\r\n", HTTP_ERROR, 400 },
	{ "\rGET", HTTP_ERROR, 400 },
	/* Host */
	{ "GET / HTTP/1.1\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "Host: a\r\n\r\n", HTTP_ERROR, 400 },
	{ H11 "host: b\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a:1x\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: [x]\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1\r\nHost: a%2fb\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", HTTP_ERROR, 400 },
	/* request-line */
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET /\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/11\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", HTTP_ERROR, 505 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", HTTP_ERROR, 505 },
	{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", HTTP_ERROR, 505 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	{ "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 400 },
	/* Expect */
	{ H11 "Expect: 200-ok\r\n\r\n", HTTP_ERROR, 417 },
};

/* Small limits so that every limit is reached by a short input. */
static const struct http_limits small = {
	.max_request_line = 32,
	.max_header_line = 24,
	.max_head = 96,
	.max_headers = 4,
	.max_empty_lines = 1,
	.max_chunk_line = 16,
};

static const struct tcase limit_cases[] = {
	{ "GET /012345678901234567 HTTP/1.1\r\nHost: a\r\n\r\n", OK, 0 },
	{ "GET /01234567890123456789 HTTP/1.1\r\nHost: a\r\n\r\n",
	    HTTP_ERROR, 414 },
	{ "GET /01234567890123456789", HTTP_INCOMPLETE, 0 },
	{ "GET /012345678901234567890123456\r", HTTP_INCOMPLETE, 0 },
	{ "GET /01234567890123456789012345678", HTTP_ERROR, 414 },
	{ H11 "X: 0123456789012345678901\r\n\r\n", HTTP_ERROR, 431 },
	{ H11 "X: 012345678901234567890\r\n\r\n", OK, 0 },
	{ H11 "X: 01234567890123456789012345", HTTP_ERROR, 431 },
	{ H11 "A: 1\r\nB: 2\r\n\r\n", OK, 0 },
	{ H11 "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", OK, 0 },
	{ H11 "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", HTTP_ERROR, 431 },
	{ H11 "A: 01234567890123456789\r\nB: 01234567890123456789\r\n"
	    "C: 01234567890123456789\r\n\r\n", HTTP_ERROR, 431 },
	{ H11 "A: 01234567890123456789\r\nB: 01234567890123456789\r\n"
	    "C: 012345678901234567", HTTP_INCOMPLETE, 0 },
	{ H11 "A: 01234567890123456789\r\nB: 01234567890123456789\r\n"
	    "C: 01234567890123456789", HTTP_ERROR, 431 },
	/* Found by fuzzing: the status must not depend on how bytes arrive. */
	{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", HTTP_ERROR, 414 },
	{ H11 "A: 01234567890123456789\r\nB: 01234567890123456789\r\n"
	    "C: 0123456789012345678\n", HTTP_ERROR, 431 },
};

/* MaxUrlLength: the request-target alone, under a longer request-line. */
static const struct http_limits short_target = {
	.max_request_line = 64,
	.max_header_line = 64,
	.max_head = 256,
	.max_headers = 4,
	.max_empty_lines = 1,
	.max_chunk_line = 16,
	.max_target = 8,
};

static const struct tcase target_cases[] = {
	{ "GET /1234567 HTTP/1.1\r\nHost: a\r\n\r\n", OK, 0 },
	{ "GET /12345678 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 414 },
	{ "GET http://a/567 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_ERROR, 414 },
};

static int
parse(const char *in, size_t len, struct http_request *req,
    struct http_header *h, size_t cap, const struct http_limits *lim)
{
	http_request_init(req, h, cap);
	return http_request_parse(in, len, req, lim);
}

/* The first answer other than HTTP_INCOMPLETE when fed a byte at a time. */
static int
parse_bytewise(const char *in, size_t len, struct http_request *req,
    struct http_header *h, size_t cap, const struct http_limits *lim)
{
	size_t	 i;
	int	 r = HTTP_INCOMPLETE;
	char	*copy = malloc(len + 1);

	http_request_init(req, h, cap);
	for (i = 0; i <= len && r == HTTP_INCOMPLETE; i++) {
		/* A fresh copy each time: nothing may read past i bytes. */
		memcpy(copy, in, i);
		r = http_request_parse(copy, i, req, lim);
	}
	free(copy);
	return r;
}

static void
run_table(const struct tcase *t, size_t n, const struct http_limits *lim,
    size_t cap)
{
	struct http_header h[16];
	struct http_request req;
	size_t	 i;
	char	 what[96];

	for (i = 0; i < n; i++) {
		size_t	 len = strlen(t[i].in);
		int	 want = t[i].want == OK ? (int)len : t[i].want;
		int	 r = parse(t[i].in, len, &req, h, cap, lim);
		int	 ok = r == want &&
		    (r != HTTP_ERROR || req.status == t[i].status);

		snprintf(what, sizeof(what), "case %zu whole", i);
		unit_check(ok, what, __FILE__, __LINE__);
		if (!ok)
			printf("#   input '%s'\n#   got %d/%d (%s) want %d/%d\n",
			    t[i].in, r, req.status, req.error ? req.error : "",
			    want, t[i].status);
		r = parse_bytewise(t[i].in, len, &req, h, cap, lim);
		ok = r == want && (r != HTTP_ERROR || req.status == t[i].status);
		snprintf(what, sizeof(what), "case %zu byte by byte", i);
		unit_check(ok, what, __FILE__, __LINE__);
		if (!ok)
			printf("#   input '%s'\n#   got %d/%d want %d/%d\n",
			    t[i].in, r, req.status, want, t[i].status);
	}
}

static void
test_table(void)
{
	run_table(cases, sizeof(cases) / sizeof(cases[0]), NULL, 16);
}

static void
test_limits(void)
{
	run_table(limit_cases, sizeof(limit_cases) / sizeof(limit_cases[0]),
	    &small, 16);
	run_table(target_cases, sizeof(target_cases) / sizeof(target_cases[0]),
	    &short_target, 16);
}

static void
test_caller_capacity(void)
{
	struct http_header h[2];
	struct http_request req;
	const char *in = H11 "A: 1\r\n\r\n";

	CHECK(parse(in, strlen(in), &req, h, 2, NULL) == (int)strlen(in));
	in = H11 "A: 1\r\nB: 2\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 2, NULL) == HTTP_ERROR);
	CHECK(req.status == 431);
}

static int
eq(const char *p, size_t n, const char *s)
{
	return p != NULL && n == strlen(s) && memcmp(p, s, n) == 0;
}

static void
test_facts_get(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in = "GET /a?b HTTP/1.1\r\nHost: example.com\r\n"
	    "User-Agent:  curl/8 \t\r\nAccept: */*\r\n\r\n";

	CHECK(parse(in, strlen(in), &req, h, 16, NULL) == (int)strlen(in));
	CHECK(req.method_id == HTTP_METHOD_GET && eq(req.method,
	    req.method_len, "GET"));
	CHECK(eq(req.target, req.target_len, "/a?b"));
	CHECK(req.form == HTTP_FORM_ORIGIN && req.version == 11);
	CHECK(req.nheaders == 3);
	CHECK(eq(h[1].name, h[1].name_len, "User-Agent"));
	CHECK(eq(h[1].value, h[1].value_len, "curl/8"));
	CHECK(eq(req.host, req.host_len, "example.com"));
	CHECK(req.content_length == -1 && !req.chunked);
	CHECK(req.keep_alive && !req.close && !req.expect_continue);
	CHECK(!req.upgrade_req && req.upgrade == NULL);
}

static void
test_facts_framing(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in = POST "Content-Length: 0042\r\n\r\n";

	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.content_length == 42 && !req.chunked);
	CHECK(req.method_id == HTTP_METHOD_POST);
	in = POST "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.chunked && req.content_length == -1 && req.expect_continue);
	in = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.expect_continue);
}

static void
test_facts_keepalive(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in;

	in = "GET / HTTP/1.0\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.keep_alive && req.host == NULL && req.version == 10);
	in = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.keep_alive && !req.close);
	in = "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.keep_alive && req.close);
	in = H11 "Connection: close\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.keep_alive && req.close);
	in = H11 "Connection: foo\r\nConnection: CLOSE\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.keep_alive && req.close);
	in = H11 "Connection: a b\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) == HTTP_ERROR);
	CHECK(req.status == 400);
}

static void
test_facts_upgrade(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in;

	in = H11 "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.upgrade_req && eq(req.upgrade, req.upgrade_len,
	    "websocket"));
	in = H11 "Upgrade: websocket\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.upgrade_req);
	in = "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(!req.upgrade_req);
}

static void
test_facts_forms(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in;

	in = "GET http://example.com:8080/x?y HTTP/1.1\r\nHost: other\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.form == HTTP_FORM_ABSOLUTE);
	CHECK(eq(req.host, req.host_len, "example.com:8080"));
	in = "GET http://example.com?q HTTP/1.1\r\nHost: other\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(eq(req.host, req.host_len, "example.com"));
	in = "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.form == HTTP_FORM_AUTHORITY &&
	    req.method_id == HTTP_METHOD_CONNECT);
	CHECK(eq(req.host, req.host_len, "example.com:443"));
	in = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.form == HTTP_FORM_ASTERISK &&
	    req.method_id == HTTP_METHOD_OPTIONS);
	in = "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK(parse(in, strlen(in), &req, h, 16, NULL) > 0);
	CHECK(req.method_id == HTTP_METHOD_OTHER &&
	    eq(req.method, req.method_len, "BREW"));
}

static void
test_pipelined(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	    "POST /2 HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nabc"
	    "GET /3 HTTP/1.1\r\nHost: c\r\n\r\nGET /4 HT";
	size_t	 len = strlen(in), off = 0;
	int	 r;

	r = parse(in, len, &req, h, 16, NULL);
	CHECK(r == 28 && eq(req.target, req.target_len, "/1"));
	off += (size_t)r;
	r = parse(in + off, len - off, &req, h, 16, NULL);
	CHECK(r > 0 && eq(req.target, req.target_len, "/2") &&
	    req.content_length == 3);
	off += (size_t)r + 3;
	r = parse(in + off, len - off, &req, h, 16, NULL);
	CHECK(r > 0 && eq(req.target, req.target_len, "/3") &&
	    eq(req.host, req.host_len, "c"));
	off += (size_t)r;
	r = parse(in + off, len - off, &req, h, 16, NULL);
	CHECK(r == HTTP_INCOMPLETE);
}

static void
test_nul(void)
{
	struct http_header h[16];
	struct http_request req;
	static const char in[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	static const char in2[] = "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n";

	CHECK(parse(in, sizeof(in) - 1, &req, h, 16, NULL) == HTTP_ERROR);
	CHECK(req.status == 400);
	CHECK(parse(in2, sizeof(in2) - 1, &req, h, 16, NULL) == HTTP_ERROR);
	CHECK(req.status == 400);
}

/* A head split at every point must give the same result in two calls. */
static void
test_resume(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *in = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
	    "Accept: text/html\r\nCookie: a=b; c=d\r\n\r\n";
	size_t	 len = strlen(in), i;
	int	 bad = 0;

	for (i = 0; i < len; i++) {
		http_request_init(&req, h, 16);
		if (http_request_parse(in, i, &req, NULL) != HTTP_INCOMPLETE)
			bad++;
		if (http_request_parse(in, len, &req, NULL) != (int)len)
			bad++;
		if (req.nheaders != 3 || !eq(req.host, req.host_len,
		    "www.example.com"))
			bad++;
	}
	CHECK(bad == 0);
}

/*
 * Every byte value in a name, a value and the target, at every offset
 * within a 16-byte block, so that both the SSE2 loop and the scalar tail
 * judge each byte; the answer must follow the RFC 9110 grammar.
 */
static int
byte_ok(int where, int b)
{
	if (where == 0)		/* field name: tchar, or ':' ends the name */
		return b == ':' || (b > 0x20 && b < 0x7f &&
		    strchr("\"(),/;<=>?@[\\]{}", b) == NULL);
	if (where == 1)		/* value: HTAB, SP, VCHAR, obs-text */
		return b == '\t' || (b >= 0x20 && b != 0x7f);
	return b > 0x20 && b < 0x7f && b != '#';	/* target */
}

static void
test_every_byte(void)
{
	struct http_header h[16];
	struct http_request req;
	char	 buf[128];
	int	 where, b, pad, n, bad = 0;

	for (where = 0; where < 3; where++)
		for (b = 0; b < 256; b++)
			for (pad = 0; pad < 20; pad++) {
				char	 fill[32];
				int	 r, want;

				memset(fill, 'a', (size_t)pad);
				fill[pad] = '\0';
				if (where == 0)
					n = snprintf(buf, sizeof(buf), H11
					    "X%s%c: v\r\n\r\n", fill, b);
				else if (where == 1)
					n = snprintf(buf, sizeof(buf), H11
					    "X: %s%cz\r\n\r\n", fill, b);
				else
					n = snprintf(buf, sizeof(buf),
					    "GET /%s%c HTTP/1.1\r\nHost: a"
					    "\r\n\r\n", fill, b);
				r = parse(buf, (size_t)n, &req, h, 16, NULL);
				want = byte_ok(where, b) ? n : HTTP_ERROR;
				if (r != want || (r == HTTP_ERROR &&
				    req.status != 400)) {
					if (bad++ < 5)
						printf("# where %d byte %02x "
						    "pad %d: %d\n", where, b,
						    pad, r);
				}
			}
	CHECK(bad == 0);
}

/* A caller that rewrites bytes below the resume point gets an error. */
static void
test_resume_misuse(void)
{
	struct http_header h[16];
	struct http_request req;
	const char *a = "GET / HTTP/1.1\r\nHost: a\r\n";
	const char *b = "GET / HTTP/1.1\r\n\r\nXXXXXXXXX\r\n\r\n";

	http_request_init(&req, h, 16);
	CHECK(http_request_parse(a, strlen(a), &req, NULL) == HTTP_INCOMPLETE);
	CHECK(http_request_parse(b, strlen(b), &req, NULL) == HTTP_ERROR);
	CHECK(req.status == 400);
}

/* The default limits: 16 KiB, and an over-long head fails before its end. */
static void
test_default_limits(void)
{
	struct http_header h[16];
	struct http_request req;
	size_t	 n = 20000;
	char	*buf = malloc(n);

	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', n - 5);
	CHECK(parse(buf, n, &req, h, 16, NULL) == HTTP_ERROR);
	CHECK(req.status == 414);
	memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK(parse(buf, n, &req, h, 16, NULL) == HTTP_ERROR);
	CHECK(req.status == 431);
	free(buf);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_limits);
	RUN(test_caller_capacity);
	RUN(test_facts_get);
	RUN(test_facts_framing);
	RUN(test_facts_keepalive);
	RUN(test_facts_upgrade);
	RUN(test_facts_forms);
	RUN(test_pipelined);
	RUN(test_nul);
	RUN(test_resume);
	RUN(test_every_byte);
	RUN(test_resume_misuse);
	RUN(test_default_limits);
	return unit_done();
}
