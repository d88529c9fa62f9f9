/*
 * control — encoders and decoders of the payloads that do not carry a
 * request: session, queue operations, GOAWAY, STATE, hand-over. See
 * control.h and docs/protocol.md.
 */
#include <string.h>

#include "proto/control.h"

/* A payload of `fixed` bytes whose spans at at[i] point to strings laid
 * end to end in the bytes area after it. The caller writes the fixed
 * fields once this zeroed them; returns the length or 0. */
static size_t
put_strings(unsigned char *p, size_t size, size_t fixed, const size_t *at,
    const unsigned char *const *s, const uint32_t *n, size_t count)
{
	size_t len = fixed, off = 0, i;

	for (i = 0; i < count; i++)
		len += n[i];
	if (len > size || len > UINT32_MAX)
		return 0;
	memset(p, 0, fixed);
	for (i = 0; i < count; i++) {
		proto_span_put(p + at[i], (uint32_t)off, n[i]);
		if (n[i] > 0)
			memcpy(p + fixed + off, s[i], n[i]);
		off += n[i];
	}
	return len;
}

/* A span of a payload whose bytes area starts at `fixed`, checked. */
static int
get_string(const struct proto_frame *f, size_t at, size_t fixed,
    const unsigned char **s, uint32_t *n)
{
	return f->length < fixed ? -1 : proto_span_get(f, at, fixed, s, n);
}

size_t
proto_hello_put(unsigned char *p, size_t size, const struct proto_hello *h)
{
	static const size_t at[] = { PROTO_HELLO_NAME };
	size_t len;

	if ((len = put_strings(p, size, PROTO_HELLO_FIXED, at, &h->name,
	    &h->name_len, 1)) == 0)
		return 0;
	proto_put32(p + PROTO_HELLO_MAGIC, h->magic);
	proto_put16(p + PROTO_HELLO_MIN_VERSION, h->min_version);
	proto_put16(p + PROTO_HELLO_MAX_VERSION, h->max_version);
	proto_put32(p + PROTO_HELLO_FLAGS, h->flags);
	return len;
}

int
proto_hello_get(const struct proto_frame *f, struct proto_hello *h)
{
	if (get_string(f, PROTO_HELLO_NAME, PROTO_HELLO_FIXED, &h->name,
	    &h->name_len) == -1)
		return -1;
	h->magic = proto_get32(f->payload + PROTO_HELLO_MAGIC);
	h->min_version = proto_get16(f->payload + PROTO_HELLO_MIN_VERSION);
	h->max_version = proto_get16(f->payload + PROTO_HELLO_MAX_VERSION);
	h->flags = proto_get32(f->payload + PROTO_HELLO_FLAGS);
	return 0;
}

size_t
proto_welcome_put(unsigned char *p, size_t size, const struct proto_welcome *w)
{
	if (size < PROTO_WELCOME_SIZE)
		return 0;
	memset(p, 0, PROTO_WELCOME_SIZE);
	proto_put16(p + PROTO_WELCOME_VERSION, w->version);
	proto_put16(p + PROTO_WELCOME_WORKERS, w->workers);
	proto_put32(p + PROTO_WELCOME_MAX_FRAME, w->max_frame);
	proto_put32(p + PROTO_WELCOME_WINDOW, w->window);
	proto_put32(p + PROTO_WELCOME_MAX_WAITING, w->max_waiting);
	proto_put64(p + PROTO_WELCOME_SESSION, w->session);
	memcpy(p + PROTO_WELCOME_KEY, w->key, PROTO_KEY_SIZE);
	proto_put64(p + PROTO_WELCOME_GENERATION, w->generation);
	proto_put32(p + PROTO_WELCOME_FEATURES, w->features);
	return PROTO_WELCOME_SIZE;
}

/* An older daemon's WELCOME ends before the features: none. */
int
proto_welcome_get(const struct proto_frame *f, struct proto_welcome *w)
{
	const unsigned char *p = f->payload;

	if (f->length < PROTO_WELCOME_V1_SIZE)
		return -1;
	w->version = proto_get16(p + PROTO_WELCOME_VERSION);
	w->workers = proto_get16(p + PROTO_WELCOME_WORKERS);
	w->max_frame = proto_get32(p + PROTO_WELCOME_MAX_FRAME);
	w->window = proto_get32(p + PROTO_WELCOME_WINDOW);
	w->max_waiting = proto_get32(p + PROTO_WELCOME_MAX_WAITING);
	w->session = proto_get64(p + PROTO_WELCOME_SESSION);
	memcpy(w->key, p + PROTO_WELCOME_KEY, PROTO_KEY_SIZE);
	w->generation = proto_get64(p + PROTO_WELCOME_GENERATION);
	w->features = f->length >= PROTO_WELCOME_FEATURES + 4 ?
	    proto_get32(p + PROTO_WELCOME_FEATURES) : 0;
	return 0;
}

