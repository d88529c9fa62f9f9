/*
 * test_cache — the response cache's store and rules (daemon/cache.c),
 * alone: what may be cached (request and response), the key (scheme,
 * host in any case, port, path, query), a hit's head (Age, Content-Length,
 * the fields kept and dropped; a 304's validators), conditional requests,
 * TTL expiry, an entry of another route or queue dropped, UriMaxUriBytes,
 * the total cap with LRU eviction, a flood held within the cap, flushes
 * (recursive, one URL, a host, every entry of a queue) and a route's
 * removal.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "daemon/cache.h"
#include "http/http.h"
#include "proto/exchange.h"
#include "url/url.h"
#include "unit.h"

#define F(n, v)	{ (const unsigned char *)(n), sizeof(n) - 1, \
		    (const unsigned char *)(v), sizeof(v) - 1 }

static const struct cache_field plain[] = {
	F("Content-Type", "text/plain"), F("ETag", "\"v1\""),
	F("Last-Modified", "Sun, 06 Dec 2026 10:00:00 GMT"),
	F("Date", "Sun, 06 Dec 2026 10:00:00 GMT"), F("Connection", "close"),
	F("Cache-Control", "max-age=60"),
};
#define NPLAIN	(sizeof(plain) / sizeof(plain[0]))

static const char *ROUTE = "route";	/* an identity, never read */

static struct cache_key
key(const char *host, const char *path, const char *query)
{
	struct cache_key k = { 0, 80, host, strlen(host), path, strlen(path),
	    query, query ? strlen(query) : 0 };

	return k;
}

/* Fills an entry for k with a body of n bytes; 0 when it was stored. */
static int
put(struct cache *c, struct cache_key k, const void *route, uint32_t queue,
    uint32_t ttl, uint64_t now, size_t n)
{
	struct cache_entry *e;
	char *body = malloc(n + 1);
	uint64_t stored = atomic_load(&c->stored);

	memset(body, 'b', n);
	e = cache_fill_begin(c, &k, route, queue, ttl, now, plain, NPLAIN);
	if (e == NULL || (n > 0 && cache_fill_body(c, &e, body, n) == -1)) {
		free(body);
		return -1;
	}
	cache_fill_end(c, e);
	free(body);
	return atomic_load(&c->stored) > stored ? 0 : -1;
}

static struct cache *
fresh(size_t max_entry, size_t max_bytes)
{
	struct cache *c = cache_new();

	cache_limits(c, max_entry, max_bytes);
	return c;
}

/* The value of field `name` in a RESPONSE payload, or NULL. */
static const char *
field(const unsigned char *p, size_t len, const char *name)
{
	static char out[256];
	struct proto_frame f = { (uint32_t)len, PROTO_RESPONSE, 0, 0, p };
	struct proto_response r;
	struct proto_field fl;
	uint32_t i;

	if (proto_response_get(&f, &r) == -1)
		return NULL;
	for (i = 0; i < r.nheaders; i++) {
		if (proto_field_get(&f, PROTO_RESPONSE_FIXED, r.area, i, &fl) ==
		    -1)
			return NULL;
		if (fl.name_len == strlen(name) && strncasecmp((const char *)
		    fl.name, name, fl.name_len) == 0) {
			memcpy(out, fl.value, fl.value_len);
			out[fl.value_len] = '\0';
			return out;
		}
	}
	return NULL;
}

