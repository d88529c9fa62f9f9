/*
 * snapshot — bindings and their SSL contexts, timeouts and limits. See
 * snapshot.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "cert/cert.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/snapshot.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "store/store.h"
#include "url/url.h"

struct build {
	struct snapshot		*snap;
	struct store		*store;
	struct tls_tickets	*tickets;
	struct keys_client	*keys;
	size_t			 cap;
};

/* The limits before the first snapshot: the settings' and timeouts'
 * defaults (config_settings, the one table of them), made once. */
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;
static struct snap_limits limits_default;

static unsigned
binding_flags(const struct config_sslcert *c)
{
	unsigned f = 0;

	if (c->opt[SSLOPT_DISABLETLS12] == 1)
		f |= TLS_NO_TLS12;
	if (c->opt[SSLOPT_DISABLETLS13] == 1)
		f |= TLS_NO_TLS13;
	if (c->opt[SSLOPT_ENABLESESSIONTICKET] != 1)
		f |= TLS_NO_TICKETS;
	if (c->opt[SSLOPT_CLIENTCERTNEGOTIATION] == 1)
		f |= TLS_CLIENT_CERT;
	if (c->opt[SSLOPT_DISABLEHTTP2] == 1)
		f |= TLS_NO_H2;
	return f;
}

/* "0.0.0.0:443", "[::1]:443", "www.example.test:443" into a binding. */
static int
parse_endpoint(const struct config_sslcert *c, struct tls_binding *b)
{
	const char *colon = strrchr(c->endpoint, ':');
	char host[256];
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - c->endpoint)) >=
	    sizeof(host))
		return -1;
	memcpy(host, c->endpoint, n);
	host[n] = '\0';
	b->port = (uint16_t)atoi(colon + 1);
	snprintf(b->endpoint, sizeof(b->endpoint), "%s=%s",
	    c->kind == CONFIG_IPPORT ? "ipport" : "hostnameport", c->endpoint);
	if (c->kind == CONFIG_HOSTNAMEPORT) {
		b->sni = 1;
		snprintf(b->host, sizeof(b->host), "%s", host);
		return 0;
	}
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		b->family = AF_INET6;
		if (inet_pton(AF_INET6, host + 1, b->addr) != 1)
			return -1;
		b->any = IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)b->addr);
		return 0;
	}
	b->family = AF_INET;
	if (inet_pton(AF_INET, host, b->addr) != 1)
		return -1;
	b->any = memcmp(b->addr, "\0\0\0\0", 4) == 0;
	return 0;
}

static int
add_binding(const struct config_sslcert *c, void *arg)
{
	struct build *bd = arg;
	struct snapshot *s = bd->snap;
	struct tls_binding *b, *nb;
	struct err e;

	if (s->n == bd->cap) {
		bd->cap = bd->cap ? 2 * bd->cap : 8;
		if ((nb = realloc(s->b, bd->cap * sizeof(*nb))) == NULL)
			return -1;
		s->b = nb;
	}
	b = &s->b[s->n];
	memset(b, 0, sizeof(*b));
	if (parse_endpoint(c, b) == -1) {
		log_warn("binding %s: cannot read its endpoint; skipped",
		    c->endpoint);
		return 0;
	}
	b->flags = binding_flags(c);
	/* certhash=acme:NAME: the ACME record's certificate of this
	 * generation; renewal moves the record, and the next snapshot
	 * serves new handshakes with the new certificate while connections
	 * already made keep the context they hold. */
	if (c->current[0] == '\0') {
		log_warn("binding %s: the ACME certificate %s has not been "
		    "obtained yet; it does not serve until it is", b->endpoint,
		    c->certhash + 5);
		return 0;
	}
	if (tls_ctx_new(&b->ctx, bd->store, c->current, c->current_store,
	    b->flags, bd->tickets, bd->keys, &e) == -1) {
		log_warn("binding %s: %s; it does not serve until fixed",
		    b->endpoint, e.msg);
		return 0;
	}
	s->n++;
	return 0;
}

static int
add_body_limit(enum config_setting s, const char *url, int64_t v, void *arg)
{
	struct snap_limits *l = arg;
	struct url_prefix *np;
	int64_t *nv;
	struct err e;

	if (s != CONFIG_SET_MAXREQUESTBODYSIZE)
		return 0;
	if ((np = realloc(l->body_prefix, (l->nbody + 1) * sizeof(*np))) ==
	    NULL)
		return 1;
	l->body_prefix = np;
	if ((nv = realloc(l->body_max, (l->nbody + 1) * sizeof(*nv))) == NULL)
		return 1;
	l->body_max = nv;
	if (url_prefix_parse(url, strlen(url), &np[l->nbody], &e) == -1) {
		log_warn("MaxRequestBodySize for %s: %s; ignored", url, e.msg);
		return 0;
	}
	nv[l->nbody++] = v;
	return 0;
}

