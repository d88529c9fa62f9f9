/*
 * Unit tests of the chunked decoder: a table of bodies with the decoded
 * bytes or the error each must give, each fed whole and in pieces of 1, 2,
 * 3 and 7 bytes (the answers must match), plus trailers, the bytes after
 * the end, and the sticky error state.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "unit.h"

struct ccase {
	const char	*in;
	const char	*body;	/* NULL: an error is expected */
	int		 status;
};

static const struct ccase cases[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", "hello", 0 },
	{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0 },
	{ "0\r\n\r\n", "", 0 },
	{ "000\r\n\r\n", "", 0 },
	{ "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
	    "0123456789abcdefghij", 0 },
	{ "5;a=b;c\r\nhello\r\n0;last\r\n\r\n", "hello", 0 },
	{ "5 ;a=\"q; x\"\r\nhello\r\n0\r\n\r\n", "hello", 0 },
	{ "5\t; a = b\r\nhello\r\n0\r\n\r\n", "hello", 0 },
	{ "3\r\nabc\r\n0\r\nX: y\r\nContent-Length: 9\r\n\r\n", "abc", 0 },
	{ "0\r\nX:\r\n\r\n", "", 0 },
	/* sizes */
	{ "-5\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "+5\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ " 5\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "0x5\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "5 \r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "5g\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "10000000000000000\r\n", NULL, 400 },
	{ "4000000000000001\r\n", NULL, 400 },
	{ "00000000000000000000000000000000000001\r\nx\r\n0\r\n\r\n", NULL,
	    400 },
	/* extensions */
	{ "5;a\x01\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "5;0123456789abcdef\r\nhello\r\n0\r\n\r\n", NULL, 400 },
	/* line endings */
	{ "5\nhello\r\n0\r\n\r\n", NULL, 400 },
	{ "5\rhello\r\n0\r\n\r\n", NULL, 400 },
	{ "5\r\nhello\n0\r\n\r\n", NULL, 400 },
	{ "5\r\nhelloX\r\n0\r\n\r\n", NULL, 400 },
	{ "5\r\nhello\r\r\n0\r\n\r\n", NULL, 400 },
	{ "5\r\nhello0\r\n\r\n", NULL, 400 },
	{ "0\r\n\n", NULL, 400 },
	{ "0\r\n\rx", NULL, 400 },
	{ "0\n\r\n", NULL, 400 },
	/* trailers */
	{ "0\r\nX: y\r\n z\r\n\r\n", NULL, 400 },
	{ "0\r\nX : y\r\n\r\n", NULL, 400 },
	{ "0\r\n: y\r\n\r\n", NULL, 400 },
	{ "0\r\nX: a\x01\r\n\r\n", NULL, 400 },
	{ "0\r\nX: a\rb\r\n\r\n", NULL, 400 },
	{ "0\r\nX: y\n\r\n", NULL, 400 },
	{ "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", NULL, 431 },
	{ "0\r\nX: 0123456789012345678901234567\r\n\r\n", NULL, 431 },
};

static const struct http_limits small = {
	.max_request_line = 32,
	.max_header_line = 24,
	.max_head = 96,
	.max_headers = 4,
	.max_empty_lines = 1,
	.max_chunk_line = 16,
};

/*
 * Decodes in into body (NUL-terminated) in pieces of step bytes; returns the
 * input bytes used at the end, or HTTP_ERROR / HTTP_INCOMPLETE.
 */
static int
decode(const char *in, size_t step, char *body, int *status)
{
	struct http_chunked c;
	size_t	 len = strlen(in), off = 0, blen = 0;
	char	 piece[64];
	int	 r = HTTP_INCOMPLETE;

	http_chunked_init(&c, &small);
	while (off < len && r == HTTP_INCOMPLETE) {
		size_t	 k = len - off < step ? len - off : step, n = k;

		memcpy(piece, in + off, k);
		r = http_chunked_decode(&c, piece, &n);
		memcpy(body + blen, piece, n);
		blen += n;
		off += r >= 0 ? (size_t)r : k;
	}
	body[blen] = '\0';
	*status = c.status;
	if (r >= 0)
		return (int)off;
	return r;
}

static void
test_table(void)
{
	static const size_t steps[] = { 64, 1, 2, 3, 7 };
	size_t	 i, s;
	char	 body[128], what[64];
	int	 r, st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			int	 ok;

			r = decode(cases[i].in, steps[s], body, &st);
			if (cases[i].body != NULL)
				ok = r == (int)strlen(cases[i].in) &&
				    strcmp(body, cases[i].body) == 0;
			else
				ok = r == HTTP_ERROR && st == cases[i].status;
			snprintf(what, sizeof(what), "case %zu step %zu", i,
			    steps[s]);
			unit_check(ok, what, __FILE__, __LINE__);
			if (!ok)
				printf("#   got %d/%d body '%s'\n", r, st, body);
		}
	}
}

static void
test_after_end(void)
{
	struct http_chunked c;
	char	 buf[] = "3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\n";
	size_t	 n = strlen(buf);
	int	 r;

	http_chunked_init(&c, NULL);
	r = http_chunked_decode(&c, buf, &n);
	CHECK(r == 19 && n == 3 && memcmp(buf, "abc", 3) == 0);
	CHECK(strcmp(buf + r, "GET / HTTP/1.1\r\n") == 0);
	CHECK(http_chunked_done(&c) && c.ntrailers == 1);
	n = 5;
	CHECK(http_chunked_decode(&c, buf, &n) == 0 && n == 0);
}

