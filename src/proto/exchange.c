/*
 * exchange — the data channel's payloads that are not on hsysd's per-
 * request path: decoding REQUEST and TRAILERS (libhsys), method names and
 * addresses. The rest is static inline in exchange.h.
 */
#include <string.h>

#include "proto/exchange.h"

static const char *const method_names[PROTO_METHOD_COUNT] = {
	NULL, "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
	"CONNECT", "TRACE"
};

const char *
proto_method_name(unsigned code)
{
	return code < PROTO_METHOD_COUNT ? method_names[code] : NULL;
}

int
proto_addr_get(const unsigned char *p, struct sockaddr_storage *ss)
{
	uint16_t family = proto_get16(p), port = proto_get16(p + 2);

	memset(ss, 0, sizeof(*ss));
	if (family == PROTO_ADDR_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, p + 4, 4);
		return 0;
	}
	if (family == PROTO_ADDR_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, p + 4, 16);
		return 0;
	}
	return -1;
}

int
proto_request_get(const struct proto_frame *f, struct proto_request *r)
{
	const unsigned char *p = f->payload;
	size_t area, i;

	if (f->length < PROTO_REQUEST_FIXED)
		return -1;
	r->queue = proto_get32(p + PROTO_REQUEST_QUEUE);
	r->method = proto_get16(p + PROTO_REQUEST_METHOD);
	r->version_major = p[PROTO_REQUEST_VERSION_MAJOR];
	r->version_minor = p[PROTO_REQUEST_VERSION_MINOR];
	r->nheaders = proto_get16(p + PROTO_REQUEST_NHEADERS);
	r->flags = proto_get16(p + PROTO_REQUEST_FLAGS);
	r->content_length = proto_get64(p + PROTO_REQUEST_CONTENT_LENGTH);
	r->connection_id = proto_get64(p + PROTO_REQUEST_CONNECTION);
	memcpy(r->peer, p + PROTO_REQUEST_PEER, PROTO_ADDR_SIZE);
	memcpy(r->local, p + PROTO_REQUEST_LOCAL, PROTO_ADDR_SIZE);
	area = proto_request_area(r->nheaders);
	if (area > f->length)
		return -1;
	for (i = 0; i < PROTO_RS_COUNT; i++) {
		r->span[i].off = proto_get32(p + PROTO_REQUEST_SPAN(i));
		r->span[i].len = proto_get32(p + PROTO_REQUEST_SPAN(i) + 4);
		if ((uint64_t)r->span[i].off + r->span[i].len >
		    f->length - area)
			return -1;
	}
	return 0;
}

int
proto_trailers_get(const struct proto_frame *f, size_t *count, size_t *area)
{
	if (f->length < PROTO_TRAILERS_FIXED)
		return -1;
	*count = proto_get16(f->payload + PROTO_TRAILERS_COUNT);
	*area = proto_trailers_area(*count);
	return *area > f->length ? -1 : 0;
}
