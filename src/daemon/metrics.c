/*
 * metrics — the Prometheus page. See metrics.h; docs/operations.md lists
 * the metrics.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "config/config.h"
#include "daemon/cache.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/qgate.h"
#include "daemon/registry.h"
#include "daemon/renew.h"
#include "daemon/route.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "store/store.h"

static void
family(struct strbuf *b, const char *name, const char *type,
    const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct strbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			strbuf_add(b, "\\n", 2);
		else
			strbuf_add(b, s, 1);
	}
}

static void
render_requests(struct strbuf *b, const struct stats_total *t)
{
	uint64_t cum = 0;
	int i;

	family(b, "hsys_requests_total", "counter", "Requests answered, by "
	    "HTTP status code (code=\"other\": outside 100-599).");
	for (i = 0; i < STATS_CODES; i++) {
		if (t->code[i] == 0)
			continue;
		if (i == STATS_CODES - 1)
			strbuf_printf(b, "hsys_requests_total{code=\"other\"} "
			    "%llu\n", (unsigned long long)t->code[i]);
		else
			strbuf_printf(b, "hsys_requests_total{code=\"%d\"} "
			    "%llu\n", i + 100, (unsigned long long)t->code[i]);
	}
	family(b, "hsys_request_duration_seconds", "histogram", "Time from a "
	    "request's head to the end of its response.");
	for (i = 0; i < STATS_BUCKETS; i++) {
		cum += t->latency[i];
		if (i < STATS_BUCKETS - 1)
			strbuf_printf(b, "hsys_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", (double)stats_bucket_us[i] /
			    1e6, (unsigned long long)cum);
		else
			strbuf_printf(b, "hsys_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	/* The count is the +Inf bucket's, so the two always agree. */
	strbuf_printf(b, "hsys_request_duration_seconds_sum %.6f\n"
	    "hsys_request_duration_seconds_count %llu\n",
	    (double)t->latency_us / 1e6, (unsigned long long)cum);
}

