/*
 * head — the request head of one HTTP/2 stream, field by field, into a
 * struct http_request over a synthesized head. See h2.h.
 *
 * RFC 9113 §8 as strictly as src/http judges HTTP/1.1: a malformed head
 * (§8.1.1) is H2_MALFORMED, which the session answers with RST_STREAM
 * PROTOCOL_ERROR; a head that breaks one of HTTP/1.1's limits, or that
 * HTTP/1.1 would answer 400 (a bad :authority, Content-Length or
 * expectation), is H2_REFUSE with the same status and reason as HTTP/1.1,
 * so that both framings answer and log alike (logline_reason()).
 *
 * libnghttp2 checks much of §8 itself before a field gets here (its HTTP
 * messaging checks stay on); these checks are ours so that the rules are
 * written down, unit-tested, and hold whatever the library's version.
 */
#include <string.h>
#include <strings.h>

#include "h2/h2.h"
#include "http/chars.h"

#define PS_METHOD	0
#define PS_SCHEME	1
#define PS_AUTHORITY	2
#define PS_PATH		3

static const struct {
	const char	*name;
	size_t		 len;
} pseudo[4] = {
	{ ":method", 7 }, { ":scheme", 7 }, { ":authority", 10 },
	{ ":path", 5 },
};

static int
bad(struct h2_head *h, int rc, int status, const char *why)
{
	h->status = status;
	h->error = why;
	return rc;
}

void
h2_head_init(struct h2_head *h, char *buf, size_t cap,
    struct http_header *headers, size_t n, const struct http_limits *lim,
    int trailers)
{
	memset(h, 0, sizeof(*h));
	h->buf = buf;
	h->cap = cap;
	h->lim = lim != NULL ? lim : &http_limits_default;
	h->trailers = trailers;
	h->content_length = -1;
	h->req.headers = headers;
	h->req.header_cap = n;
	h->req.content_length = -1;
}

static int
is(const char *s, size_t n, const char *lit, size_t len)
{
	return n == len && memcmp(s, lit, len) == 0;
}

/* A name: lowercase tchar (§8.2.1: uppercase is malformed). */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!HTTP_IS(s[i], HC_TOKEN) || (s[i] >= 'A' && s[i] <= 'Z'))
			return 0;
	return 1;
}

/* A value: no NUL, CR, LF or other control but HTAB; no leading or
 * trailing whitespace (§8.2.1). */
static int
value_ok(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		return 0;
	for (i = 0; i < n; i++)
		if (!HTTP_IS(s[i], HC_VALUE))
			return 0;
	return 1;
}

/* §8.2.2: fields that belong to one HTTP/1.1 connection. */
static int
connection_specific(const char *n, size_t len, const char *v, size_t vlen)
{
	return is(n, len, "connection", 10) || is(n, len, "keep-alive", 10) ||
	    is(n, len, "proxy-connection", 16) ||
	    is(n, len, "transfer-encoding", 17) || is(n, len, "upgrade", 7) ||
	    (is(n, len, "te", 2) && !is(v, vlen, "trailers", 8));
}

static int
pseudo_field(struct h2_head *h, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	int i;

	if (h->trailers || h->regular)
		return bad(h, H2_MALFORMED, 400, "pseudo-header field after "
		    "the regular fields or in trailers");
	for (i = 0; i < 4; i++)
		if (is(name, nlen, pseudo[i].name, pseudo[i].len))
			break;
	if (i == 4)
		return bad(h, H2_MALFORMED, 400, "unknown pseudo-header field");
	if (h->seen & (1u << i))
		return bad(h, H2_MALFORMED, 400, "pseudo-header field twice");
	if (vlen == 0 && i != PS_AUTHORITY)
		return bad(h, H2_MALFORMED, 400, "empty pseudo-header field");
	if (vlen > h->cap - h->len - h->tail)
		return bad(h, H2_REFUSE, 431, "head too large");
	h->tail += vlen;
	memcpy(h->buf + h->cap - h->tail, value, vlen);
	h->ps_off[i] = h->tail;
	h->ps_len[i] = vlen;
	h->seen |= 1u << i;
	return H2_OK;
}

/* "name: value\r\n" appended; the header table points at it (offsets
 * from buf until h2_head_end moves the lines into place). */
