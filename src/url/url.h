/*
 * url — HTTP.sys UrlPrefix strings: parsing, normalization, matching.
 *
 * A UrlPrefix is "scheme://host:port/path/" as netsh and HttpAddUrl take it:
 *
 *   scheme  http or https, any case
 *   host    +            strong wildcard: every request on the port
 *           *            weak wildcard: what no other prefix takes
 *           a host name  the request's Host must equal it (any case)
 *           1.2.3.4, [::1]
 *                        IP-bound weak wildcard: requests that arrived on
 *                        that local address, whatever their Host
 *   port    1..65535, required
 *   path    starts and ends with '/', no '?' or '#', no "." or ".."
 *           segments (encoded or not), no empty segments
 *
 * The path is kept in the form requests are cooked to (src/http/path.c),
 * so that reservations, registrations, ranking and routing all compare
 * the same bytes: every %XX is decoded except %2F and %25, which stay
 * (uppercased) because cooking keeps them; "/a%2Fb/" is not "/a/b/" and
 * takes only requests that spell the slash "%2F". An encoded control
 * character or backslash is refused: cooking refuses the request.
 *
 * Everything here is pure: no allocation, no I/O. Results go into caller
 * structs; url_prefix_format() gives the canonical string that the store
 * keeps and that every command prints: the cooked path with each byte
 * that is not an RFC 3986 pchar written %XX (uppercase), so one cooked
 * path has one spelling ("%3A" and ":" are one prefix, written ":").
 *
 * Matching (the router): among prefixes of the request's scheme and port,
 * the class decides first (strong + > explicit host > IP-bound > weak *),
 * then the longest path. Paths compare case-insensitively, as HTTP.sys does.
 *
 * Covering (URL ACLs): reservation R covers prefix P when scheme and port
 * are equal, R's path is a prefix of P's (case-insensitively) and R's
 * host is + (any P host), * (P's host is * only: a weak reservation must
 * not let its holder register a class that wins routing over another
 * user's reservation) or the same host as P's. The most specific covering
 * reservation decides: the longest path, then an exact host over + over *.
 */
#ifndef HSYS_URL_URL_H
#define HSYS_URL_URL_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define URL_HOST_MAX	254	/* a DNS name (253) or an IPv6 text, + NUL */
#define URL_PATH_MAX	1024
#define URL_PREFIX_MAX	(8 + 2 + URL_HOST_MAX + 7 + URL_PATH_MAX)

/* Host classes, in order of precedence for routing. */
enum url_host {
	URL_HOST_STRONG,	/* + */
	URL_HOST_NAME,		/* www.example.test */
	URL_HOST_IP,		/* 192.0.2.1 or [2001:db8::1] */
	URL_HOST_WEAK		/* * */
};

struct url_prefix {
	int		https;
	enum url_host	host_kind;
	char		host[URL_HOST_MAX];	/* name or IP text; no brackets */
	int		family;			/* AF_INET/AF_INET6 for IP hosts */
	unsigned char	addr[16];
	uint16_t	port;
	char		path[URL_PATH_MAX];	/* cooked, "/.../" */
};

/* What the router knows about a request. host is the Host header's name
 * (without port, brackets allowed around IPv6), path the cooked path
 * (http_path_cook: decoded but for %2F and %25, no query).
 * local_family/local_addr: the address the connection arrived on. */
struct url_request {
	int			 https;
	const char		*host;
	size_t			 hostlen;
	int			 local_family;
	const unsigned char	*local_addr;
	uint16_t		 port;
	const char		*path;
	size_t			 pathlen;
};

/* Parses s[0..len); on error the message says what is wrong and how to
 * write it instead. */
int	url_prefix_parse(const char *s, size_t len, struct url_prefix *,
	    struct err *);
/* Writes the canonical string; returns its length, or -1 when it does not
 * fit (URL_PREFIX_MAX always fits). */
int	url_prefix_format(const struct url_prefix *, char *, size_t);
/* Compares n bytes of two paths, ASCII case folded, as strncasecmp in
 * the C locale. */
int	url_path_casecmp(const char *, const char *, size_t n);
/* Equal as reservations (case-insensitive path). */
int	url_prefix_equal(const struct url_prefix *, const struct url_prefix *);

/* Does a prefix take a request at all (ignoring precedence)? */
int	url_prefix_matches(const struct url_prefix *,
	    const struct url_request *);
/* The index of the prefix that gets the request, or -1 for none. */
long	url_prefix_best(const struct url_prefix *, size_t n,
	    const struct url_request *);

/* Does reservation r cover prefix p? */
int	url_prefix_covers(const struct url_prefix *r, const struct url_prefix *p);
/* The index of the most specific reservation covering p, or -1. */
long	url_prefix_cover_best(const struct url_prefix *, size_t n,
	    const struct url_prefix *p);

#endif