/* The limits the settings v and timeouts t (by enum config_setting and
 * config_timeout) make: one mapping, for the store's values and for the
 * defaults alike. What no setting names keeps the parser's default. */
static void
limits_set(struct snap_limits *l, const int64_t v[CONFIG_SET_COUNT],
    const int t[CONFIG_TIMEOUT_COUNT])
{
	l->http = http_limits_default;
	l->idle_ms = (uint32_t)t[CONFIG_TIMEOUT_IDLE] * 1000;
	l->headerwait_ms = (uint32_t)t[CONFIG_TIMEOUT_HEADERWAIT] * 1000;
	l->entitybody_ms = (uint32_t)t[CONFIG_TIMEOUT_ENTITYBODY] * 1000;
	l->min_send_rate = (uint32_t)v[CONFIG_SET_MINSENDRATE];
	l->min_body_rate = (uint32_t)v[CONFIG_SET_MINREQUESTBODYDATARATE];
	l->h2_streams = (uint32_t)v[CONFIG_SET_HTTP2MAXCONCURRENTSTREAMS];
	l->h2c = v[CONFIG_SET_ENABLEHTTP2CLEARTEXT] != 0;
	l->max_connections = v[CONFIG_SET_MAXCONNECTIONS];
	l->http.max_request_line = (size_t)v[CONFIG_SET_MAXFIELDLENGTH];
	l->http.max_header_line = (size_t)v[CONFIG_SET_MAXFIELDLENGTH];
	l->http.max_head = (size_t)v[CONFIG_SET_MAXREQUESTBYTES];
	l->http.max_headers = (size_t)v[CONFIG_SET_MAXHEADERCOUNT];
	l->http.max_target = (size_t)v[CONFIG_SET_MAXURLLENGTH];
	l->max_body = v[CONFIG_SET_MAXREQUESTBODYSIZE];
	l->cache_entry = v[CONFIG_SET_URIENABLECACHE] ?
	    (size_t)v[CONFIG_SET_URIMAXURIBYTES] : 0;
	l->cache_total = v[CONFIG_SET_URIENABLECACHE] ?
	    (size_t)v[CONFIG_SET_URIMAXCACHEMEGABYTECOUNT] << 20 : 0;
}

static void
limits_default_init(void)
{
	int64_t v[CONFIG_SET_COUNT];
	int t[CONFIG_TIMEOUT_COUNT], i;

	for (i = 0; i < CONFIG_SET_COUNT; i++)
		v[i] = config_settings[i].dflt;
	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++)
		t[i] = CONFIG_TIMEOUT_DEFAULT;
	limits_set(&limits_default, v, t);
}

static int
read_limits(struct store *st, struct snap_limits *l, struct err *e)
{
	int64_t v[CONFIG_SET_COUNT];
	int t[CONFIG_TIMEOUT_COUNT], i, set, rc;

	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++)
		if (config_timeout_get(st, (enum config_timeout)i, &t[i], &set,
		    e) == -1)
			return -1;
	for (i = 0; i < CONFIG_SET_COUNT; i++) {
		if (config_setting_get(st, (enum config_setting)i, &v[i], &set,
		    e) == -1)
			return -1;
		if (i == CONFIG_SET_MAXCONNECTIONS && !set)
			v[i] = snapshot_default_max_connections();
	}
	limits_set(l, v, t);
	rc = config_setting_list_url(st, add_body_limit, l, e);
	if (rc > 0)
		return err_set(e, "out of memory reading the settings");
	return rc;
}

int64_t
snapshot_default_max_connections(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT64_MAX / 4)
		return CONFIG_UNLIMITED;
	return (int64_t)rl.rlim_cur * SNAPSHOT_CONN_SHARE / 4;
}

const struct snap_limits *
snapshot_limits(const struct snapshot *s)
{
	if (s != NULL)
		return &s->lim;
	pthread_once(&limits_once, limits_default_init);
	return &limits_default;
}

int64_t
snapshot_body_max(const struct snap_limits *l, const struct url_request *r)
{
	long i = url_prefix_best(l->body_prefix, l->nbody, r);

	return i >= 0 ? l->body_max[i] : l->max_body;
}

