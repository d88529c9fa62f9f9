/*
 * trailers — the chunked request trailers hsysd hands an application: the
 * room the decoder keeps them in, which fields are never passed on, and
 * the payload of the final REQ_DATA frame with the TRAILERS flag
 * (docs/protocol.md, "Trailers"); and the other way, the response
 * trailers an application sends (RESP_DATA with TRAILERS), checked.
 */
#ifndef HSYS_DAEMON_TRAILERS_H
#define HSYS_DAEMON_TRAILERS_H

#include <stddef.h>

#include "http/http.h"
#include "proto/exchange.h"

#define TRAILERS_ROOM	(16u << 10)	/* the head's limit: max_head */
#define TRAILERS_MAX	100		/* and max_headers */

/* A connection's room for one request's trailers and their frame,
 * allocated on its first chunked request. */
struct trailers {
	char			 room[TRAILERS_ROOM];
	struct http_header	 field[TRAILERS_MAX];
	unsigned char		 payload[PROTO_TRAILERS_FIXED +
				    PROTO_FIELD_SIZE * TRAILERS_MAX +
				    TRAILERS_ROOM];
};

/* Builds the TRAILERS payload from the n fields the decoder kept into
 * t->payload, leaving out the fields a trailer may not carry. Returns its
 * length, or 0 when no field is left. */
size_t	trailers_payload(struct trailers *, size_t n);

struct proto_frame;

/* A response's trailers (an application's RESP_DATA with TRAILERS | END)
 * into out[TRAILERS_MAX], pointing into f: at most TRAILERS_MAX fields of
 * at most TRAILERS_ROOM bytes, names tokens, values free of CR, LF and
 * NUL. The fields a trailer may not carry are left out, as for requests.
 * Returns the count kept (0: none), or -1 when the payload is malformed. */
int	trailers_from_app(const struct proto_frame *, struct http_header *out);

#endif
