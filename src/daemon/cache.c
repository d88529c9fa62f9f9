/*
 * cache — a worker's response cache: the entries, their hash table and
 * LRU list, the caps and eviction, the rules for what may be cached, a
 * hit's head (Age, 304) and conditional requests, flushing and
 * cachestate's listing. See cache.h and docs/cache.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/digits.h"
#include "common/strbuf.h"
#include "daemon/cache.h"
#include "http/http.h"
#include "proto/exchange.h"
#include "url/url.h"

/* A stored field: offsets into the entry's bytes. */
struct cfield {
	uint32_t	noff, nlen, voff, vlen;
};

struct cache_entry {
	struct cache_entry	*hnext;		/* hash chain */
	uint64_t		 gen;		/* the cache's flushes, at fill */
	struct cache_entry	*prev, *next;	/* LRU */
	uint64_t		 hash;
	const void		*route;
	uint32_t		 queue, ttl;
	uint64_t		 stored_ms, expires_ms;	/* expires 0: never */
	uint64_t		 hits;
	size_t			 charge;
	int			 tls;
	uint16_t		 port;
	int			 has_query;
	size_t			 hostlen, pathlen, querylen;
	uint32_t		 nf;
	size_t			 fbytes;	/* the fields' bytes */
	int64_t			 declared;	/* Content-Length; -1 none */
	int64_t			 last_modified;	/* -1: none */
	int			 etag;		/* field index; -1: none */
	struct cfield		*f;		/* [nf] */
	char			*bytes;		/* key: host path query, then
						 * the fields' names and values */
	unsigned char		*body;
	size_t			 blen, bcap;
};

/* Fields the cache does not keep: the framing writes its own (Date,
 * Server, the body's length, the connection's), and Age is the cache's. */
static const char *const dropped[] = { "date", "age", "server",
    "connection", "keep-alive", "proxy-connection", "transfer-encoding",
    "upgrade", "content-length", "trailer" };

/* What a 304 carries of the stored head (RFC 9110 §15.4.5). */
static const char *const validators[] = { "etag", "last-modified",
    "cache-control", "expires", "content-location", "vary" };

static int
name_is(const unsigned char *s, uint32_t n, const char *name)
{
	return strlen(name) == n && strncasecmp((const char *)s, name, n) == 0;
}

static int
name_in(const unsigned char *s, uint32_t n, const char *const *set,
    size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (name_is(s, n, set[i]))
			return 1;
	return 0;
}

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))

/* The worker alone writes its counters: no locked add on the request
 * path (readers take a relaxed load, as stats.h's). */