static void
snapshot_free(struct shared *sh)
{
	struct snapshot *s = container_of(sh, struct snapshot, ref);
	size_t i;

	for (i = 0; i < s->n; i++)
		SSL_CTX_free(s->b[i].ctx);
	free(s->b);
	free(s->lim.body_prefix);
	free(s->lim.body_max);
	acmechal_free(&s->acme);
	free(s);
}

int
snapshot_build(struct snapshot **out, struct tls_tickets *tickets,
    struct keys_client *keys, struct err *e)
{
	struct build bd = { .tickets = tickets, .keys = keys };
	int rc;

	if ((bd.snap = calloc(1, sizeof(*bd.snap))) == NULL)
		return err_sys(e, "out of memory");
	shared_init(&bd.snap->ref, 1, snapshot_free);
	bd.snap->lim = *snapshot_limits(NULL);
	if (store_open(&bd.store, STORE_MACHINE, STORE_READ, e) == -1)
		goto fail;
	if (store_generation(bd.store, &bd.snap->generation, e) == -1)
		goto fail;
	rc = config_sslcert_list(bd.store, add_binding, &bd, e);
	if (rc != 0) {
		if (rc > 0)
			err_set(e, "out of memory reading the bindings");
		goto fail;
	}
	if (read_limits(bd.store, &bd.snap->lim, e) == -1)
		goto fail;
	if (acmechal_read(&bd.snap->acme, bd.store, keys, e) == -1)
		goto fail;
	store_close(bd.store);
	*out = bd.snap;
	return 0;
fail:
	store_close(bd.store);
	snapshot_release(bd.snap);
	return -1;
}

void
snapshot_release(struct snapshot *s)
{
	if (s != NULL)
		shared_release(&s->ref);
}

/* On the worker's thread: s in place of the one it had; its connections
 * then look whether their bindings are still there. */
static struct shared *
swap(struct worker *w, struct shared *s)
{
	struct snapshot *old = w->snapshot;

	w->snapshot = container_of(s, struct snapshot, ref);
	if (old != NULL && w->d->rebind != NULL)
		w->d->rebind(w);
	return old != NULL ? &old->ref : NULL;
}

void
snapshot_publish(struct hsysd *d, struct snapshot *s)
{
	shared_post(d, &s->ref, swap);
}

/* Does a binding's name take the SNI name? Wildcards take exactly one
 * label: *.example.test takes a.example.test, not example.test nor
 * a.b.example.test. */
static int
name_matches(const char *pat, const unsigned char *sni, size_t n, int wild)
{
	const unsigned char *dot;
	size_t plen = strlen(pat);

	if (!wild)
		return plen == n && strncasecmp(pat, (const char *)sni, n) == 0;
	if (plen < 3 || pat[0] != '*' || pat[1] != '.')
		return 0;
	if ((dot = memchr(sni, '.', n)) == NULL || dot == sni)
		return 0;
	n -= (size_t)(dot + 1 - sni);
	return plen - 2 == n && strncasecmp(pat + 2, (const char *)dot + 1,
	    n) == 0;
}

const struct tls_binding *
snapshot_pick(const struct snapshot *s, const unsigned char *sni,
    size_t snilen, const struct sockaddr_storage *local, uint16_t port)
{
	const struct tls_binding *b, *any = NULL, *any4 = NULL;
	const unsigned char *addr;
	int pass, family = local->ss_family;
	size_t i;

	if (s == NULL)
		return NULL;
	for (pass = 0; sni != NULL && pass < 2; pass++)
		for (i = 0; i < s->n; i++) {
			b = &s->b[i];
			if (b->sni && b->port == port && name_matches(b->host,
			    sni, snilen, pass))
				return b;
		}
	addr = family == AF_INET ?
	    (const unsigned char *)&((const struct sockaddr_in *)local)->sin_addr :
	    (const unsigned char *)&((const struct sockaddr_in6 *)local)->sin6_addr;
	for (i = 0; i < s->n; i++) {
		b = &s->b[i];
		if (b->sni || b->port != port)
			continue;
		if (b->family != family) {
			if (b->family == AF_INET && b->any)
				any4 = b;
			continue;
		}
		if (b->any)
			any = b;
		else if (memcmp(b->addr, addr, family == AF_INET ? 4 : 16) == 0)
			return b;
	}
	/* As HTTP.sys's HTTP_SERVICE_CONFIG_SSL_KEY says: 0.0.0.0:P applies
	 * to every IPv4 and IPv6 address, and [::]:P, for IPv6 clients,
	 * wins over it. (config_sslcert_pick follows the same rules.) */
	if (any == NULL && family == AF_INET6)
		any = any4;
	return any;
}
