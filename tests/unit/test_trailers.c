/*
 * test_trailers — the request trailer fields hsysd passes on and their
 * frame (daemon/trailers.c), through trailers.h, read back by the layout
 * docs/protocol.md ("Trailers") gives, not by the daemon's own helpers:
 * every field a trailer may not carry is left out, in any case, and only
 * that name (not one that merely starts or ends like it); the rest keep
 * their order, bytes and lengths (empty values too); nothing left gives
 * no frame; the reserved bytes are zero; and a full set (100 fields, 16
 * KiB of names and values) fits the room the connection keeps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/trailers.h"
#include "unit.h"

/* docs/protocol.md's numbers: little-endian. */
static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static struct trailers *t;

static void
field(size_t i, const char *name, const char *value)
{
	t->field[i].name = name;
	t->field[i].name_len = strlen(name);
	t->field[i].value = value;
	t->field[i].value_len = strlen(value);
}

/* Field i of the payload, as "name: value", checking that its spans lie
 * in the bytes area, one after the other from `*next`. */
static int
entry(size_t len, size_t i, size_t *next, char *out, size_t size)
{
	const unsigned char *p = t->payload, *e;
	size_t count = le16(p), area = 8 + 16 * count;
	uint32_t no, nl, vo, vl;

	if (i >= count)
		return -1;
	e = p + 8 + 16 * i;
	no = le32(e);
	nl = le32(e + 4);
	vo = le32(e + 8);
	vl = le32(e + 12);
	if (no != *next || vo != no + nl || area + vo + vl > len)
		return -1;
	*next = vo + vl;
	snprintf(out, size, "%.*s: %.*s", (int)nl, (const char *)p + area + no,
	    (int)vl, (const char *)p + area + vo);
	return 0;
}

static void
test_forbidden(void)
{
	static const char *const drop[] = {
		"Authorization", "CONNECTION", "content-encoding",
		"Content-Length", "Content-Range", "Content-Type", "Cookie",
		"Expect", "HOST", "Keep-Alive", "Proxy-Authorization",
		"Proxy-Connection", "te", "Trailer", "Transfer-Encoding",
		"Upgrade",
	};
	size_t i, n = sizeof(drop) / sizeof(drop[0]);

	for (i = 0; i < n; i++)
		field(i, drop[i], "x");
	CHECK(trailers_payload(t, n) == 0);	/* nothing left: no frame */
	CHECK(trailers_payload(t, 0) == 0);	/* none: no frame */
	for (i = 0; i < n; i++) {
		field(0, drop[i], "1");
		if (!CHECK(trailers_payload(t, 1) == 0))
			printf("#   %s passed\n", drop[i]);
	}
}

static void
test_kept(void)
{
	static const char *const want[] = {
		"Server-Timing: a;dur=1", "Hostname: h", "TE-Extra: 1",
		"Content-Lengths: 2", "X-Empty: ", "Digest: sha-256=abc",
	};
	char got[128];
	size_t len, next = 0, i;
	int same = 1;

	memset(t->payload, 0xAA, 64);
	field(0, "Server-Timing", "a;dur=1");
	field(1, "Content-Length", "5");	/* dropped, between kept ones */
	field(2, "Hostname", "h");		/* starts like Host */
	field(3, "TE-Extra", "1");		/* starts like TE */
	field(4, "Content-Lengths", "2");	/* ends past Content-Length */
	field(5, "Cookie", "s=1");
	field(6, "X-Empty", "");
	field(7, "Digest", "sha-256=abc");
	len = trailers_payload(t, 8);
	CHECK(le16(t->payload) == 6);
	CHECK(memcmp(t->payload + 2, "\0\0\0\0\0\0", 6) == 0);	/* reserved */
	for (i = 0; i < 6; i++)
		if (entry(len, i, &next, got, sizeof(got)) == -1 ||
		    strcmp(got, want[i]) != 0) {
			printf("#   field %zu: '%s', want '%s'\n", i, got,
			    want[i]);
			same = 0;
		}
	CHECK(same);				/* in order, bytes as sent */
	CHECK(len == 8 + 16 * 6 + next);	/* nothing after the last one */
	CHECK(entry(len, 6, &next, got, sizeof(got)) == -1);
}

static void
test_full(void)
{
	static char room[TRAILERS_ROOM];
	char name[16], got[TRAILERS_ROOM];
	size_t i, len, next = 0, vlen, total = 0;
	int ok = 1;

	/* 100 fields whose names and values fill the room exactly. */
	memset(room, 'v', sizeof(room));
	for (i = 0; i < TRAILERS_MAX; i++) {
		snprintf(name, sizeof(name), "X-F%03zu", i);
		memcpy(room + total, name, 6);
		vlen = TRAILERS_ROOM / TRAILERS_MAX - 6;
		if (i == TRAILERS_MAX - 1)
			vlen = TRAILERS_ROOM - total - 6;
		t->field[i].name = room + total;
		t->field[i].name_len = 6;
		t->field[i].value = room + total + 6;
		t->field[i].value_len = vlen;
		total += 6 + vlen;
	}
	CHECK(total == TRAILERS_ROOM);
	len = trailers_payload(t, TRAILERS_MAX);
	CHECK(le16(t->payload) == TRAILERS_MAX);
	CHECK(len == PROTO_TRAILERS_FIXED + PROTO_FIELD_SIZE * TRAILERS_MAX +
	    TRAILERS_ROOM);
	CHECK(len <= sizeof(t->payload));
	for (i = 0; i < TRAILERS_MAX && ok; i++) {
		snprintf(name, sizeof(name), "X-F%03zu: ", i);
		ok = entry(len, i, &next, got, sizeof(got)) == 0 &&
		    strncmp(got, name, 8) == 0 &&
		    strspn(got + 8, "v") == t->field[i].value_len;
	}
	CHECK(ok);
	/* More than 100 fields never reach it (the parser refuses them
	 * first); were they there, the 101st would not be read. */
	CHECK(trailers_payload(t, TRAILERS_MAX + 5) == len);
}

int
main(void)
{
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return 1;
	RUN(test_forbidden);
	RUN(test_kept);
	RUN(test_full);
	free(t);
	return unit_done();
}
