/*
 * logline — access and httperr log lines. See logline.h; the formats are
 * written up in docs/logging.md.
 *
 * The formatters append into a `struct out` that remembers overflowing
 * instead of checking every step; the line is good only if it never did.
 * They run once per request on a worker, so they stay away from stdio.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/digits.h"
#include "daemon/logline.h"

#ifndef HSYS_VERSION
#define HSYS_VERSION "0.1.0"
#endif

struct out {
	char	*p;
	size_t	 len, size;
	int	 over;
};

static const char hex[] = "0123456789ABCDEF";

static void
put(struct out *o, const void *s, size_t n)
{
	if (o->over || n > o->size - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
put_c(struct out *o, char c)
{
	put(o, &c, 1);
}

static void
put_s(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_u(struct out *o, uint64_t v)
{
	char b[DIGITS_MAX];

	put(o, b, digits_put(b, v, 10));
}

size_t
logline_escape(char *dst, size_t size, const char *src, size_t n,
    enum logline_esc how)
{
	/* The two printable bytes this style escapes too. */
	unsigned char a = how == LOGLINE_ESC_TOKEN ? ' ' : '\\';
	unsigned char b = how == LOGLINE_ESC_TEXT ? '\\' : '"';
	unsigned char c = 0;	/* set by the scan; gcc -O1 cannot see it */
	size_t i, j, len = 0;

	for (i = 0; i < n; i = j + 1) {
		/* Runs of plain bytes go in one copy. */
		for (j = i; j < n && (c = (unsigned char)src[j]) >= 0x20 &&
		    c < 0x7f && c != a && c != b; j++)
			;
		if (j - i > size - len)
			return 0;
		memcpy(dst + len, src + i, j - i);
		len += j - i;
		if (j == n)
			break;
		if (how == LOGLINE_ESC_TOKEN && c == ' ') {
			if (len == size)
				return 0;
			dst[len++] = '+';
			continue;
		}
		if (size - len < (how == LOGLINE_ESC_TOKEN ? 3u : 4u))
			return 0;
		if (how == LOGLINE_ESC_TOKEN)
			dst[len++] = '%';
		else {
			dst[len++] = '\\';
			dst[len++] = 'x';
		}
		dst[len++] = hex[c >> 4];
		dst[len++] = hex[c & 15];
	}
	return len;
}

/* A client's bytes in a field of a line, cut at max: "-" for none. */
static void
put_esc(struct out *o, const char *s, size_t n, size_t max,
    enum logline_esc how)
{
	size_t len;

	if (s == NULL || n == 0) {
		put_c(o, '-');
		return;
	}
	if (n > max)
		n = max;
	if (o->over || (len = logline_escape(o->p + o->len, o->size - o->len,
	    s, n, how)) == 0) {
		o->over = 1;
		return;
	}
	o->len += len;
}

/* Inside a quoted NCSA field: \xHH, as nginx does. */
static void
put_quoted(struct out *o, const char *s, size_t n, size_t max)
{
	put_esc(o, s, n, max, LOGLINE_ESC_QUOTED);
}

/* One space-separated field (W3C, httperr, the tail of the NCSA line). */
static void
put_token(struct out *o, const char *s, size_t n, size_t max)
{
	put_esc(o, s, n, max, LOGLINE_ESC_TOKEN);
}

static void
put_ztoken(struct out *o, const char *s)
{
	put_token(o, s, s ? strlen(s) : 0, LOGLINE_FIELD_MAX);
}

/* glibc's inet_ntop formats IPv4 with sprintf: too slow per request. */
static void
put_ipv4(struct out *o, const struct in_addr *in)
{
	const unsigned char *b = (const unsigned char *)&in->s_addr;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			put_c(o, '.');
		put_u(o, b[i]);
	}
}

static void
put_addr(struct out *o, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN];
	const void *src;

	if (ss == NULL || (ss->ss_family != AF_INET &&
	    ss->ss_family != AF_INET6)) {
		put_c(o, '-');
		return;
	}
	if (ss->ss_family == AF_INET) {
		put_ipv4(o, &((const struct sockaddr_in *)(const void *)ss)->
		    sin_addr);
		return;
	}
	src = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)(const void *)ss)->
	    sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->
	    sin6_addr;
	if (inet_ntop(ss->ss_family, src, a, sizeof(a)) == NULL)
		put_c(o, '-');
	else
		put_s(o, a);
}

