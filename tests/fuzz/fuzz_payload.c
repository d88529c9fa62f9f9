/*
 * fuzz_payload — libFuzzer target for the payload decoders of src/proto
 * (exchange.h, control.h, proto.h's ERROR) on bytes any local user can
 * send: what hsysd decodes from an application (RESPONSE, its header
 * table, REQ_CREDIT, ERROR, HELLO, CHANNEL, the queue operations, STATE),
 * from a peer hsysd (HANDOVER, HANDOVER_FD, HANDOVER_PREFIX), and what
 * libhsys decodes from hsysd (REQUEST, TRAILERS, WELCOME, OK, GOAWAY).
 *
 * Besides crashes and sanitizer reports it asserts each decoder's
 * contract, against a reference computed here in 64 bits:
 *  - it accepts a payload exactly when its fixed part is there, its
 *    header table ends inside it and every span it hands out lies inside
 *    its bytes area (RESPONSE, REQUEST, TRAILERS, HELLO, queue
 *    operations, HANDOVER_PREFIX; ERROR keeps its code and drops a
 *    message that does not fit);
 *  - what it hands out is what the bytes at the documented offsets say,
 *    and every pointer lies inside the payload;
 *  - a header table entry is accepted exactly when both of its strings
 *    lie inside the bytes area, and re-encodes (proto_field_put) to the
 *    same 16 bytes; a RESPONSE's fixed part re-encodes to the same bytes;
 *  - what a decoder accepted, encoded again and decoded, comes back the
 *    same (HELLO, WELCOME, CHANNEL, queue operations, hand-over).
 *
 * Input: the first byte's top bit set, the rest is a buffer walked frame
 * by frame (proto_frame_next) as a channel reader walks it; else the rest
 * is one payload of the type the first byte picks. Build and run: see
 * Makefile here.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/exchange.h"
#include "proto/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint16_t types[] = {
	PROTO_RESPONSE, PROTO_REQ_CREDIT, PROTO_ERROR, PROTO_HELLO,
	PROTO_CHANNEL, PROTO_QUEUE_CREATE, PROTO_QUEUE_ATTACH,
	PROTO_PREFIX_ADD, PROTO_PREFIX_REMOVE, PROTO_QUEUE_CLOSE,
	PROTO_QUEUE_SET, PROTO_STATE, PROTO_HANDOVER, PROTO_HANDOVER_FD,
	PROTO_HANDOVER_PREFIX, PROTO_REQUEST, PROTO_REQ_DATA, PROTO_WELCOME,
	PROTO_OK, PROTO_GOAWAY, PROTO_RESP_CREDIT,
};

static unsigned char out[1 << 17];	/* re-encodings */

/* The span at `at` (inside the payload) lies inside the bytes area. */
static int
span_ok(const struct proto_frame *f, size_t at, size_t area)
{
	return area <= f->length && at + 8 <= f->length &&
	    (uint64_t)proto_get32(f->payload + at) +
	    proto_get32(f->payload + at + 4) <= f->length - area;
}

static void
in_payload(const struct proto_frame *f, const unsigned char *s, uint32_t n)
{
	assert(s >= f->payload && s + n <= f->payload + f->length);
}

static void
check_fields(const struct proto_frame *f, size_t table, size_t area,
    size_t n)
{
	struct proto_field fl;
	unsigned char again[PROTO_FIELD_SIZE];
	size_t i;
	int ok;

	for (i = 0; i < n; i++) {
		ok = span_ok(f, table + 16 * i, area) &&
		    span_ok(f, table + 16 * i + 8, area);
		assert((proto_field_get(f, table, area, i, &fl) == 0) == ok);
		if (!ok)
			continue;
		in_payload(f, fl.name, fl.name_len);
		in_payload(f, fl.value, fl.value_len);
		proto_field_put(again, (uint32_t)(fl.name - f->payload - area),
		    fl.name_len, (uint32_t)(fl.value - f->payload - area),
		    fl.value_len);
		assert(memcmp(again, f->payload + table + 16 * i, 16) == 0);
	}
}

