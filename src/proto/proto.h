/*
 * proto — the daemon <-> application wire protocol (docs/protocol.md):
 * frame headers, message types, little-endian field access, spans and
 * ERROR. Each payload's layout, encoder and decoder: exchange.h (the data
 * channels: REQUEST, RESPONSE, credit, trailers) and control.h (the rest).
 * Shared by hsysd, libhsys and hsys (which sends CONFIG_CHANGED). Pure:
 * no I/O, no allocation.
 */
#ifndef HSYS_PROTO_PROTO_H
#define HSYS_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROTO_HEADER_SIZE	16
#define PROTO_MAGIC		0x53595348u	/* "HSYS" little-endian */
#define PROTO_VERSION		1
#define PROTO_MAX_FRAME		(1u << 20)	/* default max payload */
#define PROTO_WINDOW		(256u << 10)	/* default per-request credit */

enum proto_type {
	PROTO_HELLO		= 0x0001,
	PROTO_WELCOME		= 0x0002,
	PROTO_CHANNEL		= 0x0003,
	PROTO_ERROR		= 0x0004,
	PROTO_OK		= 0x0005,
	PROTO_QUEUE_CREATE	= 0x0010,
	PROTO_QUEUE_ATTACH	= 0x0011,
	PROTO_PREFIX_ADD	= 0x0012,
	PROTO_PREFIX_REMOVE	= 0x0013,
	PROTO_QUEUE_CLOSE	= 0x0014,
	PROTO_QUEUE_SET		= 0x0015,
	PROTO_CACHE_FLUSH	= 0x0016,
	PROTO_GOAWAY		= 0x0020,
	PROTO_REQUEST		= 0x0100,
	PROTO_REQ_DATA		= 0x0101,
	PROTO_REQ_CREDIT	= 0x0102,
	PROTO_RESPONSE		= 0x0110,
	PROTO_RESP_DATA		= 0x0111,
	PROTO_RESP_CREDIT	= 0x0112,
	PROTO_CANCEL		= 0x0113,
	PROTO_CONFIG_CHANGED	= 0x0F01,
	PROTO_STATE		= 0x0F02,
	PROTO_HANDOVER		= 0x0F10,	/* new hsysd -> old */
	PROTO_HANDOVER_FD	= 0x0F11,	/* old -> new, one fd */
	PROTO_HANDOVER_PREFIX	= 0x0F12,	/* old -> new */
	PROTO_HANDOVER_END	= 0x0F13,	/* old -> new */
	PROTO_HANDOVER_READY	= 0x0F14,	/* new -> old */
	PROTO_HANDOVER_DONE	= 0x0F15	/* new -> old */
};

/* STATE's request payload (u32 flags, optional) and its limits. */
#define PROTO_STATE_TEXT	0x1	/* a readable tree, not JSON */
#define PROTO_STATE_VIEW(f)	(((f) >> 8) & 0xff)
#define PROTO_STATE_ALL		0
#define PROTO_STATE_SERVER	1
#define PROTO_STATE_LISTENERS	2
#define PROTO_STATE_QUEUES	3
#define PROTO_STATE_CACHE	4	/* cachestate: the response cache */
#define PROTO_STATE_MAX		(16u << 20)	/* the reply's payload */

/* HELLO flags: the application understands GOAWAY. */
#define PROTO_HELLO_F_GOAWAY	0x1
/* GOAWAY flags: a new hsysd serves the socket now; reconnect to it. */
#define PROTO_GOAWAY_F_RECONNECT 0x1
/* HANDOVER_FD kinds, and a listener's flags. */
#define PROTO_HANDOVER_LOCK	1
#define PROTO_HANDOVER_LISTENER	2
#define PROTO_HANDOVER_KEYS	3	/* a key process channel; u32 pid */
#define PROTO_HANDOVER_F_TLS	0x1

#define PROTO_F_END		0x8000	/* last body frame of a request */
#define PROTO_F_TRAILERS	0x0001	/* REQ_DATA: the request's trailers;
					 * RESP_DATA: the response's */

/* WELCOME's features: what a daemon understands beyond version 1's first
 * message types (a peer sends nothing its peer does not announce). */
