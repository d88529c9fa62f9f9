/*
 * body — libhsys: reading a request's body (REQ_DATA queued by
 * lib_frame) and crediting the daemon for it (REQ_CREDIT). See
 * include/hsys.h and docs/protocol.md, "Bodies and credit".
 *
 * Credit goes back once half a window was read, so that the daemon never
 * waits on a frame per read; an Expect: 100-continue client is credited
 * at the first read, since it waits for that before it sends.
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/exchange.h"
#include "proto/proto.h"

static int
credit(struct hsys_request *r, int force)
{
	unsigned char p[PROTO_CREDIT_SIZE];
	int rc;

	if (r->unacked == 0 && !force)
		return 0;
	if (!force && r->unacked < r->h->window / 2 && !r->body_end)
		return 0;
	if (r->body_end && !force)
		return 0;
	proto_credit_put(p, r->unacked);
	if ((rc = lib_send_small(r, PROTO_REQ_CREDIT, 0, p, sizeof(p))) < 0)
		return rc;
	r->unacked = 0;
	r->credited = 1;
	return 0;
}

static ssize_t
request_read(struct hsys_request *r, void *buf, size_t len, int wait)
{
	size_t n;
	int rc;

	/* An Expect: 100-continue client waits for our first credit. */
	if (!r->credited && (r->flags & PROTO_REQUEST_F_EXPECT_CONTINUE) && r->blen == 0 &&
	    !r->body_end && !r->cancelled && (rc = credit(r, 1)) < 0)
		return rc;
	while (r->blen == 0 && !r->body_end) {
		if (r->cancelled)
			return -ECANCELED;
		if (r->error)
			return r->error;
		rc = lib_chan_read(r->h, r->chan, wait ? -1 : 0);
		if (rc < 0)
			return rc;
		if (rc == 0 && !wait) {
			/* Back to the caller's loop to wait: a credit it is
			 * waiting on the answer to must not stay corked. */
			(void)lib_flush(r->h);
			return -EAGAIN;
		}
	}
	if (r->cancelled)
		return -ECANCELED;
	n = len < r->blen ? len : r->blen;
	memcpy(buf, r->body + r->boff, n);
	r->boff += n;
	r->blen -= n;
	if (r->blen == 0)
		r->boff = 0;
	r->unacked += (uint32_t)n;
	if ((rc = credit(r, 0)) < 0)
		return rc;
	return (ssize_t)n;
}

ssize_t
hsys_request_read(struct hsys_request *r, void *buf, size_t len)
{
	return request_read(r, buf, len, 1);
}

ssize_t
hsys_request_read_nowait(struct hsys_request *r, void *buf, size_t len)
{
	return request_read(r, buf, len, 0);
}
