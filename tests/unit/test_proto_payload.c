/*
 * Unit tests of the wire protocol's payloads (src/proto/exchange.h and
 * control.h): every frame type of docs/protocol.md encoded, framed,
 * decoded and compared with what went in; the bytes at the offsets the
 * document names; every payload cut short refused by its decoder (where a
 * shorter one is not a valid older form).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "proto/control.h"
#include "proto/exchange.h"
#include "proto/proto.h"
#include "unit.h"

static unsigned char wire[8192];

/* Frames a payload as a sender would and decodes it as a receiver does. */
static struct proto_frame
frame(uint16_t type, uint16_t flags, uint64_t id, const void *payload,
    size_t len)
{
	struct proto_frame f = { 0 };
	long used;

	memset(wire, 0xee, sizeof(wire));
	proto_header_put(wire, (uint32_t)len, type, flags, id);
	if (len > 0)
		memcpy(wire + PROTO_HEADER_SIZE, payload, len);
	memset(wire + PROTO_HEADER_SIZE + len, 0, proto_frame_size(
	    (uint32_t)len) - PROTO_HEADER_SIZE - len);
	used = proto_frame_next(wire, sizeof(wire), PROTO_MAX_FRAME, &f);
	CHECK(used > 0 && (size_t)used == proto_frame_size((uint32_t)len));
	CHECK(f.type == type && f.flags == flags && f.id == id &&
	    f.length == len);
	return f;
}

