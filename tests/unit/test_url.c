/*
 * test_url — UrlPrefix parsing, canonical form, matching and covering.
 */
#include <arpa/inet.h>
#include <string.h>

#include "common/err.h"
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
	{ "http://+:80/a%2fb/", "http://+:80/a%2Fb/" },
	{ "http://+:80/a%20b/", "http://+:80/a%20b/" },
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
	/* Encoded reserved characters compare decoded. */
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a/b/c") == 7);
	CHECK(route(t, 8, 0, "x", NULL, 8080, "/a/c") == -1);
	CHECK(route(t, 0, 0, "x", NULL, 80, "/") == -1);
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
	CHECK(url_prefix_cover_best(r, 2, &p) == 1);
	CHECK(url_prefix_cover_best(r + 1, 1, &p) == 0);
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

int
main(void)
{
	RUN(test_parse_good);
	RUN(test_parse_bad);
	RUN(test_format);
	RUN(test_parse_limits);
	RUN(test_match);
	RUN(test_covers);
	return unit_done();
}