size_t
proto_channel_put(unsigned char *p, size_t size, const struct proto_channel *c)
{
	if (size < PROTO_CHANNEL_SIZE)
		return 0;
	memset(p, 0, PROTO_CHANNEL_SIZE);
	proto_put64(p + PROTO_CHANNEL_SESSION, c->session);
	memcpy(p + PROTO_CHANNEL_KEY, c->key, PROTO_KEY_SIZE);
	proto_put16(p + PROTO_CHANNEL_INDEX, c->index);
	return PROTO_CHANNEL_SIZE;
}

int
proto_channel_get(const struct proto_frame *f, struct proto_channel *c)
{
	if (f->length < PROTO_CHANNEL_SIZE)
		return -1;
	c->session = proto_get64(f->payload + PROTO_CHANNEL_SESSION);
	memcpy(c->key, f->payload + PROTO_CHANNEL_KEY, PROTO_KEY_SIZE);
	c->index = proto_get16(f->payload + PROTO_CHANNEL_INDEX);
	return 0;
}

/* The layout of each queue operation: its fixed part's size, and where
 * its one span is, if it has one. */
struct op_layout {
	size_t	 fixed;
	size_t	 span;
	int	 has_span;
};

static int
op_layout(uint16_t type, struct op_layout *l)
{
	switch (type) {
	case PROTO_QUEUE_CREATE:
		*l = (struct op_layout){ PROTO_QUEUE_CREATE_FIXED, 8, 1 };
		return 0;
	case PROTO_QUEUE_ATTACH:
		*l = (struct op_layout){ PROTO_QUEUE_ATTACH_FIXED, 0, 1 };
		return 0;
	case PROTO_PREFIX_ADD:
	case PROTO_PREFIX_REMOVE:
	case PROTO_CACHE_FLUSH:
		*l = (struct op_layout){ PROTO_PREFIX_FIXED, 8, 1 };
		return 0;
	case PROTO_QUEUE_CLOSE:
		*l = (struct op_layout){ PROTO_QUEUE_CLOSE_SIZE, 0, 0 };
		return 0;
	case PROTO_QUEUE_SET:
		*l = (struct op_layout){ PROTO_QUEUE_SET_SIZE, 0, 0 };
		return 0;
	default:
		return -1;
	}
}

size_t
proto_queue_op_put(unsigned char *p, size_t size, uint16_t type,
    const struct proto_queue_op *q)
{
	struct op_layout l;
	size_t len;

	if (op_layout(type, &l) == -1)
		return 0;
	if (!l.has_span) {
		if (size < l.fixed)
			return 0;
		memset(p, 0, l.fixed);
		len = l.fixed;
	} else if ((len = put_strings(p, size, l.fixed, &l.span, &q->name,
	    &q->name_len, 1)) == 0)
		return 0;
	switch (type) {
	case PROTO_QUEUE_CREATE:
		proto_put32(p, q->flags);
		proto_put32(p + 4, q->max_waiting);
		break;
	case PROTO_QUEUE_SET:
		proto_put32(p, q->queue_id);
		proto_put32(p + 4, q->property);
		proto_put32(p + 8, q->value);
		break;
	case PROTO_QUEUE_ATTACH:
		break;
	case PROTO_CACHE_FLUSH:
		proto_put32(p, q->queue_id);
		proto_put32(p + 4, q->flags);
		break;
	default:	/* PREFIX_ADD, PREFIX_REMOVE, QUEUE_CLOSE */
		proto_put32(p, q->queue_id);
		break;
	}
	return len;
}

int
proto_queue_op_get(const struct proto_frame *f, struct proto_queue_op *q)
{
	const unsigned char *p = f->payload;
	struct op_layout l;

	memset(q, 0, sizeof(*q));
	if (op_layout(f->type, &l) == -1 || f->length < l.fixed)
		return -1;
	if (l.has_span && proto_span_get(f, l.span, l.fixed, &q->name,
	    &q->name_len) == -1)
		return -1;
	switch (f->type) {
	case PROTO_QUEUE_CREATE:
		q->flags = proto_get32(p);
		q->max_waiting = proto_get32(p + 4);
		break;
	case PROTO_QUEUE_SET:
		q->queue_id = proto_get32(p);
		q->property = proto_get32(p + 4);
		q->value = proto_get32(p + 8);
		break;
	case PROTO_QUEUE_ATTACH:
		break;
	case PROTO_CACHE_FLUSH:
		q->queue_id = proto_get32(p);
		q->flags = proto_get32(p + 4);
		break;
	default:
		q->queue_id = proto_get32(p);
		break;
	}
	return 0;
}

