/*
 * test_url — UrlPrefix parsing, canonical form, matching and covering.
 * test_reserved pins the rule that closes issue 10 item 2: prefixes and
 * requests are compared in one form, the cooked one (src/http/path.c), for
 * every reserved character of RFC 3986, '%' and unreserved ones.
 */
#include <arpa/inet.h>
#include <string.h>

#include "common/err.h"
#include "http/http.h"
#include "url/url.h"
#include "unit.h"

static const struct {
	const char *in, *canon;
} good[] = {
	{ "http://+:80/", "http://+:80/" },
	{ "HTTP://+:80/", "http://+:80/" },
	{ "HttpS://*:443/", "https://*:443/" },
	{ "http://+:80/app/", "http://+:80/app/" },
	{ "http://+:80/App/Sub/", "http://+:80/App/Sub/" },
	{ "http://WWW.Example.TEST:8080/a/", "http://www.example.test:8080/a/" },
	{ "http://xn--bcher-kva.example:80/", "http://xn--bcher-kva.example:80/" },
	{ "http://localhost:1/", "http://localhost:1/" },
	{ "http://a-b.c:65535/", "http://a-b.c:65535/" },
	{ "http://+:0080/", "http://+:80/" },
	{ "http://192.0.2.1:80/", "http://192.0.2.1:80/" },
	{ "http://[::1]:80/", "http://[::1]:80/" },
	{ "http://[2001:DB8:0:0::1]:80/x/", "http://[2001:db8::1]:80/x/" },
	{ "http://+:80/%7Euser/", "http://+:80/~user/" },
	{ "http://+:80/%41b/", "http://+:80/Ab/" },
	{ "http://+:80/%61%7a%30%2D%5F%7e/", "http://+:80/az0-_~/" },
	{ "http://+:80/a%2fb/", "http://+:80/a%2Fb/" },
	{ "http://+:80/a%20b/", "http://+:80/a%20b/" },
	{ "http://+:80/a%3Ab%3a/", "http://+:80/a:b:/" },
	{ "http://+:80/%25/", "http://+:80/%25/" },
	{ "http://+:80/%2525/", "http://+:80/%2525/" },
	{ "http://+:80/%252F/", "http://+:80/%252F/" },
	{ "http://+:80/%c3%a9/", "http://+:80/%C3%A9/" },
	{ "http://+:80/%22%3C%3E%5E%60%7B%7C%7D/",
	    "http://+:80/%22%3C%3E%5E%60%7B%7C%7D/" },
	{ "http://+:80/a%2F..%2Fb/", "http://+:80/a%2F..%2Fb/" },
	{ "http://+:80/a;b=c:d@e/", "http://+:80/a;b=c:d@e/" },
	{ "http://+:80/.well-known/", "http://+:80/.well-known/" },
	{ "http://+:80/...../", "http://+:80/...../" },
	{ "http://+:80/%2E/", NULL },	/* decodes to a dot segment */
};

