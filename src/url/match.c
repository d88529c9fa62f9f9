/*
 * match — which registered prefix gets a request (the router's rule), and
 * which reservation covers a prefix (the URL ACL rule). See url.h.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "url/url.h"

/*
 * Compares a prefix's path with a request's, both cooked (url.h),
 * case-insensitively: no decoding here, so the router sees exactly the
 * bytes that coverage and registration compared. Matches when the prefix
 * path is a prefix of the request path, or when the request names the
 * prefix's directory without its last slash (HTTP.sys hands "/app" to a
 * registration of "/app/").
 */
static int
path_matches(const char *pp, const char *rp, size_t rlen)
{
	size_t n = strlen(pp);

	if (rlen + 1 == n && pp[rlen] == '/')
		return url_path_casecmp(pp, rp, rlen) == 0;
	return rlen >= n && url_path_casecmp(pp, rp, n) == 0;
}

static int
host_matches(const char *want, const char *h, size_t n)
{
	if (n > 0 && h[n - 1] == '.')
		n--;
	return strlen(want) == n && strncasecmp(want, h, n) == 0;
}

static int
addr_matches(const struct url_prefix *u, const struct url_request *r)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (r->local_addr == NULL)
		return 0;
	if (u->family == r->local_family)
		return memcmp(u->addr, r->local_addr,
		    u->family == AF_INET ? 4 : 16) == 0;
	/* An IPv4 connection on a dual-stack socket arrives as ::ffff:a.b.c.d */
	if (u->family == AF_INET && r->local_family == AF_INET6)
		return memcmp(r->local_addr, mapped, 12) == 0 &&
		    memcmp(r->local_addr + 12, u->addr, 4) == 0;
	return 0;
}

int
url_prefix_matches(const struct url_prefix *u, const struct url_request *r)
{
	if (u->https != r->https || u->port != r->port)
		return 0;
	switch (u->host_kind) {
	case URL_HOST_NAME:
		if (r->host == NULL || !host_matches(u->host, r->host,
		    r->hostlen))
			return 0;
		break;
	case URL_HOST_IP:
		if (!addr_matches(u, r))
			return 0;
		break;
	case URL_HOST_STRONG:
	case URL_HOST_WEAK:
		break;
	}
	return path_matches(u->path, r->path, r->pathlen);
}

long
url_prefix_best(const struct url_prefix *t, size_t n,
    const struct url_request *r)
{
	size_t i, best_len = 0, len;
	long best = -1;

	for (i = 0; i < n; i++) {
		if (!url_prefix_matches(&t[i], r))
			continue;
		len = strlen(t[i].path);
		if (best == -1 || t[i].host_kind < t[best].host_kind ||
		    (t[i].host_kind == t[best].host_kind && len > best_len)) {
			best = (long)i;
			best_len = len;
		}
	}
	return best;
}

int
url_prefix_covers(const struct url_prefix *r, const struct url_prefix *p)
{
	size_t n = strlen(r->path);

	if (r->https != p->https || r->port != p->port)
		return 0;
	/* + covers every host. * covers only *: the weak wildcard takes
	 * what no other prefix takes, and covering + or a host would let
	 * its holder take requests from another user's reservation (they
	 * win routing over it). Anything else covers only its own host. */
	switch (r->host_kind) {
	case URL_HOST_STRONG:
		break;
	case URL_HOST_WEAK:
		if (p->host_kind != URL_HOST_WEAK)
			return 0;
		break;
	case URL_HOST_NAME:
	case URL_HOST_IP:
		if (r->host_kind != p->host_kind ||
		    strcmp(r->host, p->host) != 0)
			return 0;
		break;
	}
	return strlen(p->path) >= n && url_path_casecmp(r->path, p->path,
	    n) == 0;
}

/* Exact host first, then +, then *. */
static int
cover_rank(const struct url_prefix *r)
{
	switch (r->host_kind) {
	case URL_HOST_NAME:
	case URL_HOST_IP:
		return 0;
	case URL_HOST_STRONG:
		return 1;
	case URL_HOST_WEAK:
		break;
	}
	return 2;
}

long
url_prefix_cover_best(const struct url_prefix *t, size_t n,
    const struct url_prefix *p)
{
	size_t i, best_len = 0, len;
	long best = -1;

	for (i = 0; i < n; i++) {
		if (!url_prefix_covers(&t[i], p))
			continue;
		len = strlen(t[i].path);
		if (best == -1 || len > best_len || (len == best_len &&
		    cover_rank(&t[i]) < cover_rank(&t[best]))) {
			best = (long)i;
			best_len = len;
		}
	}
	return best;
}
