/*
 * Unit tests of path cooking: dot segments in every encoding, encoded
 * slashes and percents, NUL and controls, UTF-8 (valid, invalid, overlong,
 * surrogates), backslashes, the query split and absolute-form targets.
 */
#include <string.h>

#include "http/http.h"
#include "unit.h"

struct pcase {
	const char	*in;
	const char	*out;	/* NULL: 400 expected */
};

static const struct pcase cases[] = {
	{ "/", "/" },
	{ "/app/x", "/app/x" },
	{ "/app/../admin/", "/admin/" },
	{ "/app/%2e%2e/admin/", "/admin/" },
	{ "/app/%2E%2E/admin/", "/admin/" },
	{ "/app/.%2e/admin/", "/admin/" },
	{ "/app/%2e./admin/", "/admin/" },
	{ "/app/%252e%252e/admin/", "/app/%252e%252e/admin/" },
	{ "/app/%2F../admin", "/app/%2F../admin" },
	{ "/app%2F..%2Fadmin", "/app%2F..%2Fadmin" },
	{ "/a%2fb", "/a%2Fb" },
	{ "/a%25b", "/a%25b" },
	{ "/a%41%7e", "/aA~" },
	{ "/a/./b", "/a/b" },
	{ "/a/%2e/b", "/a/b" },
	{ "/a/.", "/a/" },
	{ "/a/..", "/" },
	{ "/a/b/..", "/a/" },
	{ "/a/b/../../c", "/c" },
	{ "/a//b", "/a//b" },
	{ "/a//../b", "/a/b" },
	{ "/.", "/" },
	{ "/./", "/" },
	{ "/a/.../b", "/a/.../b" },
	{ "/a/..b/.c", "/a/..b/.c" },
	{ "/a?b=%2e%2e/../x", "/a" },
	{ "/%C3%A9t%C3%A9", "/\xc3\xa9t\xc3\xa9" },
	{ "/%F0%9F%98%80", "/\xf0\x9f\x98\x80" },
	{ "/%EF%BF%BF", "/\xef\xbf\xbf" },
	{ "/a%20b", "/a b" },
	{ "http://example.com/a/../b?q", "/b" },
	{ "HTTP://example.com", "/" },
	{ "https://example.com?q", "/" },
	/* refused */
	{ "/..", NULL },
	{ "/../a", NULL },
	{ "/a/../..", NULL },
	{ "/a/../../b", NULL },
	{ "/%2e%2e/a", NULL },
	{ "/a/%2E%2E/%2e%2e/b", NULL },
	{ "/a%", NULL },
	{ "/a%2", NULL },
	{ "/a%zz", NULL },
	{ "/a%2g", NULL },
	{ "/a%00", NULL },
	{ "/a%0a", NULL },
	{ "/a%0D%0Ab", NULL },
	{ "/a%7f", NULL },
	{ "/a\\b", NULL },
	{ "/a%5cb", NULL },
	{ "/a%5C..%5Cb", NULL },
	{ "/a#b", NULL },
	{ "/a b", NULL },
	{ "/a\xc3\xa9", NULL },
	{ "/%C3", NULL },
	{ "/%C3/", NULL },
	{ "/%C3%2F", NULL },
	{ "/%A9", NULL },
	{ "/%C0%AE%C0%AE/", NULL },
	{ "/%C0%AF", NULL },
	{ "/%C1%BF", NULL },
	{ "/%E0%80%AF", NULL },
	{ "/%F0%80%80%AF", NULL },
	{ "/%ED%A0%80", NULL },
	{ "/%F4%90%80%80", NULL },
	{ "/%F5%80%80%80", NULL },
	{ "/%FF", NULL },
	{ "*", NULL },
	{ "example.com:443", NULL },
	{ "ftp://a/b", NULL },
	{ "", NULL },
};

static void
test_table(void)
{
	struct http_cooked ck;
	char	 out[256], what[96];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		size_t	 len = strlen(c->in);
		int	 r = http_path_cook(c->in, len, out, len, &ck);
		int	 ok;

		if (c->out != NULL)
			ok = r == (int)strlen(c->out) &&
			    ck.path_len == (size_t)r &&
			    memcmp(ck.path, c->out, (size_t)r) == 0;
		else
			ok = r == HTTP_ERROR && ck.status == 400 &&
			    ck.error != NULL;
		snprintf(what, sizeof(what), "case %zu %s", i, c->in);
		unit_check(ok, what, __FILE__, __LINE__);
		if (!ok)
			printf("#   got %d '%.*s' (%s)\n", r, r > 0 ? r : 0, out,
			    ck.error ? ck.error : "");
	}
}

static void
test_query(void)
{
	struct http_cooked ck;
	char	 out[64];
	const char *t = "/a%2Fb/./c?x=%2e%2e&y=/../";

	CHECK(http_path_cook(t, strlen(t), out, sizeof(out), &ck) == 8);
	CHECK(ck.path_len == 8 && memcmp(ck.path, "/a%2Fb/c", 8) == 0);
	CHECK(ck.query == t + 11 && ck.query_len == strlen("x=%2e%2e&y=/../"));
	t = "/a?";
	CHECK(http_path_cook(t, strlen(t), out, sizeof(out), &ck) == 2);
	CHECK(ck.query != NULL && ck.query_len == 0);
	t = "/a";
	CHECK(http_path_cook(t, strlen(t), out, sizeof(out), &ck) == 2);
	CHECK(ck.query == NULL);
}

static void
test_small_buffer(void)
{
	struct http_cooked ck;
	char	 out[4];

	CHECK(http_path_cook("/abcd", 5, out, sizeof(out), &ck) == HTTP_ERROR);
}

static void
test_nul_in_input(void)
{
	struct http_cooked ck;
	char	 out[8];

	CHECK(http_path_cook("/a\0b", 4, out, sizeof(out), &ck) == HTTP_ERROR);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_query);
	RUN(test_small_buffer);
	RUN(test_nul_in_input);
	return unit_done();
}