static const struct {
	const char *in, *why;
} bad[] = {
	{ "", "empty" },
	{ "ftp://+:80/", "http:// or https://" },
	{ "http:/+:80/", "http:// or https://" },
	{ "http://+/", "port is missing" },
	{ "http://+:80", "path is missing" },
	{ "http://+", "port is missing" },
	{ "http://+:/", "port is missing" },
	{ "http://+:0/", "port 0" },
	{ "http://+:65536/", "out of range" },
	{ "http://+:99999999999/", "out of range" },
	{ "http://+:8a/", "not a number" },
	{ "http://+:-1/", "not a number" },
	{ "http://:80/", "host is missing" },
	{ "http://++:80/", "character '+'" },
	{ "http://a_b:80/", "character '_'" },
	{ "http://-a:80/", "starts with '-'" },
	{ "http://a-:80/", "ends with '-'" },
	{ "http://a..b:80/", "empty label" },
	{ "http://a.:80/", "empty label" },
	{ "http://.a:80/", "empty label" },
	{ "http://b\xc3\xbc" "cher:80/", "not ASCII" },
	{ "http://1.2.3:80/", "not a valid IPv4" },
	{ "http://256.1.1.1:80/", "not a valid IPv4" },
	{ "http://::1:80/", "brackets" },
	{ "http://[::1:80/", "closing" },
	{ "http://[::1]/", "port is missing" },
	{ "http://[::1]x:80/", "must follow" },
	{ "http://[fe80::1%eth0]:80/", "zone" },
	{ "http://[zz]:80/", "not a valid IPv6" },
	{ "http://+:80/app", "must end with '/'" },
	{ "http://+:80/app/x", "trailing slash" },
	{ "http://+:80/app/?q=1", "query" },
	{ "http://+:80/a#b/", "fragment" },
	{ "http://+:80//", "empty segment" },
	{ "http://+:80/a//b/", "empty segment" },
	{ "http://+:80/./", "'.' segment" },
	{ "http://+:80/a/../", "'..' segment" },
	{ "http://+:80/%2e%2E/", "'..' segment" },
	{ "http://+:80/a%/", "two hex digits" },
	{ "http://+:80/a%4/", "two hex digits" },
	{ "http://+:80/a%zz/", "two hex digits" },
	{ "http://+:80/a b/", "percent-encoded" },
	{ "http://+:80/a\"b/", "percent-encoded" },
	{ "http://+:80/a\\b/", "percent-encoded" },
	{ "http://+:80/\xff/", "percent-encoded" },
	{ "http://+:80/a%00/", "control character" },
	{ "http://+:80/a%0A/", "control character" },
	{ "http://+:80/a%1f/", "control character" },
	{ "http://+:80/a%7F/", "control character" },
	{ "http://+:80/a%5C/", "backslash" },
	{ "http://+:80/a/%2e/", "'.' segment" },
};

static void
test_parse_good(void)
{
	char buf[URL_PREFIX_MAX], what[256];
	struct url_prefix u;
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = url_prefix_parse(good[i].in, strlen(good[i].in), &u,
		    &e);

		snprintf(what, sizeof(what), "parse %s", good[i].in);
		if (good[i].canon == NULL) {
			unit_check(rc == -1, what, __FILE__, __LINE__);
			continue;
		}
		if (!unit_check(rc == 0, what, __FILE__, __LINE__)) {
			printf("#   %s\n", e.msg);
			continue;
		}
		url_prefix_format(&u, buf, sizeof(buf));
		CHECK_STR(buf, good[i].canon);
	}
}

/* Formatting: the length it returns, and a buffer one byte short. */
static void
test_format(void)
{
	struct url_prefix u;
	struct err e;
	char buf[URL_PREFIX_MAX];
	const char *in = "https://[::1]:65535/a/b/";

	CHECK(url_prefix_parse(in, strlen(in), &u, &e) == 0);
	CHECK(url_prefix_format(&u, buf, sizeof(buf)) == (int)strlen(in));
	CHECK_STR(buf, in);
	CHECK(url_prefix_format(&u, buf, strlen(in) + 1) == (int)strlen(in));
	CHECK(url_prefix_format(&u, buf, strlen(in)) == -1);
	in = "http://+:8/";
	CHECK(url_prefix_parse(in, strlen(in), &u, &e) == 0);
	CHECK(url_prefix_format(&u, buf, sizeof(buf)) == (int)strlen(in));
	CHECK_STR(buf, in);
}

static void
test_parse_bad(void)
{
	struct url_prefix u;
	struct err e;
	char what[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = url_prefix_parse(bad[i].in, strlen(bad[i].in), &u,
		    &e);

		snprintf(what, sizeof(what), "refuse '%s' (%s)", bad[i].in,
		    bad[i].why);
		if (!unit_check(rc == -1 && strstr(e.msg, bad[i].why) != NULL,
		    what, __FILE__, __LINE__))
			printf("#   rc %d, message: %s\n", rc, rc ? e.msg : "");
	}
}

