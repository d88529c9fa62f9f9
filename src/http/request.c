/*
 * request — the HTTP/1.1 request-head parser (RFC 9110, RFC 9112).
 *
 * Two passes over the bytes of one head:
 *
 *  1. head_find(): memchr for each LF until the empty line.  This is all an
 *     incomplete head costs, and req->scanned lets the next call resume at
 *     the last line start instead of the beginning, so a head that arrives a
 *     byte at a time costs O(n) in total, not O(n^2).  It also enforces the
 *     line and head limits and the CRLF rule as it goes, so an oversized or
 *     LF-terminated head fails as soon as it shows, not when it completes.
 *     The trade-off: other syntax errors in a partial head are found only
 *     once the head is complete (or hits a limit).
 *  2. head_parse(): the request-line and each field line, with table-driven
 *     character classes (SSE2 for the long runs: target and values).  It
 *     knows the head ends in CRLF CRLF, so its loops stop on the CR without
 *     bounds checks.  The facts the daemon needs (framing, keep-alive, Host,
 *     Expect, Upgrade) are gathered during the same pass.
 *
 * Anything that could let two parsers disagree about where a message ends
 * is an error: see docs/http1.md for each rule and its status code.
 */
#include <limits.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "http/chars.h"
#include "http/http.h"

/* What the field lines tell us, before it is folded into the request. */
struct facts {
	int64_t		 cl;
	unsigned	 ncl, nhost, nte;
	unsigned	 te_chunked_last:1, te_chunked_seen:1, te_other:1;
	unsigned	 conn_close:1, conn_keepalive:1, conn_upgrade:1;
	const char	*host;
	size_t		 host_len;
};

static int
fail(struct http_request *req, int status, const char *why)
{
	req->status = status;
	req->error = why;
	req->scanned = 0;
	return HTTP_ERROR;
}

void
http_request_init(struct http_request *req, struct http_header *h,
    size_t cap)
{
	memset(req, 0, sizeof(*req));
	req->headers = h;
	req->header_cap = cap;
}

/*
 * Skips the empty lines allowed before the request-line (RFC 9112 §2.2).
 * Returns the request-line offset, HTTP_INCOMPLETE or HTTP_ERROR.
 */
static long
skip_empty_lines(const char *buf, size_t len, struct http_request *req,
    const struct http_limits *lim)
{
	size_t		 p = 0;
	unsigned	 n = 0;

	while (p < len && buf[p] == '\r') {
		if (p + 1 == len)
			return HTTP_INCOMPLETE;
		if (buf[p + 1] != '\n')
			return fail(req, 400, "bare CR");
		if (++n > lim->max_empty_lines)
			return fail(req, 400, "empty lines before request");
		p += 2;
	}
	if (p == len)
		return HTTP_INCOMPLETE;
	return (long)p;
}

/*
 * Pass 1: finds the end of the head, starting at the request-line rl.
 * Sets *end past the empty line and returns 0, or returns HTTP_INCOMPLETE
 * (with req->scanned at the current line start) or HTTP_ERROR.
 */
static int
head_find(const char *buf, size_t len, size_t rl, size_t *end,
    struct http_request *req, const struct http_limits *lim)
{
	const char	*nl;
	size_t		 line, e, max;

	line = req->scanned > rl && req->scanned <= len ? req->scanned : rl;
	for (;;) {
		/* The request-line is never empty: buf[rl] is not CR. */
		if (line != rl) {
			if (line == len)
				break;
			if (buf[line] == '\r') {
				if (line + 1 == len)
					break;
				if (buf[line + 1] != '\n')
					return fail(req, 400, "bare CR");
				*end = line + 2;
				if (*end - rl > lim->max_head)
					return fail(req, 431, "head too large");
				req->scanned = 0;
				return 0;
			}
		}
		max = line == rl ? lim->max_request_line : lim->max_header_line;
		nl = memchr(buf + line, '\n', len - line);
		e = nl != NULL ? (size_t)(nl - buf) : len;
		/*
		 * The same checks in the same order whether the LF has come
		 * or not, so that a head fed in pieces fails with the status
		 * it would get whole.  The line may end in CR: max + 1.
		 */
		if (e - line > max + 1)
			goto toolong;
		if (e - rl > lim->max_head)
			goto toolarge;
		if (nl == NULL)
			break;
		if (e == line || buf[e - 1] != '\r')
			return fail(req, 400, "bare LF as line terminator");
		if (e + 1 - rl > lim->max_head)
			goto toolarge;
		line = e + 1;
	}
	req->scanned = line;
	return HTTP_INCOMPLETE;
toolarge:
	/* A request-line over the head limit is a long URI all the same. */
	if (line != rl)
		return fail(req, 431, "head too large");
toolong:
	if (line == rl)
		return fail(req, 414, "request-line too long");
	return fail(req, 431, "field line too long");
}

