/*
 * response — the upstream's HTTP/1.1 response head, parsed as strictly as
 * hsysd parses requests (src/http/request.c), because a lenient reading is
 * how a proxy and a server come to disagree on where a response ends (a
 * desynchronized keep-alive connection hands one client's answer to the
 * next client).
 *
 * Pure and allocation-free over the caller's buffer: bytes consumed,
 * HTTP_INCOMPLETE or HTTP_ERROR with a static reason. Refused: a status
 * line other than "HTTP/1.0|1.1 SP 3DIGIT [SP reason] CRLF"; bare CR or
 * LF; obs-fold; whitespace before a field's colon; control bytes in a
 * value; two Content-Length fields that differ, a list or a non-number;
 * Transfer-Encoding other than exactly "chunked", or with Content-Length
 * or on HTTP/1.0; too many fields; a head over max_head.
 */
#include <string.h>
#include <strings.h>

#include "forward/forward.h"
#include "http/chars.h"

#define MAX_HEAD_DEFAULT	(64 * 1024)

void
fwd_response_init(struct fwd_response *resp, struct http_header *headers,
    size_t cap, size_t max_head)
{
	memset(resp, 0, sizeof(*resp));
	resp->headers = headers;
	resp->header_cap = cap;
	resp->max_head = max_head != 0 ? max_head : MAX_HEAD_DEFAULT;
}

static int
fail(struct fwd_response *resp, const char *why)
{
	resp->error = why;
	return HTTP_ERROR;
}

/* Finds the end of the head (after CRLF CRLF), refusing bare CR and LF on
 * the way. Returns the head's length, HTTP_INCOMPLETE or HTTP_ERROR. */