static void
put_port(struct out *o, const struct sockaddr_storage *ss)
{
	if (ss != NULL && ss->ss_family == AF_INET)
		put_u(o, ntohs(((const struct sockaddr_in *)(const void *)ss)->
		    sin_port));
	else if (ss != NULL && ss->ss_family == AF_INET6)
		put_u(o, ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port));
	else
		put_c(o, '-');
}

static void
put_version(struct out *o, int version)
{
	if (version == 10)
		put(o, "HTTP/1.0", 8);
	else if (version == 11)
		put(o, "HTTP/1.1", 8);
	else if (version == 20)
		put(o, "HTTP/2.0", 8);
	else
		put_c(o, '-');
}

static size_t
done(struct out *o)
{
	put_c(o, '\n');
	return o->over ? 0 : o->len;
}

void
logline_clock_set(struct logline_clock *k, time_t now)
{
	struct tm tm;

	k->sec = now;
	gmtime_r(&now, &tm);
	strftime(k->ncsa, sizeof(k->ncsa), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	strftime(k->w3c, sizeof(k->w3c), "%Y-%m-%d %H:%M:%S", &tm);
}

/*
 * host - - [time] "method uri version" status bytes "referer" "ua"
 *     ms tls-version sni
 */
size_t
logline_ncsa(char *buf, size_t size, const struct logline_clock *k,
    const struct logrec *r)
{
	struct out o = { buf, 0, size, 0 };

	put_addr(&o, r->peer);
	put(&o, " - - [", 6);
	put_s(&o, k->ncsa);
	put(&o, "] \"", 3);
	if (r->method == NULL)
		put_c(&o, '-');
	else {
		put_quoted(&o, r->method, r->method_len, LOGLINE_FIELD_MAX);
		put_c(&o, ' ');
		put_quoted(&o, r->uri, r->uri_len, LOGLINE_URI_MAX);
		put_c(&o, ' ');
		put_version(&o, r->version);
	}
	put(&o, "\" ", 2);
	put_u(&o, (uint64_t)r->status);
	put_c(&o, ' ');
	put_u(&o, r->bytes);
	put(&o, " \"", 2);
	put_quoted(&o, r->referer, r->referer_len, LOGLINE_FIELD_MAX);
	put(&o, "\" \"", 3);
	put_quoted(&o, r->ua, r->ua_len, LOGLINE_FIELD_MAX);
	put(&o, "\" ", 2);
	put_u(&o, r->ms);
	put_c(&o, ' ');
	put_ztoken(&o, r->tls_version);
	put_c(&o, ' ');
	put_ztoken(&o, r->sni);
	return done(&o);
}

static const char w3c_fields[] = "date time c-ip c-port s-ip s-port "
    "cs-method cs-uri cs-version sc-status sc-bytes time-taken "
    "cs(User-Agent) cs(Referer) cs-host tls-version tls-sni";
static const char httperr_fields[] = "date time c-ip c-port s-ip s-port "
    "cs-version cs-method cs-uri streamid sc-status s-siteid s-reason "
    "s-queuename";

/* date time c-ip c-port s-ip s-port: the start of both W3C-like lines */
static void
put_w3c_start(struct out *o, const struct logline_clock *k,
    const struct logrec *r)
{
	put_s(o, k->w3c);
	put_c(o, ' ');
	put_addr(o, r->peer);
	put_c(o, ' ');
	put_port(o, r->peer);
	put_c(o, ' ');
	put_addr(o, r->local);
	put_c(o, ' ');
	put_port(o, r->local);
	put_c(o, ' ');
}

size_t
logline_w3c(char *buf, size_t size, const struct logline_clock *k,
    const struct logrec *r)
{
	struct out o = { buf, 0, size, 0 };

	put_w3c_start(&o, k, r);
	put_token(&o, r->method, r->method_len, LOGLINE_FIELD_MAX);
	put_c(&o, ' ');
	put_token(&o, r->uri, r->uri_len, LOGLINE_URI_MAX);
	put_c(&o, ' ');
	put_version(&o, r->version);
	put_c(&o, ' ');
	put_u(&o, (uint64_t)r->status);
	put_c(&o, ' ');
	put_u(&o, r->bytes);
	put_c(&o, ' ');
	put_u(&o, r->ms);
	put_c(&o, ' ');
	put_token(&o, r->ua, r->ua_len, LOGLINE_FIELD_MAX);
	put_c(&o, ' ');
	put_token(&o, r->referer, r->referer_len, LOGLINE_FIELD_MAX);
	put_c(&o, ' ');
	put_token(&o, r->host, r->host_len, LOGLINE_FIELD_MAX);
	put_c(&o, ' ');
	put_ztoken(&o, r->tls_version);
	put_c(&o, ' ');
	put_ztoken(&o, r->sni);
	return done(&o);
}

size_t
logline_httperr(char *buf, size_t size, const struct logline_clock *k,
    const char *reason, const struct logrec *r)
{
	struct out o = { buf, 0, size, 0 };

	put_w3c_start(&o, k, r);
	put_version(&o, r->version);
	put_c(&o, ' ');
	put_token(&o, r->method, r->method_len, LOGLINE_FIELD_MAX);
	put_c(&o, ' ');
	put_token(&o, r->uri, r->uri_len, LOGLINE_URI_MAX);
	put_c(&o, ' ');			/* streamid: HTTP/2 only */
	if (r->stream > 0)
		put_u(&o, (uint64_t)r->stream);
	else
		put_c(&o, '-');
	put_c(&o, ' ');
	if (r->status > 0)
		put_u(&o, (uint64_t)r->status);
	else
		put_c(&o, '-');
	put(&o, " - ", 3);		/* s-siteid */
	put_ztoken(&o, reason);
	put_c(&o, ' ');
	put_ztoken(&o, r->queue);
	return done(&o);
}

size_t
logline_w3c_header(char *buf, size_t size, const struct logline_clock *k,
    int httperr)
{
	struct out o = { buf, 0, size, 0 };

	put_s(&o, "#Software: hsysd " HSYS_VERSION "\n#Version: 1.0\n#Date: ");
	put_s(&o, k->w3c);
	put_s(&o, "\n#Fields: ");
	put_s(&o, httperr ? httperr_fields : w3c_fields);
	return done(&o);
}

static int
has(const char *why, const char *word)
{
	return strstr(why, word) != NULL;
}

/*
 * HTTP.sys's names where it has one (Invalid_CR/LF, Verb, URL, Hostname,
 * Number, Header, FieldLength, RequestLength, URL_Length, Version_N/S,
 * N/I, EntityTooLarge), BadRequest for the rest.
 */
const char *
logline_reason(int status, const char *why)
{
	if (why == NULL)
		why = "";
	switch (status) {
	case 413:
		return "EntityTooLarge";
	case 414:
		return "URL_Length";
	case 431:
		if (has(why, "line too long"))
			return "FieldLength";
		if (has(why, "too large") || why[0] == '\0')
			return "RequestLength";
		return "Header";
	case 501:
		return "N/I";
	case 505:
		return "Version_N/S";
	}
	if (has(why, "bare CR") || has(why, "bare LF") || has(why, "CRLF"))
		return "Invalid_CR/LF";
	if (has(why, "method"))
		return "Verb";
	if (has(why, "Host"))
		return "Hostname";
	if (has(why, "target") || has(why, "form") || has(why, "URL") ||
	    has(why, "path") || has(why, "percent") || has(why, "UTF-8"))
		return "URL";
	if (has(why, "Content-Length") || has(why, "chunk size"))
		return "Number";
	if (has(why, "field") || has(why, "Transfer-Encoding") ||
	    has(why, "Connection") || has(why, "folding") ||
	    has(why, "expectation") || has(why, "transfer coding"))
		return "Header";
	return "BadRequest";
}
