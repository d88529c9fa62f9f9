/*
 * test_forward_response — the upstream response head parser
 * (src/forward/response.c): what it accepts, what it refuses, and that a
 * head fed one byte at a time parses as the whole.
 */
#include "forward/forward.h"
#include "unit.h"

static struct http_header f[16];

static int
parse(const char *s, struct fwd_response *r)
{
	fwd_response_init(r, f, 16, 0);
	return fwd_response_parse(s, strlen(s), r);
}

static void
test_good(void)
{
	struct fwd_response r;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "X-A:  spaced  \r\n\r\nhello";

	CHECK(parse(s, &r) == (int)strlen(s) - 5);
	CHECK(r.status == 200 && r.version == 11 && r.content_length == 5);
	CHECK(r.nheaders == 2 && !r.close && !r.chunked);
	CHECK(r.headers[1].value_len == 6 &&
	    memcmp(r.headers[1].value, "spaced", 6) == 0);
	CHECK(fwd_response_body(&r, 0) == FWD_BODY_LENGTH);
	CHECK(fwd_response_body(&r, 1) == FWD_BODY_NONE);
	CHECK(parse("HTTP/1.1 204\r\n\r\n", &r) > 0 && r.status == 204);
	CHECK(fwd_response_body(&r, 0) == FWD_BODY_NONE);
	CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
	    &r) > 0 && fwd_response_body(&r, 0) == FWD_BODY_CHUNKED);
	CHECK(parse("HTTP/1.0 200 OK\r\n\r\n", &r) > 0 && r.close &&
	    fwd_response_body(&r, 0) == FWD_BODY_CLOSE);
	CHECK(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	    "Content-Length: 0\r\n\r\n", &r) > 0 && !r.close);
	CHECK(parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", &r) > 0 &&
	    r.close);
	CHECK(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
	    "\r\n\r\n", &r) > 0 && r.upgrade &&
	    fwd_response_body(&r, 0) == FWD_BODY_TUNNEL);
	CHECK(parse("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", &r) > 0 &&
	    fwd_response_body(&r, 0) == FWD_BODY_NONE);
	CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"
	    "Content-Length: 7\r\n\r\n", &r) > 0 && r.content_length == 7);
}

static void
test_incomplete(void)
{
	struct fwd_response r;

	CHECK(parse("", &r) == HTTP_INCOMPLETE);
	CHECK(parse("HTTP/1.1 200 OK\r\n", &r) == HTTP_INCOMPLETE);
	CHECK(parse("HTTP/1.1 200 OK\r\nA: b\r\n\r", &r) == HTTP_INCOMPLETE);
}

static void
refused(const char *s, const char *why)
{
	struct fwd_response r;

	if (CHECK(parse(s, &r) == HTTP_ERROR))
		CHECK_STR(r.error, why);
}

static void
test_refused(void)
{
	refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6"
	    "\r\n\r\n", "conflicting Content-Length fields");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
	    "bad Content-Length");
	refused("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "bad Content-Length");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n"
	    "\r\n", "bad Content-Length");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n", "both Content-Length and Transfer-Encoding");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "Transfer-Encoding other than chunked");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "Transfer-Encoding other than chunked");
	refused("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "Transfer-Encoding in an HTTP/1.0 response");
	refused("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "obs-fold in the head");
	refused("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", "bad field name");
	refused("HTTP/1.1 200 OK\r\n: b\r\n\r\n", "bad field name");
	refused("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
	    "control byte in a field value");
	refused("HTTP/1.1 200 OK\nA: b\n\n", "bare LF in the head");
	refused("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", "bare CR in the head");
	refused("HTTP/1.1 2000 OK\r\n\r\n", "bad status line (after the code)");
	refused("HTTP/1.1 099 OK\r\n\r\n", "bad status line (status code)");
	refused("HTTP/2.0 200 OK\r\n\r\n", "bad status line (version)");
	refused("HTTP/1.1  200 OK\r\n\r\n", "bad status line (status code)");
	refused("http/1.1 200 OK\r\n\r\n", "bad status line (version)");
	refused("\r\nHTTP/1.1 200 OK\r\n\r\n", "empty line before the status line");
}

static void
test_limits(void)
{
	struct fwd_response r;
	char big[300];

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	fwd_response_init(&r, f, 16, 256);
	CHECK(fwd_response_parse(big, sizeof(big), &r) == HTTP_ERROR);
	CHECK_STR(r.error, "response head too large");
	fwd_response_init(&r, f, 2, 0);
	CHECK(fwd_response_parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
	    "\r\n", 37, &r) == HTTP_ERROR);
	CHECK_STR(r.error, "too many header fields");
}

