/*
 * exchange — the payloads of a data channel (docs/protocol.md, "REQUEST",
 * "Bodies and credit", "Trailers", "RESPONSE"): named offsets, flags and
 * method codes, and their encoders and decoders. hsysd encodes REQUEST and
 * decodes RESPONSE on every request, so what it calls is static inline
 * here; the rest is in exchange.c. Pure: no I/O, no allocation.
 *
 * Decoders check a payload against its frame's length and return -1 when
 * anything they hand out (a fixed field, a table entry, a span's bytes)
 * would lie outside it; nothing else is checked here (whether a name is a
 * token is the receiver's business).
 */
#ifndef HSYS_PROTO_EXCHANGE_H
#define HSYS_PROTO_EXCHANGE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/proto.h"

/* A string inside a payload: offset from the bytes area, and length. */
struct proto_span {
	uint32_t	 off, len;
};

/* Header tables (REQUEST, RESPONSE, TRAILERS): entries of 16 bytes,
 * u32 name_off, u32 name_len, u32 value_off, u32 value_len. */
#define PROTO_FIELD_SIZE	16

struct proto_field {
	const unsigned char	*name, *value;
	uint32_t		 name_len, value_len;
};

/* --- REQUEST (daemon -> app) ------------------------------------------ */

#define PROTO_REQUEST_FIXED		144
#define PROTO_REQUEST_QUEUE		0	/* u32 queue id */
#define PROTO_REQUEST_METHOD		4	/* u16 PROTO_METHOD_* */
#define PROTO_REQUEST_VERSION_MAJOR	6	/* u8 */
#define PROTO_REQUEST_VERSION_MINOR	7	/* u8 */
#define PROTO_REQUEST_NHEADERS		8	/* u16 */
#define PROTO_REQUEST_FLAGS		10	/* u16 PROTO_REQUEST_F_* */
#define PROTO_REQUEST_CONTENT_LENGTH	16	/* u64 */
#define PROTO_REQUEST_CONNECTION	24	/* u64 connection id */
#define PROTO_REQUEST_PEER		32	/* PROTO_ADDR_SIZE */
#define PROTO_REQUEST_LOCAL		52	/* PROTO_ADDR_SIZE */
#define PROTO_REQUEST_SPANS		72	/* PROTO_RS_COUNT spans */
#define PROTO_REQUEST_SPAN(i)		(PROTO_REQUEST_SPANS + 8 * (i))

/* The REQUEST's spans, in their order. */
enum proto_request_span {
	PROTO_RS_METHOD,
	PROTO_RS_RAW_URL,
	PROTO_RS_PATH,
	PROTO_RS_QUERY,
	PROTO_RS_HOST,
	PROTO_RS_PREFIX,
	PROTO_RS_TLS,
	PROTO_RS_SNI,
	PROTO_RS_CLIENT_CERT,
	PROTO_RS_COUNT
};

#define PROTO_REQUEST_F_BODY		0x01	/* REQ_DATA frames follow */
#define PROTO_REQUEST_F_CHUNKED		0x02
#define PROTO_REQUEST_F_KEEPALIVE	0x04
#define PROTO_REQUEST_F_EXPECT_CONTINUE	0x08
#define PROTO_REQUEST_F_UPGRADE		0x10
#define PROTO_REQUEST_F_TLS		0x20
#define PROTO_REQUEST_F_CLIENT_CERT	0x40

/* content_length when the body's length is not known (chunked). */
#define PROTO_LENGTH_UNKNOWN	UINT64_MAX

enum proto_method {
	PROTO_METHOD_OTHER,	/* see the method span */
	PROTO_METHOD_GET,
	PROTO_METHOD_HEAD,
	PROTO_METHOD_POST,
	PROTO_METHOD_PUT,
	PROTO_METHOD_DELETE,
	PROTO_METHOD_OPTIONS,
	PROTO_METHOD_PATCH,
	PROTO_METHOD_CONNECT,
	PROTO_METHOD_TRACE,
	PROTO_METHOD_COUNT
};

/* An address: u16 family, u16 port, 16 bytes (IPv4 in the first 4, in
 * network order like IPv6; the rest zero). */
#define PROTO_ADDR_SIZE		20
#define PROTO_ADDR_INET		2
#define PROTO_ADDR_INET6	10

/* The fixed part of a REQUEST; spans count from the bytes area, which
 * starts after the header table (proto_request_area). */
struct proto_request {
	uint32_t		 queue;
	uint16_t		 method;
	uint8_t			 version_major, version_minor;
	uint16_t		 nheaders;
	uint16_t		 flags;
	uint64_t		 content_length;
	uint64_t		 connection_id;
	unsigned char		 peer[PROTO_ADDR_SIZE];
	unsigned char		 local[PROTO_ADDR_SIZE];
	struct proto_span	 span[PROTO_RS_COUNT];
};