/* Returns the first byte at or after p that is not a request-target byte. */
static const char *
scan_target(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i	 lo = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);
	const __m128i	 hash = _mm_set1_epi8('#');

	/* Signed compare: bytes >= 0x80 are negative, so "< 0x21" too. */
	while (end - p >= 16) {
		__m128i	 v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i	 bad = _mm_or_si128(_mm_cmplt_epi8(v, lo),
		    _mm_or_si128(_mm_cmpeq_epi8(v, del),
		    _mm_cmpeq_epi8(v, hash)));
		int	 m = _mm_movemask_epi8(bad);

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#else
	(void)end;
#endif
	while (HTTP_IS(*p, HC_TARGET))
		p++;
	return p;
}

/* Returns the first byte at or after p that is not a field-value byte. */
static const char *
scan_value(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i	 ctl = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	const __m128i	 tab = _mm_set1_epi8('\t');

	while (end - p >= 16) {
		__m128i	 v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* Unsigned v <= 0x1f iff min(v, 0x1f) == v; HTAB is allowed. */
		__m128i	 bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl),
		    v), _mm_cmpeq_epi8(v, del));
		int	 m;

		bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), bad);
		m = _mm_movemask_epi8(bad);
		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#else
	(void)end;
#endif
	while (HTTP_IS(*p, HC_VALUE))
		p++;
	return p;
}

/* Case-insensitive compare of s against a lowercase name of length n. */
static int
name_is(const char *s, const char *lower, size_t n)
{
	size_t	 i;

	/* OR 0x20 lowercases letters; tokens hold no byte it would confuse. */
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] | 0x20) != (unsigned char)lower[i])
			return 0;
	return 1;
}

static enum http_method
method_id(const char *m, size_t n)
{
	switch (n) {
	case 3:
		if (memcmp(m, "GET", 3) == 0)
			return HTTP_METHOD_GET;
		if (memcmp(m, "PUT", 3) == 0)
			return HTTP_METHOD_PUT;
		break;
	case 4:
		if (memcmp(m, "POST", 4) == 0)
			return HTTP_METHOD_POST;
		if (memcmp(m, "HEAD", 4) == 0)
			return HTTP_METHOD_HEAD;
		break;
	case 5:
		if (memcmp(m, "PATCH", 5) == 0)
			return HTTP_METHOD_PATCH;
		if (memcmp(m, "TRACE", 5) == 0)
			return HTTP_METHOD_TRACE;
		break;
	case 6:
		if (memcmp(m, "DELETE", 6) == 0)
			return HTTP_METHOD_DELETE;
		break;
	case 7:
		if (memcmp(m, "OPTIONS", 7) == 0)
			return HTTP_METHOD_OPTIONS;
		if (memcmp(m, "CONNECT", 7) == 0)
			return HTTP_METHOD_CONNECT;
		break;
	}
	return HTTP_METHOD_OTHER;
}

/*
 * Host syntax (RFC 9110 §7.2, RFC 3986 §3.2.2): uri-host [ ":" port ].  We
 * accept the unreserved subset of reg-name (letters, digits, "-._~"), IPv4
 * and bracketed IPv6 literals; no pct-encoding, sub-delims or userinfo, so
 * the router only ever sees plain names.  The port, when present, is 1-5
 * digits <= 65535.
 */
static int
host_valid(const char *s, size_t n, int need_port)
{
	size_t	 i = 0, p;
	unsigned port = 0;

	if (n == 0)
		return 0;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!HTTP_IS(s[i], HC_HEX) && s[i] != ':' &&
			    s[i] != '.')
				return 0;
		if (i == n || i < 3)
			return 0;
		i++;
	} else {
		while (i < n && HTTP_IS(s[i], HC_HOST))
			i++;
		if (i == 0)
			return 0;
	}
	if (i == n)
		return !need_port;
	if (s[i] != ':' || n - i - 1 < 1 || n - i - 1 > 5)
		return 0;
	for (p = i + 1; p < n; p++) {
		if (s[p] < '0' || s[p] > '9')
			return 0;
		port = port * 10 + (unsigned)(s[p] - '0');
	}
	return port <= 65535;
}

