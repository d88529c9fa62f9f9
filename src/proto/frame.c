/*
 * frame — framing of the wire protocol: headers, the next frame in a
 * buffer, spans, ERROR. See proto.h and docs/protocol.md.
 */
#include <string.h>

#include "proto/proto.h"

void
proto_header_put(unsigned char *p, uint32_t length, uint16_t type,
    uint16_t flags, uint64_t id)
{
	proto_put32(p, length);
	proto_put16(p + 4, type);
	proto_put16(p + 6, flags);
	proto_put64(p + 8, id);
}

long
proto_frame_next(const unsigned char *buf, size_t len, uint32_t max_payload,
    struct proto_frame *f)
{
	size_t size;

	if (len < PROTO_HEADER_SIZE)
		return PROTO_INCOMPLETE;
	f->length = proto_get32(buf);
	if (f->length > max_payload)
		return PROTO_MALFORMED;
	size = proto_frame_size(f->length);
	if (len < size)
		return PROTO_INCOMPLETE;
	f->type = proto_get16(buf + 4);
	f->flags = proto_get16(buf + 6);
	f->id = proto_get64(buf + 8);
	f->payload = buf + PROTO_HEADER_SIZE;
	return (long)size;
}

int
proto_span_get(const struct proto_frame *f, size_t at, size_t area,
    const unsigned char **s, uint32_t *n)
{
	uint32_t off, len;

	/* Compared without at + 8, which wraps for an `at` near SIZE_MAX. */
	if (at > f->length || f->length - at < 8 || area > f->length)
		return -1;
	off = proto_get32(f->payload + at);
	len = proto_get32(f->payload + at + 4);
	/* Checked in 64 bits: off + len cannot wrap. */
	if ((uint64_t)area + off + len > f->length)
		return -1;
	*s = f->payload + area + off;
	*n = len;
	return 0;
}

size_t
proto_error_put(unsigned char *buf, size_t size, uint32_t code,
    const char *msg, size_t len)
{
	if (size < PROTO_ERROR_FIXED)
		return 0;
	if (len > size - PROTO_ERROR_FIXED)
		len = size - PROTO_ERROR_FIXED;
	memset(buf, 0, PROTO_ERROR_FIXED);
	proto_put32(buf + PROTO_ERROR_CODE, code);
	proto_span_put(buf + PROTO_ERROR_MESSAGE, 0, (uint32_t)len);
	memcpy(buf + PROTO_ERROR_FIXED, msg, len);
	return PROTO_ERROR_FIXED + len;
}

int
proto_error_get(const struct proto_frame *f, uint32_t *code,
    const unsigned char **msg, uint32_t *len)
{
	if (f->length < PROTO_ERROR_FIXED)
		return -1;
	*code = proto_get32(f->payload + PROTO_ERROR_CODE);
	if (proto_span_get(f, PROTO_ERROR_MESSAGE, PROTO_ERROR_FIXED, msg,
	    len) == -1) {
		*msg = f->payload + PROTO_ERROR_FIXED;
		*len = 0;
	}
	return 0;
}
