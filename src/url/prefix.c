/*
 * prefix — parsing and canonical form of HTTP.sys UrlPrefix strings.
 * See url.h for the grammar. Matching lives in match.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/digits.h"
#include "common/err.h"
#include "common/hex.h"
#include "url/url.h"

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_unreserved(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

/* RFC 3986 pchar minus '%' (handled apart) and '/' (the separator). */
static int
is_pchar(int c)
{
	return is_unreserved(c) || (c != 0 && strchr("!$&'()*+,;=:@", c) != NULL);
}

static int
parse_scheme(const char **p, const char *end, struct url_prefix *u,
    struct err *e)
{
	const char *s = *p;

	if (end - s >= 7 && strncasecmp(s, "http://", 7) == 0) {
		u->https = 0;
		*p = s + 7;
	} else if (end - s >= 8 && strncasecmp(s, "https://", 8) == 0) {
		u->https = 1;
		*p = s + 8;
	} else
		return err_set(e, "a URL prefix starts with http:// or "
		    "https://, e.g. http://+:80/app/");
	return 0;
}

static int
parse_name(const char *h, size_t n, struct url_prefix *u, struct err *e)
{
	size_t i, label = 0;
	int alldigits = 1;

	if (n > 253)
		return err_set(e, "the host name is longer than 253 characters");
	for (i = 0; i < n; i++) {
		int c = (unsigned char)h[i];

		if (c == '.') {
			if (label == 0)
				return err_set(e, "the host name '%.*s' has an "
				    "empty label", (int)n, h);
			if (h[i - 1] == '-')
				return err_set(e, "a label of the host name "
				    "'%.*s' ends with '-'", (int)n, h);
			label = 0;
			u->host[i] = '.';
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-')
			return err_set(e, "the host name '%.*s' has the "
			    "character '%c'%s; use letters, digits, '-' and "
			    "'.' (an international name in its xn-- form), or "
			    "+ or * for every host", (int)n, h,
			    c >= 0x20 && c < 0x7f ? c : '?',
			    c >= 0x80 ? " (not ASCII)" : "");
		if (c == '-' && label == 0)
			return err_set(e, "a label of the host name '%.*s' "
			    "starts with '-'", (int)n, h);
		if (!is_digit(c))
			alldigits = 0;
		if (++label > 63)
			return err_set(e, "a label of the host name is longer "
			    "than 63 characters");
		u->host[i] = (char)to_lower(c);
	}
	if (label == 0)
		return err_set(e, "the host name '%.*s' has an empty label",
		    (int)n, h);
	if (h[n - 1] == '-')
		return err_set(e, "a label of the host name '%.*s' ends with "
		    "'-'", (int)n, h);
	if (alldigits || (is_digit((unsigned char)h[n - 1]) &&
	    strspn(h, "0123456789.") == n))
		return err_set(e, "'%.*s' is not a valid IPv4 address", (int)n,
		    h);
	u->host[n] = '\0';
	u->host_kind = URL_HOST_NAME;
	return 0;
}

static int
parse_host(const char *h, size_t n, struct url_prefix *u, struct err *e)
{
	char buf[64];

	u->family = 0;
	memset(u->addr, 0, sizeof(u->addr));
	if (n == 0)
		return err_set(e, "the host is missing; use + (every host), * "
		    "(what no other prefix takes), a host name or an IP "
		    "address, e.g. http://+:80/");
	if (n == 1 && (h[0] == '+' || h[0] == '*')) {
		u->host_kind = h[0] == '+' ? URL_HOST_STRONG : URL_HOST_WEAK;
		u->host[0] = h[0];
		u->host[1] = '\0';
		return 0;
	}
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(buf))
			return err_set(e, "'%.*s' is not a valid bracketed IPv6 "
			    "address", (int)n, h);
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, u->addr) != 1)
			return err_set(e, "'%.*s' is not a valid IPv6 address"
			    "%s", (int)n, h, strchr(buf, '%') ?
			    " (zone identifiers are not allowed)" : "");
		u->family = AF_INET6;
		inet_ntop(AF_INET6, u->addr, u->host, sizeof(u->host));
		u->host_kind = URL_HOST_IP;
		return 0;
	}
	if (memchr(h, ':', n) != NULL)
		return err_set(e, "an IPv6 address in a URL prefix goes in "
		    "brackets, e.g. http://[::1]:80/");
	if (n < sizeof(buf) && strspn(h, "0123456789.") == n) {
		memcpy(buf, h, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET, buf, u->addr) == 1) {
			u->family = AF_INET;
			inet_ntop(AF_INET, u->addr, u->host, sizeof(u->host));
			u->host_kind = URL_HOST_IP;
			return 0;
		}
	}
	return parse_name(h, n, u, e);
}