static void
test_rules(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct http_header auth = { "Authorization", 13, "Basic eA==", 10 };
	struct http_header ua = { "User-Agent", 10, "t", 1 };
	struct http_request r = { 0 };
	static const struct cache_field cookie[] = { F("Set-Cookie", "a=1") };
	static const struct cache_field vary[] = { F("vary", "Accept") };
	static const struct cache_field nostore[] = {
	    F("Cache-Control", "max-age=5, no-store") };
	static const struct cache_field priv[] = {
	    F("cache-control", "private") };
	static const struct cache_field big[] = {
	    F("Content-Length", "1001") };
	static const struct cache_field fits[] = {
	    F("Content-Length", "1000") };

	r.method_id = HTTP_METHOD_GET;
	r.headers = &ua;
	r.nheaders = 1;
	CHECK(cache_request_ok(&r, 1));
	r.method_id = HTTP_METHOD_HEAD;
	CHECK(cache_request_ok(&r, 0));
	CHECK(!cache_request_ok(&r, 1));	/* HEAD answered, never fills */
	r.method_id = HTTP_METHOD_POST;
	CHECK(!cache_request_ok(&r, 0));
	r.method_id = HTTP_METHOD_GET;
	r.content_length = 3;
	CHECK(!cache_request_ok(&r, 0));	/* a GET with a body */
	r.content_length = 0;
	r.chunked = 1;
	CHECK(!cache_request_ok(&r, 0));
	r.chunked = 0;
	r.headers = &auth;
	CHECK(!cache_request_ok(&r, 0));
	CHECK(!cache_request_ok(&r, 1));

	CHECK(cache_response_ok(c, 200, plain, NPLAIN));
	CHECK(!cache_response_ok(c, 203, plain, NPLAIN));
	CHECK(!cache_response_ok(c, 404, plain, NPLAIN));
	CHECK(!cache_response_ok(c, 200, cookie, 1));
	CHECK(!cache_response_ok(c, 200, vary, 1));
	CHECK(!cache_response_ok(c, 200, nostore, 1));
	CHECK(!cache_response_ok(c, 200, priv, 1));
	CHECK(!cache_response_ok(c, 200, big, 1));
	CHECK(cache_response_ok(c, 200, fits, 1));
	cache_limits(c, 0, 1 << 20);		/* UriEnableCache=0 */
	CHECK(!cache_response_ok(c, 200, plain, NPLAIN));
	cache_free(c);
}

static void
test_key(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct cache_key k = key("Example.test", "/a/b", "x=1");

	CHECK(put(c, k, ROUTE, 1, 0, 1000, 10) == 0);
	k = key("example.TEST", "/a/b", "x=1");
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) != NULL);
	k = key("other.test", "/a/b", "x=1");
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k = key("example.test", "/a/B", "x=1");
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k = key("example.test", "/a/b", "x=2");
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k = key("example.test", "/a/b", NULL);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k = key("example.test", "/a/b", "");	/* "?" is not no query */
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k = key("example.test", "/a/b", "x=1");
	k.port = 81;
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	k.port = 80;
	k.tls = 1;
	CHECK(cache_lookup(c, &k, ROUTE, 1, 1000) == NULL);
	CHECK(atomic_load(&c->hits) == 1);
	CHECK(atomic_load(&c->misses) == 7);
	cache_free(c);
}

static void
test_head(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct cache_key k = key("h", "/p", NULL);
	struct cache_entry *e;
	const unsigned char *p;
	const void *body;
	size_t len, blen;

	CHECK(put(c, k, ROUTE, 1, 0, 1000, 42) == 0);
	e = cache_lookup(c, &k, ROUTE, 1, 8500);
	CHECK(e != NULL);
	len = cache_head(c, e, 0, 8500, &p);
	CHECK(len > 0);
	CHECK_STR(field(p, len, "Age"), "7");
	CHECK_STR(field(p, len, "Content-Length"), "42");
	CHECK_STR(field(p, len, "Content-Type"), "text/plain");
	CHECK_STR(field(p, len, "ETag"), "\"v1\"");
	CHECK(field(p, len, "Date") == NULL);		/* the framing's */
	CHECK(field(p, len, "Connection") == NULL);
	CHECK(proto_get16(p + PROTO_RESPONSE_STATUS) == 200);
	cache_body(e, &body, &blen);
	CHECK(blen == 42 && memcmp(body, "bbbb", 4) == 0);
	len = cache_head(c, e, 1, 8500, &p);
	CHECK(proto_get16(p + PROTO_RESPONSE_STATUS) == 304);
	CHECK(proto_get32(p + PROTO_RESPONSE_FLAGS) & PROTO_RESPONSE_F_END);
	CHECK_STR(field(p, len, "ETag"), "\"v1\"");
	CHECK_STR(field(p, len, "Cache-Control"), "max-age=60");
	CHECK(field(p, len, "Content-Type") == NULL);
	CHECK(field(p, len, "Content-Length") == NULL);
	CHECK_STR(field(p, len, "Age"), "7");
	cache_free(c);
}

