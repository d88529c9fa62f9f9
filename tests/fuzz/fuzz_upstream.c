/*
 * fuzz_upstream — libFuzzer target for hsys-forward's upstream response
 * head parser (src/forward/response.c).
 *
 * The contract: a three-way answer (head length within the input,
 * HTTP_INCOMPLETE, or HTTP_ERROR with a reason); a parsed head has a status
 * 100..599, version 10 or 11, never both Content-Length and chunked, and
 * every field inside the input; and the input fed one byte at a time gives
 * the same answer as the whole (the scan resumes correctly).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "forward/forward.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_head(const char *buf, size_t size, const struct fwd_response *r,
    int rc)
{
	size_t i;

	assert((size_t)rc <= size && rc >= 14);
	assert(r->status >= 100 && r->status <= 599);
	assert(r->version == 10 || r->version == 11);
	assert(!(r->chunked && r->content_length >= 0));
	assert(r->content_length <= HTTP_LENGTH_MAX);
	for (i = 0; i < r->nheaders; i++) {
		assert(r->headers[i].name >= buf && r->headers[i].name_len > 0);
		assert(r->headers[i].value + r->headers[i].value_len <=
		    buf + rc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_header fa[8], fb[8];
	struct fwd_response a, b;
	const char *buf = (const char *)data;
	size_t i;
	int r1, r2 = HTTP_INCOMPLETE;

	fwd_response_init(&a, fa, 8, 512);
	r1 = fwd_response_parse(buf, size, &a);
	assert(r1 == HTTP_ERROR || r1 == HTTP_INCOMPLETE || r1 > 0);
	assert(r1 != HTTP_ERROR || a.error != NULL);
	if (r1 > 0)
		check_head(buf, size, &a, r1);

	fwd_response_init(&b, fb, 8, 512);
	for (i = 1; i <= size && r2 == HTTP_INCOMPLETE; i++)
		r2 = fwd_response_parse(buf, i, &b);
	assert(r2 == r1);
	if (r1 > 0) {
		assert(a.status == b.status && a.nheaders == b.nheaders);
		assert(a.content_length == b.content_length);
		assert(a.chunked == b.chunked && a.close == b.close);
	}
	return 0;
}