static int
keep_field(struct h2_head *h, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct http_request *r = &h->req;
	size_t line = nlen + 2 + vlen + 2, max = h->lim->max_headers;
	struct http_header *f;

	if (max == 0 || max > r->header_cap)
		max = r->header_cap;
	if (r->nheaders >= max)
		return bad(h, H2_REFUSE, 431, "too many header fields");
	if (line > h->cap - h->len - h->tail)
		return bad(h, H2_REFUSE, 431, "head too large");
	f = &r->headers[r->nheaders++];
	memcpy(h->buf + h->len, name, nlen);
	memcpy(h->buf + h->len + nlen, ": ", 2);
	memcpy(h->buf + h->len + nlen + 2, value, vlen);
	memcpy(h->buf + h->len + nlen + 2 + vlen, "\r\n", 2);
	f->name = (const char *)(uintptr_t)h->len;
	f->name_len = nlen;
	f->value = (const char *)(uintptr_t)(h->len + nlen + 2);
	f->value_len = vlen;
	h->len += line;
	return H2_OK;
}

static int
length_field(struct h2_head *h, const char *v, size_t n)
{
	int64_t cl = 0;
	size_t i;

	if (n == 0 || n > 19)
		return bad(h, H2_REFUSE, 400, "invalid Content-Length");
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return bad(h, H2_REFUSE, 400, "invalid Content-Length");
		cl = cl * 10 + (v[i] - '0');
	}
	if (cl > HTTP_LENGTH_MAX)
		return bad(h, H2_REFUSE, 400, "Content-Length too large");
	if (h->content_length >= 0 && h->content_length != cl)
		return bad(h, H2_REFUSE, 400, "more than one Content-Length");
	h->content_length = cl;
	return H2_OK;
}

int
h2_head_field(struct h2_head *h, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	const struct http_limits *l = h->lim;
	int rc;

	/* As HTTP/1.1 counts them: "name: value" and its CRLF. */
	h->bytes += nlen + 2 + vlen + 2;
	if (l->max_head > 0 && h->bytes > l->max_head)
		return bad(h, H2_REFUSE, 431, "head too large");
	if (nlen > 0 && name[0] == ':') {
		if (!value_ok(value, vlen))
			return bad(h, H2_MALFORMED, 400, "invalid field value");
		return pseudo_field(h, name, nlen, value, vlen);
	}
	h->regular = 1;
	if (l->max_header_line > 0 && nlen + 2 + vlen > l->max_header_line)
		return bad(h, H2_REFUSE, 431, "field line too long");
	if (!name_ok(name, nlen))
		return bad(h, H2_MALFORMED, 400, "invalid field name");
	if (!value_ok(value, vlen))
		return bad(h, H2_MALFORMED, 400, "invalid field value");
	if (connection_specific(name, nlen, value, vlen))
		return bad(h, H2_MALFORMED, 400, "connection-specific field");
	if (h->trailers)
		return keep_field(h, name, nlen, value, vlen);
	if (is(name, nlen, "content-length", 14) &&
	    (rc = length_field(h, value, vlen)) != H2_OK)
		return rc;
	if (is(name, nlen, "expect", 6)) {
		if (!(vlen == 12 && strncasecmp(value, "100-continue", 12) == 0))
			return bad(h, H2_REFUSE, 417, "unsupported expectation");
		h->req.expect_continue = 1;
	}
	if (is(name, nlen, "host", 4)) {
		if (h->has_host)
			return bad(h, H2_REFUSE, 400, "more than one Host");
		h->has_host = 1;
		h->host_off = h->len + nlen + 2;
		h->host_len = vlen;
	}
	return keep_field(h, name, nlen, value, vlen);
}

/* The pseudo-header value i, where it waits in buf's tail. */
static const char *
ps(const struct h2_head *h, int i)
{
	return h->buf + h->cap - h->ps_off[i];
}

