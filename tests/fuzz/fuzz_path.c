/*
 * fuzz_path — libFuzzer target for http_path_cook().
 *
 * A cooked path starts with '/', holds no "." or ".." segment, no control
 * byte or backslash, and every '%' in it starts "%2F" or "%25"; it is no
 * longer than the input; cooking an ASCII result again changes nothing.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cooked(const char *p, size_t n)
{
	size_t	 i, seg = 1;

	assert(n >= 1 && p[0] == '/');
	for (i = 1; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t	 k = i - seg;

			assert(!(k == 1 && p[seg] == '.'));
			assert(!(k == 2 && p[seg] == '.' && p[seg + 1] == '.'));
			seg = i + 1;
			continue;
		}
		assert((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
		assert(p[i] != '\\');
		if (p[i] == '%')
			assert(i + 2 < n && p[i + 1] == '2' &&
			    (p[i + 2] == 'F' || p[i + 2] == '5'));
	}
}

static int
target_safe(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f ||
		    p[i] == '?' || p[i] == '#')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_cooked ck, ck2;
	char	*in = malloc(size ? size : 1), *out = malloc(size ? size : 1);
	char	*again = malloc(size ? size : 1);
	int	 r;

	memcpy(in, data, size);
	r = http_path_cook(in, size, out, size, &ck);
	if (r >= 0) {
		assert((size_t)r <= size && ck.path == out &&
		    ck.path_len == (size_t)r);
		check_cooked(out, (size_t)r);
		if (target_safe(out, (size_t)r)) {
			assert(http_path_cook(out, (size_t)r, again, (size_t)r,
			    &ck2) == r);
			assert(memcmp(again, out, (size_t)r) == 0);
		}
	} else {
		assert(r == HTTP_ERROR && ck.status == 400 && ck.error != NULL);
	}
	free(in);
	free(out);
	free(again);
	return 0;
}