static int
same(const unsigned char *s, uint32_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Every payload shorter than `len` but at least `valid_from` long decodes;
 * every shorter one is refused. */
static void
check_cuts(const struct proto_frame *f, size_t valid_from,
    int (*decode)(const struct proto_frame *))
{
	struct proto_frame g = *f;
	size_t cut;
	int bad = 0;

	for (cut = 0; cut < f->length; cut++) {
		g.length = (uint32_t)cut;
		if ((decode(&g) == 0) != (cut >= valid_from))
			bad++;
	}
	CHECK(bad == 0);
}

/* --- the session ------------------------------------------------------ */

static int
hello_dec(const struct proto_frame *f)
{
	struct proto_hello h;

	return proto_hello_get(f, &h);
}

static void
test_hello(void)
{
	struct proto_hello in = { PROTO_MAGIC, 1, 1, PROTO_HELLO_F_GOAWAY,
	    (const unsigned char *)"echoapp", 7 }, out;
	unsigned char p[64];
	struct proto_frame f;
	size_t n;

	n = proto_hello_put(p, sizeof(p), &in);
	CHECK(n == PROTO_HELLO_FIXED + 7);
	CHECK(proto_get32(p) == 0x53595348u && memcmp(p, "HSYS", 4) == 0);
	CHECK(proto_get16(p + 4) == 1 && proto_get16(p + 6) == 1 &&
	    proto_get32(p + 8) == 1 && proto_get32(p + 12) == 0);
	CHECK(proto_get32(p + 16) == 0 && proto_get32(p + 20) == 7);
	f = frame(PROTO_HELLO, 0, 0, p, n);
	CHECK(proto_hello_get(&f, &out) == 0);
	CHECK(out.magic == PROTO_MAGIC && out.min_version == 1 &&
	    out.max_version == 1 && out.flags == PROTO_HELLO_F_GOAWAY);
	CHECK(same(out.name, out.name_len, "echoapp"));
	check_cuts(&f, f.length, hello_dec);
	CHECK(proto_hello_put(p, PROTO_HELLO_FIXED + 6, &in) == 0);
	/* No name: the span is empty, the payload just the fixed part. */
	in.name = NULL;
	in.name_len = 0;
	CHECK(proto_hello_put(p, sizeof(p), &in) == PROTO_HELLO_FIXED);
}

static int
welcome_dec(const struct proto_frame *f)
{
	struct proto_welcome w;

	return proto_welcome_get(f, &w);
}

static void
test_welcome(void)
{
	struct proto_welcome in = { 1, 4, PROTO_MAX_FRAME, PROTO_WINDOW, 1000,
	    0x1122334455667788ull, "0123456789abcdef", 42,
	    PROTO_FEATURE_QUEUE_SET | PROTO_FEATURE_QUEUE_ALLOW }, out;
	unsigned char p[PROTO_WELCOME_SIZE];
	struct proto_frame f;

	CHECK(proto_welcome_put(p, sizeof(p), &in) == PROTO_WELCOME_SIZE);
	CHECK(proto_get16(p + 2) == 4 && proto_get32(p + 12) == 1000 &&
	    memcmp(p + 24, "0123456789abcdef", 16) == 0 &&
	    proto_get64(p + 40) == 42 && proto_get32(p + 48) == 3);
	f = frame(PROTO_WELCOME, 0, 0, p, sizeof(p));
	CHECK(proto_welcome_get(&f, &out) == 0);
	CHECK(out.version == 1 && out.workers == 4 &&
	    out.max_frame == PROTO_MAX_FRAME && out.window == PROTO_WINDOW &&
	    out.max_waiting == 1000 && out.session == in.session &&
	    memcmp(out.key, in.key, PROTO_KEY_SIZE) == 0 &&
	    out.generation == 42 && out.features == in.features);
	/* An older daemon's 48 bytes: no features. */
	f.length = PROTO_WELCOME_V1_SIZE;
	CHECK(proto_welcome_get(&f, &out) == 0 && out.features == 0 &&
	    out.generation == 42);
	f.length = PROTO_WELCOME_SIZE;
	check_cuts(&f, PROTO_WELCOME_V1_SIZE, welcome_dec);
	CHECK(proto_welcome_put(p, sizeof(p) - 1, &in) == 0);
}

static int
channel_dec(const struct proto_frame *f)
{
	struct proto_channel c;

	return proto_channel_get(f, &c);
}

static void
test_channel(void)
{
	struct proto_channel in = { 77, "fedcba9876543210", 3 }, out;
	unsigned char p[PROTO_CHANNEL_SIZE];
	struct proto_frame f;

	CHECK(proto_channel_put(p, sizeof(p), &in) == PROTO_CHANNEL_SIZE);
	CHECK(proto_get64(p) == 77 && proto_get16(p + 24) == 3 &&
	    proto_get16(p + 26) == 0 && proto_get32(p + 28) == 0);
	f = frame(PROTO_CHANNEL, 0, 0, p, sizeof(p));
	CHECK(proto_channel_get(&f, &out) == 0);
	CHECK(out.session == 77 && out.index == 3 &&
	    memcmp(out.key, in.key, PROTO_KEY_SIZE) == 0);
	check_cuts(&f, f.length, channel_dec);
}

static int
error_dec(const struct proto_frame *f)
{
	const unsigned char *m;
	uint32_t code, n;

	return proto_error_get(f, &code, &m, &n);
}

static void
test_error(void)
{
	unsigned char p[64];
	const unsigned char *m;
	struct proto_frame f;
	uint32_t code, n;
	size_t len;

	len = proto_error_put(p, sizeof(p), EACCES, "no such session", 15);
	f = frame(PROTO_ERROR, 0, 9, p, len);
	CHECK(proto_error_get(&f, &code, &m, &n) == 0 && code == EACCES &&
	    same(m, n, "no such session"));
	check_cuts(&f, PROTO_ERROR_FIXED, error_dec);
	/* A message outside the payload: the code stands, the text goes. */
	proto_span_put(wire + PROTO_HEADER_SIZE + PROTO_ERROR_MESSAGE, 10, 99);
	CHECK(proto_error_get(&f, &code, &m, &n) == 0 && code == EACCES &&
	    n == 0);
}

/* --- queue operations and OK ----------------------------------------- */

static int
op_dec(const struct proto_frame *f)
{
	struct proto_queue_op q;

	return proto_queue_op_get(f, &q);
}

static void
round_op(uint16_t type, const struct proto_queue_op *in, size_t want_len,
    size_t valid_from)
{
	unsigned char p[512];
	struct proto_queue_op out;
	struct proto_frame f;
	size_t n;

	n = proto_queue_op_put(p, sizeof(p), type, in);
	CHECK(n == want_len);
	f = frame(type, 0, 5, p, n);
	CHECK(proto_queue_op_get(&f, &out) == 0);
	CHECK(out.queue_id == in->queue_id && out.flags == in->flags &&
	    out.max_waiting == in->max_waiting &&
	    out.property == in->property && out.value == in->value &&
	    out.name_len == in->name_len && (in->name_len == 0 ||
	    memcmp(out.name, in->name, in->name_len) == 0));
	check_cuts(&f, valid_from, op_dec);
	CHECK(proto_queue_op_put(p, n - 1, type, in) == 0);
}

static void
test_queue_ops(void)
{
	struct proto_queue_op create = { .flags = PROTO_QUEUE_F_NAMED |
	    PROTO_QUEUE_F_OPEN, .max_waiting = 300,
	    .name = (const unsigned char *)"jobs", .name_len = 4 };
	struct proto_queue_op attach = { .name = (const unsigned char *)
	    "alice/jobs", .name_len = 10 };
	struct proto_queue_op prefix = { .queue_id = 7, .name =
	    (const unsigned char *)"http://+:8080/a/", .name_len = 16 };
	struct proto_queue_op close = { .queue_id = 7 };
	struct proto_queue_op set = { .queue_id = 7, .property =
	    PROTO_QUEUE_ALLOW_UID, .value = 1001 };
	unsigned char p[64];
	struct proto_frame f;
	uint32_t id;

	round_op(PROTO_QUEUE_CREATE, &create, 16 + 4, 20);
	round_op(PROTO_QUEUE_ATTACH, &attach, 8 + 10, 18);
	round_op(PROTO_PREFIX_ADD, &prefix, 16 + 16, 32);
	round_op(PROTO_PREFIX_REMOVE, &prefix, 16 + 16, 32);
	round_op(PROTO_QUEUE_CLOSE, &close, 4, 4);
	round_op(PROTO_QUEUE_SET, &set, 16, 16);
	/* The documented offsets. */
	proto_queue_op_put(p, sizeof(p), PROTO_QUEUE_CREATE, &create);
	CHECK(proto_get32(p) == 3 && proto_get32(p + 4) == 300 &&
	    proto_get32(p + 8) == 0 && proto_get32(p + 12) == 4 &&
	    memcmp(p + 16, "jobs", 4) == 0);
	proto_queue_op_put(p, sizeof(p), PROTO_PREFIX_ADD, &prefix);
	CHECK(proto_get32(p) == 7 && proto_get32(p + 4) == 0 &&
	    proto_get32(p + 12) == 16);
	proto_queue_op_put(p, sizeof(p), PROTO_QUEUE_SET, &set);
	CHECK(proto_get32(p + 4) == 3 && proto_get32(p + 8) == 1001 &&
	    proto_get32(p + 12) == 0);
	/* Not an operation. */
	CHECK(proto_queue_op_put(p, sizeof(p), PROTO_HELLO, &close) == 0);
	f = frame(PROTO_GOAWAY, 0, 0, p, 16);
	CHECK(op_dec(&f) == -1);
	/* OK: the queue id, or nothing. */
	CHECK(proto_ok_queue_put(p, sizeof(p), 12) == PROTO_OK_QUEUE_SIZE);
	f = frame(PROTO_OK, 0, 5, p, PROTO_OK_QUEUE_SIZE);
	CHECK(proto_ok_queue_get(&f, &id) == 0 && id == 12);
	f = frame(PROTO_OK, 0, 5, NULL, 0);
	CHECK(proto_ok_queue_get(&f, &id) == -1);
}

/* --- GOAWAY, STATE, CONFIG_CHANGED ------------------------------------ */

static void
test_goaway_state_config(void)
{
	static const char lines[] = "cannot listen on 0.0.0.0:443: "
	    "Address already in use\n";
	unsigned char p[16];
	struct proto_frame f;
	uint32_t flags;

	CHECK(proto_goaway_put(p, sizeof(p), PROTO_GOAWAY_F_RECONNECT) ==
	    PROTO_GOAWAY_SIZE && proto_get32(p + 4) == 0);
	f = frame(PROTO_GOAWAY, 0, 0, p, PROTO_GOAWAY_SIZE);
	CHECK(proto_goaway_get(&f, &flags) == 0 &&
	    flags == PROTO_GOAWAY_F_RECONNECT);
	f.length = 3;
	CHECK(proto_goaway_get(&f, &flags) == -1);
	flags = PROTO_STATE_TEXT | PROTO_STATE_QUEUES << 8;
	CHECK(proto_state_put(p, sizeof(p), flags) == PROTO_STATE_SIZE);
	f = frame(PROTO_STATE, 0, 3, p, PROTO_STATE_SIZE);
	CHECK(proto_state_get(&f) == flags &&
	    PROTO_STATE_VIEW(proto_state_get(&f)) == PROTO_STATE_QUEUES);
	f = frame(PROTO_STATE, 0, 3, NULL, 0);
	CHECK(proto_state_get(&f) == 0);
	/* The answer: UTF-8 text, as it went. */
	f = frame(PROTO_STATE, 0, 3, "{\"version\": 1}", 14);
	CHECK(same(f.payload, f.length, "{\"version\": 1}"));
	/* CONFIG_CHANGED: the generation in the id, no payload; its OK the
	 * lines of the ports hsysd cannot open. */
	f = frame(PROTO_CONFIG_CHANGED, 0, 1234, NULL, 0);
	CHECK(f.id == 1234 && f.length == 0);
	f = frame(PROTO_OK, 0, 1234, lines, sizeof(lines) - 1);
	CHECK(same(f.payload, f.length, lines));
}

/* --- hand-over -------------------------------------------------------- */

static int
ho_prefix_dec(const struct proto_frame *f)
{
	struct proto_handover_prefix h;

	return proto_handover_prefix_get(f, &h);
}

static int
ho_fd_dec(const struct proto_frame *f)
{
	struct proto_handover_fd h;

	return proto_handover_fd_get(f, &h);
}

static void
test_handover(void)
{
	struct proto_handover_fd fd = { PROTO_HANDOVER_LISTENER, 8443,
	    PROTO_HANDOVER_F_TLS }, fd2;
	struct proto_handover_prefix pr = { PROTO_QUEUE_F_NAMED, 1000,
	    (const unsigned char *)"jobs", (const unsigned char *)
	    "https://+:8443/jobs/", 4, 20 }, pr2;
	unsigned char p[128];
	struct proto_frame f;
	uint32_t magic, flags;
	uint16_t t;
	size_t n;

	CHECK(proto_handover_put(p, sizeof(p), PROTO_MAGIC, 0) ==
	    PROTO_HANDOVER_SIZE);
	f = frame(PROTO_HANDOVER, 0, 0, p, PROTO_HANDOVER_SIZE);
	CHECK(proto_handover_get(&f, &magic, &flags) == 0 &&
	    magic == PROTO_MAGIC && flags == 0);
	f.length = 7;
	CHECK(proto_handover_get(&f, &magic, &flags) == -1);

	CHECK(proto_handover_fd_put(p, sizeof(p), &fd) ==
	    PROTO_HANDOVER_FD_SIZE);
	CHECK(proto_get32(p) == 2 && proto_get16(p + 4) == 8443 &&
	    proto_get16(p + 6) == 1);
	f = frame(PROTO_HANDOVER_FD, 0, 0, p, PROTO_HANDOVER_FD_SIZE);
	CHECK(proto_handover_fd_get(&f, &fd2) == 0 && fd2.kind == fd.kind &&
	    fd2.port == 8443 && fd2.flags == PROTO_HANDOVER_F_TLS);
	check_cuts(&f, f.length, ho_fd_dec);

	n = proto_handover_prefix_put(p, sizeof(p), &pr);
	CHECK(n == PROTO_HANDOVER_PREFIX_FIXED + 24);
	CHECK(proto_get32(p + 4) == 1000 && proto_get32(p + 12) == 4 &&
	    proto_get32(p + 16) == 4 && proto_get32(p + 20) == 20);
	f = frame(PROTO_HANDOVER_PREFIX, 0, 0, p, n);
	CHECK(proto_handover_prefix_get(&f, &pr2) == 0 &&
	    pr2.queue_flags == PROTO_QUEUE_F_NAMED && pr2.owner == 1000 &&
	    same(pr2.name, pr2.name_len, "jobs") &&
	    same(pr2.prefix, pr2.prefix_len, "https://+:8443/jobs/"));
	check_cuts(&f, f.length, ho_prefix_dec);
	CHECK(proto_handover_prefix_put(p, n - 1, &pr) == 0);

	/* END (the count in the id), READY, DONE: no payload. */
	for (t = PROTO_HANDOVER_END; t <= PROTO_HANDOVER_DONE; t++) {
		f = frame(t, 0, t == PROTO_HANDOVER_END ? 3 : 0, NULL, 0);
		CHECK(f.length == 0);
	}
}

/* --- the data channel ------------------------------------------------- */

static int
request_dec(const struct proto_frame *f)
{
	struct proto_request r;

	return proto_request_get(f, &r);
}

/* A REQUEST as hsysd builds one: fixed part, table, bytes area. */
static size_t
build_request(unsigned char *p, struct proto_request *r)
{
	static const char head[] = "PROPFIND /a%20b?x=1 HTTP/1.1\r\n"
	    "Host: h.test\r\nX-A: 1\r\n\r\n";
	static const char extra[] = "/a bhttp://+:80/TLSv1.3h.test";
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	size_t area = proto_request_area(2), hl = sizeof(head) - 1;

	memset(r, 0, sizeof(*r));
	r->queue = 9;
	r->method = PROTO_METHOD_OTHER;
	r->version_major = 1;
	r->version_minor = 1;
	r->nheaders = 2;
	r->flags = PROTO_REQUEST_F_BODY | PROTO_REQUEST_F_CHUNKED |
	    PROTO_REQUEST_F_TLS | PROTO_REQUEST_F_CLIENT_CERT;
	r->content_length = PROTO_LENGTH_UNKNOWN;
	r->connection_id = 0xabcdef;
	in4->sin_family = AF_INET;
	in4->sin_port = htons(40000);
	in4->sin_addr.s_addr = htonl(0x7f000001);
	proto_addr_put(r->peer, &ss);
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(443);
	in6->sin6_addr.s6_addr[15] = 1;
	proto_addr_put(r->local, &ss);
	r->span[PROTO_RS_METHOD] = (struct proto_span){ 0, 8 };
	r->span[PROTO_RS_RAW_URL] = (struct proto_span){ 9, 10 };
	r->span[PROTO_RS_QUERY] = (struct proto_span){ 16, 3 };
	r->span[PROTO_RS_HOST] = (struct proto_span){ 36, 6 };
	r->span[PROTO_RS_PATH] = (struct proto_span){ (uint32_t)hl, 4 };
	r->span[PROTO_RS_PREFIX] = (struct proto_span){ (uint32_t)hl + 4,
	    12 };
	r->span[PROTO_RS_TLS] = (struct proto_span){ (uint32_t)hl + 16, 7 };
	r->span[PROTO_RS_SNI] = (struct proto_span){ (uint32_t)hl + 23, 6 };
	r->span[PROTO_RS_CLIENT_CERT] = (struct proto_span){ (uint32_t)hl + 29,
	    0 };
	proto_request_put(p, r);
	proto_field_put(p + PROTO_REQUEST_FIXED, 30, 4, 36, 6);
	proto_field_put(p + PROTO_REQUEST_FIXED + 16, 44, 3, 49, 1);
	memcpy(p + area, head, hl);
	memcpy(p + area + hl, extra, sizeof(extra) - 1);
	return area + hl + sizeof(extra) - 1;
}

static void
test_request(void)
{
	unsigned char p[512];
	struct proto_request in, out;
	struct sockaddr_storage ss;
	struct proto_field fl;
	struct proto_frame f;
	size_t n, area, i;

	n = build_request(p, &in);
	/* The documented offsets, as libhsys and the Python client read. */
	CHECK(proto_get32(p) == 9 && proto_get16(p + 4) == 0 && p[6] == 1 &&
	    p[7] == 1 && proto_get16(p + 8) == 2 && proto_get16(p + 10) ==
	    0x63 && proto_get32(p + 12) == 0);
	CHECK(proto_get64(p + 16) == UINT64_MAX &&
	    proto_get64(p + 24) == 0xabcdef);
	CHECK(proto_get16(p + 32) == 2 && proto_get16(p + 34) == 40000 &&
	    memcmp(p + 36, "\x7f\0\0\x01", 4) == 0);
	CHECK(proto_get16(p + 52) == 10 && proto_get16(p + 54) == 443 &&
	    p[71] == 1);
	CHECK(proto_get32(p + 72) == 0 && proto_get32(p + 76) == 8 &&
	    proto_get32(p + 136 + 4) == 0 &&
	    proto_get32(p + 88) == in.span[PROTO_RS_PATH].off);
	f = frame(PROTO_REQUEST, 0, 31, p, n);
	memset(&out, 0, sizeof(out));	/* padding, for memcmp */
	CHECK(proto_request_get(&f, &out) == 0);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	area = proto_request_area(out.nheaders);
	CHECK(same(proto_span_at(&f, area, out.span[PROTO_RS_METHOD]),
	    out.span[PROTO_RS_METHOD].len, "PROPFIND"));
	CHECK(same(proto_span_at(&f, area, out.span[PROTO_RS_SNI]),
	    out.span[PROTO_RS_SNI].len, "h.test"));
	CHECK(proto_field_get(&f, PROTO_REQUEST_FIXED, area, 0, &fl) == 0 &&
	    same(fl.name, fl.name_len, "Host") &&
	    same(fl.value, fl.value_len, "h.test"));
	CHECK(proto_field_get(&f, PROTO_REQUEST_FIXED, area, 1, &fl) == 0 &&
	    same(fl.name, fl.name_len, "X-A") &&
	    same(fl.value, fl.value_len, "1"));
	CHECK(proto_addr_get(out.peer, &ss) == 0 && ss.ss_family == AF_INET &&
	    ntohs(((struct sockaddr_in *)&ss)->sin_port) == 40000);
	CHECK(proto_addr_get(out.local, &ss) == 0 &&
	    ss.ss_family == AF_INET6);
	/* The last span reaches the payload's end: any cut is refused. */
	check_cuts(&f, f.length, request_dec);
	/* A span or a header beyond the bytes area. */
	for (i = 0; i < PROTO_RS_COUNT; i++) {
		unsigned char *s = wire + PROTO_HEADER_SIZE +
		    PROTO_REQUEST_SPAN(i);
		uint32_t keep = proto_get32(s);

		proto_put32(s, (uint32_t)(n - area) - proto_get32(s + 4) + 1);
		CHECK(proto_request_get(&f, &out) == -1);
		proto_put32(s, keep);
	}
	proto_put32(wire + PROTO_HEADER_SIZE + PROTO_REQUEST_FIXED + 16 + 12,
	    UINT32_MAX);
	CHECK(proto_field_get(&f, PROTO_REQUEST_FIXED, area, 1, &fl) == -1);
	/* A table longer than the payload. */
	proto_put16(wire + PROTO_HEADER_SIZE + PROTO_REQUEST_NHEADERS, 60);
	CHECK(proto_request_get(&f, &out) == -1);
	/* Method codes and names. */
	CHECK_STR(proto_method_name(PROTO_METHOD_GET), "GET");
	CHECK_STR(proto_method_name(PROTO_METHOD_TRACE), "TRACE");
	CHECK(proto_method_name(PROTO_METHOD_OTHER) == NULL &&
	    proto_method_name(PROTO_METHOD_COUNT) == NULL);
	CHECK(PROTO_METHOD_HEAD == 2 && PROTO_METHOD_PATCH == 7);
	memset(p, 0, 4);
	CHECK(proto_addr_get(p, &ss) == -1);
}

static int
trailers_dec(const struct proto_frame *f)
{
	size_t n, area;

	return proto_trailers_get(f, &n, &area);
}

static void
test_data_trailers_credit(void)
{
	unsigned char p[128] = { 0 };
	struct proto_field fl;
	struct proto_frame f;
	size_t n, area;
	uint32_t c;

	/* REQ_DATA and RESP_DATA: the bytes themselves, END in the flags. */
	f = frame(PROTO_REQ_DATA, PROTO_F_END, 4, "hello", 5);
	CHECK(same(f.payload, f.length, "hello") && f.flags == PROTO_F_END);
	f = frame(PROTO_RESP_DATA, 0, 4, "world!!!!", 9);
	CHECK(same(f.payload, f.length, "world!!!!") && f.flags == 0);
	f = frame(PROTO_RESP_DATA, PROTO_F_END, 4, NULL, 0);
	CHECK(f.length == 0 && f.flags == PROTO_F_END);
	/* TRAILERS: count, a table, the bytes. */
	proto_put16(p + PROTO_TRAILERS_COUNT, 1);
	proto_field_put(p + PROTO_TRAILERS_FIXED, 0, 5, 5, 3);
	memcpy(p + proto_trailers_area(1), "X-Sumabc", 8);
	f = frame(PROTO_REQ_DATA, PROTO_F_TRAILERS | PROTO_F_END, 4, p,
	    proto_trailers_area(1) + 8);
	CHECK(proto_trailers_get(&f, &n, &area) == 0 && n == 1 &&
	    area == 24);
	CHECK(proto_field_get(&f, PROTO_TRAILERS_FIXED, area, 0, &fl) == 0 &&
	    same(fl.name, fl.name_len, "X-Sum") && same(fl.value,
	    fl.value_len, "abc"));
	check_cuts(&f, area, trailers_dec);
	/* Credits: one u32. */
	proto_credit_put(p, 65536);
	f = frame(PROTO_REQ_CREDIT, 0, 4, p, PROTO_CREDIT_SIZE);
	CHECK(proto_credit_get(&f, &c) == 0 && c == 65536);
	f = frame(PROTO_RESP_CREDIT, 0, 4, p, PROTO_CREDIT_SIZE);
	CHECK(proto_credit_get(&f, &c) == 0 && c == 65536);
	f.length = 3;
	CHECK(proto_credit_get(&f, &c) == -1);
	/* CANCEL: nothing but the id. */
	f = frame(PROTO_CANCEL, 0, 4, NULL, 0);
	CHECK(f.length == 0 && f.id == 4);
}

static int
response_dec(const struct proto_frame *f)
{
	struct proto_response r;

	return proto_response_get(f, &r);
}

static void
test_response(void)
{
	struct proto_response in = { 404, 1, PROTO_RESPONSE_F_END, { 16, 5 },
	    0 }, out;
	unsigned char p[128] = { 0 };
	struct proto_field fl;
	struct proto_frame f;
	size_t area = proto_response_area(1);

	proto_response_put(p, &in);
	proto_field_put(p + PROTO_RESPONSE_FIXED, 0, 12, 12, 4);
	memcpy(p + area, "Content-Typetext" "Gone!", 21);
	CHECK(proto_get16(p) == 404 && proto_get16(p + 2) == 1 &&
	    proto_get32(p + 4) == 1 && proto_get32(p + 8) == 16 &&
	    proto_get32(p + 12) == 5);
	f = frame(PROTO_RESPONSE, 0, 8, p, area + 21);
	CHECK(proto_response_get(&f, &out) == 0);
	CHECK(out.status == 404 && out.nheaders == 1 &&
	    out.flags == PROTO_RESPONSE_F_END && out.area == area &&
	    out.reason.off == 16 && out.reason.len == 5);
	CHECK(same(proto_span_at(&f, out.area, out.reason), 5, "Gone!"));
	CHECK(proto_field_get(&f, PROTO_RESPONSE_FIXED, out.area, 0, &fl) ==
	    0 && same(fl.name, fl.name_len, "Content-Type") &&
	    same(fl.value, fl.value_len, "text"));
	check_cuts(&f, f.length, response_dec);
	/* More headers than the payload holds. */
	proto_put16(wire + PROTO_HEADER_SIZE + PROTO_RESPONSE_NHEADERS, 3);
	CHECK(proto_response_get(&f, &out) == -1);
	/* A reason whose end wraps in 32 bits. */
	proto_put16(wire + PROTO_HEADER_SIZE + PROTO_RESPONSE_NHEADERS, 1);
	proto_span_put(wire + PROTO_HEADER_SIZE + PROTO_RESPONSE_REASON,
	    UINT32_MAX, 2);
	CHECK(proto_response_get(&f, &out) == -1);
}

int
main(void)
{
	RUN(test_hello);
	RUN(test_welcome);
	RUN(test_channel);
	RUN(test_error);
	RUN(test_queue_ops);
	RUN(test_goaway_state_config);
	RUN(test_handover);
	RUN(test_request);
	RUN(test_data_trailers_credit);
	RUN(test_response);
	return unit_done();
}
