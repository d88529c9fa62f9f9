/*
 * Unit tests of the wire protocol's framing: header round trip, padding,
 * incomplete and oversized frames, several frames in one buffer, spans that
 * stay inside their payload.
 */
#include <string.h>

#include "proto/proto.h"
#include "unit.h"

static void
test_header_round_trip(void)
{
	unsigned char buf[64] = { 0 };
	struct proto_frame f;

	proto_header_put(buf, 5, PROTO_REQ_DATA, PROTO_F_END,
	    0x0102030405060708ull);
	memcpy(buf + 16, "hello", 5);
	CHECK(proto_frame_next(buf, sizeof(buf), PROTO_MAX_FRAME, &f) == 24);
	CHECK(f.length == 5 && f.type == PROTO_REQ_DATA &&
	    f.flags == PROTO_F_END && f.id == 0x0102030405060708ull);
	CHECK(memcmp(f.payload, "hello", 5) == 0);
	/* Little-endian on the wire whatever the host. */
	CHECK(buf[0] == 5 && buf[4] == 0x01 && buf[5] == 0x01 &&
	    buf[8] == 0x08 && buf[15] == 0x01);
}

static void
test_sizes_and_padding(void)
{
	CHECK(proto_frame_size(0) == 16);
	CHECK(proto_frame_size(1) == 24);
	CHECK(proto_frame_size(8) == 24);
	CHECK(proto_frame_size(9) == 32);
	CHECK(proto_frame_size(UINT32_MAX) == 16 + 4294967296ull);
}

static void
test_incomplete_and_malformed(void)
{
	unsigned char buf[64] = { 0 };
	struct proto_frame f;
	size_t i;

	proto_header_put(buf, 10, PROTO_RESPONSE, 0, 7);
	for (i = 0; i < 32; i++)
		CHECK(proto_frame_next(buf, i, PROTO_MAX_FRAME, &f) ==
		    PROTO_INCOMPLETE);
	CHECK(proto_frame_next(buf, 32, PROTO_MAX_FRAME, &f) == 32);
	CHECK(proto_frame_next(buf, 32, 9, &f) == PROTO_MALFORMED);
	proto_header_put(buf, UINT32_MAX, PROTO_RESPONSE, 0, 7);
	CHECK(proto_frame_next(buf, 64, PROTO_MAX_FRAME, &f) ==
	    PROTO_MALFORMED);
}

static void
test_batch(void)
{
	unsigned char buf[256] = { 0 };
	struct proto_frame f;
	size_t off = 0, n = 0;
	long r;
	int i;

	for (i = 0; i < 5; i++) {
		proto_header_put(buf + off, (uint32_t)i * 3, PROTO_REQ_CREDIT,
		    0, (uint64_t)i);
		off += proto_frame_size((uint32_t)i * 3);
	}
	while ((r = proto_frame_next(buf + n, off - n, PROTO_MAX_FRAME, &f))
	    > 0) {
		CHECK(f.id == (uint64_t)(f.length / 3));
		n += (size_t)r;
	}
	CHECK(r == PROTO_INCOMPLETE && n == off);
}

static void
test_spans(void)
{
	unsigned char buf[64] = { 0 };
	struct proto_frame f;
	const unsigned char *s;
	uint32_t n;

	/* payload: one span at 0, bytes area at 8 holding "abcdef" */
	proto_header_put(buf, 14, PROTO_HELLO, 0, 0);
	proto_span_put(buf + 16, 2, 3);
	memcpy(buf + 24, "abcdef", 6);
	CHECK(proto_frame_next(buf, sizeof(buf), PROTO_MAX_FRAME, &f) > 0);
	CHECK(proto_span_get(&f, 0, 8, &s, &n) == 0 && n == 3 &&
	    memcmp(s, "cde", 3) == 0);
	proto_span_put(buf + 16, 4, 3);		/* one past the end */
	CHECK(proto_span_get(&f, 0, 8, &s, &n) == -1);
	proto_span_put(buf + 16, UINT32_MAX, 2);	/* would wrap */
	CHECK(proto_span_get(&f, 0, 8, &s, &n) == -1);
	CHECK(proto_span_get(&f, 10, 8, &s, &n) == -1);	/* span outside */
	proto_span_put(buf + 16, 0, 6);
	CHECK(proto_span_get(&f, 0, 8, &s, &n) == 0 && n == 6);
}

static void
test_error_payload(void)
{
	unsigned char buf[64], frame[128] = { 0 };
	struct proto_frame f;
	const unsigned char *m;
	uint32_t n;
	size_t len;

	len = proto_error_put(buf, sizeof(buf), 13, "no reservation", 14);
	CHECK(len == 30 && proto_get32(buf) == 13 && proto_get32(buf + 4) == 0);
	proto_header_put(frame, (uint32_t)len, PROTO_ERROR, 0, 9);
	memcpy(frame + 16, buf, len);
	CHECK(proto_frame_next(frame, sizeof(frame), PROTO_MAX_FRAME, &f) > 0);
	CHECK(proto_span_get(&f, 8, 16, &m, &n) == 0 && n == 14 &&
	    memcmp(m, "no reservation", 14) == 0);
	/* A message longer than the buffer is cut to fit. */
	len = proto_error_put(buf, 20, 1, "a long message", 14);
	CHECK(len == 20 && proto_get32(buf + 12) == 4);
	CHECK(proto_error_put(buf, 8, 1, "x", 1) == 0);
}

int
main(void)
{
	RUN(test_header_round_trip);
	RUN(test_sizes_and_padding);
	RUN(test_incomplete_and_malformed);
	RUN(test_batch);
	RUN(test_spans);
	RUN(test_error_payload);
	return unit_done();
}
