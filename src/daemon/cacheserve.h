/*
 * cacheserve — the response cache on a request's way: looked up after
 * routing, filled as a cacheable response comes (exchange.c). See
 * cache.h for the store and docs/cache.md for the rules.
 */
#ifndef HSYS_DAEMON_CACHESERVE_H
#define HSYS_DAEMON_CACHESERVE_H

#include <stddef.h>
#include <stdint.h>

struct exchange;
struct hsysd;
struct exchange_resp;
struct http_cooked;
struct proto_frame;
struct url_prefix;

/* 1 when the request routed to queue by route is answered from the
 * cache: *f is the hit's RESPONSE (200 or 304, Age, Content-Length) and
 * body its body (none to HEAD or for a 304), valid until the worker next
 * touches the cache. 0: a miss, or not a request the cache answers. */
int	cacheserve_find(struct exchange *, const struct url_prefix *route,
	    uint32_t queue, const struct http_cooked *, struct proto_frame *f,
	    const void **body, size_t *blen);
/* The application's final head: a fill starts when it asked for caching
 * and the rules let it (x->fill). */
void	cacheserve_begin(struct exchange *, const struct exchange_resp *);
/* Its body bytes; at end the entry joins the cache. */
void	cacheserve_body(struct exchange *, const void *, size_t, int end);
/* The response will not be whole (cancelled, failed, cut off). */
void	cacheserve_abort(struct exchange *);

/* Main thread: every worker drops the queue's entries under p (NULL:
 * all of them; recursive: p's whole tree, else the URL p names), by
 * mail; once the last has, done(d, cookie, id) runs on the main thread
 * (HttpFlushResponseCache returns after the flush, and so does the
 * answer to CACHE_FLUSH). -1: out of memory (nothing posted, done will
 * not run). */
typedef void (*cacheserve_done_fn)(struct hsysd *, uint64_t cookie,
	    uint32_t id);
int	cacheserve_post_flush(struct hsysd *, uint32_t queue,
	    const struct url_prefix *p, int recursive, cacheserve_done_fn done,
	    uint64_t cookie, uint32_t id);

#endif