static int
head_end(const char *buf, size_t len, struct fwd_response *resp)
{
	size_t i, lim = len < resp->max_head ? len : resp->max_head;

	for (i = resp->scanned; i < lim; i++) {
		if (buf[i] == '\r') {
			if (i + 1 == len)
				break;
			if (buf[i + 1] != '\n')
				return fail(resp, "bare CR in the head");
			continue;
		}
		if (buf[i] != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r')
			return fail(resp, "bare LF in the head");
		if (i >= 3 && buf[i - 2] == '\n')
			return (int)(i + 1);
		if (i == 1)
			return fail(resp, "empty line before the status line");
	}
	resp->scanned = i;
	if (len >= resp->max_head)
		return fail(resp, "response head too large");
	return HTTP_INCOMPLETE;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" up to CR. Returns the offset after its
 * CRLF, or HTTP_ERROR. */
static int
status_line(const char *buf, size_t end, struct fwd_response *resp)
{
	size_t i;

	if (end < 13 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return fail(resp, "bad status line (version)");
	resp->version = buf[7] == '1' ? 11 : 10;
	if (buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return fail(resp, "bad status line (status code)");
	resp->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
	    (buf[11] - '0');
	i = 12;
	if (buf[i] == ' ') {
		resp->reason = buf + 13;
		for (i = 13; buf[i] != '\r'; i++)
			if (!HTTP_IS(buf[i], HC_VALUE))
				return fail(resp, "bad status line (reason)");
		resp->reason_len = i - 13;
	} else if (buf[i] != '\r')
		return fail(resp, "bad status line (after the code)");
	return (int)(i + 2);
}

static int
name_is(const struct http_header *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    strncasecmp(f->name, name, f->name_len) == 0;
}

static int
token_is(const char *s, size_t n, const char *tok)
{
	return n == strlen(tok) && strncasecmp(s, tok, n) == 0;
}

/* Calls fn for each comma-separated element of a list value, OWS trimmed,
 * empty elements skipped. */
static void
list_each(const char *v, size_t n, struct fwd_response *resp,
    void (*fn)(struct fwd_response *, const char *, size_t))
{
	size_t i = 0, s, e;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s)
			fn(resp, v + s, e - s);
	}
}

static void
connection_token(struct fwd_response *resp, const char *t, size_t n)
{
	if (token_is(t, n, "close"))
		resp->close = 1;
	else if (token_is(t, n, "keep-alive"))
		resp->keep_alive = 1;
}

static int
content_length(const struct http_header *f, struct fwd_response *resp)
{
	int64_t v = 0;
	size_t i;

	if (f->value_len == 0 || f->value_len > 19)
		return fail(resp, "bad Content-Length");
	for (i = 0; i < f->value_len; i++) {
		if (f->value[i] < '0' || f->value[i] > '9')
			return fail(resp, "bad Content-Length");
		v = v * 10 + (f->value[i] - '0');
	}
	if (v > HTTP_LENGTH_MAX)
		return fail(resp, "Content-Length too large");
	if (resp->content_length >= 0 && resp->content_length != v)
		return fail(resp, "conflicting Content-Length fields");
	resp->content_length = v;
	return 0;
}

/* What the fields say about framing and the connection. */
static int
field_meaning(const struct http_header *f, struct fwd_response *resp,
    int *te_seen)
{
	if (name_is(f, "content-length"))
		return content_length(f, resp);
	if (name_is(f, "transfer-encoding")) {
		if (*te_seen || !token_is(f->value, f->value_len, "chunked"))
			return fail(resp, "Transfer-Encoding other than "
			    "chunked");
		*te_seen = 1;
		resp->chunked = 1;
	} else if (name_is(f, "connection"))
		list_each(f->value, f->value_len, resp, connection_token);
	else if (name_is(f, "upgrade"))
		resp->upgrade = 1;
	return 0;
}

/* One field line [p, e) (e at its CR). */
static int
field_line(const char *p, const char *e, struct fwd_response *resp,
    int *te_seen)
{
	struct http_header *f;
	const char *v;

	if (*p == ' ' || *p == '\t')
		return fail(resp, "obs-fold in the head");
	if (resp->nheaders == resp->header_cap)
		return fail(resp, "too many header fields");
	f = &resp->headers[resp->nheaders++];
	f->name = p;
	while (p < e && HTTP_IS(*p, HC_TOKEN))
		p++;
	if (p == f->name || p == e || *p != ':')
		return fail(resp, "bad field name");
	f->name_len = (size_t)(p - f->name);
	p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	for (v = p; v < e; v++)
		if (!HTTP_IS(*v, HC_VALUE))
			return fail(resp, "control byte in a field value");
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	f->value = p;
	f->value_len = (size_t)(e - p);
	return field_meaning(f, resp, te_seen);
}

int
fwd_response_parse(const char *buf, size_t len, struct fwd_response *resp)
{
	const char *p, *e;
	int end, off, te_seen = 0;

	if ((end = head_end(buf, len, resp)) < 0)
		return end;
	resp->nheaders = 0;
	resp->content_length = -1;
	resp->chunked = resp->close = resp->upgrade = resp->keep_alive = 0;
	if ((off = status_line(buf, (size_t)end, resp)) < 0)
		return off;
	for (p = buf + off; p < buf + end - 2; p = e + 2) {
		e = memchr(p, '\r', (size_t)(buf + end - p));
		if (field_line(p, e, resp, &te_seen) < 0)
			return HTTP_ERROR;
	}
	if (resp->version == 10 && !resp->keep_alive)
		resp->close = 1;
	if (resp->chunked && resp->content_length >= 0)
		return fail(resp, "both Content-Length and Transfer-Encoding");
	if (resp->chunked && resp->version == 10)
		return fail(resp, "Transfer-Encoding in an HTTP/1.0 response");
	return end;
}

enum fwd_body
fwd_response_body(const struct fwd_response *resp, int head)
{
	if (resp->status == 101)
		return FWD_BODY_TUNNEL;
	if (resp->status < 200 || resp->status == 204 || resp->status == 304 ||
	    head)
		return FWD_BODY_NONE;
	if (resp->chunked)
		return FWD_BODY_CHUNKED;
	if (resp->content_length >= 0)
		return FWD_BODY_LENGTH;
	return FWD_BODY_CLOSE;
}

static const char *const hop[] = {
	"connection", "keep-alive", "proxy-connection", "transfer-encoding",
	"te", "trailer", "upgrade", "proxy-authenticate",
};

/* Whether [name, nlen) is one of the elements of the Connection values. */
static int
connection_lists(const struct http_header *f, size_t n, const char *name,
    size_t nlen)
{
	const char *v, *end, *s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!name_is(&f[i], "connection"))
			continue;
		v = f[i].value;
		end = v + f[i].value_len;
		while (v < end) {
			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			for (s = v; v < end && *v != ',' && *v != ' ' &&
			    *v != '\t'; v++)
				;
			if ((size_t)(v - s) == nlen &&
			    strncasecmp(s, name, nlen) == 0)
				return 1;
			while (v < end && *v != ',')
				v++;
		}
	}
	return 0;
}

int
fwd_hop_by_hop(const struct http_header *f, size_t n, const char *name,
    size_t nlen)
{
	size_t i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (nlen == strlen(hop[i]) && strncasecmp(name, hop[i],
		    nlen) == 0)
			return 1;
	return connection_lists(f, n, name, nlen);
}
