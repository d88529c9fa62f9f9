/*
 * test_route_rules — the routing contract, case by case, through route.h:
 * a worker's table (daemon/route.c) gives each request the registration
 * HTTP.sys would. test_route compares the table with src/url's rule on
 * random sets; this one names the rules: an empty table, the class first
 * (+ over a host name over an IP-bound prefix over *) whatever the paths,
 * then the longest path on '/' boundaries, "/app" for "/app/", paths in
 * any case, host names in any case and with a trailing dot, IP-bound
 * prefixes by the address the connection arrived on (IPv4-mapped too),
 * scheme and port apart, and 400 (no registration for that host on the
 * port) against 404 (the host is known, the path is not).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "daemon/hsysd.h"
#include "daemon/route.h"
#include "daemon/worker.h"
#include "unit.h"
#include "url/url.h"

/* A request as the router sees it. */
struct req {
	int		 https;
	uint16_t	 port;
	const char	*host;		/* Host header, NULL: none */
	const char	*local;		/* the address it arrived on */
	const char	*path;
};

/* main.c's, which the daemon's library leaves out; weak, so that it gives
 * way if the daemon's library comes to define it. */
__attribute__((weak)) void
hsysd_reload(struct hsysd *dd)
{
	(void)dd;
}

static struct hsysd d = { .workers = 1 };
static struct worker w = { .d = &d };

static void
add(const char *text, uint32_t queue)
{
	struct url_prefix p;
	struct err e;
	struct route *r;

	if (url_prefix_parse(text, strlen(text), &p, &e) == -1) {
		printf("# %s: %s\n", text, e.msg);
		abort();
	}
	if ((r = route_new(&d, &p, queue, NULL, NULL)) == NULL)
		abort();
	route_adopt(&w, r);
}

/* The queue a request goes to, or minus the status it is answered. */
static long
find(struct req q)
{
	unsigned char addr[16];
	struct url_request r = { .https = q.https, .port = q.port };
	const struct url_prefix *got = NULL;
	uint32_t queue = 0;
	int status = 0, rc;

	memset(addr, 0, sizeof(addr));
	r.local_family = strchr(q.local, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(r.local_family, q.local, addr) != 1)
		abort();
	r.local_addr = addr;
	r.host = q.host;
	r.hostlen = q.host ? strlen(q.host) : 0;
	r.path = q.path;
	r.pathlen = strlen(q.path);
	rc = route_find(&w, &r, &got, &queue, &status);
	if (rc == 0)
		return got != NULL ? (long)queue : -1;
	return -status;
}

/* An http request on port 80 arriving on 127.0.0.1. */
static long
get(const char *host, const char *path)
{
	return find((struct req){ .port = 80, .host = host,
	    .local = "127.0.0.1", .path = path });
}

static void
test_empty(void)
{
	d.worker = &w;
	CHECK(get("a.test", "/") == -400);
	CHECK(get(NULL, "/") == -400);
	CHECK(find((struct req){ .https = 1, .port = 443, .host = "a.test",
	    .local = "::1", .path = "/x/" }) == -400);
	add("http://+:81/", 1);
	CHECK(get("a.test", "/") == -400);	/* another port only */
	route_free(&w);
	CHECK(find((struct req){ .port = 81, .host = "a.test",
	    .local = "127.0.0.1", .path = "/" }) == -400);	/* freed: empty */
}

static void
test_longest_path(void)
{
	add("http://+:80/", 1);
	add("http://+:80/app/", 2);
	add("http://+:80/app/admin/", 3);
	CHECK(get("a.test", "/") == 1);
	CHECK(get("a.test", "/other/x") == 1);
	CHECK(get("a.test", "/app/") == 2);
	CHECK(get("a.test", "/app/x/y") == 2);
	CHECK(get("a.test", "/app/admin/") == 3);
	CHECK(get("a.test", "/app/admin/x") == 3);
	/* On '/' boundaries: "/app/adminx" is not under "/app/admin/". */
	CHECK(get("a.test", "/app/adminx") == 2);
	CHECK(get("a.test", "/appx/") == 1);
	/* The directory without its last slash goes to it, as in HTTP.sys. */
	CHECK(get("a.test", "/app") == 2);
	CHECK(get("a.test", "/app/admin") == 3);
	/* Paths compare case-insensitively. */
	CHECK(get("a.test", "/APP/Admin/z") == 3);
	CHECK(get("a.test", "/App") == 2);
	route_free(&w);

	/* No "/" registered: a path outside every prefix of a known host is
	 * 404, not 400. */
	add("http://+:80/app/", 2);
	CHECK(get("a.test", "/ap") == -404);
	CHECK(get("a.test", "/") == -404);
	CHECK(get(NULL, "/app/x") == 2);	/* + takes a request with no Host */
	route_free(&w);
}

static void
test_classes(void)
{
	/* The class decides first, whatever the paths' lengths. */
	add("http://*:80/a/b/c/", 4);
	add("http://127.0.0.1:80/a/b/", 3);
	add("http://www.a.test:80/a/", 2);
	CHECK(get("www.a.test", "/a/b/c/d") == 2);	/* name over IP and * */
	CHECK(get("other.test", "/a/b/c/d") == 3);	/* IP over * */
	CHECK(find((struct req){ .port = 80, .host = "other.test",
	    .local = "127.0.0.2", .path = "/a/b/c/d" }) == 4);	/* * last */
	add("http://+:80/", 1);
	CHECK(get("www.a.test", "/a/b/c/d") == 1);	/* + over everything */
	CHECK(get("other.test", "/x") == 1);
	route_free(&w);

	/* Within a class, the longest path; across, the class. */
	add("http://www.a.test:80/", 1);
	add("http://www.a.test:80/a/", 2);
	add("http://*:80/a/b/", 3);
	CHECK(get("www.a.test", "/a/b/x") == 2);
	CHECK(get("www.a.test", "/z") == 1);
	CHECK(get("b.test", "/a/b/x") == 3);	/* * takes the rest */
	CHECK(get("b.test", "/a/") == -404);	/* * knows the host: 404 */
	route_free(&w);
}

