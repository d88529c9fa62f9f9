/*
 * bench_url — how fast UrlPrefix parsing and routing are.
 *
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/bench_url.c src/url/prefix.c \
 *       src/url/match.c src/common/err.c src/common/hex.c -lcrypto \
 *       -o build/bench_url && build/bench_url
 *
 * The peer, measured in the same run, is the least a router can do: a
 * strncasecmp of the request path against every registered path. The ratio
 * says what the class rules, host checks and percent-decoding cost on top.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/err.h"
#include "url/url.h"

#define NPREFIX	256
#define ROUNDS	20000

static struct url_prefix table[NPREFIX];
static char paths[NPREFIX][64];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	static const char *const hosts[] = { "+", "*", "www.example.test",
	    "192.0.2.1" };
	const char *req = "/app17/sub/resource";
	unsigned char addr[4] = { 192, 0, 2, 1 };
	struct url_request r;
	char buf[128];
	struct err e;
	volatile long sink = 0;
	double t0, parse, route, peer;
	size_t i, j;

	for (i = 0; i < NPREFIX; i++) {
		snprintf(buf, sizeof(buf), "http://%s:80/app%zu/", hosts[i % 4],
		    i / 4);
		snprintf(paths[i], sizeof(paths[i]), "/app%zu/", i / 4);
		if (url_prefix_parse(buf, strlen(buf), &table[i], &e) == -1)
			return 1;
	}
	t0 = now();
	for (j = 0; j < ROUNDS; j++)
		for (i = 0; i < 16; i++)
			sink += url_prefix_parse("https://WWW.Example.Test:8443"
			    "/Some/%7Epath/deeper/", 49, &table[0], &e);
	parse = (now() - t0) / (ROUNDS * 16.0);
	url_prefix_parse("http://+:80/app0/", 17, &table[0], &e);

	memset(&r, 0, sizeof(r));
	r.host = "www.example.test";
	r.hostlen = strlen(r.host);
	r.local_family = AF_INET;
	r.local_addr = addr;
	r.port = 80;
	r.path = req;
	r.pathlen = strlen(req);
	t0 = now();
	for (j = 0; j < ROUNDS; j++)
		sink += url_prefix_best(table, NPREFIX, &r);
	route = (now() - t0) / ROUNDS;
	t0 = now();
	for (j = 0; j < ROUNDS; j++)
		for (i = 0; i < NPREFIX; i++)
			sink += strncasecmp(paths[i], req, strlen(paths[i]))
			    == 0;
	peer = (now() - t0) / ROUNDS;
	printf("parse                %8.1f ns\n", parse * 1e9);
	printf("route (%d prefixes)  %8.1f ns\n", NPREFIX, route * 1e9);
	printf("peer: strncasecmp scan %6.1f ns   ratio %.2f\n", peer * 1e9,
	    route / peer);
	return sink == 42 ? 1 : 0;
}