static void
test_conditional(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct cache_key k = key("h", "/p", NULL);
	struct http_header h;
	struct http_request r = { 0 };
	struct cache_entry *e;

	CHECK(put(c, k, ROUTE, 1, 0, 0, 5) == 0);
	e = cache_lookup(c, &k, ROUTE, 1, 0);
	r.headers = &h;
	r.nheaders = 1;
#define COND(n, v)	(h = (struct http_header){ n, strlen(n), v, \
			    strlen(v) }, cache_not_modified(e, &r))
	CHECK(COND("If-None-Match", "\"v1\""));
	CHECK(COND("if-none-match", "\"x\", W/\"v1\""));
	CHECK(COND("If-None-Match", "*"));
	CHECK(!COND("If-None-Match", "\"v2\""));
	CHECK(COND("If-Modified-Since", "Sun, 06 Dec 2026 10:00:00 GMT"));
	CHECK(COND("If-Modified-Since", "Mon, 07 Dec 2026 10:00:00 GMT"));
	CHECK(!COND("If-Modified-Since", "Sun, 06 Dec 2026 09:59:59 GMT"));
	CHECK(!COND("If-Modified-Since", "yesterday"));
	r.nheaders = 0;
	CHECK(!cache_not_modified(e, &r));
#undef COND
	cache_free(c);
}

static void
test_ttl_and_owner(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct cache_key k = key("h", "/t", NULL);

	CHECK(put(c, k, ROUTE, 1, 2, 10000, 5) == 0);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 11999) != NULL);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 12000) == NULL);
	CHECK(c->n == 0);			/* expired: dropped */
	/* Another route or queue answers that URL now: not served. */
	CHECK(put(c, k, ROUTE, 1, 0, 0, 5) == 0);
	CHECK(cache_lookup(c, &k, ROUTE, 2, 1) == NULL);
	CHECK(c->n == 0);
	CHECK(put(c, k, ROUTE, 1, 0, 0, 5) == 0);
	CHECK(cache_lookup(c, &k, "another", 1, 1) == NULL);
	CHECK(c->n == 0);
	/* Filled again: the new one replaces the old. */
	CHECK(put(c, k, ROUTE, 1, 0, 0, 5) == 0);
	CHECK(put(c, k, ROUTE, 1, 0, 0, 7) == 0);
	CHECK(c->n == 1);
	cache_free(c);
}

static void
test_caps(void)
{
	struct cache *c = fresh(1000, 64 << 10);
	struct cache_key k = key("h", "/big", NULL);
	struct cache_entry *e;
	char path[32];
	int i;

	CHECK(put(c, k, ROUTE, 1, 0, 0, 1000) == 0);
	CHECK(put(c, k, ROUTE, 1, 0, 0, 1001) == -1);	/* UriMaxUriBytes */
	/* Short of its Content-Length: not kept. */
	{
		static const struct cache_field cl[] = {
		    F("Content-Length", "10") };

		k = key("h", "/short", NULL);
		e = cache_fill_begin(c, &k, ROUTE, 1, 0, 0, cl, 1);
		CHECK(e != NULL);
		CHECK(cache_fill_body(c, &e, "12345", 5) == 0);
		cache_fill_end(c, e);
		CHECK(cache_lookup(c, &k, ROUTE, 1, 0) == NULL);
	}
	/* LRU: 0 is used, so 1 goes first. */
	for (i = 0; i < 80; i++) {
		snprintf(path, sizeof(path), "/e/%d", i);
		k = key("h", path, NULL);
		CHECK(put(c, k, ROUTE, 1, 0, 0, 900) == 0);
		if (i >= 2) {
			k = key("h", "/e/0", NULL);
			cache_lookup(c, &k, ROUTE, 1, 0);
		}
	}
	CHECK(c->bytes <= c->max_bytes);
	CHECK(atomic_load(&c->evictions) > 0);
	k = key("h", "/e/0", NULL);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 0) != NULL);
	k = key("h", "/e/1", NULL);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 0) == NULL);
	k = key("h", "/e/79", NULL);
	CHECK(cache_lookup(c, &k, ROUTE, 1, 0) != NULL);
	/* A flood of tiny entries: each is charged its overhead. */
	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "/flood/%d", i);
		k = key("h", path, NULL);
		put(c, k, ROUTE, 1, 0, 0, 1);
	}
	CHECK(c->bytes <= c->max_bytes);
	CHECK(c->n < 64 * 1024 / CACHE_ENTRY_OVERHEAD);
	/* A lower cap evicts at once. */
	cache_limits(c, 1000, 4096);
	CHECK(c->bytes <= 4096);
	cache_free(c);
}

