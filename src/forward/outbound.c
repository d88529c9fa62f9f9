/*
 * outbound — the request head hsys-forward sends upstream.
 *
 * The client's request line and fields go as they came, but for the
 * hop-by-hop fields (RFC 9110 §7.6.1: Connection and what it lists,
 * Keep-Alive, TE, Transfer-Encoding, Upgrade, Trailer,
 * Proxy-Connection), which belong to the client's connection, and the
 * framing, which we state again: Content-Length when the length is known,
 * else chunked. An Upgrade request keeps "Connection: Upgrade" and its
 * Upgrade field. hsysd is the edge, so the client's own Forwarded and
 * X-Forwarded-* fields are replaced by ours, which say what hsysd saw:
 * the peer address, the scheme, the Host, and (with --strip-prefix) the
 * prefix the upstream no longer sees.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <hsys.h>

#include "forward/forward.h"

struct out {
	char	*buf;
	size_t	 cap, len;
	int	 full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
field(struct out *o, const char *name, const char *value)
{
	puts_(o, name);
	put(o, ": ", 2);
	puts_(o, value);
	put(o, "\r\n", 2);
}

/* Whether the comma-separated list names tok (case-insensitive). */
static int
listed(const char *list, const char *tok)
{
	size_t n = strlen(tok), m;

	while (list != NULL && *list != '\0') {
		list += strspn(list, " \t,");
		m = strcspn(list, " \t,");
		if (m == n && strncasecmp(list, tok, n) == 0)
			return 1;
		list += m;
		list += strcspn(list, ",");
	}
	return 0;
}

static int
dropped(const struct fwd_config *cfg, const char *conn, const char *name)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "proxy-connection", "transfer-encoding", "te", "trailer",
	    "upgrade", "content-length" };
	size_t i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	if (cfg->forwarded && strcasecmp(name, "forwarded") == 0)
		return 1;
	if (cfg->x_forwarded && strncasecmp(name, "x-forwarded-", 12) == 0)
		return 1;
	return listed(conn, name);
}

/* The path of a prefix or an absolute-form target: from the first '/'
 * after "://", "/" if none. */
static const char *
path_of(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return url;
	p = strchr(p + 3, '/');
	return p != NULL ? p : "/";
}

/* The cooked path's bytes as a request-target: what is not a pchar or '/'
 * percent-encoded ('%' stays: the cooked path keeps only %2F and %25). */
static void
put_encoded(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = { '%' };

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/%",
		    c) != NULL) {
			put(o, s, 1);
			continue;
		}
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		put(o, e, 3);
	}
}

static void
put_target(const struct fwd_config *cfg, struct hsys_request *r,
    struct out *o)
{
	const char *raw = hsys_request_raw_url(r), *pp, *q;
	size_t n;

	if (raw[0] != '/' && raw[0] != '*')
		raw = path_of(raw);
	if (!cfg->strip_prefix) {
		puts_(o, raw);
		return;
	}
	pp = path_of(hsys_request_prefix(r));
	n = strlen(pp);
	if (n > 1 && strncasecmp(raw, pp, n) == 0) {
		puts_(o, raw + n - 1);
		return;
	}
	if (n > 1 && strncasecmp(raw, pp, n - 1) == 0 &&
	    (raw[n - 1] == '\0' || raw[n - 1] == '?')) {
		put(o, "/", 1);
		puts_(o, raw + n - 1);
		return;
	}
	/* The raw target spells the prefix otherwise (escapes): rebuild
	 * the target from the cooked path, which matched the prefix. */
	raw = hsys_request_path(r);
	n = strlen(raw) >= n - 1 ? n - 1 : strlen(raw);
	put_encoded(o, raw + n);
	if (raw[n] == '\0')
		put(o, "/", 1);
	if ((q = hsys_request_query(r))[0] != '\0') {
		put(o, "?", 1);
		puts_(o, q);
	}
}

/* An IPv4 address as text: inet_ntop formats it with sprintf, a fifth
 * of the forwarder's instructions per request when it ran twice. */
