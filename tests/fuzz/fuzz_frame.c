/*
 * fuzz_frame — libFuzzer target for the wire protocol's decoders
 * (src/proto/frame.c): proto_frame_next, proto_span_get and the ERROR
 * payload's encoder, as every reader of the protocol uses them (the
 * control socket, data channels, hand-over, libhsys).
 *
 * Besides crashes and sanitizer reports it asserts their contract:
 *  - a frame is decoded only when all of it (header, payload, padding) is
 *    in the buffer; its size is 16 + the payload rounded up to 8, its
 *    payload lies inside the input, its length within the bound;
 *  - every shorter prefix of a decoded frame is INCOMPLETE (or MALFORMED
 *    once the header with its too-large length is in), never a frame;
 *  - a length over the bound is MALFORMED, whatever follows;
 *  - decoding is deterministic and the header re-encodes (proto_header_put)
 *    to the same 16 bytes;
 *  - walking a buffer frame by frame, as the daemon's readers do, never
 *    goes past its end;
 *  - a span is accepted exactly when it and its target lie inside the
 *    payload (checked against a 64-bit reference), and re-encodes
 *    (proto_span_put) to the same 8 bytes;
 *  - an ERROR payload built by proto_error_put decodes back to its code
 *    and message (cut to fit).
 *
 * The first input byte picks the payload bound: the control socket's
 * (4096), the data channel's (PROTO_MAX_FRAME) or a tiny one (so that
 * MALFORMED is within reach). Build and run: see Makefile here.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint32_t bounds[] = { 4096, PROTO_MAX_FRAME, 64, 0 };

/* The span at `at` against a reference computed in 64 bits. */
static void
check_span(const struct proto_frame *f, size_t at, size_t area)
{
	const unsigned char *s = NULL;
	unsigned char again[8];
	uint32_t n = 0;
	uint64_t off, len;
	int ok, r;

	r = proto_span_get(f, at, area, &s, &n);
	ok = at <= f->length && f->length - at >= 8 && area <= f->length;
	if (ok) {
		off = proto_get32(f->payload + at);
		len = proto_get32(f->payload + at + 4);
		ok = area + off + len <= f->length;
	}
	assert(r == (ok ? 0 : -1));
	if (r == -1)
		return;
	assert(s >= f->payload + area);
	assert(s + n <= f->payload + f->length);
	assert(s == f->payload + area + proto_get32(f->payload + at));
	proto_span_put(again, (uint32_t)(s - f->payload - area), n);
	assert(memcmp(again, f->payload + at, 8) == 0);
}

/* Spans everywhere a payload could hold one, against the fixed areas the
 * daemon's messages use and the RESPONSE's header table. */
static void
check_spans(const struct proto_frame *f)
{
	static const size_t areas[] = { 0, 8, 16, 24, 32, 48, 80 };
	size_t at, i, nh;

	for (at = 0; at < 96 && at <= f->length; at += 4)
		for (i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
			check_span(f, at, areas[i]);
	if (f->length >= 4) {
		nh = proto_get16(f->payload + 2);
		check_span(f, 8, 16 + 16 * nh);
	}
	check_span(f, SIZE_MAX - 4, 0);		/* must not wrap */
	check_span(f, 0, SIZE_MAX);
}

static void
check_frame(const unsigned char *buf, size_t len, uint32_t max, long r,
    const struct proto_frame *f)
{
	unsigned char head[PROTO_HEADER_SIZE];
	struct proto_frame g;
	size_t size, cut;

	if (len < PROTO_HEADER_SIZE) {
		assert(r == PROTO_INCOMPLETE);
		return;
	}
	if (proto_get32(buf) > max) {
		assert(r == PROTO_MALFORMED);
		return;
	}
	size = proto_frame_size(proto_get32(buf));
	if (len < size) {
		assert(r == PROTO_INCOMPLETE);
		return;
	}
	assert(r > 0 && (size_t)r == size && size % 8 == 0);
	assert(f->length <= max && f->payload == buf + PROTO_HEADER_SIZE);
	assert(f->payload + f->length <= buf + len);
	proto_header_put(head, f->length, f->type, f->flags, f->id);
	assert(memcmp(head, buf, PROTO_HEADER_SIZE) == 0);
	/* Deterministic, and no prefix of it is a frame. */
	assert(proto_frame_next(buf, len, max, &g) == r);
	assert(memcmp(&g, f, sizeof(g)) == 0);
	for (cut = 0; cut < size; cut += cut < 24 ? 1 : size / 8 + 1)
		assert(proto_frame_next(buf, cut, max, &g) ==
		    PROTO_INCOMPLETE);
	assert(proto_frame_next(buf, size - 1, max, &g) == PROTO_INCOMPLETE);
	/* A smaller bound refuses it exactly when its length is over. */
	if (f->length > 0)
		assert(proto_frame_next(buf, len, f->length - 1, &g) ==
		    PROTO_MALFORMED);
	check_spans(f);
}

/* An ERROR payload from the input's tail decodes back to what went in. */
static void
check_error(const uint8_t *data, size_t size)
{
	unsigned char p[256 + 16];
	struct proto_frame f = { 0 };
	const unsigned char *msg;
	size_t room, n, want;
	uint32_t mlen;

	if (size < 5)
		return;
	room = data[0] % sizeof(p);
	want = size - 5;
	n = proto_error_put(p, room, proto_get32(data + 1),
	    (const char *)data + 5, want);
	if (room < 16) {
		assert(n == 0);
		return;
	}
	assert(n == 16 + (want < room - 16 ? want : room - 16) && n <= room);
	f.length = (uint32_t)n;
	f.payload = p;
	assert(proto_get32(p) == proto_get32(data + 1));
	assert(proto_span_get(&f, 8, 16, &msg, &mlen) == 0);
	assert(mlen == n - 16 && memcmp(msg, data + 5, mlen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_frame f;
	unsigned char *buf;
	uint32_t max;
	size_t off = 0, len;
	long r;

	if (size == 0)
		return 0;
	max = bounds[data[0] % 4];
	len = size - 1;
	/* A copy of exactly the input: ASan sees any read past it. */
	if ((buf = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	/* Frame by frame, as the daemon's readers walk their buffers. */
	for (;;) {
		memset(&f, 0, sizeof(f));
		r = proto_frame_next(buf + off, len - off, max, &f);
		check_frame(buf + off, len - off, max, r, &f);
		if (r <= 0)
			break;
		off += (size_t)r;
		assert(off <= len);
	}
	check_error(data, size);
	free(buf);
	return 0;
}
