/*
 * state — answering STATE. See state.h; docs/protocol.md has the JSON
 * schema and docs/operations.md what each field means.
 */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "config/config.h"
#include "daemon/cache.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/renew.h"
#include "daemon/log.h"
#include "daemon/qgate.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/session.h"
#include "daemon/state.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "proto/proto.h"
#include "store/store.h"

#ifndef HSYS_VERSION
#define HSYS_VERSION "0.1.0"
#endif

#define STATE_WRITE_MS	10000	/* a reader that stalls is cut off */
#define MAX_PORTS	1024	/* listeners shown */

/* A reply on its way out. */
struct reply {
	struct loop_io		 io;
	struct loop_timer	 timer;
	struct loop_defer	 free;
	struct hsysd		*d;
	unsigned char		*buf;
	size_t			 off, len;
	long			 uid;	/* counted in its quota; -1: not */
};

/* A registration, for listing each queue's prefixes without walking
 * every registration once per queue. */
struct regref {
	const struct queue	*q;
	const char		*text;
	size_t			 order;	/* registry_each's */
	int			 unreserved;	/* its reservation is gone */
};

/* What is being written, for whom. */
struct view {
	struct hsysd	*d;
	struct strbuf	*b;
	uid_t		 uid;
	int		 text, what;
	struct store	*store;		/* NULL if it cannot be read */
	struct regref	*regs;		/* the registrations, by queue */
	size_t		 nregs;
};

static void
user_name(uid_t uid, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, size, "%s", pw.pw_name);
	else
		snprintf(out, size, "%ld", (long)uid);
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- the server ------------------------------------------------------ */

/*
 * The server's counters, in the order both forms print them: the JSON
 * key ("group.key" sits in an object "group") and the text, a printf
 * format for the one value with what surrounds it in the readable tree.
 * A new counter is one line here (T() for a field of stats.h's totals).
 */
struct counts {
	struct stats_total	 t;
	uint64_t		 open;		/* accepted - closed */
	uint64_t		 h2_open;
	uint64_t		 responses[5];	/* 1xx ... 5xx */
};

#define T(f)	offsetof(struct counts, t.f)
#define D(f)	offsetof(struct counts, f)

static const struct counter {
	const char	*json;
	const char	*text;
	size_t		 at;		/* in struct counts */
} counters[] = {
	{ "connections_open", "    Connections: %llu open", D(open) },
	{ "connections_accepted", ", %llu accepted\n", T(accepted) },
	{ "requests", "    Requests: %llu", T(requests) },
	{ "responses.1xx", " (1xx %llu", D(responses[0]) },
	{ "responses.2xx", ", 2xx %llu", D(responses[1]) },
	{ "responses.3xx", ", 3xx %llu", D(responses[2]) },
	{ "responses.4xx", ", 4xx %llu", D(responses[3]) },
	{ "responses.5xx", ", 5xx %llu)\n", D(responses[4]) },
	{ "tls_handshake_failures", "    TLS handshake failures: %llu\n",
	    T(handshake_failures) },
	{ "http2.connections_open", "    HTTP/2: %llu connections open",
	    D(h2_open) },
	{ "http2.connections", ", %llu in all", T(h2_accepted) },
	{ "http2.streams", "; %llu streams", T(h2_streams) },
	{ "http2.resets", ", %llu reset", T(h2_resets) },
	{ "http2.requests", "; %llu requests answered\n", T(h2_requests) },
	{ "bytes_received", "    Bytes: %llu received", T(bytes_in) },
	{ "bytes_sent", ", %llu sent\n", T(bytes_out) },
};

static void
counts_sum(struct hsysd *d, struct counts *c)
{
	int cls, i;

	memset(c, 0, sizeof(*c));
	stats_sum(d->worker, d->workers, &c->t);
	c->open = c->t.accepted - c->t.closed;
	c->h2_open = c->t.h2_accepted - c->t.h2_closed;
	for (cls = 0; cls < 5; cls++)
		for (i = cls * 100; i < (cls + 1) * 100; i++)
			c->responses[cls] += c->t.code[i];
}

static unsigned long long
count(const struct counts *c, const struct counter *k)
{
	uint64_t v;

	memcpy(&v, (const char *)c + k->at, sizeof(v));
	return (unsigned long long)v;
}