/* The request's pseudo-header fields, as §8.3.1 wants them. */
static int
check_request(struct h2_head *h)
{
	struct http_request *r = &h->req;
	const char *path = ps(h, PS_PATH), *auth = ps(h, PS_AUTHORITY);
	size_t plen = h->ps_len[PS_PATH], alen = h->ps_len[PS_AUTHORITY], i;
	const struct http_limits *l = h->lim;

	if (!(h->seen & H2_PS_METHOD))
		return bad(h, H2_MALFORMED, 400, "no :method");
	for (i = 0; i < h->ps_len[PS_METHOD]; i++)
		if (!HTTP_IS(ps(h, PS_METHOD)[i], HC_TOKEN))
			return bad(h, H2_MALFORMED, 400, "invalid method");
	r->method_id = http_method_lookup(ps(h, PS_METHOD),
	    h->ps_len[PS_METHOD]);
	if (r->method_id == HTTP_METHOD_CONNECT) {
		/* §8.5: :authority alone. Served as HTTP/1.1 serves CONNECT
		 * (the exchange answers 405). */
		if ((h->seen & (H2_PS_SCHEME | H2_PS_PATH)) ||
		    !(h->seen & H2_PS_AUTHORITY))
			return bad(h, H2_MALFORMED, 400, "CONNECT needs "
			    ":authority alone");
		r->form = HTTP_FORM_AUTHORITY;
	} else if ((h->seen & (H2_PS_SCHEME | H2_PS_PATH)) !=
	    (H2_PS_SCHEME | H2_PS_PATH))
		return bad(h, H2_MALFORMED, 400, "no :scheme or :path");
	else if (path[0] == '/')
		r->form = HTTP_FORM_ORIGIN;
	else if (plen == 1 && path[0] == '*' &&
	    r->method_id == HTTP_METHOD_OPTIONS)
		r->form = HTTP_FORM_ASTERISK;
	else
		return bad(h, H2_MALFORMED, 400, "a :path not in origin or "
		    "asterisk form");
	if (!(h->seen & H2_PS_AUTHORITY) && !h->has_host)
		return bad(h, H2_MALFORMED, 400, "neither :authority nor Host");
	for (i = 0; i < plen; i++)
		if (!HTTP_IS(path[i], HC_TARGET))
			return bad(h, H2_MALFORMED, 400, "invalid "
			    "request-target");
	if (l->max_target > 0 && plen > l->max_target)
		return bad(h, H2_REFUSE, 414, "request-target too long");
	if (l->max_request_line > 0 && h->ps_len[PS_METHOD] + 1 + plen + 9 >
	    l->max_request_line)
		return bad(h, H2_REFUSE, 414, "request-line too long");
	if ((h->seen & H2_PS_AUTHORITY) && !http_host_ok(auth, alen))
		return bad(h, H2_REFUSE, 400, "invalid Host (:authority)");
	if (h->has_host && !http_host_ok(h->buf + h->host_off, h->host_len))
		return bad(h, H2_REFUSE, 400, "invalid Host");
	if ((h->seen & H2_PS_AUTHORITY) && h->has_host &&
	    (alen != h->host_len || strncasecmp(auth, h->buf + h->host_off,
	    alen) != 0))
		return bad(h, H2_MALFORMED, 400, "Host differs from "
		    ":authority");
	return H2_OK;
}

/*
 * Lays the head out: the request line, a host line from :authority when
 * no host field came, the field lines, the empty line. The field lines
 * move up by what goes before them.
 */
static int
lay_out(struct h2_head *h)
{
	struct http_request *r = &h->req;
	size_t mlen = h->ps_len[PS_METHOD], tlen, hl = 0, pre, i, total;
	int add_host = (h->seen & H2_PS_AUTHORITY) && !h->has_host;
	const char *target;
	char *p;

	target = r->form == HTTP_FORM_AUTHORITY ? ps(h, PS_AUTHORITY) :
	    ps(h, PS_PATH);
	tlen = r->form == HTTP_FORM_AUTHORITY ? h->ps_len[PS_AUTHORITY] :
	    h->ps_len[PS_PATH];
	if (add_host) {
		if (r->nheaders >= r->header_cap ||
		    (h->lim->max_headers > 0 &&
		    r->nheaders >= h->lim->max_headers))
			return bad(h, H2_REFUSE, 431, "too many header fields");
		hl = 6 + h->ps_len[PS_AUTHORITY] + 2;
	}
	pre = mlen + 1 + tlen + 11 + hl;
	total = pre + h->len + 2;
	if (h->lim->max_head > 0 && total > h->lim->max_head)
		return bad(h, H2_REFUSE, 431, "head too large");
	if (total > h->cap - h->tail)
		return bad(h, H2_REFUSE, 431, "head too large");
	/* The pseudo values stay in the tail, above `total`. */
	memmove(h->buf + pre, h->buf, h->len);
	for (i = 0; i < r->nheaders; i++) {
		r->headers[i].name = h->buf + pre + (uintptr_t)r->headers[i].name;
		r->headers[i].value = h->buf + pre +
		    (uintptr_t)r->headers[i].value;
	}
	p = h->buf;
	memcpy(p, ps(h, PS_METHOD), mlen);
	r->method = p;
	r->method_len = mlen;
	p += mlen;
	*p++ = ' ';
	memcpy(p, target, tlen);
	r->target = p;
	r->target_len = tlen;
	p += tlen;
	memcpy(p, " HTTP/2.0\r\n", 11);
	p += 11;
	if (add_host) {
		memcpy(p, "host: ", 6);
		memcpy(p + 6, ps(h, PS_AUTHORITY), h->ps_len[PS_AUTHORITY]);
		memcpy(p + 6 + h->ps_len[PS_AUTHORITY], "\r\n", 2);
		memmove(r->headers + 1, r->headers, r->nheaders *
		    sizeof(*r->headers));
		r->headers[0].name = p;
		r->headers[0].name_len = 4;
		r->headers[0].value = p + 6;
		r->headers[0].value_len = h->ps_len[PS_AUTHORITY];
		r->nheaders++;
		r->host = p + 6;
		r->host_len = h->ps_len[PS_AUTHORITY];
	} else if (h->has_host) {
		r->host = h->buf + pre + h->host_off;
		r->host_len = h->host_len;
	}
	memcpy(h->buf + pre + h->len, "\r\n", 2);
	return (int)total;
}

