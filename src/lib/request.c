/*
 * request — libhsys: request objects and what an application reads of
 * them (include/hsys.h's hsys_request_* accessors). A request is found by
 * id in a small hash table from its REQUEST (inbound.c) until the
 * application ends it; ready ones wait in a queue for hsys_next; ended
 * ones go to a free list with their buffers, for the next REQUEST.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/exchange.h"
#include "proto/proto.h"

/* Request objects */

struct hsys_request *
lib_req_get(struct hsys *h)
{
	struct hsys_request *r;

	if ((r = h->free) != NULL) {
		h->free = r->next;
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->h = h;
	r->next = r->rnext = NULL;
	r->returned = r->cancelled = r->body_end = 0;
	r->started = r->ended = r->credited = r->cache = 0;
	r->error = 0;
	r->nhdr = r->ntr = r->blen = r->boff = 0;
	r->unacked = 0;
	r->resp_credit = h->window;
	return r;
}

static void
req_destroy(struct hsys_request *r)
{
	free(r->hdr);
	free(r->sbuf);
	free(r->tr);
	free(r->tbuf);
	free(r->body);
	free(r);
}

static struct hsys_request **
live_bucket(struct hsys *h, uint64_t id)
{
	return &h->live[(id ^ id >> 17) % LIB_LIVE_BUCKETS];
}

struct hsys_request *
lib_req_find(struct hsys *h, uint64_t id)
{
	struct hsys_request *r;

	for (r = *live_bucket(h, id); r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/* Forgets a request: out of the live list (and the ready queue), onto the
 * free list with its buffers kept for the next one. */
void
lib_req_release(struct hsys_request *r)
{
	struct hsys *h = r->h;
	struct hsys_request **pp;

	for (pp = live_bucket(h, r->id); *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	if (!r->returned) {
		h->ready_tail = &h->ready;
		for (pp = &h->ready; *pp != NULL; pp = &(*pp)->rnext) {
			if (*pp == r)
				*pp = r->rnext;
			if (*pp == NULL)
				break;
			h->ready_tail = &(*pp)->rnext;
		}
	}
	r->next = h->free;
	h->free = r;
}

void
lib_req_put_back(struct hsys_request *r)
{
	r->next = r->h->free;
	r->h->free = r;
}

void
lib_req_ready(struct hsys_request *r)
{
	struct hsys *h = r->h;

	r->next = *live_bucket(h, r->id);
	*live_bucket(h, r->id) = r;
	if (h->ready == NULL)
		h->ready_tail = &h->ready;
	*h->ready_tail = r;
	h->ready_tail = &r->rnext;
}

struct hsys_request *
lib_req_next_ready(struct hsys *h)
{
	struct hsys_request *r;

	if ((r = h->ready) == NULL)
		return NULL;
	h->ready = r->rnext;
	if (h->ready == NULL)
		h->ready_tail = &h->ready;
	r->rnext = NULL;
	r->returned = 1;
	return r;
}

void
lib_requests_free(struct hsys *h)
{
	struct hsys_request *r;
	size_t i;

	for (i = 0; i < LIB_LIVE_BUCKETS; i++)
		while ((r = h->live[i]) != NULL) {
			h->live[i] = r->next;
			req_destroy(r);
		}
	while ((r = h->free) != NULL) {
		h->free = r->next;
		req_destroy(r);
	}
	h->ready = NULL;
	h->ready_tail = NULL;
	free(h->wbuf);
	h->wbuf = NULL;
}

void
lib_requests_lost(struct hsys *h, unsigned chan)
{
	struct hsys_request *r, *next;
	size_t i;

	for (i = 0; i < LIB_LIVE_BUCKETS; i++)
		for (r = h->live[i]; r != NULL; r = next) {
			next = r->next;
			if (r->chan != chan)
				continue;
			if (!r->returned)
				lib_req_release(r);
			else
				r->error = -ECONNRESET;
		}
}

/* Accessors */

const char *
hsys_request_method(const struct hsys_request *r)
{
	return r->str[PROTO_RS_METHOD];
}

const char *
hsys_request_raw_url(const struct hsys_request *r)
{
	return r->str[PROTO_RS_RAW_URL];
}

const char *
hsys_request_path(const struct hsys_request *r)
{
	return r->str[PROTO_RS_PATH];
}

const char *
hsys_request_query(const struct hsys_request *r)
{
	return r->str[PROTO_RS_QUERY];
}

const char *
hsys_request_host(const struct hsys_request *r)
{
	return r->str[PROTO_RS_HOST];
}

const char *
hsys_request_prefix(const struct hsys_request *r)
{
	return r->str[PROTO_RS_PREFIX];
}

int
hsys_request_version(const struct hsys_request *r)
{
	return r->version;
}

uint64_t
hsys_request_id(const struct hsys_request *r)
{
	return r->id;
}

const char *
hsys_request_header(const struct hsys_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

size_t
hsys_request_header_count(const struct hsys_request *r)
{
	return r->nhdr;
}

int
hsys_request_header_at(const struct hsys_request *r, size_t i,
    const char **name, const char **value)
{
	if (i >= r->nhdr)
		return -ERANGE;
	*name = r->hdr[i].name;
	*value = r->hdr[i].value;
	return 0;
}

/* Trailers show once the body is all read, so that an application never
 * sees some and later more: they arrive with the body's END. */
static size_t
trailers_visible(const struct hsys_request *r)
{
	return r->body_end && r->blen == 0 ? r->ntr : 0;
}

const char *
hsys_request_trailer(const struct hsys_request *r, const char *name)
{
	size_t i, n = trailers_visible(r);

	for (i = 0; i < n; i++)
		if (strcasecmp(r->tr[i].name, name) == 0)
			return r->tr[i].value;
	return NULL;
}

size_t
hsys_request_trailer_count(const struct hsys_request *r)
{
	return trailers_visible(r);
}

int
hsys_request_trailer_at(const struct hsys_request *r, size_t i,
    const char **name, const char **value)
{
	if (i >= trailers_visible(r))
		return -ERANGE;
	*name = r->tr[i].name;
	*value = r->tr[i].value;
	return 0;
}

int
hsys_request_peer(const struct hsys_request *r, struct sockaddr_storage *ss)
{
	return proto_addr_get(r->peer, ss) < 0 ? -EAFNOSUPPORT : 0;
}

int
hsys_request_local(const struct hsys_request *r, struct sockaddr_storage *ss)
{
	return proto_addr_get(r->local, ss) < 0 ? -EAFNOSUPPORT : 0;
}

const char *
hsys_request_tls(const struct hsys_request *r)
{
	return r->str[PROTO_RS_TLS][0] != '\0' ? r->str[PROTO_RS_TLS] : NULL;
}

const char *
hsys_request_sni(const struct hsys_request *r)
{
	return r->str[PROTO_RS_SNI][0] != '\0' ? r->str[PROTO_RS_SNI] : NULL;
}

const unsigned char *
hsys_request_client_cert(const struct hsys_request *r, size_t *len)
{
	*len = r->cert_len;
	return r->cert_len > 0 ? (const unsigned char *)r->str[PROTO_RS_CLIENT_CERT] : NULL;
}

int64_t
hsys_request_content_length(const struct hsys_request *r)
{
	if (!(r->flags & PROTO_REQUEST_F_BODY))
		return 0;
	return r->content_length > INT64_MAX ? -1 :
	    (int64_t)r->content_length;
}

uint64_t
hsys_request_connection_id(const struct hsys_request *r)
{
	return r->connection_id;
}

/* Whether the request may still be written to. */
int
lib_req_writable(const struct hsys_request *r)
{
	if (r->h->broken)
		return r->h->broken;
	if (r->cancelled)
		return -ECANCELED;
	return r->error;
}