#define PROTO_FEATURE_QUEUE_SET	0x1
/* Queues are scoped per owner ("owner/name" attaches to another user's),
 * and another user attaches only with the owner's consent: QUEUE_SET's
 * ALLOW_UID and ALLOW_GID. */
#define PROTO_FEATURE_QUEUE_ALLOW 0x2
/* RESP_DATA with TRAILERS | END: the response's trailer fields (an older
 * daemon would take them for body bytes). */
#define PROTO_FEATURE_RESP_TRAILERS 0x4
/* The response cache: RESPONSE's CACHE flag and its TTL, CACHE_FLUSH
 * (docs/cache.md). */
#define PROTO_FEATURE_CACHE	0x8

/* QUEUE_SET's properties and their bounds. */
#define PROTO_QUEUE_LENGTH	1	/* requests waiting, 1..65535 */
#define PROTO_QUEUE_GRACE	2	/* ms a queue outlives its processes */
#define PROTO_QUEUE_ALLOW_UID	3	/* this uid may attach */
#define PROTO_QUEUE_ALLOW_GID	4	/* this group's members may attach */
#define PROTO_QUEUE_LENGTH_MAX	65535
#define PROTO_QUEUE_GRACE_MAX	300000
#define PROTO_QUEUE_ALLOW_MAX	64	/* uids and gids allowed, per queue */

struct proto_frame {
	uint32_t		 length;	/* payload bytes */
	uint16_t		 type;
	uint16_t		 flags;
	uint64_t		 id;
	const unsigned char	*payload;
};

/* Bytes a frame with this payload length occupies, padding included. */
static inline size_t
proto_frame_size(uint32_t length)
{
	return PROTO_HEADER_SIZE + (((size_t)length + 7) & ~(size_t)7);
}

static inline uint16_t
proto_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
proto_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
proto_get64(const unsigned char *p)
{
	return (uint64_t)proto_get32(p) | (uint64_t)proto_get32(p + 4) << 32;
}

static inline void
proto_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void
proto_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
proto_put64(unsigned char *p, uint64_t v)
{
	proto_put32(p, (uint32_t)v);
	proto_put32(p + 4, (uint32_t)(v >> 32));
}

/* Writes a frame header; the caller writes the payload after it and zeroes
 * the padding (proto_frame_size(length) - 16 - length bytes). */
void	proto_header_put(unsigned char *, uint32_t length, uint16_t type,
	    uint16_t flags, uint64_t id);

#define PROTO_INCOMPLETE	0
#define PROTO_MALFORMED		(-1)

/* Decodes the frame at the start of buf. Returns the bytes it occupies
 * (header, payload and padding: where the next frame starts), 0 when buf
 * does not yet hold all of it, -1 when its length exceeds max_payload. */
long	proto_frame_next(const unsigned char *buf, size_t len,
	    uint32_t max_payload, struct proto_frame *);

/* A span {u32 off, u32 len} at `at` in a payload, pointing into the bytes
 * area that starts at `area` in the same payload. Returns 0 and sets *s and *n,
 * or -1 when the span or its target lies outside the payload. */
int	proto_span_get(const struct proto_frame *, size_t at, size_t area,
	    const unsigned char **s, uint32_t *n);

static inline void
proto_span_put(unsigned char *at, uint32_t off, uint32_t len)
{
	proto_put32(at, off);
	proto_put32(at + 4, len);
}

/* ERROR (both ways, any channel): u32 code (a positive errno value),
 * u32 reserved, span message (a sentence for a human); area at 16. */
#define PROTO_ERROR_CODE	0
#define PROTO_ERROR_MESSAGE	8
#define PROTO_ERROR_FIXED	16

/* An ERROR payload into buf; the message is cut to fit. Returns the
 * payload's length (0 when buf cannot hold the fixed part). */
size_t	proto_error_put(unsigned char *buf, size_t size, uint32_t code,
	    const char *msg, size_t len);
/* An ERROR payload's code and message; -1 when it is short. A message
 * whose span lies outside the payload comes back empty: the code stands. */
int	proto_error_get(const struct proto_frame *, uint32_t *code,
	    const unsigned char **msg, uint32_t *len);

#endif
