/*
 * cache — the response cache (HTTP.sys's kernel-mode response cache): a
 * worker's store of whole 200 responses to GET, keyed by scheme, host as
 * routed, port, cooked path and query, each marked cacheable by its
 * application (RESPONSE's CACHE flag, docs/protocol.md) until flushed or
 * for a time to live. See docs/cache.md.
 *
 * One struct cache per worker: entries are filled and served on the
 * worker's thread only, and a response cached on one worker is served by
 * that worker (each worker fills its own copy; the total cap is divided
 * between them). The main thread reads a cache only to list it
 * (cachestate), under the cache's lock; the worker takes the same lock,
 * uncontended, when it changes the cache or counts a hit.
 *
 * Pure apart from that lock: no I/O, no clock (callers pass the time),
 * no knowledge of exchanges or framings (cacheserve.c ties it to them),
 * so that tests/unit/test_cache.c drives it alone.
 */
#ifndef HSYS_DAEMON_CACHE_H
#define HSYS_DAEMON_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct http_request;
struct strbuf;
struct url_prefix;

/* What identifies a cached response. host is the Host header's name as
 * routing read it (without port; compared without regard to case), path
 * the cooked path (case counts), query the raw query (NULL: none). */
struct cache_key {
	int		 tls;
	uint16_t	 port;
	const char	*host;
	size_t		 hostlen;
	const char	*path;
	size_t		 pathlen;
	const char	*query;
	size_t		 querylen;
};

/* A response header field, as the application gave it. */
struct cache_field {
	const unsigned char	*name;
	uint32_t		 nlen;
	const unsigned char	*value;
	uint32_t		 vlen;
};

struct cache_entry;

struct cache {
	pthread_mutex_t		 mu;	/* the worker's changes, cachestate */
	struct cache_entry	**bucket;
	size_t			 nbucket, n;
	struct cache_entry	*lru_head, *lru_tail; /* head: most recent */
	size_t			 bytes;		/* charged, all entries */
	size_t			 max_bytes;	/* this cache's share */
	size_t			 max_entry;	/* UriMaxUriBytes */
	uint64_t		 flushes;	/* a fill across one is dropped */
	unsigned char		*scratch;	/* a hit's head (cache_head) */
	size_t			 scratch_cap;
	_Atomic uint64_t	 hits, misses, evictions, stored;
};

/* Bytes each entry is charged beyond its body and head (its struct,
 * key and hash slot): a flood of tiny responses is bounded too. */
#define CACHE_ENTRY_OVERHEAD	256
/* A cached head's fields, at most (the application's, less those the
 * cache drops, plus Content-Length). */
#define CACHE_HEAD_MAX		(16u << 10)

struct cache	*cache_new(void);
void		 cache_free(struct cache *);
/* The caps in force (UriMaxUriBytes; this worker's share of
 * UriMaxCacheMegabyteCount): entries over the total are evicted, least
 * recently used first. */
void		 cache_limits(struct cache *, size_t max_entry,
		    size_t max_bytes);

/* Whether a request may be answered from the cache or fill it: GET or
 * HEAD (fill: GET only), no body, no Authorization field; answered: no
 * Range either (the application answers ranges). */
int		 cache_request_ok(const struct http_request *, int fill);
/* Whether a response may be cached: 200, no Set-Cookie, no Vary, no
 * Cache-Control no-store or private, Content-Length if any not above
 * max_entry. */
int		 cache_response_ok(const struct cache *, int status,
		    const struct cache_field *, size_t n);

/*
 * A response being filled: the head is stored at once, the body as it
 * comes, the entry joins the cache at cache_fill_end. route and queue say
 * who answered (an entry is served only while the same route sends the
 * request to the same queue); ttl_s 0: until flushed.
 */
struct cache_entry *cache_fill_begin(struct cache *,
		    const struct cache_key *, const void *route,
		    uint32_t queue, uint32_t ttl_s, uint64_t now_ms,
		    const struct cache_field *, size_t n);
/* -1: over UriMaxUriBytes or out of memory: the fill was abandoned (the
 * entry is freed). */
int		 cache_fill_body(struct cache *, struct cache_entry **,
		    const void *, size_t);
/* The body is whole: the entry replaces any with its key. */
void		 cache_fill_end(struct cache *, struct cache_entry *);
void		 cache_fill_abort(struct cache_entry *);

/* The live entry for key (an expired one is dropped), or NULL; counts a
 * hit or a miss. route and queue are the request's: an entry another
 * route or queue filled is dropped (a prefix handed to another
 * application). */
struct cache_entry *cache_lookup(struct cache *, const struct cache_key *,
		    const void *route, uint32_t queue, uint64_t now_ms);

/* A GET or HEAD the cache may not answer (cache_request_ok), counted. */
void		 cache_miss(struct cache *);

/*
 * A hit's RESPONSE payload (docs/protocol.md's layout), in the cache's
 * scratch buffer, valid until the next call: the stored fields with Age
 * (whole seconds since it was stored); with not_modified, a 304 with only
 * the validators and caching fields (RFC 9110 §15.4.5) and no body.
 * Returns the payload's length, 0 when out of memory.
 */
size_t		 cache_head(struct cache *, const struct cache_entry *,
		    int not_modified, uint64_t now_ms,
		    const unsigned char **payload);
void		 cache_body(const struct cache_entry *, const void **,
		    size_t *);
/* Whether a request's conditions (If-None-Match, or else
 * If-Modified-Since) say the client's copy is current: answer 304. */
int		 cache_not_modified(const struct cache_entry *,
		    const struct http_request *);

/* Drops entries: of queue under prefix p (recursive: p's whole tree;
 * else the URL p names); p NULL: every entry of the queue; queue 0: of
 * any queue. Returns how many went. */
size_t		 cache_flush(struct cache *, uint32_t queue,
		    const struct url_prefix *p, int recursive);
/* Drops the entries a route filled: it is going (route.c). */
size_t		 cache_forget_route(struct cache *, const void *route);

/* cachestate: one JSON object per entry, comma separated (first: none
 * before it), or readable lines; visible(queue, arg) filters. */
void		 cache_render(struct cache *, struct strbuf *, int text,
		    int (*visible)(uint32_t queue, void *), void *arg,
		    uint64_t now_ms, int *first);

#endif
