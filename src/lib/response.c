/*
 * response — libhsys: answering a request (RESPONSE, RESP_DATA, CANCEL),
 * interim responses and the application's side of an upgrade tunnel. See
 * include/hsys.h and docs/protocol.md.
 *
 * A response head is built in the session's write buffer (one frame);
 * body bytes go as RESP_DATA within the credit the daemon gives
 * (RESP_CREDIT, read by lib_chan_read while waiting). Frames are corked
 * (channel.c): they leave, many responses to a writev, when the
 * application next waits. hsys_respond queues head, body and END at once
 * when they fit the credit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/exchange.h"
#include "proto/proto.h"

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
header_ok(const struct hsys_header *hd)
{
	const unsigned char *s;

	if (hd->name == NULL || hd->value == NULL || hd->name[0] == '\0')
		return 0;
	for (s = (const unsigned char *)hd->name; *s != '\0'; s++)
		if (!is_tchar(*s))
			return 0;
	for (s = (const unsigned char *)hd->value; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

static int
wbuf_reserve(struct hsys *h, size_t need)
{
	unsigned char *nb;

	if (need <= h->wcap)
		return 0;
	if ((nb = realloc(h->wbuf, need)) == NULL)
		return -ENOMEM;
	h->wbuf = nb;
	h->wcap = need;
	return 0;
}

/* Writes n fields' spans (from `fixed`, one per field) and their names and
 * values (in the bytes area at `area`, from offset off) of a payload at p. */
static void
put_fields(unsigned char *p, size_t fixed, size_t area, size_t off,
    const struct hsys_header *hd, size_t n)
{
	size_t i, nl, vl;

	for (i = 0; i < n; i++) {
		nl = strlen(hd[i].name);
		vl = strlen(hd[i].value);
		proto_field_put(p + fixed + PROTO_FIELD_SIZE * i,
		    (uint32_t)off, (uint32_t)nl, (uint32_t)(off + nl),
		    (uint32_t)vl);
		memcpy(p + area + off, hd[i].name, nl);
		memcpy(p + area + off + nl, hd[i].value, vl);
		off += nl + vl;
	}
}

/* Builds a RESPONSE frame in h->wbuf; returns its size (padding included)
 * or a negative errno. */
static long
build_head(struct hsys_request *r, int status, const struct hsys_header *hd,
    size_t n, unsigned flags)
{
	struct hsys *h = r->h;
	struct proto_response resp = { .status = (uint16_t)status,
	    .nheaders = (uint16_t)n,
	    .flags = (flags & HSYS_RESPONSE_END ? PROTO_RESPONSE_F_END : 0) |
	    (r->cache && status >= 200 ? PROTO_RESPONSE_F_CACHE : 0) };
	/* With CACHE, the TTL opens the bytes area (docs/protocol.md). */
	size_t pre = resp.flags & PROTO_RESPONSE_F_CACHE ?
	    PROTO_RESPONSE_CACHE_SIZE : 0;
	size_t area = proto_response_area(n), len = area + pre, i;
	unsigned char *p;

	if (status < 100 || status > 999 || n > UINT16_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!header_ok(&hd[i]))
			return -EINVAL;
		len += strlen(hd[i].name) + strlen(hd[i].value);
	}
	if (len > h->max_frame)
		return -EMSGSIZE;
	if (wbuf_reserve(h, proto_frame_size((uint32_t)len)) < 0)
		return -ENOMEM;
	p = h->wbuf;
	memset(p, 0, proto_frame_size((uint32_t)len));
	proto_header_put(p, (uint32_t)len, PROTO_RESPONSE, 0, r->id);
	p += PROTO_HEADER_SIZE;
	proto_response_put(p, &resp);
	if (pre > 0)
		proto_put32(p + area, r->cache_ttl);
	put_fields(p, PROTO_RESPONSE_FIXED, area, pre, hd, n);
	return (long)proto_frame_size((uint32_t)len);
}

int
hsys_response_cache(struct hsys_request *r, uint32_t ttl_seconds)
{
	if (r->started)
		return -EALREADY;
	/* An older daemon would not know the flag (it would ignore it). */
	if (!(r->h->features & PROTO_FEATURE_CACHE))
		return -EOPNOTSUPP;
	r->cache = 1;
	r->cache_ttl = ttl_seconds;
	return 0;
}