static void
check_response(const struct proto_frame *f)
{
	struct proto_response r;
	size_t area;
	int ok;

	ok = f->length >= PROTO_RESPONSE_FIXED;
	area = ok ? proto_response_area(proto_get16(f->payload + 2)) : 0;
	ok = ok && span_ok(f, PROTO_RESPONSE_REASON, area);
	assert((proto_response_get(f, &r) == 0) == ok);
	if (!ok)
		return;
	assert(r.status == proto_get16(f->payload) && r.area == area &&
	    r.nheaders == proto_get16(f->payload + 2) &&
	    r.flags == proto_get32(f->payload + 4));
	in_payload(f, proto_span_at(f, r.area, r.reason), r.reason.len);
	proto_response_put(out, &r);
	assert(memcmp(out, f->payload, PROTO_RESPONSE_FIXED) == 0);
	check_fields(f, PROTO_RESPONSE_FIXED, r.area, r.nheaders);
}

static void
check_request(const struct proto_frame *f)
{
	struct proto_request r;
	size_t area = 0, i;
	int ok;

	ok = f->length >= PROTO_REQUEST_FIXED;
	if (ok)
		area = proto_request_area(proto_get16(f->payload + 8));
	for (i = 0; ok && i < PROTO_RS_COUNT; i++)
		ok = span_ok(f, PROTO_REQUEST_SPAN(i), area);
	assert((proto_request_get(f, &r) == 0) == ok);
	if (!ok)
		return;
	for (i = 0; i < PROTO_RS_COUNT; i++)
		in_payload(f, proto_span_at(f, area, r.span[i]), r.span[i].len);
	/* The fixed part re-encodes to the same bytes but the reserved. */
	proto_request_put(out, &r);
	assert(memcmp(out, f->payload, 12) == 0 &&
	    memcmp(out + 16, f->payload + 16, PROTO_REQUEST_FIXED - 16) == 0);
	check_fields(f, PROTO_REQUEST_FIXED, area, r.nheaders);
}

static void
check_trailers(const struct proto_frame *f)
{
	size_t n, area;
	int ok;

	ok = f->length >= PROTO_TRAILERS_FIXED && proto_trailers_area(
	    proto_get16(f->payload)) <= f->length;
	assert((proto_trailers_get(f, &n, &area) == 0) == ok);
	if (ok)
		check_fields(f, PROTO_TRAILERS_FIXED, area, n);
}

static void
check_error(const struct proto_frame *f)
{
	const unsigned char *m;
	uint32_t code, n;
	int ok = f->length >= PROTO_ERROR_FIXED;

	assert((proto_error_get(f, &code, &m, &n) == 0) == ok);
	if (!ok)
		return;
	assert(code == proto_get32(f->payload));
	in_payload(f, m, n);
	if (span_ok(f, PROTO_ERROR_MESSAGE, PROTO_ERROR_FIXED))
		assert(n == proto_get32(f->payload + 12) && m == f->payload +
		    PROTO_ERROR_FIXED + proto_get32(f->payload + 8));
	else
		assert(n == 0);
}

/* Encoded again and decoded, a frame of `type` with `len` bytes. */
static struct proto_frame
again(uint16_t type, size_t len)
{
	struct proto_frame g = { .length = (uint32_t)len, .type = type,
	    .payload = out };

	assert(len > 0 && len <= sizeof(out));
	return g;
}

static void
check_hello(const struct proto_frame *f)
{
	struct proto_hello h, h2;
	struct proto_frame g;
	int ok = f->length >= PROTO_HELLO_FIXED &&
	    span_ok(f, PROTO_HELLO_NAME, PROTO_HELLO_FIXED);

	assert((proto_hello_get(f, &h) == 0) == ok);
	if (!ok)
		return;
	assert(h.magic == proto_get32(f->payload) &&
	    h.flags == proto_get32(f->payload + 8));
	in_payload(f, h.name, h.name_len);
	g = again(PROTO_HELLO, proto_hello_put(out, sizeof(out), &h));
	assert(proto_hello_get(&g, &h2) == 0 && h2.magic == h.magic &&
	    h2.min_version == h.min_version && h2.max_version ==
	    h.max_version && h2.flags == h.flags && h2.name_len ==
	    h.name_len && memcmp(h2.name, h.name, h.name_len) == 0);
}