/*
 * Classifies the target (RFC 9112 §3.2) and, for absolute and authority
 * forms, takes the host from it: that host wins over the Host field.
 */
static int
target_form(struct http_request *req)
{
	const char	*t = req->target, *a, *e = t + req->target_len;
	size_t		 n = req->target_len, i;

	if (t[0] == '/') {
		if (req->method_id == HTTP_METHOD_CONNECT)
			return fail(req, 400, "CONNECT needs authority-form");
		req->form = HTTP_FORM_ORIGIN;
		return 0;
	}
	if (n == 1 && t[0] == '*') {
		if (req->method_id != HTTP_METHOD_OPTIONS)
			return fail(req, 400, "asterisk-form is for OPTIONS");
		req->form = HTTP_FORM_ASTERISK;
		return 0;
	}
	if (req->method_id == HTTP_METHOD_CONNECT) {
		if (!host_valid(t, n, 1))
			return fail(req, 400, "invalid authority-form target");
		req->form = HTTP_FORM_AUTHORITY;
		req->host = t;
		req->host_len = n;
		return 0;
	}
	/* absolute-form: only the schemes we serve, no userinfo. */
	if (n > 7 && name_is(t, "http://", 7))
		i = 7;
	else if (n > 8 && name_is(t, "https://", 8))
		i = 8;
	else
		return fail(req, 400, "invalid request-target");
	for (a = t + i; a < e && *a != '/' && *a != '?'; a++)
		if (*a == '@')
			return fail(req, 400, "userinfo in request-target");
	if (!host_valid(t + i, (size_t)(a - (t + i)), 0))
		return fail(req, 400, "invalid host in request-target");
	req->form = HTTP_FORM_ABSOLUTE;
	req->host = t + i;
	req->host_len = (size_t)(a - (t + i));
	return 0;
}

/*
 * Parses the request-line at p; returns the offset of the first field line
 * or HTTP_ERROR.  The line is known to end in CRLF within end.
 */
static long
parse_request_line(const char *buf, const char *p, const char *end,
    struct http_request *req, const struct http_limits *lim)
{
	const char	*t;

	req->method = p;
	while (HTTP_IS(*p, HC_TOKEN))
		p++;
	if (p == req->method || *p != ' ')
		return fail(req, 400, "invalid method");
	req->method_len = (size_t)(p - req->method);
	req->method_id = method_id(req->method, req->method_len);

	t = ++p;
	p = scan_target(p, end);
	if (*p != ' ' || p == t)
		return fail(req, 400, "invalid request-target");
	req->target = t;
	req->target_len = (size_t)(p - t);
	if (lim->max_target > 0 && req->target_len > lim->max_target)
		return fail(req, 414, "request-target too long");

	p++;
	if (end - p < 10 || memcmp(p, "HTTP/", 5) != 0 ||
	    p[5] < '0' || p[5] > '9' || p[6] != '.' ||
	    p[7] < '0' || p[7] > '9' || p[8] != '\r' || p[9] != '\n')
		return fail(req, 400, "invalid HTTP version");
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return fail(req, 505, "HTTP version not supported");
	req->version = p[7] == '1' ? 11 : 10;
	if (target_form(req) == HTTP_ERROR)
		return HTTP_ERROR;
	return (long)(p + 10 - buf);
}

static int
parse_content_length(const struct http_header *h, struct facts *f,
    struct http_request *req)
{
	int64_t	 v = 0;
	size_t	 i;

	/* One field line, one value: "5, 5" and repeated lines are refused. */
	if (++f->ncl > 1)
		return fail(req, 400, "more than one Content-Length");
	if (h->value_len == 0)
		return fail(req, 400, "invalid Content-Length");
	for (i = 0; i < h->value_len; i++) {
		unsigned d = (unsigned char)h->value[i] - '0';

		if (d > 9)
			return fail(req, 400, "invalid Content-Length");
		if (v > (HTTP_LENGTH_MAX - d) / 10)
			return fail(req, 400, "Content-Length too large");
		v = v * 10 + d;
	}
	f->cl = v;
	return 0;
}

