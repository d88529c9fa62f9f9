/*
 * fuzz_chunked — libFuzzer target for http_chunked_decode().
 *
 * Decodes the input whole and again one byte at a time: both must give the
 * same answer, the same body bytes and the same end offset; the body never
 * grows beyond the input.  Small limits make the limit paths reachable.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct http_limits small = {
	.max_request_line = 64,
	.max_header_line = 32,
	.max_head = 128,
	.max_headers = 4,
	.max_empty_lines = 1,
	.max_chunk_line = 24,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_chunked a, b;
	char	*whole = malloc(size ? size : 1), *body = malloc(size ? size : 1);
	size_t	 n = size, blen = 0, i;
	int	 r1, r2 = HTTP_INCOMPLETE;

	memcpy(whole, data, size);
	http_chunked_init(&a, &small);
	r1 = http_chunked_decode(&a, whole, &n);
	assert(n <= size);
	assert(r1 == HTTP_ERROR || r1 == HTTP_INCOMPLETE ||
	    (r1 >= 0 && (size_t)r1 <= size));
	assert(r1 != HTTP_ERROR || (a.error != NULL && (a.status == 400 ||
	    a.status == 431)));

	http_chunked_init(&b, &small);
	for (i = 0; i < size && r2 == HTTP_INCOMPLETE; i++) {
		char	 c = (char)data[i];
		size_t	 one = 1;

		r2 = http_chunked_decode(&b, &c, &one);
		if (one == 1)
			body[blen++] = c;
	}
	if (r2 >= 0)
		r2 = (int)i;
	assert(r1 == r2);
	assert(r1 == HTTP_ERROR || (blen == n && memcmp(body, whole, n) == 0));
	assert(r1 != HTTP_ERROR || a.status == b.status);
	free(whole);
	free(body);
	return 0;
}