static void
counter(struct strbuf *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	family(b, name, type, help);
	strbuf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* What this worker's route table names: each port and queue once. */
struct routed {
	size_t			 n, cap;
	uint16_t		*ports;
	struct routed_queue {
		struct queue_stats	*stats;
		struct qgate		*gate;
	}			*queues;
	int			 failed;
};

static int
routed_add(const struct url_prefix *p, uint32_t queue,
    struct queue_stats *stats, struct qgate *gate, void *arg)
{
	struct routed *rt = arg;
	uint16_t *np;
	struct routed_queue *nq;

	(void)queue;
	if (rt->n == rt->cap) {
		rt->cap = rt->cap ? 2 * rt->cap : 64;
		np = realloc(rt->ports, rt->cap * sizeof(*np));
		if (np != NULL)
			rt->ports = np;
		nq = realloc(rt->queues, rt->cap * sizeof(*nq));
		if (nq != NULL)
			rt->queues = nq;
		if (np == NULL || nq == NULL) {
			rt->failed = 1;
			return 1;
		}
	}
	rt->ports[rt->n] = p->port;
	rt->queues[rt->n].stats = stats;
	rt->queues[rt->n].gate = gate;
	rt->n++;
	return 0;
}

static int
port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int
queue_cmp(const void *a, const void *b)
{
	const struct routed_queue *x = a, *y = b;
	uint32_t i = x->stats ? x->stats->id : 0, j = y->stats ? y->stats->id : 0;

	return i < j ? -1 : i > j;
}

static void
queue_label(struct strbuf *b, const char *family, const struct queue_stats *s)
{
	strbuf_printf(b, "%s{queue=\"", family);
	if (s->name[0] != '\0')
		label(b, s->name);
	else
		strbuf_printf(b, "#%u", s->id);
	strbuf_add(b, "\"} ", 3);
}

/* Queues and ports this worker routes to: its route table, sorted once
 * (a scrape costs n log n, whatever the number of prefixes). */
static void
render_routes(struct strbuf *b, struct worker *w)
{
	struct routed rt = { 0 };
	struct routed_queue *q;
	size_t i;

	route_each(w, routed_add, &rt);
	if (rt.failed || rt.n == 0)
		goto out;
	qsort(rt.ports, rt.n, sizeof(*rt.ports), port_cmp);
	qsort(rt.queues, rt.n, sizeof(*rt.queues), queue_cmp);
	family(b, "hsys_port_connections_open", "gauge", "Client "
	    "connections open, by listening port.");
	for (i = 0; i < rt.n; i++)
		if (i == 0 || rt.ports[i] != rt.ports[i - 1])
			strbuf_printf(b, "hsys_port_connections_open{port="
			    "\"%u\"} %u\n", rt.ports[i],
			    stats_port_open(w->d->worker, w->d->workers,
			    rt.ports[i]));
	family(b, "hsys_queue_requests_active", "gauge", "Requests routed to "
	    "a request queue and not yet answered.");
	for (i = 0, q = rt.queues; i < rt.n; i++, q++)
		if (q->stats != NULL && (i == 0 || q->stats != q[-1].stats)) {
			queue_label(b, "hsys_queue_requests_active", q->stats);
			strbuf_printf(b, "%u\n", qstats_active(q->stats));
		}
	family(b, "hsys_queue_requests_waiting", "gauge", "Requests routed to "
	    "a request queue whose final response has not started (its "
	    "length bounds them).");
	for (i = 0, q = rt.queues; i < rt.n; i++, q++)
		if (q->stats != NULL && q->gate != NULL &&
		    (i == 0 || q->stats != q[-1].stats)) {
			queue_label(b, "hsys_queue_requests_waiting", q->stats);
			strbuf_printf(b, "%u\n", atomic_load(&q->gate->waiting));
		}
	family(b, "hsys_queue_unavailable_total", "counter", "503s served "
	    "for a request queue.");
	for (i = 0, q = rt.queues; i < rt.n; i++, q++)
		if (q->stats != NULL && (i == 0 || q->stats != q[-1].stats)) {
			queue_label(b, "hsys_queue_unavailable_total", q->stats);
			strbuf_printf(b, "%llu\n", (unsigned long long)
			    stats_get(&q->stats->refused));
		}
out:
	free(rt.ports);
	free(rt.queues);
}

/* The response cache, all workers (each cache's own lock for its
 * sizes; its counters are atomic). */
static void
render_cache(struct strbuf *b, struct worker *w)
{
	uint64_t hits = 0, misses = 0, ev = 0, n = 0, bytes = 0;
	struct cache *c;
	int i;

	for (i = 0; i < w->d->workers; i++) {
		if ((c = w->d->worker[i].cache) == NULL)
			continue;
		hits += atomic_load(&c->hits);
		misses += atomic_load(&c->misses);
		ev += atomic_load(&c->evictions);
		pthread_mutex_lock(&c->mu);
		n += c->n;
		bytes += c->bytes;
		pthread_mutex_unlock(&c->mu);
	}
	counter(b, "hsys_cache_hits_total", "counter", "GET and HEAD requests "
	    "answered from the response cache.", hits);
	counter(b, "hsys_cache_misses_total", "counter", "GET and HEAD "
	    "requests the response cache could not answer.", misses);
	counter(b, "hsys_cache_evictions_total", "counter", "Cached "
	    "responses evicted to stay within UriMaxCacheMegabyteCount.", ev);
	counter(b, "hsys_cache_entries", "gauge", "Responses in the cache.",
	    n);
	counter(b, "hsys_cache_bytes", "gauge", "Bytes the cached responses "
	    "are charged.", bytes);
}

void
metrics_render(struct worker *w, struct strbuf *b)
{
	struct stats_total t;

	stats_sum(w->d->worker, w->d->workers, &t);
	render_requests(b, &t);
	counter(b, "hsys_tls_handshake_failures_total", "counter", "TLS "
	    "handshakes that failed (no binding, bad client hello, ...).",
	    t.handshake_failures);
	counter(b, "hsys_connections_accepted_total", "counter", "Client "
	    "connections accepted.", t.accepted);
	counter(b, "hsys_connections_open", "gauge", "Client connections "
	    "open.", t.accepted - t.closed);
	counter(b, "hsys_http2_connections_total", "counter", "Client "
	    "connections that chose HTTP/2 (ALPN h2, or h2c).", t.h2_accepted);
	counter(b, "hsys_http2_connections_open", "gauge", "HTTP/2 client "
	    "connections open.", t.h2_accepted - t.h2_closed);
	counter(b, "hsys_http2_streams_total", "counter", "HTTP/2 streams "
	    "the clients opened.", t.h2_streams);
	counter(b, "hsys_http2_stream_resets_total", "counter", "HTTP/2 "
	    "streams reset (RST_STREAM either way).", t.h2_resets);
	counter(b, "hsys_http2_requests_total", "counter", "Requests "
	    "answered over HTTP/2 (hsys_requests_total counts them too).",
	    t.h2_requests);
	counter(b, "hsys_received_bytes_total", "counter", "HTTP bytes read "
	    "from clients (decrypted on https ports).", t.bytes_in);
	counter(b, "hsys_sent_bytes_total", "counter", "HTTP bytes "
	    "written to clients (before encryption on https ports).",
	    t.bytes_out);
	render_routes(b, w);
	render_cache(b, w);
	listeners_metrics(w->d, b);
	renew_metrics(w->d, b);
	counter(b, "hsys_workers", "gauge", "Worker threads.",
	    (uint64_t)w->d->workers);
	counter(b, "hsys_start_time_seconds", "gauge", "When hsysd started, "
	    "in seconds since the epoch.", (uint64_t)w->d->started);
}

void
metrics_configure(struct hsysd *d)
{
	char url[URL_PREFIX_MAX] = "";
	struct store *s;
	struct err e;
	int rc;

	if (store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1) {
		log_warn("metrics: cannot read the store: %s", e.msg);
		return;
	}
	rc = config_metrics_get(s, url, &e);
	store_close(s);
	if (rc == -1) {
		log_warn("metrics: %s", e.msg);
		return;
	}
	if (strcmp(url, d->metrics_url) == 0 && d->metrics_error[0] == '\0')
		return;
	if (d->metrics_url[0] != '\0' && d->metrics_error[0] == '\0')
		registry_remove_internal(d);
	snprintf(d->metrics_url, sizeof(d->metrics_url), "%s", url);
	d->metrics_error[0] = '\0';
	if (url[0] == '\0') {
		log_info("metrics: off");
		return;
	}
	if (registry_add_internal(d, url, &e) == -1) {
		snprintf(d->metrics_error, sizeof(d->metrics_error), "%s",
		    e.msg);
		log_warn("metrics: cannot serve %s: %s", url, e.msg);
		return;
	}
	log_info("metrics: serving %s", url);
}

void
metrics_stop(struct hsysd *d)
{
	if (d->metrics_url[0] != '\0' && d->metrics_error[0] == '\0')
		registry_remove_internal(d);
	d->metrics_url[0] = '\0';
}