/*
 * Transfer-Encoding (RFC 9112 §6.1): a list, possibly over several lines,
 * whose last element must be exactly "chunked", applied once.  Codings we
 * do not implement before it are a 501 (decided at the end of the head);
 * anything after chunked is a 400 now.
 */
static int
parse_transfer_encoding(const struct http_header *h, struct facts *f,
    struct http_request *req)
{
	const char	*p = h->value, *e = h->value + h->value_len, *t;

	f->nte++;
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		t = p;
		while (p < e && HTTP_IS(*p, HC_TOKEN))
			p++;
		if (p == t)
			return fail(req, 400, "invalid Transfer-Encoding");
		if (f->te_chunked_seen)
			return fail(req, 400, "chunked not the final coding");
		if (p - t == 7 && name_is(t, "chunked", 7)) {
			f->te_chunked_seen = f->te_chunked_last = 1;
		} else {
			f->te_other = 1;
			f->te_chunked_last = 0;
			/* Parameters of a coding we refuse anyway. */
			while (p < e && *p != ',')
				p++;
		}
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e)
			return 0;
		if (*p++ != ',')
			return fail(req, 400, "invalid Transfer-Encoding");
	}
}

/* Connection (RFC 9110 §7.6.1): a token list; empty elements are allowed. */
static int
parse_connection(const struct http_header *h, struct facts *f,
    struct http_request *req)
{
	const char	*p = h->value, *e = h->value + h->value_len, *t;
	size_t		 n;

	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		t = p;
		while (p < e && HTTP_IS(*p, HC_TOKEN))
			p++;
		n = (size_t)(p - t);
		if (n == 5 && name_is(t, "close", 5))
			f->conn_close = 1;
		else if (n == 10 && name_is(t, "keep-alive", 10))
			f->conn_keepalive = 1;
		else if (n == 7 && name_is(t, "upgrade", 7))
			f->conn_upgrade = 1;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != ',')
			return fail(req, 400, "invalid Connection");
	}
	return 0;
}

/* Looks at the fields that decide framing, routing and the connection. */
static int
field_facts(const struct http_header *h, struct facts *f,
    struct http_request *req)
{
	switch (h->name_len) {
	case 4:
		if (!name_is(h->name, "host", 4))
			break;
		if (++f->nhost > 1)
			return fail(req, 400, "more than one Host");
		if (!host_valid(h->value, h->value_len, 0))
			return fail(req, 400, "invalid Host");
		f->host = h->value;
		f->host_len = h->value_len;
		break;
	case 6:
		if (!name_is(h->name, "expect", 6))
			break;
		if (h->value_len != 12 ||
		    !name_is(h->value, "100-continue", 12))
			return fail(req, 417, "unsupported expectation");
		req->expect_continue = 1;
		break;
	case 7:
		if (name_is(h->name, "upgrade", 7)) {
			req->upgrade = h->value;
			req->upgrade_len = h->value_len;
		}
		break;
	case 10:
		if (name_is(h->name, "connection", 10))
			return parse_connection(h, f, req);
		break;
	case 14:
		if (name_is(h->name, "content-length", 14))
			return parse_content_length(h, f, req);
		break;
	case 17:
		if (name_is(h->name, "transfer-encoding", 17))
			return parse_transfer_encoding(h, f, req);
		break;
	}
	return 0;
}

/*
 * Parses one field line at p (RFC 9112 §5): token ":" OWS value OWS CRLF.
 * Returns the next line's start or NULL (req->status set).
 */
static const char *
parse_field(const char *p, const char *end, struct http_header *h,
    struct http_request *req)
{
	const char	*v, *ve;

