/*
 * inbound — libhsys: the frames hsysd sends on a data channel, handled
 * as lib_chan_read finds them: REQUEST becomes a request object (reused
 * from the free list) queued for hsys_next, REQ_DATA is appended to its
 * request's body buffer (or, with the TRAILERS flag, decoded into its
 * trailers), RESP_CREDIT opens its window, CANCEL marks or drops it, ERROR
 * fails it. A request copies its strings once, NUL-terminated, into its
 * own buffer, so the channel's buffer can be reused at once. See
 * docs/protocol.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "proto/exchange.h"
#include "proto/proto.h"

/* Copies a string into the string buffer at d, NUL-terminated; returns
 * where the next one goes. */
static char *
take(char *d, const unsigned char *s, uint32_t n, const char **out)
{
	memcpy(d, s, n);
	d[n] = '\0';
	*out = d;
	return d + n + 1;
}

static int
req_decode(struct hsys_request *r, const struct proto_frame *f)
{
	struct proto_request q;
	struct proto_field fl;
	size_t area, need, i;
	const char *method;
	char *d;

	if (proto_request_get(f, &q) < 0)
		return -EPROTO;
	area = proto_request_area(q.nheaders);
	/* Every string is at most the payload, plus its NUL. */
	need = f->length + PROTO_RS_COUNT + 2 * (size_t)q.nheaders;
	if (need > r->scap) {
		free(r->sbuf);
		if ((r->sbuf = malloc(need)) == NULL) {
			r->scap = 0;
			return -ENOMEM;
		}
		r->scap = need;
	}
	if (q.nheaders > r->hdrcap) {
		free(r->hdr);
		if ((r->hdr = calloc(q.nheaders, sizeof(*r->hdr))) == NULL) {
			r->hdrcap = 0;
			return -ENOMEM;
		}
		r->hdrcap = q.nheaders;
	}
	r->method_code = q.method;
	r->version = q.version_major * 10 + q.version_minor;
	r->flags = q.flags;
	r->content_length = q.content_length;
	r->connection_id = q.connection_id;
	memcpy(r->peer, q.peer, sizeof(r->peer));
	memcpy(r->local, q.local, sizeof(r->local));
	d = r->sbuf;
	for (i = 0; i < PROTO_RS_COUNT; i++)
		d = take(d, proto_span_at(f, area, q.span[i]), q.span[i].len,
		    &r->str[i]);
	r->cert_len = q.span[PROTO_RS_CLIENT_CERT].len;
	for (i = 0; i < q.nheaders; i++) {
		if (proto_field_get(f, PROTO_REQUEST_FIXED, area, i, &fl) < 0)
			return -EPROTO;
		d = take(d, fl.name, fl.name_len, &r->hdr[i].name);
		d = take(d, fl.value, fl.value_len, &r->hdr[i].value);
	}
	r->nhdr = q.nheaders;
	if (r->str[PROTO_RS_METHOD][0] == '\0' &&
	    (method = proto_method_name(r->method_code)) != NULL)
		r->str[PROTO_RS_METHOD] = method;
	r->body_end = (r->flags & (PROTO_REQUEST_F_BODY |
	    PROTO_REQUEST_F_UPGRADE)) == 0;
	return 0;
}

static int
on_request(struct hsys *h, unsigned chan, const struct proto_frame *f)
{
	struct hsys_request *r;
	int rc;

	if (lib_req_find(h, f->id) != NULL)
		return -EPROTO;
	if ((r = lib_req_get(h)) == NULL)
		return -ENOMEM;
	r->id = f->id;
	r->chan = chan;
	if ((rc = req_decode(r, f)) < 0) {
		lib_req_put_back(r);
		return rc;
	}
	lib_req_ready(r);
	return 0;
}

/* The TRAILERS payload: a header table and its bytes area; it ends the
 * body. */
