/*
 * fuzz_url — libFuzzer target for the UrlPrefix parser and matcher.
 *
 * Build and run (clang's fuzzer runtime comes with libclang-rt-14-dev):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *       tests/fuzz/fuzz_url.c src/url/prefix.c src/url/match.c \
 *       src/common/err.c src/common/hex.c src/common/digits.c \
 *       -lcrypto -o build/fuzz_url
 *   build/fuzz_url -max_total_time=60
 *
 * Invariants checked: a parsed prefix formats to a string that parses again
 * to an equal prefix with the same canonical form (normalization is
 * idempotent), and a prefix always covers itself and routes its own path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "url/url.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[URL_PREFIX_MAX], b[URL_PREFIX_MAX];
	struct url_prefix u, v;
	struct url_request r;
	struct err e;
	int n;

	if (url_prefix_parse((const char *)data, size, &u, &e) == -1)
		return 0;
	if ((n = url_prefix_format(&u, a, sizeof(a))) < 0)
		abort();
	if (url_prefix_parse(a, (size_t)n, &v, &e) == -1)
		abort();
	if (url_prefix_format(&v, b, sizeof(b)) < 0 || strcmp(a, b) != 0)
		abort();
	if (!url_prefix_equal(&u, &v) || !url_prefix_covers(&u, &v))
		abort();
	memset(&r, 0, sizeof(r));
	r.https = u.https;
	r.port = u.port;
	r.host = u.host;
	r.hostlen = strlen(u.host);
	r.local_family = u.family;
	r.local_addr = u.addr;
	/* Paths without encoded bytes are their own decoded form. */
	if (strchr(u.path, '%') == NULL) {
		r.path = u.path;
		r.pathlen = strlen(u.path);
		if (url_prefix_best(&u, 1, &r) != 0)
			abort();
	}
	return 0;
}