/* ,"key":N for each, groups as nested objects. */
static void
counters_json(struct strbuf *b, const struct counts *c)
{
	const char *group = NULL, *dot, *key;
	size_t i, glen = 0;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		key = counters[i].json;
		dot = strchr(key, '.');
		if (group != NULL && (dot == NULL || (size_t)(dot - key) !=
		    glen || strncmp(key, group, glen) != 0)) {
			strbuf_add(b, "}", 1);
			group = NULL;
		}
		if (dot != NULL && group == NULL) {
			group = key;
			glen = (size_t)(dot - key);
			strbuf_printf(b, ",\"%.*s\":{", (int)glen, key);
			strbuf_printf(b, "\"%s\":%llu", dot + 1,
			    count(c, &counters[i]));
			continue;
		}
		strbuf_printf(b, ",\"%s\":%llu", dot != NULL ? dot + 1 : key,
		    count(c, &counters[i]));
	}
	if (group != NULL)
		strbuf_add(b, "}", 1);
}

static void
counters_text(struct strbuf *b, const struct counts *c)
{
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		strbuf_printf(b, counters[i].text, count(c, &counters[i]));
}

static void
server(struct view *v)
{
	struct hsysd *d = v->d;
	struct strbuf *b = v->b;
	struct counts c;
	int64_t up = time(NULL) - d->started;
	long rss = rss_kb();
	const char *metrics = d->metrics_url[0] ? d->metrics_url : "";

	counts_sum(d, &c);
	if (!v->text) {
		strbuf_printf(b, "\"server\":{\"version\":\"%s\",\"pid\":%ld,"
		    "\"started\":%lld,\"uptime\":%lld,\"workers\":%d,"
		    "\"generation\":%lld,\"rss_kb\":%ld", HSYS_VERSION,
		    (long)getpid(), (long long)d->started, (long long)up,
		    d->workers, (long long)d->generation, rss);
		counters_json(b, &c);
		strbuf_add(b, ",\"metrics\":", 11);
		if (metrics[0] == '\0') {
			strbuf_add(b, "null", 4);
		} else {
			strbuf_add(b, "{\"url\":", 7);
			strbuf_json(b, metrics);
			strbuf_add(b, ",\"error\":", 9);
			if (d->metrics_error[0] != '\0')
				strbuf_json(b, d->metrics_error);
			else
				strbuf_add(b, "null", 4);
			strbuf_add(b, "}", 1);
		}
		/* Why the store cannot be read (main.c), or null. */
		strbuf_add(b, ",\"store_error\":", 15);
		if (d->store_error[0] != '\0')
			strbuf_json(b, d->store_error);
		else
			strbuf_add(b, "null", 4);
		strbuf_add(b, "}", 1);
		return;
	}
	strbuf_printf(b, "Server: hsysd %s\n"
	    "    Process ID: %ld\n"
	    "    Up: %lldd %02lld:%02lld:%02lld\n"
	    "    Workers: %d\n"
	    "    Memory (RSS): %ld KB\n"
	    "    Configuration generation: %lld\n",
	    HSYS_VERSION, (long)getpid(), (long long)(up / 86400),
	    (long long)(up / 3600 % 24), (long long)(up / 60 % 60),
	    (long long)(up % 60), d->workers, rss, (long long)d->generation);
	counters_text(b, &c);
	if (d->store_error[0] != '\0')
		strbuf_printf(b, "    Store: cannot be read, serving generation "
		    "%lld: %s\n", (long long)d->generation, d->store_error);
	if (metrics[0] == '\0')
		strbuf_printf(b, "    Metrics: off\n\n");
	else if (d->metrics_error[0] != '\0')
		strbuf_printf(b, "    Metrics: %s (not served: %s)\n\n",
		    metrics, d->metrics_error);
	else
		strbuf_printf(b, "    Metrics: %s\n\n", metrics);
}

/* --- the listeners --------------------------------------------------- */

struct ports {
	int		 n;
	uint16_t	 port[MAX_PORTS];
	int		 https[MAX_PORTS];
	int		 prefixes[MAX_PORTS];
	const char	*state[MAX_PORTS];	/* listener.h's; NULL: none */
	const char	*error[MAX_PORTS];
	unsigned long	 errors[MAX_PORTS];
};

