/*
 * trailers — which request trailer fields reach the application, and their
 * frame; which response trailer fields reach the client (see trailers.h).
 *
 * A trailer arrives after the head was routed and the request handed on,
 * so a field that would have changed how the message is framed, routed,
 * authenticated or interpreted cannot be honoured; RFC 9110 §6.5.1 lets a
 * recipient discard such fields, and an application that merged trailers
 * into the headers could otherwise be fooled by them. Those fields are
 * dropped here; the rest pass unchanged (docs/protocol.md lists them).
 */
#include <string.h>
#include <strings.h>

#include "daemon/trailers.h"
#include "http/chars.h"
#include "proto/proto.h"

static const char *const forbidden[] = {
	"authorization", "connection", "content-encoding", "content-length",
	"content-range", "content-type", "cookie", "expect", "host",
	"keep-alive", "proxy-authorization", "proxy-connection", "te",
	"trailer", "transfer-encoding", "upgrade",
};

static int
allowed(const struct http_header *h)
{
	size_t i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (strlen(forbidden[i]) == h->name_len &&
		    strncasecmp(h->name, forbidden[i], h->name_len) == 0)
			return 0;
	return 1;
}

size_t
trailers_payload(struct trailers *t, size_t n)
{
	unsigned char *p = t->payload, *table = p + PROTO_TRAILERS_FIXED;
	unsigned char *area;
	size_t i, kept = 0, off = 0;

	for (i = 0; i < n && i < TRAILERS_MAX; i++)
		if (allowed(&t->field[i]))
			kept++;
	if (kept == 0)
		return 0;
	memset(p, 0, PROTO_TRAILERS_FIXED);
	proto_put16(p + PROTO_TRAILERS_COUNT, (uint16_t)kept);
	area = p + proto_trailers_area(kept);
	for (i = 0; i < n && i < TRAILERS_MAX; i++) {
		const struct http_header *h = &t->field[i];

		if (!allowed(h))
			continue;
		proto_field_put(table, (uint32_t)off, (uint32_t)h->name_len,
		    (uint32_t)(off + h->name_len), (uint32_t)h->value_len);
		memcpy(area + off, h->name, h->name_len);
		off += h->name_len;
		memcpy(area + off, h->value, h->value_len);
		off += h->value_len;
		table += PROTO_FIELD_SIZE;
	}
	return (size_t)(area - p) + off;
}

/* --- the response's trailers, from the application ------------------ */

static int
field_ok(const struct proto_field *fl)
{
	uint32_t i;

	if (fl->name_len == 0)
		return 0;
	for (i = 0; i < fl->name_len; i++)
		if (!HTTP_IS(fl->name[i], HC_TOKEN))
			return 0;
	for (i = 0; i < fl->value_len; i++)
		if (fl->value[i] == '\r' || fl->value[i] == '\n' ||
		    fl->value[i] == '\0')
			return 0;
	return 1;
}

int
trailers_from_app(const struct proto_frame *f, struct http_header *out)
{
	struct proto_field fl;
	size_t count, area, i, bytes = 0;
	int kept = 0;

	if (proto_trailers_get(f, &count, &area) == -1 ||
	    count > TRAILERS_MAX)
		return -1;
	for (i = 0; i < count; i++) {
		if (proto_field_get(f, PROTO_TRAILERS_FIXED, area, i, &fl) ==
		    -1 || !field_ok(&fl))
			return -1;
		bytes += fl.name_len + fl.value_len;
		if (bytes > TRAILERS_ROOM)
			return -1;
		out[kept] = (struct http_header){ (const char *)fl.name,
		    fl.name_len, (const char *)fl.value, fl.value_len };
		if (allowed(&out[kept]))
			kept++;
	}
	return kept;
}