static void
test_incomplete(void)
{
	struct http_chunked c;
	char	 buf[] = "5\r\nhel";
	size_t	 n = 0;

	http_chunked_init(&c, NULL);
	CHECK(http_chunked_decode(&c, buf, &n) == HTTP_INCOMPLETE && n == 0);
	n = strlen(buf);
	CHECK(http_chunked_decode(&c, buf, &n) == HTTP_INCOMPLETE && n == 3);
	CHECK(memcmp(buf, "hel", 3) == 0 && c.remaining == 2);
	CHECK(!http_chunked_done(&c));
}

static void
test_sticky_error(void)
{
	struct http_chunked c;
	char	 buf[] = "x\r\n";
	char	 ok[] = "0\r\n\r\n";
	size_t	 n = strlen(buf);

	http_chunked_init(&c, NULL);
	CHECK(http_chunked_decode(&c, buf, &n) == HTTP_ERROR && c.status == 400);
	n = strlen(ok);
	CHECK(http_chunked_decode(&c, ok, &n) == HTTP_ERROR && n == 0);
}

/* 2^62 is the largest chunk size; one more is refused with default limits. */
static void
test_size_cap(void)
{
	struct http_chunked c;
	char	 max[] = "4000000000000000\r\n", over[] = "4000000000000001\r\n";
	size_t	 n = strlen(max);

	http_chunked_init(&c, NULL);
	CHECK(http_chunked_decode(&c, max, &n) == HTTP_INCOMPLETE);
	CHECK(c.remaining == (uint64_t)HTTP_LENGTH_MAX);
	n = strlen(over);
	http_chunked_init(&c, NULL);
	CHECK(http_chunked_decode(&c, over, &n) == HTTP_ERROR && c.status == 400);
}

static void
test_large_chunk(void)
{
	struct http_chunked c;
	size_t	 big = 100000, n;
	char	*buf = malloc(big + 32);
	int	 hl = snprintf(buf, 32, "%zx\r\n", big);

	memset(buf + hl, 'z', big);
	memcpy(buf + hl + big, "\r\n0\r\n\r\n", 7);
	n = (size_t)hl + big + 7;
	http_chunked_init(&c, NULL);
	CHECK(http_chunked_decode(&c, buf, &n) == hl + (int)big + 7);
	CHECK(n == big && buf[0] == 'z' && buf[big - 1] == 'z');
	free(buf);
}

/*
 * Kept trailers: the fields as parsed (value OWS trimmed, an empty value
 * kept), whatever the pieces, and the caller's room as a limit.
 */
static int
decode_kept(const char *in, size_t step, char *room, size_t cap,
    struct http_header *f, size_t nf, struct http_chunked *c)
{
	size_t	 len = strlen(in), off = 0;
	char	 piece[64];
	int	 r = HTTP_INCOMPLETE;

	http_chunked_init(c, &small);
	http_chunked_keep_trailers(c, room, cap, f, nf);
	while (off < len && r == HTTP_INCOMPLETE) {
		size_t	 k = len - off < step ? len - off : step, n = k;

		memcpy(piece, in + off, k);
		r = http_chunked_decode(c, piece, &n);
		off += r >= 0 ? (size_t)r : k;
	}
	return r >= 0 ? (int)off : r;
}

static int
field_is(const struct http_header *h, const char *name, const char *value)
{
	return h->name_len == strlen(name) && memcmp(h->name, name,
	    h->name_len) == 0 && h->value_len == strlen(value) &&
	    memcmp(h->value, value, h->value_len) == 0;
}

static void
test_trailers_kept(void)
{
	static const char in[] = "3\r\nabc\r\n0\r\nX-Sum:  a b \t\r\n"
	    "E:\r\nk:v\r\n\r\n";
	static const size_t steps[] = { 64, 1, 2, 5 };
	struct http_chunked c;
	struct http_header f[4];
	char	 room[64];
	size_t	 s;

	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		memset(f, 0, sizeof(f));
		CHECK(decode_kept(in, steps[s], room, sizeof(room), f, 4, &c) ==
		    (int)strlen(in));
		CHECK(http_chunked_done(&c) && c.ntrailers == 3);
		CHECK(field_is(&f[0], "X-Sum", "a b"));
		CHECK(field_is(&f[1], "E", ""));
		CHECK(field_is(&f[2], "k", "v"));
	}
	/* No trailers: nothing kept. */
	CHECK(decode_kept("0\r\n\r\n", 64, room, sizeof(room), f, 4, &c) ==
	    5 && c.ntrailers == 0);
	/* The caller's room is a limit: bytes, then fields. */
	CHECK(decode_kept(in, 64, room, 5, f, 4, &c) == HTTP_ERROR &&
	    c.status == 431);
	CHECK(decode_kept(in, 3, room, sizeof(room), f, 2, &c) ==
	    HTTP_ERROR && c.status == 431);
	/* The rules of the head still hold. */
	CHECK(decode_kept("0\r\nX: y\r\n z\r\n\r\n", 1, room, sizeof(room),
	    f, 4, &c) == HTTP_ERROR && c.status == 400);
	CHECK(decode_kept("0\r\nX: a\rb\r\n\r\n", 1, room, sizeof(room), f,
	    4, &c) == HTTP_ERROR && c.status == 400);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_after_end);
	RUN(test_incomplete);
	RUN(test_sticky_error);
	RUN(test_size_cap);
	RUN(test_large_chunk);
	RUN(test_trailers_kept);
	return unit_done();
}