int
hsys_response_start(struct hsys_request *r, int status,
    const struct hsys_header *hd, size_t n, unsigned flags)
{
	struct iovec iov;
	long size;
	int rc;

	if (r->started)
		return -EALREADY;
	if ((rc = lib_req_writable(r)) < 0)
		return rc;
	if ((size = build_head(r, status, hd, n, flags)) < 0)
		return (int)size;
	iov.iov_base = r->h->wbuf;
	iov.iov_len = (size_t)size;
	if ((rc = lib_chan_send(r->h, r->chan, &iov, 1)) < 0)
		return rc;
	/* An interim response (103 Early Hints, …): the final one follows. */
	if (status >= 100 && status < 200 && status != 101)
		return 0;
	r->started = 1;
	if (flags & HSYS_RESPONSE_END)
		r->ended = 1;
	if (status == 101 && (r->flags & PROTO_REQUEST_F_UPGRADE)) {
		r->body_end = 0;
		r->tunnel = 1;
	}
	return 0;
}

/* Waits until the daemon credits some response bytes. */
static int
await_credit(struct hsys_request *r)
{
	int rc;

	while (r->resp_credit == 0) {
		if ((rc = lib_req_writable(r)) < 0)
			return rc;
		if ((rc = lib_chan_read(r->h, r->chan, -1)) < 0)
			return rc;
	}
	return lib_req_writable(r);
}

/* Takes the credit that has arrived without waiting: 0 when there is
 * some, -EAGAIN when none (what is corked leaves first, since the daemon
 * may be waiting for it before it credits more), or why r is not
 * writable. */
static int
poll_credit(struct hsys_request *r)
{
	int rc;

	if (r->resp_credit == 0 && (rc = lib_chan_read(r->h, r->chan, 0)) < 0)
		return rc;
	if ((rc = lib_req_writable(r)) < 0)
		return rc;
	if (r->resp_credit > 0)
		return 0;
	(void)lib_flush(r->h);
	return -EAGAIN;
}

static ssize_t
response_write(struct hsys_request *r, const void *buf, size_t len,
    int wait)
{
	const unsigned char *p = buf;
	size_t done = 0, n;
	int rc;

	if (!r->started || r->ended)
		return -EINVAL;
	if ((rc = lib_req_writable(r)) < 0)
		return rc;
	while (done < len) {
		if ((rc = wait ? await_credit(r) : poll_credit(r)) < 0)
			return done > 0 ? (ssize_t)done : rc;
		n = len - done;
		if (n > r->resp_credit)
			n = (size_t)r->resp_credit;
		if (n > r->h->max_frame)
			n = r->h->max_frame;
		if ((rc = lib_send_small(r, PROTO_RESP_DATA, 0, p + done,
		    (uint32_t)n)) < 0)
			return rc;
		r->resp_credit -= n;
		done += n;
	}
	return (ssize_t)done;
}

ssize_t
hsys_response_write(struct hsys_request *r, const void *buf, size_t len)
{
	return response_write(r, buf, len, 1);
}

ssize_t
hsys_response_write_nowait(struct hsys_request *r, const void *buf,
    size_t len)
{
	return response_write(r, buf, len, 0);
}

int
hsys_response_end(struct hsys_request *r)
{
	int rc = 0;

	if (!r->started)
		rc = hsys_response_start(r, 500, NULL, 0, HSYS_RESPONSE_END);
	else if (!r->ended && (rc = lib_req_writable(r)) == 0)
		rc = lib_send_small(r, PROTO_RESP_DATA, PROTO_F_END, NULL, 0);
	lib_req_release(r);
	return rc;
}

int
hsys_response_shutdown(struct hsys_request *r)
{
	int rc;

	if (!r->started)
		return -EINVAL;
	if (r->ended)
		return 0;
	if ((rc = lib_req_writable(r)) < 0)
		return rc;
	if ((rc = lib_send_small(r, PROTO_RESP_DATA, PROTO_F_END, NULL, 0)) < 0)
		return rc;
	r->ended = 1;
	return 0;
}