static int
on_trailers(struct hsys_request *r, const struct proto_frame *f)
{
	struct proto_field fl;
	size_t n, area, need, i;
	char *d;

	if (r->body_end || proto_trailers_get(f, &n, &area) < 0)
		return -EPROTO;
	need = f->length + 2 * n;
	if (need > r->tcap) {
		free(r->tbuf);
		if ((r->tbuf = malloc(need)) == NULL) {
			r->tcap = 0;
			return -ENOMEM;
		}
		r->tcap = need;
	}
	if (n > r->trcap) {
		free(r->tr);
		if ((r->tr = calloc(n, sizeof(*r->tr))) == NULL) {
			r->trcap = 0;
			return -ENOMEM;
		}
		r->trcap = n;
	}
	d = r->tbuf;
	for (i = 0; i < n; i++) {
		if (proto_field_get(f, PROTO_TRAILERS_FIXED, area, i, &fl) < 0)
			return -EPROTO;
		d = take(d, fl.name, fl.name_len, &r->tr[i].name);
		d = take(d, fl.value, fl.value_len, &r->tr[i].value);
	}
	r->ntr = n;
	if (f->flags & PROTO_F_END)
		r->body_end = 1;
	return 0;
}

static int
on_data(struct hsys *h, const struct proto_frame *f)
{
	struct hsys_request *r;
	unsigned char *nb;
	size_t need;

	/* Data for a request already answered or dropped is discarded. */
	if ((r = lib_req_find(h, f->id)) == NULL || r->cancelled)
		return 0;
	if (f->flags & PROTO_F_TRAILERS)
		return on_trailers(r, f);
	if (r->body_end) {
		/* An empty END after the end is harmless; bytes are not. */
		return f->length == 0 ? 0 : -EPROTO;
	}
	if (r->boff > 0 && r->blen + f->length > r->bcap) {
		memmove(r->body, r->body + r->boff, r->blen);
		r->boff = 0;
	}
	need = r->boff + r->blen + f->length;
	if (need > r->bcap) {
		/* The daemon keeps within the window; a little slack for
		 * whatever it sent before our credit reached it is not
		 * needed, so anything beyond twice the window is an error. */
		if (r->blen + f->length > 2 * (size_t)h->window + h->max_frame)
			return -EPROTO;
		/* Sized for a whole window at once: no realloc per frame. */
		if (need < h->window)
			need = h->window;
		if ((nb = realloc(r->body, need)) == NULL)
			return -ENOMEM;
		r->body = nb;
		r->bcap = need;
	}
	memcpy(r->body + r->boff + r->blen, f->payload, f->length);
	r->blen += f->length;
	if (f->flags & PROTO_F_END)
		r->body_end = 1;
	return 0;
}

int
lib_frame(struct hsys *h, unsigned chan, const struct proto_frame *f)
{
	struct hsys_request *r;
	const unsigned char *msg;
	uint32_t n, code;

	switch (f->type) {
	case PROTO_REQUEST:
		return on_request(h, chan, f);
	case PROTO_REQ_DATA:
		return on_data(h, f);
	case PROTO_RESP_CREDIT:
		if (proto_credit_get(f, &n) < 0)
			return -EPROTO;
		if ((r = lib_req_find(h, f->id)) != NULL)
			r->resp_credit += n;
		return 0;
	case PROTO_CANCEL:
		if ((r = lib_req_find(h, f->id)) == NULL)
			return 0;
		if (!r->returned)
			lib_req_release(r);
		else
			r->cancelled = 1;
		return 0;
	case PROTO_ERROR:
		if (proto_error_get(f, &code, &msg, &n) < 0)
			return -EPROTO;
		if (f->id == 0)
			return -ECONNRESET;
		if ((r = lib_req_find(h, f->id)) != NULL)
			r->error = code > 0 && code < 4096 ? -(int)code :
			    -EPROTO;
		return 0;
	default:
		return -EPROTO;
	}
}