/* The method's name for a code, or NULL (OTHER, or a code unknown). */
const char	*proto_method_name(unsigned code);

/* Where a payload's bytes area starts, after a table of n fields. */
static inline size_t
proto_request_area(size_t nheaders)
{
	return PROTO_REQUEST_FIXED + PROTO_FIELD_SIZE * nheaders;
}

static inline void
proto_field_put(unsigned char *t, uint32_t name_off, uint32_t name_len,
    uint32_t value_off, uint32_t value_len)
{
	proto_put32(t, name_off);
	proto_put32(t + 4, name_len);
	proto_put32(t + 8, value_off);
	proto_put32(t + 12, value_len);
}

/* Entry i of a header table that proto_field_get has checked, without
 * checking it again (hsysd reads a RESPONSE's fields twice: to check
 * them, then to write them). */
static inline void
proto_field_at(const unsigned char *payload, size_t table, size_t area,
    size_t i, struct proto_field *fl)
{
	const unsigned char *t = payload + table + PROTO_FIELD_SIZE * i;

	fl->name = payload + area + proto_get32(t);
	fl->name_len = proto_get32(t + 4);
	fl->value = payload + area + proto_get32(t + 8);
	fl->value_len = proto_get32(t + 12);
}

/* Entry i of the header table at `table` in the payload, whose bytes area
 * starts at `area`; -1 when the entry or either string lies outside the
 * payload. The caller has checked that the table ends by `area`. */
static inline int
proto_field_get(const struct proto_frame *f, size_t table, size_t area,
    size_t i, struct proto_field *fl)
{
	const unsigned char *t = f->payload + table + PROTO_FIELD_SIZE * i;
	uint64_t room = f->length - area;

	if ((uint64_t)proto_get32(t) + proto_get32(t + 4) > room ||
	    (uint64_t)proto_get32(t + 8) + proto_get32(t + 12) > room)
		return -1;
	proto_field_at(f->payload, table, area, i, fl);
	return 0;
}

/* A socket address as the protocol writes it (other families: zeros). */
static inline void
proto_addr_put(unsigned char *p, const struct sockaddr_storage *ss)
{
	memset(p, 0, PROTO_ADDR_SIZE);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		proto_put16(p, PROTO_ADDR_INET);
		proto_put16(p + 2, ntohs(sin->sin_port));
		memcpy(p + 4, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		proto_put16(p, PROTO_ADDR_INET6);
		proto_put16(p + 2, ntohs(sin6->sin6_port));
		memcpy(p + 4, &sin6->sin6_addr, 16);
	}
}

/* The address back; -1 for a family the protocol does not name. */
int	proto_addr_get(const unsigned char *p, struct sockaddr_storage *);

/* The fixed part (PROTO_REQUEST_FIXED bytes, reserved ones zeroed). */
static inline void
proto_request_put(unsigned char *p, const struct proto_request *r)
{
	size_t i;

	proto_put32(p + PROTO_REQUEST_QUEUE, r->queue);
	proto_put16(p + PROTO_REQUEST_METHOD, r->method);
	p[PROTO_REQUEST_VERSION_MAJOR] = r->version_major;
	p[PROTO_REQUEST_VERSION_MINOR] = r->version_minor;
	proto_put16(p + PROTO_REQUEST_NHEADERS, r->nheaders);
	proto_put16(p + PROTO_REQUEST_FLAGS, r->flags);
	proto_put32(p + 12, 0);
	proto_put64(p + PROTO_REQUEST_CONTENT_LENGTH, r->content_length);
	proto_put64(p + PROTO_REQUEST_CONNECTION, r->connection_id);
	memcpy(p + PROTO_REQUEST_PEER, r->peer, PROTO_ADDR_SIZE);
	memcpy(p + PROTO_REQUEST_LOCAL, r->local, PROTO_ADDR_SIZE);
	for (i = 0; i < PROTO_RS_COUNT; i++)
		proto_span_put(p + PROTO_REQUEST_SPAN(i), r->span[i].off,
		    r->span[i].len);
}

/* The fixed part of a REQUEST frame's payload; -1 when it is short, its
 * header table runs past it, or a span's bytes lie outside its bytes
 * area. The table's entries are checked by proto_field_get. */
int	proto_request_get(const struct proto_frame *, struct proto_request *);

/* --- REQ_DATA's TRAILERS (flags PROTO_F_TRAILERS | PROTO_F_END) ------- */

#define PROTO_TRAILERS_FIXED	8	/* u16 count, 6 reserved */
#define PROTO_TRAILERS_COUNT	0

