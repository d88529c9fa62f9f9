/*
 * fuzz_request — libFuzzer target for http_request_parse().
 *
 * Besides crashes and sanitizer reports it asserts the parser's contract:
 * a head's length is <= len and every pointer it returns lies inside it;
 * an error has one of the documented statuses; every prefix of a complete
 * head is HTTP_INCOMPLETE, never an error; the head alone parses to the same
 * length; and feeding the input in two steps (with the resume hint) gives
 * the same answer as feeding it whole.  Build and run: see Makefile here.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Odd first bytes use these, so that every limit is within reach. */
static const struct http_limits small = {
	.max_request_line = 40,
	.max_header_line = 30,
	.max_head = 120,
	.max_headers = 4,
	.max_empty_lines = 2,
	.max_chunk_line = 16,
};
static const struct http_limits *lim;

static void
check_inside(const char *buf, size_t n, const char *p, size_t len)
{
	if (p == NULL) {
		assert(len == 0);
		return;
	}
	assert(p >= buf && p + len <= buf + n);
}

static void
check_head(const char *buf, int r, const struct http_request *req)
{
	size_t	 i, n = (size_t)r;

	check_inside(buf, n, req->method, req->method_len);
	check_inside(buf, n, req->target, req->target_len);
	check_inside(buf, n, req->host, req->host_len);
	check_inside(buf, n, req->upgrade, req->upgrade_len);
	assert(req->method_len > 0 && req->target_len > 0);
	assert(req->version == 10 || req->version == 11);
	assert(req->nheaders <= req->header_cap);
	assert(!(req->chunked && req->content_length >= 0));
	assert(req->content_length >= -1);
	for (i = 0; i < req->nheaders; i++) {
		check_inside(buf, n, req->headers[i].name,
		    req->headers[i].name_len);
		check_inside(buf, n, req->headers[i].value,
		    req->headers[i].value_len);
		assert(req->headers[i].name_len > 0);
	}
}

static int
parse_fresh(const char *buf, size_t len, struct http_request *req,
    struct http_header *h)
{
	http_request_init(req, h, 32);
	return http_request_parse(buf, len, req, lim);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_header h[32];
	struct http_request req;
	char	*buf = malloc(size ? size : 1);
	size_t	 split;
	int	 r, r2, st;

	memcpy(buf, data, size);
	lim = size > 0 && (data[0] & 1) ? &small : NULL;
	r = parse_fresh(buf, size, &req, h);
	assert(r == HTTP_INCOMPLETE || r == HTTP_ERROR ||
	    (r > 0 && (size_t)r <= size));
	if (r == HTTP_ERROR) {
		assert(req.error != NULL);
		assert(req.status == 400 || req.status == 414 ||
		    req.status == 417 || req.status == 431 ||
		    req.status == 501 || req.status == 505);
	}
	st = req.status;
	if (r > 0) {
		check_head(buf, r, &req);
		/* Prefixes of a good head: a few points, to stay linear. */
		assert(parse_fresh(buf, (size_t)r - 1, &req, h) ==
		    HTTP_INCOMPLETE);
		assert(parse_fresh(buf, (size_t)r / 2, &req, h) ==
		    HTTP_INCOMPLETE);
		assert(parse_fresh(buf, (size_t)r, &req, h) == r);
	}

	/* Two steps with the resume hint must agree with one. */
	split = size > 0 ? data[0] % (size + 1) : 0;
	http_request_init(&req, h, 32);
	r2 = http_request_parse(buf, split, &req, lim);
	if (r2 == HTTP_INCOMPLETE)
		r2 = http_request_parse(buf, size, &req, lim);
	assert(r2 == r);
	assert(r != HTTP_ERROR || req.status == st);
	free(buf);
	return 0;
}