/* Fed a byte at a time, the parser answers as for the whole head. */
static void
test_bytewise(void)
{
	const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\nrest";
	struct fwd_response r;
	size_t i;
	int rc = HTTP_INCOMPLETE;

	fwd_response_init(&r, f, 16, 0);
	for (i = 1; i <= strlen(s) && rc == HTTP_INCOMPLETE; i++)
		rc = fwd_response_parse(s, i, &r);
	CHECK(rc == (int)strlen(s) - 4);
	CHECK(r.chunked && r.close);
}

static void
test_hop_by_hop(void)
{
	struct fwd_response r;

	CHECK(parse("HTTP/1.1 200 OK\r\nConnection: x-a, close\r\nX-A: 1\r\n"
	    "X-B: 2\r\n\r\n", &r) > 0);
	CHECK(fwd_hop_by_hop(r.headers, r.nheaders, "X-A", 3));
	CHECK(!fwd_hop_by_hop(r.headers, r.nheaders, "X-B", 3));
	CHECK(fwd_hop_by_hop(r.headers, r.nheaders, "Keep-Alive", 10));
	CHECK(fwd_hop_by_hop(r.headers, r.nheaders, "connection", 10));
}

static void
test_args(void)
{
	struct fwd_config c;
	char err[256];
	char *ok[] = { "hsys-forward", "--url", "https://+:443/a/", "--to",
	    "http://127.0.0.1:5000", "--timeout=3", "--strip-prefix", "--",
	    "app", "x", NULL };
	char *nourl[] = { "hsys-forward", "--to", "unix:/run/a.sock", NULL };
	char *badto[] = { "hsys-forward", "--url", "http://+:80/", "--to",
	    "https://x", NULL };
	char *path[] = { "hsys-forward", "--url", "http://+:80/", "--to",
	    "http://127.0.0.1:80/sub/", NULL };

	CHECK(fwd_args_parse(&c, 10, ok, err, sizeof(err)) == 0);
	CHECK(c.nurls == 1 && c.timeout_ms == 3000 && c.strip_prefix);
	CHECK(c.forwarded && c.x_forwarded);
	CHECK(c.command != NULL && strcmp(c.command[0], "app") == 0);
	CHECK_STR(c.authority, "127.0.0.1:5000");
	CHECK(fwd_args_parse(&c, 3, nourl, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--url") != NULL);
	CHECK(fwd_args_parse(&c, 5, badto, err, sizeof(err)) == -1);
	CHECK(fwd_args_parse(&c, 5, path, err, sizeof(err)) == -1);
	CHECK(fwd_args_upstream(&c, "unix:/run/app/http.sock", err,
	    sizeof(err)) == 0 && c.addr.ss_family == AF_UNIX);
	CHECK(fwd_args_upstream(&c, "http://[::1]:8080", err,
	    sizeof(err)) == 0 && c.addr.ss_family == AF_INET6);
	CHECK(fwd_args_upstream(&c, "unix:relative", err, sizeof(err)) == -1);
}

int
main(void)
{
	RUN(test_good);
	RUN(test_incomplete);
	RUN(test_refused);
	RUN(test_limits);
	RUN(test_bytewise);
	RUN(test_hop_by_hop);
	RUN(test_args);
	return unit_done();
}