/* The listener's state, and a port hsysd wants for a binding only. */
static void
port_state(const struct listener_info *li, void *arg)
{
	struct ports *ps = arg;
	int i;

	for (i = 0; i < ps->n; i++)
		if (ps->port[i] == li->port)
			break;
	if (i == ps->n) {
		if (ps->n == MAX_PORTS)
			return;
		ps->port[ps->n] = li->port;
		ps->https[ps->n] = li->tls;
		ps->prefixes[ps->n++] = 0;
	}
	ps->state[i] = li->state;
	ps->error[i] = li->error;
	ps->errors[i] = li->errors;
}

static int
port_of(const char *text, const struct url_prefix *p, struct queue *q,
    void *arg)
{
	struct ports *ps = arg;
	int i;

	(void)text;
	(void)q;
	for (i = 0; i < ps->n; i++)
		if (ps->port[i] == p->port)
			break;
	if (i == ps->n) {
		if (ps->n == MAX_PORTS)
			return 0;
		ps->port[ps->n] = p->port;
		ps->https[ps->n] = p->https;
		ps->prefixes[ps->n++] = 0;
	}
	ps->prefixes[i]++;
	return 0;
}

struct list {
	struct view	*v;
	uint16_t	 port;
	int		 n;
};

static void
list_item(struct list *l, const char *s)
{
	if (l->v->text) {
		strbuf_printf(l->v->b, "%s%s", l->n++ ? ", " : "", s);
	} else {
		if (l->n++)
			strbuf_add(l->v->b, ",", 1);
		strbuf_json(l->v->b, s);
	}
}

static int
address(const char *addr, void *arg)
{
	list_item(arg, addr);
	return 0;
}

/* An sslcert binding on the listener's port. */
static int
binding(const struct config_sslcert *c, void *arg)
{
	struct list *l = arg;
	const char *colon = strrchr(c->endpoint, ':');
	char s[CONFIG_ENDPOINT_MAX + 16];

	if (colon == NULL || strtoul(colon + 1, NULL, 10) != l->port)
		return 0;
	snprintf(s, sizeof(s), "%s=%s", c->kind == CONFIG_IPPORT ? "ipport" :
	    "hostnameport", c->endpoint);
	list_item(l, s);
	return 0;
}

static void
listener(struct view *v, const struct ports *ps, int i)
{
	struct list l = { v, ps->port[i], 0 };
	struct err e;
	uint32_t open = stats_port_open(v->d->worker, v->d->workers,
	    ps->port[i]);
	const char *state = ps->state[i] ? ps->state[i] : "listening";
	const char *error = ps->error[i] ? ps->error[i] : "";

	if (v->text) {
		strbuf_printf(v->b, "    %s port %u\n        State: %s\n",
		    ps->https[i] ? "https" : "http", ps->port[i], state);
		if (error[0] != '\0')
			strbuf_printf(v->b, "        Last error: %s (%lu failed "
			    "attempt(s); hsysd retries at each change and every "
			    "5 s)\n", error, ps->errors[i]);
		strbuf_printf(v->b, "        Addresses: ");
	} else {
		strbuf_printf(v->b, "%s{\"port\":%u,\"scheme\":\"%s\","
		    "\"state\":\"%s\",\"last_error\":", i ? "," : "",
		    ps->port[i], ps->https[i] ? "https" : "http", state);
		strbuf_json(v->b, error);
		strbuf_printf(v->b, ",\"errors\":%lu,\"prefixes\":%d,"
		    "\"connections_open\":%u,\"addresses\":[", ps->errors[i],
		    ps->prefixes[i], open);
	}
	if (v->store == NULL || config_iplisten_list(v->store, address, &l,
	    &e) == -1 || l.n == 0) {
		l.n = 0;
		list_item(&l, "0.0.0.0");
		list_item(&l, "::");
	}
	if (v->text)
		strbuf_printf(v->b, "\n        Bindings: ");
	else
		strbuf_add(v->b, "],\"bindings\":[", 14);
	l.n = 0;
	if (ps->https[i] && v->store != NULL)
		config_sslcert_list(v->store, binding, &l, &e);
	if (v->text)
		strbuf_printf(v->b, "%s\n        Registered prefixes: %d\n"
		    "        Open connections: %u\n", l.n ? "" :
		    ps->https[i] ? "none (handshakes fail)" : "none (clear)",
		    ps->prefixes[i], open);
	else
		strbuf_add(v->b, "]}", 2);
}