/* A queue operation's fixed part, and where its span is (0: none). */
static size_t
op_fixed(uint16_t type, size_t *span)
{
	*span = type == PROTO_QUEUE_ATTACH ? 0 : 8;
	switch (type) {
	case PROTO_QUEUE_CREATE:
		return PROTO_QUEUE_CREATE_FIXED;
	case PROTO_QUEUE_ATTACH:
		return PROTO_QUEUE_ATTACH_FIXED;
	case PROTO_PREFIX_ADD:
	case PROTO_PREFIX_REMOVE:
	case PROTO_CACHE_FLUSH:		/* queue_id, flags, the URL's span */
		return PROTO_PREFIX_FIXED;
	case PROTO_QUEUE_CLOSE:
		*span = SIZE_MAX;
		return PROTO_QUEUE_CLOSE_SIZE;
	default:
		*span = SIZE_MAX;
		return PROTO_QUEUE_SET_SIZE;
	}
}

static void
check_queue_op(const struct proto_frame *f)
{
	struct proto_queue_op q, q2;
	struct proto_frame g;
	size_t span, fixed = op_fixed(f->type, &span);
	int ok;

	ok = f->length >= fixed && (span == SIZE_MAX ||
	    span_ok(f, span, fixed));
	assert((proto_queue_op_get(f, &q) == 0) == ok);
	if (!ok)
		return;
	if (span != SIZE_MAX)
		in_payload(f, q.name, q.name_len);
	else
		assert(q.name == NULL && q.name_len == 0);
	if (f->type != PROTO_QUEUE_CREATE && f->type != PROTO_QUEUE_ATTACH)
		assert(q.queue_id == proto_get32(f->payload));
	g = again(f->type, proto_queue_op_put(out, sizeof(out), f->type, &q));
	assert(proto_queue_op_get(&g, &q2) == 0);
	assert(q2.queue_id == q.queue_id && q2.flags == q.flags &&
	    q2.max_waiting == q.max_waiting && q2.property == q.property &&
	    q2.value == q.value && q2.name_len == q.name_len &&
	    (q.name_len == 0 || memcmp(q2.name, q.name, q.name_len) == 0));
}

static void
check_fixed_size(const struct proto_frame *f)
{
	struct proto_channel c, c2;
	struct proto_welcome w, w2;
	struct proto_handover_fd h, h2;
	struct proto_frame g;
	uint32_t v, v2;

	switch (f->type) {
	case PROTO_CHANNEL:
		assert((proto_channel_get(f, &c) == 0) ==
		    (f->length >= PROTO_CHANNEL_SIZE));
		if (f->length < PROTO_CHANNEL_SIZE)
			return;
		g = again(f->type, proto_channel_put(out, sizeof(out), &c));
		assert(proto_channel_get(&g, &c2) == 0 &&
		    memcmp(out, f->payload, 26) == 0);
		return;
	case PROTO_WELCOME:
		assert((proto_welcome_get(f, &w) == 0) ==
		    (f->length >= PROTO_WELCOME_V1_SIZE));
		if (f->length < PROTO_WELCOME_V1_SIZE)
			return;
		assert(w.features == (f->length >= 52 ?
		    proto_get32(f->payload + 48) : 0));
		g = again(f->type, proto_welcome_put(out, sizeof(out), &w));
		assert(proto_welcome_get(&g, &w2) == 0 &&
		    memcmp(out, f->payload, PROTO_WELCOME_V1_SIZE) == 0 &&
		    w2.features == w.features);
		return;
	case PROTO_HANDOVER_FD:
		assert((proto_handover_fd_get(f, &h) == 0) ==
		    (f->length >= PROTO_HANDOVER_FD_SIZE));
		if (f->length < PROTO_HANDOVER_FD_SIZE)
			return;
		g = again(f->type, proto_handover_fd_put(out, sizeof(out), &h));
		assert(proto_handover_fd_get(&g, &h2) == 0 &&
		    memcmp(out, f->payload, PROTO_HANDOVER_FD_SIZE) == 0);
		return;
	case PROTO_HANDOVER:
		assert((proto_handover_get(f, &v, &v2) == 0) ==
		    (f->length >= PROTO_HANDOVER_SIZE));
		return;
	case PROTO_OK:
		assert((proto_ok_queue_get(f, &v) == 0) ==
		    (f->length >= PROTO_OK_QUEUE_SIZE));
		return;
	case PROTO_GOAWAY:
		assert((proto_goaway_get(f, &v) == 0) == (f->length >= 4));
		return;
	case PROTO_STATE:
		assert(proto_state_get(f) == (f->length >= 4 ?
		    proto_get32(f->payload) : 0));
		return;
	default:	/* REQ_CREDIT, RESP_CREDIT */
		assert((proto_credit_get(f, &v) == 0) == (f->length >= 4));
		if (f->length >= 4)
			assert(v == proto_get32(f->payload));
		return;
	}
}

