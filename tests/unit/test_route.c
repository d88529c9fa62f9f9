/*
 * test_route — a worker's route table (daemon/route.c) answers as the
 * router's rule (url_prefix_best in src/url) does over the same prefixes:
 * random sets of prefixes and requests over a small alphabet of hosts,
 * addresses and path segments, and each answer compared, 404 and 400
 * included.
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

#define NPFX	40

/* main.c's, which the daemon's library leaves out; weak, so that it gives
 * way if the daemon's library comes to define it. */
__attribute__((weak)) void
hsysd_reload(struct hsysd *d)
{
	(void)d;
}

static const char *hosts[] = { "+", "*", "www.a.test", "B.test",
    "127.0.0.1", "[::1]" };
/* No percent-encoding that parsing keeps: how a prefix's %XX compares
 * with a request is src/url's business (and changes with it), not the
 * table's, which compares bytes as url_path_casecmp does. */
static const char *segs[] = { "a", "B", "cd", "%7Ex", "a.b" };

static void
random_prefix(char *out, size_t size)
{
	size_t n;
	int i, k = rand() % 4;

	n = (size_t)snprintf(out, size, "http://%s:%d/",
	    hosts[rand() % 6], 80 + rand() % 2);
	for (i = 0; i < k; i++)
		n += (size_t)snprintf(out + n, size - n, "%s/",
		    segs[rand() % 5]);
}

/* The answer of the rule: as route_find did before it had a table. */
static int
oracle(const struct url_prefix *t, size_t n, const struct url_request *r,
    long *best)
{
	struct url_request any;
	size_t i;

	if ((*best = url_prefix_best(t, n, r)) >= 0)
		return 0;
	for (i = 0; i < n; i++) {
		any = *r;
		any.path = t[i].path;
		any.pathlen = strlen(t[i].path);
		if (url_prefix_matches(&t[i], &any))
			return 404;
	}
	return 400;
}

static void
test_same_answers(void)
{
	static const char *rhosts[] = { "www.a.test", "WWW.A.TEST.", "b.test",
	    "other", NULL };
	static const char *rpaths[] = { "/", "/a", "/a/", "/A/b/", "/cd/x",
	    "/~x/y", "/a.b", "/b/a/c", "/a/B/c/d/e" };
	struct hsysd d = { .workers = 1 };
	struct worker w = { .d = &d };
	struct url_prefix t[NPFX];
	unsigned char v4[4], v6[16];
	struct url_request r;
	const struct url_prefix *got;
	char text[URL_PREFIX_MAX];
	int round, i, j, status, rc, want, bad = 0, n404 = 0, n400 = 0;
	size_t n, want_n;
	uint32_t queue;
	long best;
	struct err e;

	d.worker = &w;
	inet_pton(AF_INET, "127.0.0.1", v4);
	inet_pton(AF_INET6, "::1", v6);
	srand(7);
	for (round = 0; round < 50; round++) {
		want_n = 1 + (size_t)(round % 8 == 0 ? rand() % 3 :
		    rand() % NPFX);
		for (n = 0; n < want_n; ) {
			random_prefix(text, sizeof(text));
			if (url_prefix_parse(text, strlen(text), &t[n], &e) ==
			    -1)
				continue;
			for (i = 0; i < (int)n && !url_prefix_equal(&t[i],
			    &t[n]); i++)
				;
			if (i < (int)n)
				continue;	/* registered once */
			route_adopt(&w, route_new(&d, &t[n], (uint32_t)n + 1,
			    NULL, NULL));
			n++;
		}
		for (i = 0; i < 5; i++) {
			for (j = 0; j < 9; j++) {
				memset(&r, 0, sizeof(r));
				r.port = (uint16_t)(80 + (i + j) % 2);
				r.host = rhosts[i];
				r.hostlen = r.host ? strlen(r.host) : 0;
				r.local_family = j % 2 ? AF_INET : AF_INET6;
				r.local_addr = j % 2 ? v4 : v6;
				r.path = rpaths[j];
				r.pathlen = strlen(rpaths[j]);
				want = oracle(t, n, &r, &best);
				rc = route_find(&w, &r, &got, &queue, &status);
				if (want == 0 ? rc != 0 || queue !=
				    (uint32_t)best + 1 || !url_prefix_equal(got,
				    &t[best]) : rc != -1 || status != want) {
					bad++;
					printf("#   %s %s: want %d (%ld), got "
					    "%d %d\n", r.host ? r.host : "-",
					    r.path, want, best, rc, rc ? status
					    : (int)queue - 1);
				}
				n404 += want == 404;
				n400 += want == 400;
			}
		}
		route_free(&w);
	}
	CHECK(bad == 0);
	CHECK(n404 > 0 && n400 > 0);	/* both refusals were tried */
}

int
main(void)
{
	RUN(test_same_answers);
	return unit_done();
}