	if (*p == ' ' || *p == '\t') {
		fail(req, 400, "obsolete line folding");
		return NULL;
	}
	h->name = p;
	while (HTTP_IS(*p, HC_TOKEN))
		p++;
	if (*p != ':') {
		if (p == h->name)
			fail(req, 400, "invalid field name");
		else if (*p == ' ' || *p == '\t')
			fail(req, 400, "whitespace before colon");
		else
			fail(req, 400, "invalid character in field name");
		return NULL;
	}
	if (p == h->name) {
		fail(req, 400, "empty field name");
		return NULL;
	}
	h->name_len = (size_t)(p - h->name);
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	v = p;
	p = scan_value(p, end);
	if (*p != '\r') {
		fail(req, 400, "control character in field value");
		return NULL;
	}
	if (p[1] != '\n') {
		fail(req, 400, "bare CR");
		return NULL;
	}
	for (ve = p; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	h->value = v;
	h->value_len = (size_t)(ve - v);
	return p + 2;
}

/* Folds the gathered facts into req: framing, Host, keep-alive. */
static int
finish(struct http_request *req, const struct facts *f)
{
	if (f->nte > 0) {
		if (f->ncl > 0)
			return fail(req, 400,
			    "both Content-Length and Transfer-Encoding");
		if (req->version == 10)
			return fail(req, 400, "Transfer-Encoding in HTTP/1.0");
		if (!f->te_chunked_last)
			return fail(req, 400, "chunked not the final coding");
		if (f->te_other)
			return fail(req, 501, "transfer coding not supported");
		req->chunked = 1;
	}
	req->content_length = f->ncl > 0 ? f->cl : -1;
	if (req->version == 11 && f->nhost == 0)
		return fail(req, 400, "missing Host");
	if (f->nhost > 0 && req->host == NULL) {
		req->host = f->host;
		req->host_len = f->host_len;
	}
	req->close = f->conn_close;
	if (req->version == 11) {
		req->keep_alive = !f->conn_close;
		req->upgrade_req = req->upgrade != NULL && f->conn_upgrade;
	} else {
		/* 1.0: ignore Expect and Upgrade (RFC 9110 §10.1.1, §7.8). */
		req->keep_alive = f->conn_keepalive && !f->conn_close;
		req->expect_continue = 0;
	}
	if (!req->upgrade_req) {
		req->upgrade = NULL;
		req->upgrade_len = 0;
	}
	return 0;
}

/* Pass 2: the request-line and the field lines of a complete head. */
static int
head_parse(const char *buf, size_t rl, size_t endoff,
    struct http_request *req, const struct http_limits *lim)
{
	const char	*p, *end = buf + endoff;
	struct facts	 f;
	size_t		 cap;
	long		 off;

	memset(&f, 0, sizeof(f));
	off = parse_request_line(buf, buf + rl, end, req, lim);
	if (off < 0)
		return HTTP_ERROR;
	cap = req->header_cap < lim->max_headers ? req->header_cap :
	    lim->max_headers;
	for (p = buf + off; *p != '\r';) {
		struct http_header *h;

		if (req->nheaders == cap)
			return fail(req, 431, "too many header fields");
		h = &req->headers[req->nheaders];
		if ((p = parse_field(p, end, h, req)) == NULL)
			return HTTP_ERROR;
		req->nheaders++;
		if (field_facts(h, &f, req) == HTTP_ERROR)
			return HTTP_ERROR;
	}
	/*
	 * Pass 1 and pass 2 must agree on the end of the head; they can only
	 * differ if the caller changed bytes below req->scanned between calls.
	 */
	if (p + 2 != end)
		return fail(req, 400, "head changed between calls");
	if (finish(req, &f) == HTTP_ERROR)
		return HTTP_ERROR;
	return (int)endoff;
}

static void
reset_out(struct http_request *req)
{
	struct http_header *h = req->headers;
	size_t		 cap = req->header_cap, scanned = req->scanned;

	memset(req, 0, sizeof(*req));
	req->headers = h;
	req->header_cap = cap;
	req->scanned = scanned;
}

int
http_request_parse(const char *buf, size_t len, struct http_request *req,
    const struct http_limits *lim)
{
	size_t	 end;
	long	 rl;
	int	 r;

	if (lim == NULL)
		lim = &http_limits_default;
	/* The head's length is returned as an int. */
	if (len > INT_MAX)
		len = INT_MAX;
	reset_out(req);
	if ((rl = skip_empty_lines(buf, len, req, lim)) < 0)
		return (int)rl;
	if ((r = head_find(buf, len, (size_t)rl, &end, req, lim)) != 0)
		return r;
	return head_parse(buf, (size_t)rl, end, req, lim);
}

/* For the HTTP/2 framing (src/h2), which checks :method and :authority as
 * this parser checks the request-line's method and Host. */
enum http_method
http_method_lookup(const char *m, size_t n)
{
	return method_id(m, n);
}

int
http_host_ok(const char *s, size_t n)
{
	return host_valid(s, n, 0);
}