static inline size_t
proto_trailers_area(size_t count)
{
	return PROTO_TRAILERS_FIXED + PROTO_FIELD_SIZE * count;
}

/* The count of fields; -1 when the payload is short or the table runs
 * past it. Entries: proto_field_get(f, PROTO_TRAILERS_FIXED, area, i). */
int	proto_trailers_get(const struct proto_frame *, size_t *count,
	    size_t *area);

/* --- REQ_CREDIT, RESP_CREDIT (u32 bytes) ------------------------------ */

#define PROTO_CREDIT_SIZE	4

static inline void
proto_credit_put(unsigned char *p, uint32_t bytes)
{
	proto_put32(p, bytes);
}

/* -1 when the payload is shorter than a u32. */
static inline int
proto_credit_get(const struct proto_frame *f, uint32_t *bytes)
{
	if (f->length < PROTO_CREDIT_SIZE)
		return -1;
	*bytes = proto_get32(f->payload);
	return 0;
}

/* --- RESPONSE (app -> daemon) ----------------------------------------- */

#define PROTO_RESPONSE_FIXED	16
#define PROTO_RESPONSE_STATUS	0	/* u16 */
#define PROTO_RESPONSE_NHEADERS	2	/* u16 */
#define PROTO_RESPONSE_FLAGS	4	/* u32 PROTO_RESPONSE_F_* */
#define PROTO_RESPONSE_REASON	8	/* span */

#define PROTO_RESPONSE_F_END	0x1	/* no body: RESP_DATA will not follow */
/* The daemon may cache the response (docs/cache.md): the bytes area
 * starts with u32 ttl_seconds (0: until flushed) and u32 reserved, which
 * no span points into. Sent only to a daemon announcing
 * PROTO_FEATURE_CACHE; an older daemon would ignore it. */
#define PROTO_RESPONSE_F_CACHE	0x2
#define PROTO_RESPONSE_CACHE_SIZE 8

struct proto_response {
	uint16_t		 status;
	uint16_t		 nheaders;
	uint32_t		 flags;
	struct proto_span	 reason;	/* empty: the standard phrase */
	size_t			 area;		/* where the bytes area starts */
};

static inline size_t
proto_response_area(size_t nheaders)
{
	return PROTO_RESPONSE_FIXED + PROTO_FIELD_SIZE * nheaders;
}

/* The fixed part; the header table and the bytes area follow, written by
 * the caller (proto_field_put at PROTO_RESPONSE_FIXED + 16 * i). */
static inline void
proto_response_put(unsigned char *p, const struct proto_response *r)
{
	proto_put16(p + PROTO_RESPONSE_STATUS, r->status);
	proto_put16(p + PROTO_RESPONSE_NHEADERS, r->nheaders);
	proto_put32(p + PROTO_RESPONSE_FLAGS, r->flags);
	proto_span_put(p + PROTO_RESPONSE_REASON, r->reason.off,
	    r->reason.len);
}

/* The fixed part of a RESPONSE frame's payload, and r->area; -1 when it
 * is short, its table runs past it, or the reason lies outside the bytes
 * area. Entries: proto_field_get(f, PROTO_RESPONSE_FIXED, r->area, i). */
static inline int
proto_response_get(const struct proto_frame *f, struct proto_response *r)
{
	const unsigned char *p = f->payload;

	if (f->length < PROTO_RESPONSE_FIXED)
		return -1;
	r->status = proto_get16(p + PROTO_RESPONSE_STATUS);
	r->nheaders = proto_get16(p + PROTO_RESPONSE_NHEADERS);
	r->flags = proto_get32(p + PROTO_RESPONSE_FLAGS);
	r->reason.off = proto_get32(p + PROTO_RESPONSE_REASON);
	r->reason.len = proto_get32(p + PROTO_RESPONSE_REASON + 4);
	r->area = proto_response_area(r->nheaders);
	if (r->area > f->length || (uint64_t)r->reason.off + r->reason.len >
	    f->length - r->area)
		return -1;
	return 0;
}

/* The TTL of a RESPONSE with F_CACHE (r from proto_response_get); -1
 * when its bytes area is too short to hold it. */
static inline int
proto_response_ttl(const struct proto_frame *f, const struct proto_response *r,
    uint32_t *ttl)
{
	if (f->length - r->area < PROTO_RESPONSE_CACHE_SIZE)
		return -1;
	*ttl = proto_get32(f->payload + r->area);
	return 0;
}

/* A span's bytes, once a decoder has checked it lies inside the payload. */
static inline const unsigned char *
proto_span_at(const struct proto_frame *f, size_t area, struct proto_span s)
{
	return f->payload + area + s.off;
}

#endif