static void
check_handover_prefix(const struct proto_frame *f)
{
	struct proto_handover_prefix h, h2;
	struct proto_frame g;
	int ok = f->length >= PROTO_HANDOVER_PREFIX_FIXED &&
	    span_ok(f, 8, PROTO_HANDOVER_PREFIX_FIXED) &&
	    span_ok(f, 16, PROTO_HANDOVER_PREFIX_FIXED);

	assert((proto_handover_prefix_get(f, &h) == 0) == ok);
	if (!ok)
		return;
	in_payload(f, h.name, h.name_len);
	in_payload(f, h.prefix, h.prefix_len);
	g = again(f->type, proto_handover_prefix_put(out, sizeof(out), &h));
	assert(proto_handover_prefix_get(&g, &h2) == 0 &&
	    h2.owner == h.owner && h2.queue_flags == h.queue_flags &&
	    h2.name_len == h.name_len && h2.prefix_len == h.prefix_len &&
	    memcmp(h2.name, h.name, h.name_len) == 0 &&
	    memcmp(h2.prefix, h.prefix, h.prefix_len) == 0);
}

static void
check_payload(const struct proto_frame *f)
{
	switch (f->type) {
	case PROTO_RESPONSE:
		check_response(f);
		break;
	case PROTO_REQUEST:
		check_request(f);
		break;
	case PROTO_REQ_DATA:
		check_trailers(f);
		break;
	case PROTO_ERROR:
		check_error(f);
		break;
	case PROTO_HELLO:
		check_hello(f);
		break;
	case PROTO_QUEUE_CREATE:
	case PROTO_QUEUE_ATTACH:
	case PROTO_PREFIX_ADD:
	case PROTO_PREFIX_REMOVE:
	case PROTO_QUEUE_CLOSE:
	case PROTO_QUEUE_SET:
	case PROTO_CACHE_FLUSH:
		check_queue_op(f);
		break;
	case PROTO_HANDOVER_PREFIX:
		check_handover_prefix(f);
		break;
	case PROTO_CHANNEL:
	case PROTO_WELCOME:
	case PROTO_HANDOVER_FD:
	case PROTO_HANDOVER:
	case PROTO_OK:
	case PROTO_GOAWAY:
	case PROTO_STATE:
	case PROTO_REQ_CREDIT:
	case PROTO_RESP_CREDIT:
		check_fixed_size(f);
		break;
	default:	/* not a type with a payload decoder */
		assert(proto_queue_op_get(f, &(struct proto_queue_op){ 0 }) ==
		    -1);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_frame f = { 0 };
	unsigned char *buf;
	size_t len, off = 0;
	long r;

	if (size == 0)
		return 0;
	len = size - 1;
	/* A copy of exactly the input: ASan sees any read past it. */
	if ((buf = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	if (!(data[0] & 0x80)) {
		f.type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
		f.length = (uint32_t)len;
		f.payload = buf;
		check_payload(&f);
		free(buf);
		return 0;
	}
	/* Frame by frame, as hsysd's and libhsys's readers walk a buffer. */
	while ((r = proto_frame_next(buf + off, len - off, PROTO_MAX_FRAME,
	    &f)) > 0) {
		check_payload(&f);
		off += (size_t)r;
	}
	free(buf);
	return 0;
}