static void
test_parse_limits(void)
{
	char buf[URL_PREFIX_MAX + 16];
	struct url_prefix u;
	struct err e;
	size_t n;

	/* A NUL inside the given length is refused. */
	CHECK(url_prefix_parse("http://+:80/\0/", 14, &u, &e) == -1);
	/* Only len bytes are read. */
	CHECK(url_prefix_parse("http://+:80/xyz", 12, &u, &e) == 0);
	CHECK_STR(u.path, "/");
	/* The longest path that fits, and one longer. */
	n = (size_t)snprintf(buf, sizeof(buf), "http://+:80/");
	memset(buf + n, 'a', URL_PATH_MAX - 3);
	buf[n + URL_PATH_MAX - 3] = '/';
	buf[n + URL_PATH_MAX - 2] = '\0';
	CHECK(url_prefix_parse(buf, strlen(buf), &u, &e) == 0);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "http://+:80/", 12);
	buf[sizeof(buf) - 2] = '/';
	CHECK(url_prefix_parse(buf, sizeof(buf) - 1, &u, &e) == -1);
	CHECK(strstr(e.msg, "longer") != NULL);
	/* A 64-character label is too long; 63 is fine. */
	n = (size_t)snprintf(buf, sizeof(buf), "http://%.63s:80/",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(url_prefix_parse(buf, n, &u, &e) == 0);
	n = (size_t)snprintf(buf, sizeof(buf), "http://%.64s:80/",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(url_prefix_parse(buf, n, &u, &e) == -1);
}

static struct url_prefix
P(const char *s)
{
	struct url_prefix u;
	struct err e;

	if (url_prefix_parse(s, strlen(s), &u, &e) == -1) {
		printf("# cannot parse %s: %s\n", s, e.msg);
		memset(&u, 0, sizeof(u));
	}
	return u;
}

static long
route(const struct url_prefix *t, size_t n, int https, const char *host,
    const char *local, uint16_t port, const char *path)
{
	unsigned char addr[16];
	struct url_request r;

	memset(&r, 0, sizeof(r));
	r.https = https;
	r.host = host;
	r.hostlen = host ? strlen(host) : 0;
	if (local != NULL) {
		r.local_family = strchr(local, ':') ? AF_INET6 : AF_INET;
		inet_pton(r.local_family, local, addr);
		r.local_addr = addr;
	}
	r.port = port;
	r.path = path;
	r.pathlen = strlen(path);
	return url_prefix_best(t, n, &r);
}

static void
test_match(void)
{
	struct url_prefix t[8];

	t[0] = P("http://*:80/");
	t[1] = P("http://192.0.2.1:80/");
	t[2] = P("http://www.example.test:80/");
	t[3] = P("http://+:80/api/");
	t[4] = P("http://*:80/app/deep/");
	t[5] = P("https://+:443/");
	t[6] = P("http://www.example.test:80/app/");
	t[7] = P("http://+:8080/a%2Fb/");

	/* The strong wildcard wins whenever its path matches. */
	CHECK(route(t, 8, 0, "www.example.test", "192.0.2.1", 80,
	    "/api/x") == 3);
	CHECK(route(t, 8, 0, "www.example.test", "192.0.2.1", 80, "/API/") == 3);
	/* "/api" reaches "/api/". */
	CHECK(route(t, 8, 0, "other", NULL, 80, "/api") == 3);
	CHECK(route(t, 8, 0, "other", NULL, 80, "/apix") == 0);
	/* Explicit host over IP-bound over weak, whatever the path length. */
	CHECK(route(t, 8, 0, "WWW.example.test", "192.0.2.1", 80,
	    "/app/deep/x") == 6);
	CHECK(route(t, 8, 0, "www.example.test.", NULL, 80, "/x") == 2);
	CHECK(route(t, 8, 0, "other", "192.0.2.1", 80, "/app/deep/x") == 1);
	CHECK(route(t, 8, 0, "other", "::ffff:192.0.2.1", 80, "/x") == 1);
	CHECK(route(t, 8, 0, "other", "192.0.2.2", 80, "/app/deep/x") == 4);
	CHECK(route(t, 8, 0, "other", "192.0.2.2", 80, "/app/deeper") == 0);
	/* Longest path within a class. */
	CHECK(route(t, 8, 0, "www.example.test", NULL, 80, "/App/z") == 6);
	/* Scheme and port must agree. */
	CHECK(route(t, 8, 1, "x", NULL, 443, "/") == 5);
	CHECK(route(t, 8, 1, "x", NULL, 80, "/") == -1);
	CHECK(route(t, 8, 0, "x", NULL, 81, "/") == -1);
	CHECK(route(t, 8, 0, NULL, NULL, 80, "/") == 0);
	/* "%2F" stays encoded, as in a cooked request path: it takes the
	 * request that spells it so, never "/a/b/". */
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a%2Fb/c") == 7);
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a%2fb/c") == 7);
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a/b/c") == -1);
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a/c") == -1);
	CHECK(route(t, 0, 0, "x", NULL, 80, "/") == -1);
}

/* Routes a request target as hsysd does: cooked first. -2: refused. */
static long
cook_route(const struct url_prefix *t, size_t n, const char *target)
{
	char out[512];
	struct http_cooked ck;
	struct url_request r;

	if (http_path_cook(target, strlen(target), out, sizeof(out), &ck) ==
	    HTTP_ERROR)
		return -2;
	memset(&r, 0, sizeof(r));
	r.host = "x";
	r.hostlen = 1;
	r.port = 80;
	r.path = ck.path;
	r.pathlen = ck.path_len;
	return url_prefix_best(t, n, &r);
}

/* RFC 3986 gen-delims, sub-delims, '%' and some unreserved characters. */
static const char reserved[] = ":/?#[]@!$&'()*+,;=%A~-";

static int
is_pchar_lit(int c)
{
	return strchr(":@!$&'()*+,;=A~-", c) != NULL;
}

static void
one_reserved(int c)
{
	struct url_prefix reserve[3], t[3], p, q;
	char in[64], up[64], low[64], lit[64], tgt[64], buf[URL_PREFIX_MAX];
	char what[128];

	snprintf(up, sizeof(up), "http://+:80/a%%%02Xb/", c);
	snprintf(low, sizeof(low), "http://+:80/a%%%02xb/", c);
	snprintf(lit, sizeof(lit), "http://+:80/a%cb/", c);
	snprintf(what, sizeof(what), "'%c' (%%%02X)", c, c);
	p = P(up);
	q = P(low);
	/* One canonical spelling: literal for a pchar, else %XX. */
	url_prefix_format(&p, buf, sizeof(buf));
	if (!unit_check_str(buf, is_pchar_lit(c) ? lit : up, what, __FILE__,
	    __LINE__))
		return;
	CHECK(url_prefix_equal(&p, &q));
	if (is_pchar_lit(c)) {
		q = P(lit);
		CHECK(url_prefix_equal(&p, &q));
	}

	/* Routing: A has /a/ and /a/b/, B registered /a%XXb/. The request
	 * that spells the character encoded goes to B; /a/b/ stays A's. */
	t[0] = P("http://+:80/a/");
	t[1] = P("http://+:80/a/b/");
	t[2] = p;
	snprintf(tgt, sizeof(tgt), "/a%%%02Xb/x", c);
	CHECK(cook_route(t, 3, tgt) == 2);
	snprintf(tgt, sizeof(tgt), "/a%%%02xb", c);
	CHECK(cook_route(t, 3, tgt) == 2);
	if (is_pchar_lit(c)) {
		snprintf(tgt, sizeof(tgt), "/a%cb/x", c);
		CHECK(cook_route(t, 3, tgt) == 2);
	}
	CHECK(cook_route(t, 3, "/a/b/x") == 1);
	CHECK(cook_route(t, 3, "/a/b") == 1);
	CHECK(cook_route(t, 3, "/a/x") == 0);

	/* Coverage: A reserved the character spelled one way, B holds /;
	 * every other spelling of a prefix under it is A's to grant. */
	reserve[0] = P("http://+:80/");
	reserve[1] = P(is_pchar_lit(c) ? lit : up);
	reserve[2] = P("http://+:80/a/");
	snprintf(in, sizeof(in), "http://+:80/a%%%02xb/sub/", c);
	q = P(in);
	CHECK(url_prefix_cover_best(reserve, 3, &q) == 1);
	snprintf(in, sizeof(in), "http://+:80/a%%%02Xb/", c);
	q = P(in);
	CHECK(url_prefix_cover_best(reserve, 3, &q) == 1);
	/* ... and a reservation of /a/ covers exactly what routes under it. */
	snprintf(tgt, sizeof(tgt), "/a%%%02Xb/x", c);
	CHECK((url_prefix_cover_best(reserve + 2, 1, &p) == 0) ==
	    (cook_route(reserve + 2, 1, tgt) == 0));
}

static void
test_reserved(void)
{
	struct url_prefix t[3], p;
	size_t i;

	for (i = 0; reserved[i] != '\0'; i++)
		one_reserved((unsigned char)reserved[i]);

	/* The attack of issue 10: B's /admin%2Flogin/ and /admin%3Ax/ next
	 * to A's /admin/ and /admin/login/. */
	t[0] = P("http://+:22080/admin/");
	t[1] = P("http://+:22080/admin/login/");
	t[2] = P("http://+:22080/admin%2Flogin/");
	CHECK(route(t, 3, 0, "x", NULL, 22080, "/admin/login") == 1);
	CHECK(route(t, 3, 0, "x", NULL, 22080, "/admin/login/x") == 1);
	CHECK(route(t, 3, 0, "x", NULL, 22080, "/admin%2Flogin/x") == 2);
	t[2] = P("http://+:22080/admin%3Ax/");
	CHECK(route(t, 3, 0, "x", NULL, 22080, "/admin:x/y") == 2);
	p = P("http://+:22080/admin:x/");
	CHECK(url_prefix_equal(&t[2], &p));
	t[2] = P("http://+:22080/admin%2Flogin/");
	CHECK(!url_prefix_covers(&t[0], &t[2]));
	/* %25 never decodes twice: "%252F" is not "%2F". */
	t[0] = P("http://+:80/a%252F/");
	t[1] = P("http://+:80/a%2F/");
	CHECK(cook_route(t, 2, "/a%252F/x") == 0);
	CHECK(cook_route(t, 2, "/a%2F/x") == 1);
	CHECK(cook_route(t, 2, "/a%25/x") == -1);
	/* Non-ASCII and a space: decoded, as a cooked request path. */
	t[0] = P("http://+:80/%C3%A9t%C3%A9/");
	t[1] = P("http://+:80/a%20b/");
	CHECK(cook_route(t, 2, "/%c3%a9t%c3%a9/x") == 0);
	CHECK(cook_route(t, 2, "/a%20b/") == 1);
	CHECK_STR(t[1].path, "/a b/");
}

static void
test_covers(void)
{
	struct url_prefix r[6], p;

	r[0] = P("http://+:80/");
	r[1] = P("http://*:80/app/");
	r[2] = P("http://www.example.test:80/app/");
	r[3] = P("http://+:80/app/");
	r[4] = P("http://+:80/APP/admin/");
	r[5] = P("https://+:443/");

	p = P("http://+:80/app/admin/x/");
	CHECK(url_prefix_covers(&r[0], &p));
	CHECK(!url_prefix_covers(&r[2], &p));
	CHECK(url_prefix_cover_best(r, 6, &p) == 4);
	p = P("http://www.example.test:80/app/x/");
	CHECK(url_prefix_covers(&r[2], &p));
	/* Same path length: the exact host, then +, then *. */
	CHECK(url_prefix_cover_best(r, 6, &p) == 2);
	/* * covers only *: not a host, whose registration it would lose
	 * routing to (the host's reservation is r[2]). */
	CHECK(url_prefix_cover_best(r, 2, &p) == 0);
	CHECK(url_prefix_cover_best(r + 1, 1, &p) == -1);
	p = P("http://other.test:80/app/");
	CHECK(url_prefix_cover_best(r, 6, &p) == 3);
	p = P("http://other.test:80/ap/");
	CHECK(url_prefix_cover_best(r, 6, &p) == 0);
	p = P("http://other.test:8080/");
	CHECK(url_prefix_cover_best(r, 6, &p) == -1);
	p = P("https://[::1]:443/z/");
	CHECK(url_prefix_cover_best(r, 6, &p) == 5);
	p = P("http://+:80/");
	CHECK(!url_prefix_covers(&r[3], &p));
	CHECK(url_prefix_equal(&r[3], &r[3]));
	p = P("http://+:80/APP/");
	CHECK(url_prefix_equal(&r[3], &p));
	CHECK(!url_prefix_equal(&r[1], &p));
}

/* Issue 10 item 5: a * reservation covers only * (a class that wins
 * routing over another user's registration would take its requests);
 * + covers every class; a host or an address only itself. */
static void
test_covers_classes(void)
{
	struct url_prefix weak = P("http://*:80/"), strong = P("http://+:80/");
	struct url_prefix name = P("http://www.example.test:80/");
	struct url_prefix ip = P("http://192.0.2.1:80/"), p, t[2];

	p = P("http://*:80/x/");
	CHECK(url_prefix_covers(&weak, &p));
	CHECK(url_prefix_covers(&strong, &p));
	CHECK(!url_prefix_covers(&name, &p));
	CHECK(!url_prefix_covers(&ip, &p));
	p = P("http://+:80/x/");
	CHECK(!url_prefix_covers(&weak, &p));
	CHECK(url_prefix_covers(&strong, &p));
	CHECK(!url_prefix_covers(&name, &p));
	CHECK(!url_prefix_covers(&ip, &p));
	p = P("http://www.example.test:80/x/");
	CHECK(!url_prefix_covers(&weak, &p));
	CHECK(url_prefix_covers(&strong, &p));
	CHECK(url_prefix_covers(&name, &p));
	CHECK(!url_prefix_covers(&ip, &p));
	p = P("http://192.0.2.1:80/x/");
	CHECK(!url_prefix_covers(&weak, &p));
	CHECK(url_prefix_covers(&strong, &p));
	CHECK(!url_prefix_covers(&name, &p));
	CHECK(url_prefix_covers(&ip, &p));
	/* The attack: B holds *, A holds the host; B's + is covered by
	 * nothing, so refused, and A's host keeps its requests. */
	t[0] = weak;
	t[1] = name;
	p = P("http://+:80/");
	CHECK(url_prefix_cover_best(t, 2, &p) == -1);
	p = P("http://www.example.test:80/a/");
	CHECK(url_prefix_cover_best(t, 2, &p) == 1);
	p = P("http://*:80/a/");
	CHECK(url_prefix_cover_best(t, 2, &p) == 0);
}

int
main(void)
{
	RUN(test_parse_good);
	RUN(test_parse_bad);
	RUN(test_format);
	RUN(test_parse_limits);
	RUN(test_match);
	RUN(test_covers);
	RUN(test_covers_classes);
	RUN(test_reserved);
	return unit_done();
}