static int
parse_port(const char *s, size_t n, struct url_prefix *u, struct err *e)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return err_set(e, "the port is missing after ':'; netsh needs "
		    "one, e.g. http://+:80/");
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return err_set(e, "the port '%.*s' is not a number",
			    (int)(n > 16 ? 16 : n), s);
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			return err_set(e, "the port %.*s is out of range; use "
			    "1 to 65535", (int)(n > 16 ? 16 : n), s);
	}
	if (v == 0)
		return err_set(e, "the port 0 is not valid; use 1 to 65535");
	u->port = (uint16_t)v;
	return 0;
}

/* Ends one segment: no "." or "..", no empty segment. seg is the
 * normalized text of the segment in u->path. */
static int
check_segment(const char *seg, size_t n, struct err *e)
{
	if (n == 0)
		return err_set(e, "the path has an empty segment ('//'); "
		    "remove the extra '/'");
	if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' &&
	    seg[1] == '.'))
		return err_set(e, "the path has a '%.*s' segment; write the "
		    "path without dot segments", (int)n, seg);
	return 0;
}

/*
 * The cooked form of the byte c decoded from "%XX", as src/http/path.c
 * cooks a request's path: the byte itself, except '/' and '%', which stay
 * encoded so that decoding never makes a segment boundary or an escape.
 * Writes it at path[*o]; -1 for a byte no cooked path can carry (a
 * request with it gets 400), so a prefix with it could never match.
 */
static int
cook_byte(int c, char *path, size_t *o, struct err *e)
{
	if (c < 0x20 || c == 0x7f)
		return err_set(e, "the path has %%%02X, a control character; "
		    "hsysd refuses every request that carries one, so the "
		    "prefix could never match", c);
	if (c == '\\')
		return err_set(e, "the path has %%5C, a backslash; hsysd "
		    "refuses every request that carries one, so the prefix "
		    "could never match");
	if (c == '/' || c == '%') {
		memcpy(path + *o, c == '/' ? "%2F" : "%25", 3);
		*o += 3;
	} else
		path[(*o)++] = (char)c;
	return 0;
}

/*
 * Parses the path into its cooked form (see url.h). plen counts the
 * canonical string's length, which url_prefix_format writes: a byte that
 * is not a pchar takes three characters there.
 */
static int
parse_path(const char *s, const char *end, struct url_prefix *u,
    struct err *e)
{
	const char *start = s;
	size_t o = 0, seg = 1, plen = 1;
	int c, hi, lo, sep;

	if (s == end)
		return err_set(e, "the path is missing; a URL prefix ends "
		    "with '/', e.g. http://+:80/ or http://+:80/app/");
	u->path[o++] = '/';
	for (s++; s < end; s++) {
		c = (unsigned char)*s;
		sep = c == '/';		/* a raw '/', not an encoded one */
		if (c == '?' || c == '#')
			return err_set(e, "a URL prefix cannot have a %s "
			    "('%c'); it names a path only", c == '?' ?
			    "query" : "fragment", c);
		if (c == '%') {
			if (end - s < 3 || (hi = hex_digit((unsigned char)s[1])) < 0 ||
			    (lo = hex_digit((unsigned char)s[2])) < 0)
				return err_set(e, "the path has a '%%' that is "
				    "not followed by two hex digits; write a "
				    "literal '%%' as %%25");
			c = hi * 16 + lo;
			s += 2;
		} else if (!sep && !is_pchar(c))
			return err_set(e, "the path has the character %s%c%s "
			    "that must be percent-encoded (as %%%02X)",
			    c >= 0x21 && c < 0x7f ? "'" : "0x",
			    c >= 0x21 && c < 0x7f ? c : '?',
			    c >= 0x21 && c < 0x7f ? "'" : "", c);
		/* o <= plen: the cooked form is never the longer one. */
		plen += sep || is_pchar(c) ? 1 : 3;
		if (plen >= sizeof(u->path))
			return err_set(e, "the path is longer than %d "
			    "characters", URL_PATH_MAX - 1);
		if (sep) {
			if (check_segment(u->path + seg, o - seg, e) == -1)
				return -1;
			u->path[o++] = '/';
			seg = o;
			continue;
		}
		if (cook_byte(c, u->path, &o, e) == -1)
			return -1;
	}
	if (u->path[o - 1] != '/')
		return err_set(e, "the path '%.*s' must end with '/' (netsh "
		    "requires the trailing slash); write '%.*s/'",
		    (int)(end - start), start, (int)(end - start), start);
	u->path[o] = '\0';
	return 0;
}