static void
ipv4_text(const struct in_addr *in, char *out)
{
	const unsigned char *b = (const unsigned char *)&in->s_addr;
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			out[n++] = '.';
		if (b[i] >= 100)
			out[n++] = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			out[n++] = (char)('0' + b[i] / 10 % 10);
		out[n++] = (char)('0' + b[i] % 10);
	}
	out[n] = '\0';
}

/* The peer's address ("192.0.2.1", "[2001:db8::1]"), or "unknown". No
 * printf: this runs for every request. */
static void
peer_text(struct hsys_request *r, char *buf, size_t cap, int brackets)
{
	struct sockaddr_storage ss;
	char a[INET6_ADDRSTRLEN];
	size_t n;
	int v6;

	if (hsys_request_peer(r, &ss) == 0 && ss.ss_family == AF_INET)
		ipv4_text(&((struct sockaddr_in *)&ss)->sin_addr, a);
	else if (hsys_request_peer(r, &ss) < 0 ||
	    ss.ss_family != AF_INET6 || inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, a,
	    sizeof(a)) == NULL) {
		snprintf(buf, cap, "unknown");
		return;
	}
	v6 = brackets && ss.ss_family == AF_INET6;
	n = strlen(a);
	if (n + 5 > cap) {
		snprintf(buf, cap, "unknown");
		return;
	}
	if (v6)
		memcpy(buf, "\"[", 2);
	memcpy(buf + (v6 ? 2 : 0), a, n);
	if (v6)
		memcpy(buf + 2 + n, "]\"", 2);
	buf[n + (v6 ? 4 : 0)] = '\0';
}

static void
put_forwarded(const struct fwd_config *cfg, struct hsys_request *r,
    struct out *o)
{
	const char *proto = hsys_request_tls(r) != NULL ? "https" : "http";
	const char *host = hsys_request_host(r), *pp;
	char peer[80];
	size_t n;

	if (cfg->forwarded) {
		peer_text(r, peer, sizeof(peer), 1);
		puts_(o, "Forwarded: for=");
		puts_(o, peer);
		puts_(o, ";proto=");
		puts_(o, proto);
		if (host[0] != '\0') {
			puts_(o, ";host=\"");
			puts_(o, host);
			put(o, "\"", 1);
		}
		put(o, "\r\n", 2);
	}
	if (!cfg->x_forwarded)
		return;
	peer_text(r, peer, sizeof(peer), 0);
	field(o, "X-Forwarded-For", peer);
	field(o, "X-Forwarded-Proto", proto);
	if (host[0] != '\0')
		field(o, "X-Forwarded-Host", host);
	pp = path_of(hsys_request_prefix(r));
	n = strlen(pp);
	if (cfg->strip_prefix && n > 1) {
		puts_(o, "X-Forwarded-Prefix: ");
		put(o, pp, n - 1);
		put(o, "\r\n", 2);
	}
}

int
outbound_head(const struct fwd_config *cfg, struct hsys_request *r,
    char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	const char *conn = hsys_request_header(r, "Connection");
	const char *up = hsys_request_header(r, "Upgrade"), *name, *value;
	int64_t cl = hsys_request_content_length(r);
	char num[32];
	size_t i, n = hsys_request_header_count(r);

	puts_(&o, hsys_request_method(r));
	put(&o, " ", 1);
	put_target(cfg, r, &o);
	put(&o, " HTTP/1.1\r\n", 11);
	for (i = 0; i < n; i++) {
		if (hsys_request_header_at(r, i, &name, &value) < 0)
			break;
		if (!dropped(cfg, conn, name))
			field(&o, name, value);
	}
	if (hsys_request_header(r, "Host") == NULL)
		field(&o, "Host", cfg->authority);
	if (up != NULL) {
		field(&o, "Connection", "Upgrade");
		field(&o, "Upgrade", up);
	}
	if (cl < 0)
		field(&o, "Transfer-Encoding", "chunked");
	else if (cl > 0 || !strcmp(hsys_request_method(r), "POST") ||
	    !strcmp(hsys_request_method(r), "PUT")) {
		snprintf(num, sizeof(num), "%lld", (long long)cl);
		field(&o, "Content-Length", num);
	}
	put_forwarded(cfg, r, &o);
	put(&o, "\r\n", 2);
	return o.full ? -1 : (int)o.len;
}