static void
listeners(struct view *v)
{
	struct ports *ps;
	int i;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		v->b->failed = 1;	/* answered ENOMEM */
		return;
	}
	registry_each(v->d, port_of, ps);
	listeners_each(v->d, port_state, ps);
	if (v->text)
		strbuf_printf(v->b, "Listeners:\n%s", ps->n ? "" :
		    "    none: no prefix is registered and no binding names "
		    "a port\n");
	else
		strbuf_add(v->b, "\"listeners\":[", 13);
	for (i = 0; i < ps->n; i++)
		listener(v, ps, i);
	strbuf_add(v->b, v->text ? "\n" : "]", 1);
	free(ps);
}

/* --- the request queues ---------------------------------------------- */

static int
visible(const struct view *v, const struct queue *q)
{
	const struct session *s;
	int i;

	if (v->uid == 0 || q->owner == v->uid)
		return 1;
	for (s = v->d->sessions; s != NULL; s = s->next)
		for (i = 0; i < s->nqueues; i++)
			if (s->queues[i] == q && s->uid == v->uid)
				return 1;
	return 0;
}

static int
regref_cmp(const void *a, const void *b)
{
	const struct regref *x = a, *y = b;

	if (x->q != y->q)
		return x->q < y->q ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
regref_add(const char *text, const struct url_prefix *p, struct queue *q,
    void *arg)
{
	struct view *v = arg;

	v->regs[v->nregs].q = q;
	v->regs[v->nregs].text = text;
	v->regs[v->nregs].order = v->nregs;
	v->regs[v->nregs].unreserved = q != NULL &&
	    registry_reserved(v->d, p) == 0;
	v->nregs++;
	return 0;
}

static int
regref_count(const char *text, const struct url_prefix *p, struct queue *q,
    void *arg)
{
	(void)text;
	(void)p;
	(void)q;
	(*(size_t *)arg)++;
	return 0;
}

/* Sorts the registrations by queue, once per reply. Without memory for
 * it, queues are listed without their prefixes. */
static void
regs_index(struct view *v)
{
	size_t n = 0;

	registry_each(v->d, regref_count, &n);
	if (n == 0 || (v->regs = calloc(n, sizeof(*v->regs))) == NULL)
		return;
	registry_each(v->d, regref_add, v);
	qsort(v->regs, v->nregs, sizeof(*v->regs), regref_cmp);
}

/* A queue's prefixes: all of them, or (unreserved) only those no
 * reservation covers any more, which go on serving as in HTTP.sys. */
static void
prefixes_of(struct view *v, const struct queue *q, int unreserved)
{
	struct list l = { v, 0, 0 };
	size_t lo = 0, hi = v->nregs, mid;

	while (lo < hi) {	/* the first of q's */
		mid = lo + (hi - lo) / 2;
		if (v->regs[mid].q < q)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->nregs && v->regs[lo].q == q; lo++) {
		if (unreserved && !v->regs[lo].unreserved)
			continue;
		if (v->text)
			strbuf_printf(v->b, "            %s%s\n",
			    v->regs[lo].text, v->regs[lo].unreserved ?
			    " (no reservation covers it any more: it serves "
			    "until its application removes it)" : "");
		else
			list_item(&l, v->regs[lo].text);
	}
}

static void
processes(struct view *v, const struct queue *q)
{
	const struct session *s;
	char user[64];
	int i, n = 0;

	for (s = v->d->sessions; s != NULL; s = s->next) {
		for (i = 0; i < s->nqueues && s->queues[i] != q; i++)
			;
		if (i == s->nqueues)
			continue;
		user_name(s->uid, user, sizeof(user));
		if (v->text) {
			strbuf_printf(v->b, "            ID: %ld, user: %s, "
			    "application: %s\n", (long)s->pid, user,
			    s->name[0] ? s->name : "(unnamed)");
			continue;
		}
		strbuf_printf(v->b, "%s{\"pid\":%ld,\"uid\":%ld,\"user\":",
		    n++ ? "," : "", (long)s->pid, (long)s->uid);
		strbuf_json(v->b, user);
		strbuf_add(v->b, ",\"application\":", 15);
		strbuf_json(v->b, s->name);
		strbuf_add(v->b, "}", 1);
	}
}

/* Whom the owner allowed to attach (docs/api.md): text "uid 1001, gid
 * 2000", or JSON [{"uid":1001},{"gid":2000}]. */
static void
allowed(struct strbuf *b, const struct queue *q, int text)
{
	int i;

	if (text && q->nallow == 0)
		strbuf_printf(b, "%s", q->open ? "nobody else" : "-");
	for (i = 0; i < q->nallow; i++)
		strbuf_printf(b, text ? "%s%s %lu" : "%s{\"%s\":%lu}",
		    i ? (text ? ", " : ",") : "", q->allow[i].group ? "gid" :
		    "uid", (unsigned long)q->allow[i].id);
}

static void
queue(struct view *v, const struct queue *q, int first)
{
	struct strbuf *b = v->b;
	char owner[64];

	user_name(q->owner, owner, sizeof(owner));
	if (v->text) {
		if (q->name[0] != '\0')
			strbuf_printf(b, "    Request queue name: %s\n",
			    q->name);
		else
			strbuf_printf(b, "    Request queue name: Request "
			    "queue is unnamed.\n");
		strbuf_printf(b, "        ID: %u\n        Owner: %s\n"
		    "        Open to other users: %s\n", q->id, owner,
		    q->open ? "yes" : "no");
		strbuf_printf(b, "        Allowed to attach: ");
		allowed(b, q, 1);
		strbuf_printf(b, "\n"
		    "        Max requests: %u\n"
		    "        Waiting requests: %u\n"
		    "        Active requests: %u\n"
		    "        503s served: %llu\n"
		    "        Grace period: %u ms%s\n"
		    "        Number of active processes attached: %d\n"
		    "        Processes:\n", atomic_load(&q->gate->length),
		    atomic_load(&q->gate->waiting), qstats_active(q->stats),
		    (unsigned long long)stats_get(&q->stats->refused),
		    atomic_load(&q->gate->grace_ms), q->lingering ?
		    " (running: no process)" : "", q->sessions);
		processes(v, q);
		strbuf_printf(b, "        Registered URLs:\n");
		prefixes_of(v, q, 0);
		strbuf_add(b, "\n", 1);
		return;
	}
	strbuf_printf(b, "%s{\"id\":%u,\"name\":", first ? "" : ",", q->id);
	if (q->name[0] != '\0')
		strbuf_json(b, q->name);
	else
		strbuf_add(b, "null", 4);
	strbuf_printf(b, ",\"owner_uid\":%ld,\"owner\":", (long)q->owner);
	strbuf_json(b, owner);
	strbuf_printf(b, ",\"open\":%s,\"max_waiting\":%u,\"waiting\":%u,"
	    "\"active\":%u,\"unavailable_503\":%llu,\"grace_ms\":%u,"
	    "\"lingering\":%s,\"processes\":[", q->open ? "true" : "false",
	    atomic_load(&q->gate->length), atomic_load(&q->gate->waiting),
	    qstats_active(q->stats),
	    (unsigned long long)stats_get(&q->stats->refused),
	    atomic_load(&q->gate->grace_ms), q->lingering ? "true" : "false");
	processes(v, q);
	strbuf_add(b, "],\"allow\":[", 11);
	allowed(b, q, 0);
	strbuf_add(b, "],\"prefixes\":[", 14);
	prefixes_of(v, q, 0);
	strbuf_add(b, "],\"unreserved\":[", 16);
	prefixes_of(v, q, 1);
	strbuf_add(b, "]}", 2);
}

static void
queues(struct view *v)
{
	const struct queue *q;
	int n = 0;

	regs_index(v);
	if (v->text)
		strbuf_printf(v->b, "Request queues:\n");
	else
		strbuf_add(v->b, "\"queues\":[", 10);
	for (q = v->d->queues; q != NULL; q = q->next)
		if (visible(v, q))
			queue(v, q, n++ == 0);
	if (v->text && n == 0)
		strbuf_printf(v->b, "    none%s\n\n", v->uid == 0 ? "" :
		    " of yours");
	if (!v->text)
		strbuf_add(v->b, "]", 1);
	free(v->regs);
	v->regs = NULL;
	v->nregs = 0;
}

/* --- the response cache (cachestate) -------------------------------- */

static int
cache_visible(uint32_t id, void *arg)
{
	const struct view *v = arg;
	const struct queue *q;

	if (v->uid == 0)
		return 1;
	for (q = v->d->queues; q != NULL; q = q->next)
		if (q->id == id)
			return visible(v, q);
	return 0;
}

/* The counters of every worker's cache, then each entry (those of the
 * caller's queues, unless root). */
static void
cachestate(struct view *v)
{
	unsigned long long hits = 0, misses = 0, ev = 0, stored = 0;
	size_t bytes = 0, cap = 0, n = 0;
	uint64_t now = loop_now(v->d->loop);
	struct cache *c;
	int i, first = 1;

	for (i = 0; i < v->d->workers; i++) {
		if ((c = v->d->worker[i].cache) == NULL)
			continue;
		pthread_mutex_lock(&c->mu);
		n += c->n;
		bytes += c->bytes;
		cap += c->max_bytes;
		pthread_mutex_unlock(&c->mu);
		hits += atomic_load(&c->hits);
		misses += atomic_load(&c->misses);
		ev += atomic_load(&c->evictions);
		stored += atomic_load(&c->stored);
	}
	if (v->text)
		strbuf_printf(v->b, "\nResponse cache:\n---------------\n"
		    "    Entries (all workers)  : %zu\n"
		    "    Bytes charged          : %zu of %zu\n"
		    "    Hits                   : %llu\n"
		    "    Misses                 : %llu\n"
		    "    Evictions              : %llu\n"
		    "    Stored                 : %llu\n\n", n, bytes, cap,
		    hits, misses, ev, stored);
	else
		strbuf_printf(v->b, "{\"version\":1,\"uid\":%ld,\"entries\":%zu,"
		    "\"bytes\":%zu,\"max_bytes\":%zu,\"hits\":%llu,"
		    "\"misses\":%llu,\"evictions\":%llu,\"stored\":%llu,"
		    "\"urls\":[", (long)v->uid, n, bytes, cap, hits, misses,
		    ev, stored);
	for (i = 0; i < v->d->workers; i++)
		if (v->d->worker[i].cache != NULL)
			cache_render(v->d->worker[i].cache, v->b, v->text,
			    cache_visible, v, now, &first);
	strbuf_add(v->b, "]}\n", v->text ? 0 : 3);
}

/* --- the reply ------------------------------------------------------- */

static void
render(struct view *v)
{
	int all = v->what == PROTO_STATE_ALL;

	if (v->what == PROTO_STATE_CACHE) {
		cachestate(v);
		return;
	}
	if (store_open(&v->store, STORE_MACHINE, STORE_READ, NULL) == -1)
		v->store = NULL;
	if (v->text)
		strbuf_printf(v->b, "\nSnapshot of the hsys service state"
		    "%s:\n----------------------------------\n\n",
		    v->uid == 0 ? "" : " (your request queues)");
	else
		strbuf_printf(v->b, "{\"version\":1,\"uid\":%ld,\"all_queues\""
		    ":%s", (long)v->uid, v->uid == 0 ? "true" : "false");
	if (all || v->what == PROTO_STATE_SERVER) {
		strbuf_add(v->b, ",", v->text ? 0 : 1);
		server(v);
		if (v->uid == 0) {	/* certificates are the admin's */
			strbuf_add(v->b, ",", v->text ? 0 : 1);
			renew_state(v->store, v->b, v->text);
		}
	}
	if (all || v->what == PROTO_STATE_LISTENERS) {
		strbuf_add(v->b, ",", v->text ? 0 : 1);
		listeners(v);
	}
	if (all || v->what == PROTO_STATE_QUEUES) {
		strbuf_add(v->b, ",", v->text ? 0 : 1);
		queues(v);
	}
	strbuf_add(v->b, v->text ? "" : "}\n", v->text ? 0 : 2);
	store_close(v->store);
}

static void
reply_free(struct loop_defer *df)
{
	struct reply *r = container_of(df, struct reply, free);

	close(r->io.fd);
	if (r->uid >= 0)
		quota_give(r->d, (uid_t)r->uid, QUOTA_STATE);
	free(r->buf);
	free(r);
}

static void
reply_end(struct reply *r)
{
	loop_io_remove(r->d->loop, &r->io);
	loop_timer_cancel(r->d->loop, &r->timer);
	loop_defer(r->d->loop, &r->free);
}

static void
reply_write(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct reply *r = container_of(io, struct reply, io);
	ssize_t n;

	(void)l;
	(void)rev;
	while (r->off < r->len) {
		n = send(io->fd, r->buf + r->off, r->len - r->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			reply_end(r);
			return;
		}
		r->off += (size_t)n;
	}
	reply_end(r);
}

static void
reply_timeout(struct loop *l, struct loop_timer *t)
{
	struct reply *r = container_of(t, struct reply, timer);

	(void)l;
	log_info("control: a STATE reply was not read in time; dropped");
	reply_end(r);
}

/* Frames the payload (or an ERROR) and starts writing it. */
static void
reply_send(struct hsysd *d, int fd, uint64_t id, uint16_t type,
    const void *p, size_t len, long uid)
{
	struct reply *r;
	struct err e;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = calloc(1, proto_frame_size((uint32_t)len))) == NULL) {
		free(r);
		close(fd);
		if (uid >= 0)
			quota_give(d, (uid_t)uid, QUOTA_STATE);
		return;
	}
	r->d = d;
	r->uid = uid;
	r->len = proto_frame_size((uint32_t)len);
	proto_header_put(r->buf, (uint32_t)len, type, 0, id);
	memcpy(r->buf + PROTO_HEADER_SIZE, p, len);
	r->io.fd = fd;
	r->io.fn = reply_write;
	r->timer.fn = reply_timeout;
	r->free.fn = reply_free;
	if (loop_io_add(d->loop, &r->io, LOOP_WRITE, &e) == -1) {
		log_warn("control: %s", e.msg);
		free(r->buf);
		free(r);
		close(fd);
		if (uid >= 0)
			quota_give(d, (uid_t)uid, QUOTA_STATE);
		return;
	}
	loop_timer_set(d->loop, &r->timer, STATE_WRITE_MS);
}