int
url_prefix_parse(const char *s, size_t len, struct url_prefix *u,
    struct err *e)
{
	const char *p = s, *end = s + len, *slash, *colon, *host;

	memset(u, 0, sizeof(*u));
	if (len == 0)
		return err_set(e, "the URL prefix is empty; write it as "
		    "http://HOST:PORT/PATH/, e.g. http://+:80/app/");
	if (len >= URL_PREFIX_MAX)
		return err_set(e, "the URL prefix is longer than %d characters",
		    URL_PREFIX_MAX - 1);
	if (memchr(s, '\0', len) != NULL)
		return err_set(e, "the URL prefix has a NUL byte");
	if (parse_scheme(&p, end, u, e) == -1)
		return -1;
	host = p;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash == NULL)
		slash = end;
	if (host < slash && host[0] == '[') {
		const char *rb = memchr(host, ']', (size_t)(slash - host));

		if (rb == NULL)
			return err_set(e, "the IPv6 address has no closing "
			    "']'");
		colon = rb + 1 < slash && rb[1] == ':' ? rb + 1 : NULL;
		if (colon == NULL && rb + 1 != slash)
			return err_set(e, "a ':' and a port must follow the "
			    "IPv6 address, e.g. http://[::1]:80/");
	} else {
		colon = NULL;
		for (p = host; p < slash; p++)
			if (*p == ':')
				colon = p;
	}
	if (colon == NULL)
		return err_set(e, "the port is missing; netsh needs one, e.g. "
		    "http://+:80/ or https://+:443/");
	if (parse_host(host, (size_t)(colon - host), u, e) == -1 ||
	    parse_port(colon + 1, (size_t)(slash - colon - 1), u, e) == -1)
		return -1;
	if (parse_path(slash, end, u, e) == -1)
		return -1;
	return 0;
}

/*
 * Writes the cooked path in its canonical spelling: a pchar as itself, the
 * "%2F" and "%25" that cooking keeps as they are, any other byte as %XX.
 * Returns the length, or -1 past size (the NUL included).
 */
static long
format_path(const char *p, char *buf, size_t size)
{
	size_t n = 0;
	int c, lit;

	for (; *p != '\0'; p++) {
		c = (unsigned char)*p;
		lit = c == '/' || c == '%' || is_pchar(c);
		if (n + (lit ? 1 : 3) + 1 > size)
			return -1;
		if (lit) {
			buf[n++] = (char)c;
			continue;
		}
		buf[n++] = '%';
		buf[n++] = "0123456789ABCDEF"[c >> 4];
		buf[n++] = "0123456789ABCDEF"[c & 15];
	}
	if (n + 1 > size)
		return -1;
	buf[n] = '\0';
	return (long)n;
}

int
url_prefix_format(const struct url_prefix *u, char *buf, size_t size)
{
	int v6 = u->host_kind == URL_HOST_IP && u->family == AF_INET6;
	size_t hl = strlen(u->host), n = 0, d;
	char port[DIGITS_MAX];
	long pl;

	/* By hand: hsysd formats the matched prefix for every request, and
	 * snprintf cost as much as the rest of routing. */
	d = digits_put(port, u->port, 10);
	if ((u->https ? 8 : 7) + 2 + hl + 1 + d + 1 > size)
		return -1;
	memcpy(buf, u->https ? "https://" : "http://", u->https ? 8 : 7);
	n = u->https ? 8 : 7;
	if (v6)
		buf[n++] = '[';
	memcpy(buf + n, u->host, hl);
	n += hl;
	if (v6)
		buf[n++] = ']';
	buf[n++] = ':';
	memcpy(buf + n, port, d);
	n += d;
	if ((pl = format_path(u->path, buf + n, size - n)) < 0)
		return -1;
	return (int)(n + (size_t)pl);
}

/* Paths compare case-insensitively in ASCII only, whatever the locale:
 * the bytes of a UTF-8 character compare as they are. */
int
url_path_casecmp(const char *a, const char *b, size_t n)
{
	int x, y;

	for (; n > 0; a++, b++, n--) {
		x = to_lower((unsigned char)*a);
		y = to_lower((unsigned char)*b);
		if (x != y || x == 0)
			return x - y;
	}
	return 0;
}

int
url_prefix_equal(const struct url_prefix *a, const struct url_prefix *b)
{
	return a->https == b->https && a->port == b->port &&
	    a->host_kind == b->host_kind && strcmp(a->host, b->host) == 0 &&
	    url_path_casecmp(a->path, b->path, URL_PATH_MAX) == 0;
}
