/*
 * metrics — the Prometheus page. See metrics.h; docs/operations.md lists
 * the metrics.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "config/config.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/qgate.h"
#include "daemon/registry.h"
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

/* Queues and ports this worker routes to: its route table. */
static void
render_routes(struct strbuf *b, struct worker *w)
{
	const struct routes *r = w->routes;
	size_t i, j;

	if (r == NULL)
		return;
	family(b, "hsys_port_connections_open", "gauge", "Client "
	    "connections open, by listening port.");
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i && r->prefixes[j].port !=
		    r->prefixes[i].port; j++)
			;
		if (j == i)
			strbuf_printf(b, "hsys_port_connections_open{port="
			    "\"%u\"} %u\n", r->prefixes[i].port,
			    stats_port_open(w->d->worker, w->d->workers,
			    r->prefixes[i].port));
	}
	family(b, "hsys_queue_requests_active", "gauge", "Requests routed to "
	    "a request queue and not yet answered.");
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i && r->stats[j] != r->stats[i]; j++)
			;
		if (j < i || r->stats[i] == NULL)
			continue;
		strbuf_add(b, "hsys_queue_requests_active{queue=\"", 34);
		if (r->stats[i]->name[0] != '\0')
			label(b, r->stats[i]->name);
		else
			strbuf_printf(b, "#%u", r->stats[i]->id);
		strbuf_printf(b, "\"} %u\n", qstats_active(r->stats[i]));
	}
	family(b, "hsys_queue_requests_waiting", "gauge", "Requests routed to "
	    "a request queue whose final response has not started (its "
	    "length bounds them).");
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i && r->stats[j] != r->stats[i]; j++)
			;
		if (j < i || r->stats[i] == NULL || r->gates == NULL ||
		    r->gates[i] == NULL)
			continue;
		strbuf_add(b, "hsys_queue_requests_waiting{queue=\"", 35);
		if (r->stats[i]->name[0] != '\0')
			label(b, r->stats[i]->name);
		else
			strbuf_printf(b, "#%u", r->stats[i]->id);
		strbuf_printf(b, "\"} %u\n", atomic_load(&r->gates[i]->waiting));
	}
	family(b, "hsys_queue_unavailable_total", "counter", "503s served "
	    "for a request queue.");
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i && r->stats[j] != r->stats[i]; j++)
			;
		if (j < i || r->stats[i] == NULL)
			continue;
		strbuf_add(b, "hsys_queue_unavailable_total{queue=\"", 36);
		if (r->stats[i]->name[0] != '\0')
			label(b, r->stats[i]->name);
		else
			strbuf_printf(b, "#%u", r->stats[i]->id);
		strbuf_printf(b, "\"} %llu\n", (unsigned long long)
		    stats_get(&r->stats[i]->refused));
	}
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
	counter(b, "hsys_received_bytes_total", "counter", "HTTP bytes read "
	    "from clients (decrypted on https ports).", t.bytes_in);
	counter(b, "hsys_sent_bytes_total", "counter", "HTTP bytes "
	    "written to clients (before encryption on https ports).",
	    t.bytes_out);
	render_routes(b, w);
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