/* Trailers: the field lines in place, pointers made absolute. */
static int
end_trailers(struct h2_head *h)
{
	struct http_request *r = &h->req;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		r->headers[i].name = h->buf + (uintptr_t)r->headers[i].name;
		r->headers[i].value = h->buf + (uintptr_t)r->headers[i].value;
	}
	return (int)h->len;
}

/* Header f's line: where it starts in buf (offsets, before lay_out) and
 * its length. */
static size_t
line_at(const struct http_header *f, size_t *len)
{
	*len = f->name_len + 2 + f->value_len + 2;
	return (uintptr_t)f->name;
}

static int
is_cookie(const struct h2_head *h, const struct http_header *f)
{
	return f->name_len == 6 && is(h->buf + (uintptr_t)f->name, 6,
	    "cookie", 6);
}

/*
 * RFC 9113 §8.2.3: cookie fields, which HTTP/2 clients send one crumb
 * each, are joined with "; " into one before anything of HTTP/1.1's kind
 * sees them. The joined line is written after the lines, then the lines
 * are packed down without the single crumbs (each moves only towards the
 * start, so in order is safe).
 */
static int
join_cookies(struct h2_head *h)
{
	struct http_request *r = &h->req;
	struct http_header *f;
	size_t i, k = 0, n = 0, vlen = 0, at, len, w = 0;
	char *p;

	for (i = 0; i < r->nheaders; i++)
		if (is_cookie(h, &r->headers[i]))
			vlen += (n++ ? 2 : 0) + r->headers[i].value_len;
	if (n < 2)
		return H2_OK;
	if (r->nheaders >= r->header_cap)
		return bad(h, H2_REFUSE, 431, "too many header fields");
	if (8 + vlen + 2 > h->cap - h->len - h->tail)
		return bad(h, H2_REFUSE, 431, "head too large");
	p = h->buf + h->len;
	memcpy(p, "cookie: ", 8);
	for (i = 0, len = 8; i < r->nheaders; i++) {
		f = &r->headers[i];
		if (!is_cookie(h, f))
			continue;
		if (len > 8) {
			memcpy(p + len, "; ", 2);
			len += 2;
		}
		memcpy(p + len, h->buf + (uintptr_t)f->value, f->value_len);
		len += f->value_len;
	}
	memcpy(p + len, "\r\n", 2);
	/* The joined line as the last field, then everything packed. */
	r->headers[r->nheaders++] = (struct http_header){
	    (const char *)(uintptr_t)h->len, 6,
	    (const char *)(uintptr_t)(h->len + 8), vlen };
	h->len += len + 2;
	for (i = 0; i < r->nheaders; i++) {
		f = &r->headers[i];
		at = line_at(f, &len);
		if (i < r->nheaders - 1 && is_cookie(h, f))
			continue;
		memmove(h->buf + w, h->buf + at, len);
		if (h->has_host && h->host_off == at + 6 && f->name_len == 4)
			h->host_off = w + 6;
		r->headers[k] = *f;
		r->headers[k].name = (const char *)(uintptr_t)w;
		r->headers[k].value = (const char *)(uintptr_t)(w + f->name_len +
		    2);
		k++;
		w += len;
	}
	r->nheaders = k;
	h->len = w;
	return H2_OK;
}

int
h2_head_end(struct h2_head *h, int body)
{
	struct http_request *r = &h->req;
	int rc;

	if (h->trailers)
		return end_trailers(h);
	if ((rc = check_request(h)) != H2_OK)
		return rc;
	r->version = 20;
	r->content_length = h->content_length;
	if (!body && h->content_length > 0)
		return bad(h, H2_MALFORMED, 400, "END_STREAM before the "
		    "Content-Length's body");
	r->chunked = body && h->content_length < 0;
	r->expect_continue = r->expect_continue && body;
	r->keep_alive = 0;
	r->upgrade_req = 0;
	if ((rc = join_cookies(h)) != H2_OK)
		return rc;
	return lay_out(h);
}