/* Payloads of one or two u32 and nothing else. */
static size_t
put_u32s(unsigned char *p, size_t size, size_t len, uint32_t a, uint32_t b)
{
	if (size < len)
		return 0;
	memset(p, 0, len);
	proto_put32(p, a);
	if (len >= 8)
		proto_put32(p + 4, b);
	return len;
}

size_t
proto_ok_queue_put(unsigned char *p, size_t size, uint32_t queue_id)
{
	return put_u32s(p, size, PROTO_OK_QUEUE_SIZE, queue_id, 0);
}

int
proto_ok_queue_get(const struct proto_frame *f, uint32_t *queue_id)
{
	if (f->length < PROTO_OK_QUEUE_SIZE)
		return -1;
	*queue_id = proto_get32(f->payload);
	return 0;
}

size_t
proto_goaway_put(unsigned char *p, size_t size, uint32_t flags)
{
	return put_u32s(p, size, PROTO_GOAWAY_SIZE, flags, 0);
}

/* GOAWAY's flags came after its first version (4 bytes are enough). */
int
proto_goaway_get(const struct proto_frame *f, uint32_t *flags)
{
	if (f->length < 4)
		return -1;
	*flags = proto_get32(f->payload);
	return 0;
}

size_t
proto_state_put(unsigned char *p, size_t size, uint32_t flags)
{
	return put_u32s(p, size, PROTO_STATE_SIZE, flags, 0);
}

uint32_t
proto_state_get(const struct proto_frame *f)
{
	return f->length >= PROTO_STATE_SIZE ? proto_get32(f->payload) : 0;
}

size_t
proto_handover_put(unsigned char *p, size_t size, uint32_t magic,
    uint32_t flags)
{
	return put_u32s(p, size, PROTO_HANDOVER_SIZE, magic, flags);
}

int
proto_handover_get(const struct proto_frame *f, uint32_t *magic,
    uint32_t *flags)
{
	if (f->length < PROTO_HANDOVER_SIZE)
		return -1;
	*magic = proto_get32(f->payload);
	*flags = proto_get32(f->payload + 4);
	return 0;
}

size_t
proto_handover_fd_put(unsigned char *p, size_t size,
    const struct proto_handover_fd *h)
{
	if (size < PROTO_HANDOVER_FD_SIZE)
		return 0;
	proto_put32(p, h->kind);
	proto_put16(p + 4, h->port);
	proto_put16(p + 6, h->flags);
	return PROTO_HANDOVER_FD_SIZE;
}

int
proto_handover_fd_get(const struct proto_frame *f,
    struct proto_handover_fd *h)
{
	if (f->length < PROTO_HANDOVER_FD_SIZE)
		return -1;
	h->kind = proto_get32(f->payload);
	h->port = proto_get16(f->payload + 4);
	h->flags = proto_get16(f->payload + 6);
	return 0;
}

size_t
proto_handover_prefix_put(unsigned char *p, size_t size,
    const struct proto_handover_prefix *h)
{
	static const size_t at[] = { 8, 16 };
	const unsigned char *s[2] = { h->name, h->prefix };
	uint32_t n[2] = { h->name_len, h->prefix_len };
	size_t len;

	if ((len = put_strings(p, size, PROTO_HANDOVER_PREFIX_FIXED, at, s, n,
	    2)) == 0)
		return 0;
	proto_put32(p, h->queue_flags);
	proto_put32(p + 4, h->owner);
	return len;
}

int
proto_handover_prefix_get(const struct proto_frame *f,
    struct proto_handover_prefix *h)
{
	if (get_string(f, 8, PROTO_HANDOVER_PREFIX_FIXED, &h->name,
	    &h->name_len) == -1 || proto_span_get(f, 16,
	    PROTO_HANDOVER_PREFIX_FIXED, &h->prefix, &h->prefix_len) == -1)
		return -1;
	h->queue_flags = proto_get32(f->payload);
	h->owner = proto_get32(f->payload + 4);
	return 0;
}
