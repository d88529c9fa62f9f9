/*
 * http_parse — micro-benchmark of the request-head parser.
 *
 * For a typical browser GET (~500 bytes, 10 fields) and a minimal curl GET
 * it prints ns per parse for:
 *   hsys     http_request_parse(), every rule of docs/http1.md checked
 *   floor    memchr() for each LF until the empty line: the framing any
 *            parser must at least do (our pass 1 alone)
 *   peer     Node's http_parser 2.9 (Debian libhttp-parser-dev), callbacks
 *            that only note pointers; left out if the header is missing
 * and the ratios hsys/floor and hsys/peer.  Then the other two parsers,
 * each against a memcpy of its input: path cooking of a 50-byte target and
 * chunked decoding of a 4 KiB body in 4 chunks.  Best of 5 rounds.
 *
 *   make -C bench && build/bench/http_parse
 *   (the peer lives in peer_http_parser.c: its names clash with ours)
 *
 * Instructions per parse (repeatable on a noisy machine):
 *   valgrind --tool=callgrind --toggle-collect=http_request_parse \
 *       --callgrind-out-file=/tmp/cg.out build/bench/http_parse count browser 100000
 *   callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'   # then / 100000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"

#if __has_include(<http_parser.h>)
/* In its own file: its enum http_method would clash with ours. */
int	peer_parse(const char *, size_t);
#define HAVE_PEER 1
#endif

/* A Chrome-like navigation request: 10 fields, about 500 bytes. */
static const char browser[] =
    "GET /docs/guide/install.html?lang=en&v=2 HTTP/1.1\r\n"
    "Host: www.example.org\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
    "image/avif,image/webp,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Referer: https://www.example.org/docs/\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "\r\n";

static const char curl[] =
    "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n\r\n";

static volatile size_t sink;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
run_hsys(const char *req, size_t len, long n)
{
	struct http_header h[32];
	struct http_request r;
	long	 i;

	for (i = 0; i < n; i++) {
		http_request_init(&r, h, 32);
		if (http_request_parse(req, len, &r, NULL) != (int)len) {
			fprintf(stderr, "parse failed: %s\n", r.error);
			exit(1);
		}
		sink += r.nheaders;
	}
}

/* The framing any parser must do: each LF, then look for CRLF after it. */
static size_t
head_end(const char *req, size_t len)
{
	const char	*p = req, *e = req + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		if (e - nl >= 3 && nl[1] == '\r' && nl[2] == '\n')
			return (size_t)(nl + 3 - req);
		p = nl + 1;
	}
	return 0;
}

static void
run_floor(const char *req, size_t len, long n)
{
	long	 i;

	for (i = 0; i < n; i++)
		sink += head_end(req, len);
}

#ifdef HAVE_PEER
static void
run_peer(const char *req, size_t len, long n)
{
	long	 i;

	for (i = 0; i < n; i++)
		if (peer_parse(req, len) != 0) {
			fprintf(stderr, "peer parse failed\n");
			exit(1);
		}
}
#endif

/* Cooks a routing path; the floor is a copy of the same bytes. */
static void
run_cook(const char *t, size_t len, long n)
{
	struct http_cooked ck;
	char	 out[256];
	long	 i;

	for (i = 0; i < n; i++) {
		if (http_path_cook(t, len, out, sizeof(out), &ck) < 0)
			exit(1);
		sink += ck.path_len;
	}
}

static void
run_copy(const char *t, size_t len, long n)
{
	char	 out[256];
	long	 i;

	for (i = 0; i < n; i++) {
		memcpy(out, t, len);
		sink += (size_t)out[i & 7];
	}
}

/*
 * Decodes a chunked body (in place, so from a fresh copy each time); the
 * floor is the copy alone.
 */
static char chunked_body[4200];
static size_t chunked_len;

static void
run_chunked(const char *body, size_t len, long n)
{
	struct http_chunked c;
	static char work[sizeof(chunked_body)];
	long	 i;

	for (i = 0; i < n; i++) {
		size_t	 k = len;

		memcpy(work, body, len);
		http_chunked_init(&c, NULL);
		if (http_chunked_decode(&c, work, &k) != (int)len)
			exit(1);
		sink += k;
	}
}

static void
run_chunked_floor(const char *body, size_t len, long n)
{
	static char work[sizeof(chunked_body)];
	long	 i;

	for (i = 0; i < n; i++) {
		memcpy(work, body, len);
		sink += (size_t)work[i & 7];
	}
}

static void
make_chunked(void)
{
	size_t	 i, off = 0;

	/* 4 chunks of 1 KiB, then the last chunk and the empty trailer. */
	for (i = 0; i < 4; i++) {
		off += (size_t)sprintf(chunked_body + off, "400\r\n");
		memset(chunked_body + off, 'b', 1024);
		off += 1024;
		off += (size_t)sprintf(chunked_body + off, "\r\n");
	}
	off += (size_t)sprintf(chunked_body + off, "0\r\n\r\n");
	chunked_len = off;
}

typedef void (*runner)(const char *, size_t, long);

static double
best_ns(runner f, const char *req, size_t len, long n)
{
	double	 best = 1e30;
	int	 round;

	for (round = 0; round < 5; round++) {
		double	 t = now_ns(), d;

		f(req, len, n);
		d = (now_ns() - t) / n;
		if (d < best)
			best = d;
	}
	return best;
}

static void
bench(const char *name, const char *req, long n)
{
	size_t	 len = strlen(req);
	double	 ours = best_ns(run_hsys, req, len, n);
	double	 fl = best_ns(run_floor, req, len, n);

	printf("%-8s %4zu B  hsys %6.1f ns  floor %5.1f ns (x%.2f)", name, len,
	    ours, fl, ours / fl);
#ifdef HAVE_PEER
	{
		double	 peer = best_ns(run_peer, req, len, n);

		printf("  peer %6.1f ns (hsys/peer %.2f)", peer, ours / peer);
	}
#endif
	printf("\n");
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "count") == 0) {
		const char *req = strcmp(argv[2], "curl") == 0 ? curl : browser;

		run_hsys(req, strlen(req), atol(argv[3]));
		return 0;
	}
	bench("browser", browser, 1000000);
	bench("curl", curl, 2000000);
	{
		const char *t = "/docs/guide/%2e%2e/api/v2/caf%C3%A9/index.html?x=1";
		size_t	 tl = strlen(t);
		double	 ours = best_ns(run_cook, t, tl, 2000000);
		double	 fl = best_ns(run_copy, t, tl, 2000000);

		printf("path     %4zu B  cook %6.1f ns  memcpy %5.1f ns\n", tl,
		    ours, fl);
	}
	make_chunked();
	{
		double	 ours = best_ns(run_chunked, chunked_body, chunked_len,
		    200000);
		double	 fl = best_ns(run_chunked_floor, chunked_body,
		    chunked_len, 200000);

		printf("chunked  %4zu B  decode %6.1f ns  memcpy %5.1f ns\n",
		    chunked_len, ours, fl);
	}
	return 0;
}