static void
test_hosts(void)
{
	add("http://www.a.test:80/", 1);
	CHECK(get("www.a.test", "/") == 1);
	CHECK(get("WWW.A.Test", "/x") == 1);	/* names in any case */
	CHECK(get("www.a.test.", "/x") == 1);	/* and with a trailing dot */
	CHECK(get("a.test", "/") == -400);	/* another name: 400 */
	CHECK(get("www.a.test.x", "/") == -400);
	CHECK(get(NULL, "/") == -400);		/* no Host: no name matches */
	add("http://b.test:80/only/", 2);
	CHECK(get("b.test", "/other/") == -404);	/* known host: 404 */
	CHECK(get("b.test", "/only/x") == 2);
	route_free(&w);
}

static void
test_ip_bound(void)
{
	add("http://127.0.0.2:80/", 1);
	add("http://[::1]:80/", 2);
	add("http://*:80/", 3);
	/* By the address the connection arrived on, whatever the Host. */
	CHECK(find((struct req){ .port = 80, .host = "127.0.0.1",
	    .local = "127.0.0.2", .path = "/x" }) == 1);
	CHECK(find((struct req){ .port = 80, .host = "a.test",
	    .local = "::1", .path = "/x" }) == 2);
	CHECK(get("127.0.0.2", "/x") == 3);	/* Host alone decides nothing */
	/* IPv4 on a dual-stack socket arrives as ::ffff:a.b.c.d. */
	CHECK(find((struct req){ .port = 80, .host = "a.test",
	    .local = "::ffff:127.0.0.2", .path = "/x" }) == 1);
	CHECK(find((struct req){ .port = 80, .host = "a.test",
	    .local = "::ffff:127.0.0.3", .path = "/x" }) == 3);
	route_free(&w);

	/* An IP-bound prefix alone: other addresses get 400. */
	add("http://127.0.0.2:80/app/", 1);
	CHECK(get("a.test", "/app/") == -400);
	CHECK(find((struct req){ .port = 80, .host = "a.test",
	    .local = "127.0.0.2", .path = "/other/" }) == -404);
	route_free(&w);
}

static void
test_scheme_and_port(void)
{
	add("http://+:8080/", 1);
	add("https://+:8443/", 2);
	add("https://+:8080/s/", 3);	/* (a port serves one scheme; the
					 * table keeps them apart anyway) */
	CHECK(find((struct req){ .port = 8080, .host = "a.test",
	    .local = "127.0.0.1", .path = "/s/x" }) == 1);
	CHECK(find((struct req){ .https = 1, .port = 8080, .host = "a.test",
	    .local = "127.0.0.1", .path = "/s/x" }) == 3);
	CHECK(find((struct req){ .https = 1, .port = 8080, .host = "a.test",
	    .local = "127.0.0.1", .path = "/x" }) == -404);
	CHECK(find((struct req){ .https = 1, .port = 8443, .host = "a.test",
	    .local = "127.0.0.1", .path = "/" }) == 2);
	CHECK(find((struct req){ .port = 8443, .host = "a.test",
	    .local = "127.0.0.1", .path = "/" }) == -400);
	CHECK(find((struct req){ .port = 80, .host = "a.test",
	    .local = "127.0.0.1", .path = "/" }) == -400);
	route_free(&w);
}

/* route_each: every route once; a non-zero return stops the walk. */
static int
count(const struct url_prefix *p, uint32_t queue, struct queue_stats *s,
    struct qgate *g, void *arg)
{
	int *n = arg;

	(void)p;
	(void)queue;
	(void)s;
	(void)g;
	return ++n[0] == n[1];
}

static void
test_each_and_serving(void)
{
	const struct url_prefix *got;
	struct url_request r = { .port = 80, .host = "a.test", .hostlen = 6,
	    .path = "/q/x", .pathlen = 4 };
	uint32_t queue;
	int status, n[2] = { 0, 0 };

	n[1] = -1;
	CHECK(route_each(&w, count, n) == 0 && n[0] == 0);	/* empty */
	add("http://+:80/", 1);
	add("http://+:80/q/", 7);
	add("http://*:80/w/", 7);
	n[0] = 0;
	CHECK(route_each(&w, count, n) == 0 && n[0] == 3);
	n[0] = 0;
	n[1] = 2;
	CHECK(route_each(&w, count, n) == 1 && n[0] == 2);	/* stops */
	CHECK(route_find(&w, &r, &got, &queue, &status) == 0 && queue == 7);
	CHECK(route_stats(&w, got) == NULL);	/* made without counters */
	CHECK(route_gate(&w, got) == NULL);
	/* Routed, but no process serves queue 7 on this worker: 503. */
	CHECK(route_channel(&w, 7) == NULL);
	CHECK(route_channel(&w, 99) == NULL);
	route_free(&w);
}

int
main(void)
{
	RUN(test_empty);
	RUN(test_longest_path);
	RUN(test_classes);
	RUN(test_hosts);
	RUN(test_ip_bound);
	RUN(test_scheme_and_port);
	RUN(test_each_and_serving);
	return unit_done();
}
