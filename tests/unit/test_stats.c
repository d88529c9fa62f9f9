/*
 * Unit tests of the daemon's counters (stats.c), the text buffer
 * (strbuf.c) and the metrics page (metrics.c) over made-up workers.
 */
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "daemon/hsysd.h"
#include "daemon/metrics.h"
#include "daemon/registry.h"
#include "daemon/route.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "unit.h"

/* metrics.o brings the registry, which brings the control socket, which
 * calls main.c's reload: not reached here. */
void
hsysd_reload(struct hsysd *d)
{
	(void)d;
}

static void
test_strbuf(void)
{
	struct strbuf b = { 0 };
	size_t before;
	int i;

	strbuf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.s, "42-x");
	strbuf_add(&b, ":", 1);
	strbuf_json(&b, "a\"b\\c\n\x01\xe9");
	CHECK_STR(b.s, "42-x:\"a\\\"b\\\\c\\u000a\\u0001\\u00e9\"");
	before = b.len;
	for (i = 0; i < 1000; i++)
		strbuf_printf(&b, "%s", "0123456789");
	CHECK(b.len == before + 10000 && !strbuf_failed(&b));
	CHECK(strlen(b.s) == b.len);
	strbuf_free(&b);
	CHECK(b.s == NULL && b.len == 0);
}

static void
test_buckets(void)
{
	struct worker_stats *s = stats_new();
	struct worker w[2] = { { .stats = s }, { .stats = stats_new() } };
	struct stats_total t;

	CHECK(s != NULL && w[1].stats != NULL);
	stats_request(s, 200, 0);		/* le 0.001 */
	stats_request(s, 200, 1000);		/* on the bound: le 0.001 */
	stats_request(s, 404, 1001);		/* le 0.0025 */
	stats_request(s, 503, 10000000);	/* le 10 */
	stats_request(w[1].stats, 999, 10000001);	/* +Inf, other */
	stats_add(&s->accepted, 3);
	stats_add(&s->closed, 1);
	stats_port(&s->port_open[8080], 1);
	stats_port(&w[1].stats->port_open[8080], 1);
	stats_port(&w[1].stats->port_open[8080], 0);
	stats_port(&w[1].stats->port_open[8080], 1);
	stats_sum(w, 2, &t);
	CHECK(t.requests == 5);
	CHECK(t.latency[0] == 2 && t.latency[1] == 1);
	CHECK(t.latency[STATS_BUCKETS - 2] == 1);
	CHECK(t.latency[STATS_BUCKETS - 1] == 1);
	CHECK(t.code[100] == 2 && t.code[304] == 1 && t.code[403] == 1);
	CHECK(t.code[STATS_CODES - 1] == 1);
	CHECK(t.latency_us == 1000 + 1001 + 10000000 + 10000001);
	CHECK(t.accepted - t.closed == 2);
	CHECK(stats_port_open(w, 2, 8080) == 2);
	CHECK(stats_port_open(w, 2, 80) == 0);
	stats_free(s);
	stats_free(w[1].stats);
}

/* A queue's block goes when its last holder and request do, in any
 * order (ASan catches a use after free or a leak). */
static void
test_qstats(void)
{
	struct queue_stats *q = qstats_new(7, "q");

	CHECK(q != NULL && q->id == 7 && strcmp(q->name, "q") == 0);
	qstats_ref(q);				/* a route table */
	CHECK(qstats_begin(q) == q);		/* a request */
	CHECK(qstats_active(q) == 1);
	qstats_unref(q);			/* the queue closes */
	qstats_unref(q);			/* the table goes */
	CHECK(qstats_active(q) == 1);		/* still there */
	qstats_end(q, 503);			/* freed here */
	CHECK(qstats_begin(NULL) == NULL);
	qstats_end(NULL, 200);
}

/* Every line is HELP, TYPE or a sample; buckets are cumulative. */
static void
test_page(void)
{
	struct hsysd d = { .workers = 1, .started = 1700000000 };
	struct worker w = { .d = &d, .stats = stats_new() };
	struct queue_stats *q = qstats_new(3, "a\"b");
	struct url_prefix p[2] = { { .port = 9100, .path = "/" },
	    { .port = 80, .path = "/" } };
	struct strbuf b = { 0 };

	d.worker = &w;
	route_adopt(&w, route_new(&d, &p[0], REGISTRY_INTERNAL, NULL, NULL));
	route_adopt(&w, route_new(&d, &p[1], 3, q, NULL));
	stats_request(w.stats, 200, 1500);
	stats_request(w.stats, 200, 30);
	stats_add(&q->refused, 4);
	metrics_render(&w, &b);
	CHECK(!strbuf_failed(&b) && b.len > 0 && b.s[b.len - 1] == '\n');
	CHECK(strstr(b.s, "# TYPE hsys_requests_total counter\n"
	    "hsys_requests_total{code=\"200\"} 2\n") != NULL);
	CHECK(strstr(b.s, "_bucket{le=\"0.001\"} 1\n"
	    "hsys_request_duration_seconds_bucket{le=\"0.0025\"} 2\n") != NULL);
	CHECK(strstr(b.s, "_bucket{le=\"+Inf\"} 2\n"
	    "hsys_request_duration_seconds_sum 0.001530\n"
	    "hsys_request_duration_seconds_count 2\n") != NULL);
	CHECK(strstr(b.s, "hsys_queue_unavailable_total{queue=\"a\\\"b\"} 4\n")
	    != NULL);
	CHECK(strstr(b.s, "hsys_port_connections_open{port=\"9100\"} 0\n")
	    != NULL);
	CHECK(strstr(b.s, "hsys_start_time_seconds 1700000000\n") != NULL);
	CHECK(strstr(b.s, "code=\"404\"") == NULL);	/* no zero codes */
	strbuf_free(&b);
	route_free(&w);
	qstats_unref(q);
	stats_free(w.stats);
}

int
main(void)
{
	RUN(test_strbuf);
	RUN(test_buckets);
	RUN(test_qstats);
	RUN(test_page);
	return unit_done();
}