static void
reply_error(struct hsysd *d, int fd, uint64_t id, int code, const char *msg)
{
	unsigned char p[512];

	reply_send(d, fd, id, PROTO_ERROR, p, proto_error_put(p, sizeof(p),
	    (uint32_t)code, msg, strlen(msg)), -1);
}

void
state_answer(struct hsysd *d, int fd, const struct proto_frame *f)
{
	struct strbuf b = { 0 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint32_t flags = f->length >= 4 ? proto_get32(f->payload) : 0;
	struct view v = { d, &b, 0, (flags & PROTO_STATE_TEXT) != 0,
	    PROTO_STATE_VIEW(flags), NULL, NULL, 0 };
	struct err e;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		reply_error(d, fd, f->id, EPROTO, "cannot identify the peer");
		return;
	}
	if (v.what > PROTO_STATE_CACHE) {
		reply_error(d, fd, f->id, EINVAL, "no such view");
		return;
	}
	/* Before rendering: the replies a user leaves unread are what
	 * costs (the main thread's time, and their memory). */
	if (quota_take(d, cred.uid, QUOTA_STATE, &e) == -1) {
		reply_error(d, fd, f->id, e.code, e.msg);
		return;
	}
	v.uid = cred.uid;
	render(&v);
	if (strbuf_failed(&b) || b.len > PROTO_STATE_MAX) {
		quota_give(d, cred.uid, QUOTA_STATE);
		reply_error(d, fd, f->id, ENOMEM, "the state does not fit in "
		    "a reply");
	} else {
		reply_send(d, fd, f->id, PROTO_STATE, b.s, b.len,
		    (long)cred.uid);
	}
	strbuf_free(&b);
}