static void
count(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

/* --- the table -------------------------------------------------------- */

struct cache *
cache_new(void)
{
	struct cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void
entry_free(struct cache_entry *e)
{
	if (e == NULL)
		return;
	free(e->body);
	free(e);
}

void
cache_free(struct cache *c)
{
	struct cache_entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->lru_head; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(c->bucket);
	free(c->scratch);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static uint64_t
key_hash(const struct cache_key *k)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

#define MIX(b)	(h = (h ^ (unsigned char)(b)) * 1099511628211ull)
	MIX(k->tls);
	MIX(k->port);
	MIX(k->port >> 8);
	for (i = 0; i < k->hostlen; i++) {
		char ch = k->host[i];
		MIX(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	MIX(0);
	for (i = 0; i < k->pathlen; i++)
		MIX(k->path[i]);
	if (k->query != NULL) {
		MIX('?');
		for (i = 0; i < k->querylen; i++)
			MIX(k->query[i]);
	}
#undef MIX
	return h;
}

static int
key_equal(const struct cache_entry *e, const struct cache_key *k)
{
	const char *b = e->bytes;

	return e->tls == k->tls && e->port == k->port &&
	    e->hostlen == k->hostlen && e->pathlen == k->pathlen &&
	    e->has_query == (k->query != NULL) &&
	    e->querylen == (k->query ? k->querylen : 0) &&
	    strncasecmp(b, k->host, k->hostlen) == 0 &&
	    memcmp(b + e->hostlen, k->path, k->pathlen) == 0 &&
	    (k->query == NULL || memcmp(b + e->hostlen + e->pathlen,
	    k->query, k->querylen) == 0);
}

static void
lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct cache *c, struct cache_entry *e)
{
	e->prev = NULL;
	e->next = c->lru_head;
	if (c->lru_head != NULL)
		c->lru_head->prev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

/* Unlinks and frees e; the caller holds the lock. */
static void
entry_drop(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp;

	for (pp = &c->bucket[e->hash & (c->nbucket - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	lru_unlink(c, e);
	c->bytes -= e->charge;
	c->n--;
	entry_free(e);
}

static int
table_grow(struct cache *c)
{
	struct cache_entry **nb, *e, *next;
	size_t cap = c->nbucket ? 2 * c->nbucket : 64, i;

	if ((nb = calloc(cap, sizeof(*nb))) == NULL)
		return c->nbucket ? 0 : -1;	/* longer chains, still right */
	for (i = 0; i < c->nbucket; i++) {
		for (e = c->bucket[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (cap - 1)];
			nb[e->hash & (cap - 1)] = e;
		}
	}
	free(c->bucket);
	c->bucket = nb;
	c->nbucket = cap;
	return 0;
}

static struct cache_entry *
find(const struct cache *c, const struct cache_key *k, uint64_t h)
{
	struct cache_entry *e;

	if (c->nbucket == 0)
		return NULL;
	for (e = c->bucket[h & (c->nbucket - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && key_equal(e, k))
			return e;
	return NULL;
}

/* Least recently used first, until the entries fit; never keep. */
static void
evict(struct cache *c, const struct cache_entry *keep)
{
	while (c->bytes > c->max_bytes && c->lru_tail != NULL &&
	    c->lru_tail != keep) {
		entry_drop(c, c->lru_tail);
		count(&c->evictions);
	}
}

void
cache_limits(struct cache *c, size_t max_entry, size_t max_bytes)
{
	if (c->max_entry == max_entry && c->max_bytes == max_bytes)
		return;
	pthread_mutex_lock(&c->mu);
	c->max_entry = max_entry;
	c->max_bytes = max_bytes;
	evict(c, NULL);
	pthread_mutex_unlock(&c->mu);
}

/* --- the rules -------------------------------------------------------- */

int
cache_request_ok(const struct http_request *r, int fill)
{
	size_t i;

	if (r->method_id != HTTP_METHOD_GET &&
	    (fill || r->method_id != HTTP_METHOD_HEAD))
		return 0;
	if (r->content_length > 0 || r->chunked)
		return 0;
	for (i = 0; i < r->nheaders; i++) {
		if (name_is((const unsigned char *)r->headers[i].name,
		    (uint32_t)r->headers[i].name_len, "authorization"))
			return 0;
		/* A part of the response is the application's to give. */
		if (!fill && name_is((const unsigned char *)
		    r->headers[i].name, (uint32_t)r->headers[i].name_len,
		    "range"))
			return 0;
	}
	return 1;
}

/* Whether a Cache-Control value names a directive (token, any case). */
static int
has_directive(const unsigned char *v, uint32_t n, const char *d)
{
	size_t dl = strlen(d);
	uint32_t i = 0, s;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',' && v[i] != '=' && v[i] != ' ')
			i++;
		if (i - s == dl && strncasecmp((const char *)v + s, d, dl) ==
		    0)
			return 1;
		while (i < n && v[i] != ',')
			i++;
	}
	return 0;
}

int
cache_response_ok(const struct cache *c, int status,
    const struct cache_field *f, size_t n)
{
	char num[24];
	size_t i;

	if (status != 200 || c->max_entry == 0 || c->max_bytes == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (name_is(f[i].name, f[i].nlen, "set-cookie") ||
		    name_is(f[i].name, f[i].nlen, "vary"))
			return 0;
		if (name_is(f[i].name, f[i].nlen, "cache-control") &&
		    (has_directive(f[i].value, f[i].vlen, "no-store") ||
		    has_directive(f[i].value, f[i].vlen, "private")))
			return 0;
		if (name_is(f[i].name, f[i].nlen, "content-length") &&
		    f[i].vlen < sizeof(num)) {
			memcpy(num, f[i].value, f[i].vlen);
			num[f[i].vlen] = '\0';
			if (strtoull(num, NULL, 10) > c->max_entry)
				return 0;
		}
	}
	return 1;
}

/* An HTTP-date (IMF-fixdate, RFC 9110 §5.6.7) as seconds; -1 if not. */
static int64_t
http_date(const unsigned char *v, size_t n)
{
	char s[40];
	struct tm tm;
	char *end;

	if (n == 0 || n >= sizeof(s))
		return -1;
	memcpy(s, v, n);
	s[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* --- filling ---------------------------------------------------------- */

struct cache_entry *
cache_fill_begin(struct cache *c, const struct cache_key *k,
    const void *route, uint32_t queue, uint32_t ttl_s, uint64_t now_ms,
    const struct cache_field *f, size_t n)
{
	struct cache_entry *e;
	size_t bytes = k->hostlen + k->pathlen + (k->query ? k->querylen : 0),
	    keep = 0, i, off;
	char num[24];
	uint32_t j;

	for (i = 0; i < n; i++)
		if (!name_in(f[i].name, f[i].nlen, dropped, COUNT(dropped))) {
			bytes += f[i].nlen + f[i].vlen;
			keep++;
		}
	if (bytes - k->hostlen - k->pathlen > CACHE_HEAD_MAX + URL_PATH_MAX)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + keep * sizeof(struct cfield) +
	    bytes + 1)) == NULL)
		return NULL;
	e->f = (struct cfield *)(e + 1);
	e->bytes = (char *)(e->f + keep);
	e->tls = k->tls;
	e->port = k->port;
	e->hostlen = k->hostlen;
	e->pathlen = k->pathlen;
	e->has_query = k->query != NULL;
	e->querylen = k->query ? k->querylen : 0;
	for (i = 0; i < k->hostlen; i++)
		e->bytes[i] = (char)(k->host[i] >= 'A' && k->host[i] <= 'Z' ?
		    k->host[i] + 32 : k->host[i]);
	memcpy(e->bytes + e->hostlen, k->path, k->pathlen);
	if (k->query != NULL)
		memcpy(e->bytes + e->hostlen + e->pathlen, k->query,
		    k->querylen);
	off = e->hostlen + e->pathlen + e->querylen;
	e->hash = key_hash(k);
	e->gen = c->flushes;
	e->route = route;
	e->queue = queue;
	e->ttl = ttl_s;
	e->stored_ms = now_ms;
	e->expires_ms = ttl_s ? now_ms + (uint64_t)ttl_s * 1000 : 0;
	e->declared = -1;
	e->last_modified = -1;
	e->etag = -1;
	for (i = 0, j = 0; i < n; i++) {
		if (name_is(f[i].name, f[i].nlen, "content-length") &&
		    f[i].vlen < sizeof(num)) {
			memcpy(num, f[i].value, f[i].vlen);
			num[f[i].vlen] = '\0';
			e->declared = strtoll(num, NULL, 10);
		}
		if (name_in(f[i].name, f[i].nlen, dropped, COUNT(dropped)))
			continue;
		if (name_is(f[i].name, f[i].nlen, "etag"))
			e->etag = (int)j;
		if (name_is(f[i].name, f[i].nlen, "last-modified"))
			e->last_modified = http_date(f[i].value, f[i].vlen);
		e->f[j] = (struct cfield){ (uint32_t)off, f[i].nlen,
		    (uint32_t)(off + f[i].nlen), f[i].vlen };
		memcpy(e->bytes + off, f[i].name, f[i].nlen);
		memcpy(e->bytes + off + f[i].nlen, f[i].value, f[i].vlen);
		off += f[i].nlen + f[i].vlen;
		j++;
	}
	e->nf = j;
	e->fbytes = off - e->hostlen - e->pathlen - e->querylen;
	e->charge = CACHE_ENTRY_OVERHEAD + sizeof(*e) + j *
	    sizeof(struct cfield) + bytes;
	return e;
}

int
cache_fill_body(struct cache *c, struct cache_entry **ep, const void *p,
    size_t n)
{
	struct cache_entry *e = *ep;
	unsigned char *nb;
	size_t cap;

	if (e->blen + n > c->max_entry ||
	    (e->declared >= 0 && e->blen + n > (uint64_t)e->declared))
		goto fail;
	if (e->blen + n > e->bcap) {
		cap = e->bcap ? e->bcap : 4096;
		while (cap < e->blen + n)
			cap *= 2;
		if (cap > c->max_entry)
			cap = c->max_entry;
		if ((nb = realloc(e->body, cap)) == NULL)
			goto fail;
		e->body = nb;
		e->bcap = cap;
	}
	memcpy(e->body + e->blen, p, n);
	e->blen += n;
	return 0;
fail:
	entry_free(e);
	*ep = NULL;
	return -1;
}

void
cache_fill_abort(struct cache_entry *e)
{
	entry_free(e);
}

void
cache_fill_end(struct cache *c, struct cache_entry *e)
{
	struct cache_entry *old;
	unsigned char *nb;
	const struct cache_key k = { e->tls, e->port, e->bytes, e->hostlen,
	    e->bytes + e->hostlen, e->pathlen, e->has_query ? e->bytes +
	    e->hostlen + e->pathlen : NULL, e->querylen };

	/* The body's spare room goes back: an entry costs what it holds. */
	if (e->bcap > e->blen && e->blen > 0 &&
	    (nb = realloc(e->body, e->blen)) != NULL) {
		e->body = nb;
		e->bcap = e->blen;
	}
	/* Short of its Content-Length, more than a share holds, or filled
	 * across a flush (it may be what the flush meant to drop). */
	e->charge += e->bcap;
	if ((e->declared >= 0 && (uint64_t)e->declared != e->blen) ||
	    e->charge > c->max_bytes || e->gen != c->flushes) {
		entry_free(e);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if ((old = find(c, &k, e->hash)) != NULL)
		entry_drop(c, old);
	if (c->n + 1 > c->nbucket && table_grow(c) == -1) {
		pthread_mutex_unlock(&c->mu);
		entry_free(e);
		return;
	}
	e->hnext = c->bucket[e->hash & (c->nbucket - 1)];
	c->bucket[e->hash & (c->nbucket - 1)] = e;
	lru_push(c, e);
	c->n++;
	c->bytes += e->charge;
	evict(c, e);
	pthread_mutex_unlock(&c->mu);
	count(&c->stored);
}

/* --- serving ---------------------------------------------------------- */

struct cache_entry *
cache_lookup(struct cache *c, const struct cache_key *k, const void *route,
    uint32_t queue, uint64_t now_ms)
{
	struct cache_entry *e;

	if (c->n == 0) {
		count(&c->misses);
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, k, key_hash(k))) != NULL &&
	    ((e->expires_ms != 0 && now_ms >= e->expires_ms) ||
	    e->route != route || e->queue != queue)) {
		entry_drop(c, e);
		e = NULL;
	}
	if (e != NULL) {
		lru_unlink(c, e);
		lru_push(c, e);
		e->hits++;
	}
	pthread_mutex_unlock(&c->mu);
	count(e ? &c->hits : &c->misses);
	return e;
}

void
cache_miss(struct cache *c)
{
	count(&c->misses);
}

static int
scratch_reserve(struct cache *c, size_t need)
{
	unsigned char *nb;

	if (need <= c->scratch_cap)
		return 0;
	if ((nb = realloc(c->scratch, need)) == NULL)
		return -1;
	c->scratch = nb;
	c->scratch_cap = need;
	return 0;
}

/* Appends one field to a payload being built: its table entry and its
 * bytes at *off in the area. */
static void
put_field(unsigned char *p, size_t area, uint32_t i, size_t *off,
    const void *name, uint32_t nlen, const void *value, uint32_t vlen)
{
	proto_field_put(p + PROTO_RESPONSE_FIXED + PROTO_FIELD_SIZE * i,
	    (uint32_t)*off, nlen, (uint32_t)(*off + nlen), vlen);
	memcpy(p + area + *off, name, nlen);
	memcpy(p + area + *off + nlen, value, vlen);
	*off += nlen + vlen;
}

size_t
cache_head(struct cache *c, const struct cache_entry *e, int not_modified,
    uint64_t now_ms, const unsigned char **payload)
{
	struct proto_response r = { .status = not_modified ? 304 : 200 };
	char age[DIGITS_MAX], len[DIGITS_MAX];
	size_t area, need, off = 0, alen, llen;
	uint32_t i, n = 0;
	unsigned char *p;

	/* Not snprintf: two of them were some 1,300 instructions a hit
	 * (bench/callgrind with hsys-hello --cache 0). */
	alen = digits_put(age, now_ms > e->stored_ms ? (now_ms - e->stored_ms) /
	    1000 : 0, 10);
	llen = digits_put(len, e->blen, 10);
	area = proto_response_area(e->nf + 2);
	need = area + alen + llen + 17 + e->fbytes;
	if (scratch_reserve(c, need) == -1)
		return 0;
	p = c->scratch;
	memset(p, 0, area);
	for (i = 0; i < e->nf; i++) {
		if (not_modified && !name_in((unsigned char *)e->bytes +
		    e->f[i].noff, e->f[i].nlen, validators, COUNT(validators)))
			continue;
		put_field(p, area, n++, &off, e->bytes + e->f[i].noff,
		    e->f[i].nlen, e->bytes + e->f[i].voff, e->f[i].vlen);
	}
	put_field(p, area, n++, &off, "Age", 3, age, (uint32_t)alen);
	if (!not_modified)
		put_field(p, area, n++, &off, "Content-Length", 14, len,
		    (uint32_t)llen);
	/* The table was sized for every field: move the area down to
	 * where n fields end. */
	memmove(p + proto_response_area(n), p + area, off);
	r.nheaders = (uint16_t)n;
	r.flags = not_modified || e->blen == 0 ? PROTO_RESPONSE_F_END : 0;
	proto_response_put(p, &r);
	*payload = p;
	return proto_response_area(n) + off;
}

void
cache_body(const struct cache_entry *e, const void **p, size_t *n)
{
	*p = e->body;
	*n = e->blen;
}

static const struct http_header *
req_field(const struct http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (name_is((const unsigned char *)r->headers[i].name,
		    (uint32_t)r->headers[i].name_len, name))
			return &r->headers[i];
	return NULL;
}

/* Weak comparison (RFC 9110 §8.8.3.2): W/ prefixes aside, the same. */
static int
etag_match(const char *a, size_t an, const char *b, size_t bn)
{
	if (an >= 2 && a[0] == 'W' && a[1] == '/') {
		a += 2;
		an -= 2;
	}
	if (bn >= 2 && b[0] == 'W' && b[1] == '/') {
		b += 2;
		bn -= 2;
	}
	return an == bn && memcmp(a, b, an) == 0;
}

/* If-None-Match: "*" or a list that holds the entry's tag. */
static int
none_match(const struct cache_entry *e, const struct http_header *h)
{
	const char *tag, *v = h->value, *end = h->value + h->value_len, *s;
	size_t tlen;

	if (e->etag < 0)
		return h->value_len == 1 && v[0] == '*';
	tag = e->bytes + e->f[e->etag].voff;
	tlen = e->f[e->etag].vlen;
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		s = v;
		while (v < end && *v != ',')
			v++;
		while (v > s && (v[-1] == ' ' || v[-1] == '\t'))
			v--;
		if ((v - s == 1 && *s == '*') ||
		    etag_match(s, (size_t)(v - s), tag, tlen))
			return 1;
		while (v < end && *v != ',')
			v++;
	}
	return 0;
}

int
cache_not_modified(const struct cache_entry *e, const struct http_request *r)
{
	const struct http_header *h;
	int64_t since;

	if ((h = req_field(r, "if-none-match")) != NULL)
		return none_match(e, h);
	if ((h = req_field(r, "if-modified-since")) == NULL ||
	    e->last_modified < 0)
		return 0;
	since = http_date((const unsigned char *)h->value, h->value_len);
	return since >= 0 && e->last_modified <= since;
}

/* --- flushing --------------------------------------------------------- */

/* Whether e lies under p: its scheme, port and host (a wildcard host:
 * any), and its path within p's (recursive) or p's URL itself. */
static int
under(const struct cache_entry *e, const struct url_prefix *p, int recursive)
{
	size_t plen = strlen(p->path);

	if (e->tls != p->https || e->port != p->port)
		return 0;
	if (p->host_kind == URL_HOST_NAME && (strlen(p->host) != e->hostlen ||
	    strncasecmp(p->host, e->bytes, e->hostlen) != 0))
		return 0;
	if (recursive)
		return e->pathlen + 1 >= plen && (e->pathlen >= plen ?
		    url_path_casecmp(e->bytes + e->hostlen, p->path, plen) ==
		    0 : url_path_casecmp(e->bytes + e->hostlen, p->path,
		    e->pathlen) == 0);
	/* "/a/b" is parsed as "/a/b/": either names the URL. */
	return (e->pathlen == plen || e->pathlen + 1 == plen) &&
	    url_path_casecmp(e->bytes + e->hostlen, p->path, e->pathlen) == 0;
}

size_t
cache_flush(struct cache *c, uint32_t queue, const struct url_prefix *p,
    int recursive)
{
	struct cache_entry *e, *next;
	size_t n = 0;

	pthread_mutex_lock(&c->mu);
	c->flushes++;
	for (e = c->lru_head; e != NULL; e = next) {
		next = e->next;
		if ((queue != 0 && e->queue != queue) ||
		    (p != NULL && !under(e, p, recursive)))
			continue;
		entry_drop(c, e);
		n++;
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

size_t
cache_forget_route(struct cache *c, const void *route)
{
	struct cache_entry *e, *next;
	size_t n = 0;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	c->flushes++;
	for (e = c->lru_head; e != NULL; e = next) {
		next = e->next;
		if (e->route == route) {
			entry_drop(c, e);
			n++;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* --- cachestate ------------------------------------------------------- */

static void
entry_url(struct strbuf *b, const struct cache_entry *e)
{
	char text[URL_HOST_MAX + URL_PATH_MAX + 64];
	size_t qn = e->querylen > 512 ? 512 : e->querylen;

	snprintf(text, sizeof(text), "%s://%.*s:%u%.*s%s%.*s", e->tls ?
	    "https" : "http", (int)e->hostlen, e->bytes, e->port,
	    (int)e->pathlen, e->bytes + e->hostlen, e->has_query ? "?" : "",
	    (int)qn, e->bytes + e->hostlen + e->pathlen);
	strbuf_json(b, text);
}

static void
entry_render(struct strbuf *b, const struct cache_entry *e, int text,
    uint64_t now_ms)
{
	long long left = e->expires_ms == 0 ? -1 : e->expires_ms > now_ms ?
	    (long long)((e->expires_ms - now_ms + 999) / 1000) : 0;

	if (text) {
		strbuf_add(b, "    URL             : ", 22);
		entry_url(b, e);
		strbuf_printf(b, "\n    Queue           : %u\n"
		    "    Body bytes      : %zu\n    Bytes charged   : %zu\n"
		    "    Hits            : %llu\n    Age (s)         : %llu\n",
		    e->queue, e->blen, e->charge, (unsigned long long)e->hits,
		    (unsigned long long)((now_ms - e->stored_ms) / 1000));
		if (e->ttl == 0)
			strbuf_printf(b, "    TTL             : until "
			    "flushed\n\n");
		else
			strbuf_printf(b, "    TTL (s)         : %u (%lld "
			    "left)\n\n", e->ttl, left);
		return;
	}
	strbuf_add(b, "{\"url\":", 7);
	entry_url(b, e);
	strbuf_printf(b, ",\"queue\":%u,\"bytes\":%zu,\"charged\":%zu,"
	    "\"hits\":%llu,\"age\":%llu,\"ttl\":%u,\"ttl_left\":%lld}",
	    e->queue, e->blen, e->charge, (unsigned long long)e->hits,
	    (unsigned long long)((now_ms - e->stored_ms) / 1000), e->ttl,
	    left);
}

void
cache_render(struct cache *c, struct strbuf *b, int text,
    int (*visible)(uint32_t, void *), void *arg, uint64_t now_ms,
    int *first)
{
	const struct cache_entry *e;

	pthread_mutex_lock(&c->mu);
	for (e = c->lru_head; e != NULL; e = e->next) {
		if (!visible(e->queue, arg))
			continue;
		if (!text && !*first)
			strbuf_add(b, ",", 1);
		*first = 0;
		entry_render(b, e, text, now_ms < e->stored_ms ?
		    e->stored_ms : now_ms);
	}
	pthread_mutex_unlock(&c->mu);
}