/* The TRAILERS payload of n checked fields in h->wbuf; its length, or a
 * negative errno. The daemon's bounds: 100 fields, 16 KiB of names and
 * values. */
static long
build_trailers(struct hsys *h, const struct hsys_header *hd, size_t n)
{
	size_t area = proto_trailers_area(n), bytes = 0, i;
	unsigned char *p;

	if (n > 100)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!header_ok(&hd[i]))
			return -EINVAL;
		bytes += strlen(hd[i].name) + strlen(hd[i].value);
	}
	if (bytes > 16384)
		return -EMSGSIZE;
	if (wbuf_reserve(h, area + bytes) < 0)
		return -ENOMEM;
	p = h->wbuf;
	memset(p, 0, area);
	proto_put16(p + PROTO_TRAILERS_COUNT, (uint16_t)n);
	put_fields(p, PROTO_TRAILERS_FIXED, area, 0, hd, n);
	return (long)(area + bytes);
}

int
hsys_response_trailers(struct hsys_request *r, const struct hsys_header *hd,
    size_t n)
{
	long len;
	int rc;

	if (!r->started || r->ended || r->tunnel)
		return -EINVAL;
	if (n == 0)
		return hsys_response_shutdown(r);
	if (!(r->h->features & PROTO_FEATURE_RESP_TRAILERS))
		return -EOPNOTSUPP;
	if ((rc = lib_req_writable(r)) < 0)
		return rc;
	if ((len = build_trailers(r->h, hd, n)) < 0)
		return (int)len;
	if ((rc = lib_send_small(r, PROTO_RESP_DATA, PROTO_F_TRAILERS |
	    PROTO_F_END, r->h->wbuf, (uint32_t)len)) < 0)
		return rc;
	r->ended = 1;
	return 0;
}

int
hsys_respond(struct hsys_request *r, int status, const char *content_type,
    const void *body, size_t len)
{
	static const unsigned char zero[8];
	struct hsys_header hd[2];
	unsigned char dh[PROTO_HEADER_SIZE];
	char clen[24];
	struct iovec iov[4];
	size_t n = 0;
	long size;
	int rc;

	if (r->started)
		return -EALREADY;
	if (status >= 100 && status < 200 && status != 101)
		return -EINVAL;		/* interim: hsys_response_start */
	if (content_type != NULL) {
		hd[n].name = "Content-Type";
		hd[n++].value = content_type;
	}
	snprintf(clen, sizeof(clen), "%zu", len);
	hd[n].name = "Content-Length";
	hd[n++].value = clen;
	if (len > r->h->max_frame || len > r->resp_credit ||
	    status == 101) {
		/* Too big for one frame: the long way. */
		if ((rc = hsys_response_start(r, status, hd, n, 0)) < 0 ||
		    (len > 0 && (rc = (int)hsys_response_write(r, body,
		    len)) < 0)) {
			hsys_request_cancel(r);
			return rc;
		}
		return hsys_response_end(r);
	}
	if ((rc = lib_req_writable(r)) < 0) {
		lib_req_release(r);
		return rc;
	}
	if ((size = build_head(r, status, hd, n, len == 0 ?
	    HSYS_RESPONSE_END : 0)) < 0) {
		hsys_request_cancel(r);
		return (int)size;
	}
	/* Head, body and END in one send. */
	iov[0].iov_base = r->h->wbuf;
	iov[0].iov_len = (size_t)size;
	n = 1;
	if (len > 0) {
		proto_header_put(dh, (uint32_t)len, PROTO_RESP_DATA,
		    PROTO_F_END, r->id);
		iov[1].iov_base = dh;
		iov[1].iov_len = sizeof(dh);
		iov[2].iov_base = (void *)body;
		iov[2].iov_len = len;
		iov[3].iov_base = (void *)zero;
		iov[3].iov_len = proto_frame_size((uint32_t)len) -
		    PROTO_HEADER_SIZE - len;
		n = 4;
	}
	rc = lib_chan_send(r->h, r->chan, iov, (int)n);
	lib_req_release(r);
	return rc;
}

void
hsys_request_cancel(struct hsys_request *r)
{
	if (!r->cancelled && !r->h->broken)
		(void)lib_send_small(r, PROTO_CANCEL, 0, NULL, 0);
	lib_req_release(r);
}