static struct url_prefix
prefix(const char *s)
{
	struct url_prefix p;
	struct err e;

	memset(&p, 0, sizeof(p));
	if (url_prefix_parse(s, strlen(s), &p, &e) == -1)
		printf("# %s: %s\n", s, e.msg);
	return p;
}

static int
has(struct cache *c, const char *host, const char *path)
{
	struct cache_key k = key(host, path, NULL);

	return cache_lookup(c, &k, ROUTE, 1, 0) != NULL;
}

static void
test_flush(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	static const char *paths[] = { "/d/a", "/d/s/b", "/d", "/e/a",
	    "/dx" };
	struct url_prefix p;
	size_t i;

	for (i = 0; i < 5; i++) {
		put(c, key("h", paths[i], NULL), ROUTE, 1, 0, 0, 3);
		put(c, key("g", paths[i], NULL), ROUTE, 1, 0, 0, 3);
	}
	put(c, key("h", "/q2", NULL), ROUTE, 2, 0, 0, 3);
	CHECK(c->n == 11);
	p = prefix("http://+:80/d/");
	CHECK(cache_flush(c, 1, &p, 1) == 6);	/* /d/a /d/s/b /d, 2 hosts */
	CHECK(!has(c, "h", "/d/s/b") && !has(c, "g", "/d"));
	CHECK(has(c, "h", "/dx") && has(c, "h", "/e/a"));
	p = prefix("http://h:80/e/a/");		/* one URL, one host */
	CHECK(cache_flush(c, 1, &p, 0) == 1);
	CHECK(!has(c, "h", "/e/a") && has(c, "g", "/e/a"));
	p = prefix("https://+:80/");		/* another scheme */
	CHECK(cache_flush(c, 1, &p, 1) == 0);
	CHECK(cache_flush(c, 2, NULL, 0) == 1);	/* all of queue 2 */
	CHECK(c->n == 3);
	CHECK(cache_forget_route(c, "other") == 0);
	CHECK(cache_forget_route(c, ROUTE) == 3);
	CHECK(c->n == 0 && c->bytes == 0);
	/* A response being filled across a flush is not kept: it may be
	 * the old one the flush meant. */
	{
		struct cache_key k = key("h", "/late", NULL);
		struct cache_entry *e = cache_fill_begin(c, &k, ROUTE, 1, 0,
		    0, plain, NPLAIN);

		CHECK(e != NULL);
		cache_flush(c, 1, NULL, 0);
		CHECK(cache_fill_body(c, &e, "abc", 3) == 0);
		cache_fill_end(c, e);
		CHECK(c->n == 0);
	}
	cache_free(c);
}

static int
all(uint32_t q, void *arg)
{
	(void)q;
	(void)arg;
	return 1;
}

static void
test_render(void)
{
	struct cache *c = fresh(1000, 1 << 20);
	struct strbuf b = { 0 };
	int first = 1;

	put(c, key("h", "/r", "a=\"1\""), ROUTE, 7, 30, 0, 3);
	cache_render(c, &b, 0, all, NULL, 5000, &first);
	CHECK(!strbuf_failed(&b));
	CHECK(b.s != NULL && strstr(b.s, "\"url\":\"http://h:80/r?a=\\\"1\\\"\"")
	    != NULL);
	CHECK(b.s != NULL && strstr(b.s, "\"queue\":7,\"bytes\":3") != NULL);
	CHECK(b.s != NULL && strstr(b.s, "\"age\":5,\"ttl\":30,"
	    "\"ttl_left\":25") != NULL);
	strbuf_free(&b);
	cache_free(c);
}

int
main(void)
{
	RUN(test_rules);
	RUN(test_key);
	RUN(test_head);
	RUN(test_conditional);
	RUN(test_ttl_and_owner);
	RUN(test_caps);
	RUN(test_flush);
	RUN(test_render);
	return unit_done();
}
