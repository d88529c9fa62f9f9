/*
 * req — the key process's request and answer format (keys.h): encoding,
 * and decoders that accept exactly the format and nothing else. Pure: no
 * allocation, no I/O; fuzzed by tests/fuzz/fuzz_keyreq.c.
 */
#include <string.h>
#include <strings.h>

#include "keys/keys.h"

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

size_t
keys_md_size(int md)
{
	switch (md) {
	case KEYS_MD_SHA256:
		return 32;
	case KEYS_MD_SHA384:
		return 48;
	case KEYS_MD_SHA512:
		return 64;
	}
	return 0;
}

static const struct {
	int		 md;
	const char	*name;
} md_names[] = {
	{ KEYS_MD_SHA256, "SHA256" }, { KEYS_MD_SHA256, "SHA2-256" },
	{ KEYS_MD_SHA256, "SHA-256" },
	{ KEYS_MD_SHA384, "SHA384" }, { KEYS_MD_SHA384, "SHA2-384" },
	{ KEYS_MD_SHA384, "SHA-384" },
	{ KEYS_MD_SHA512, "SHA512" }, { KEYS_MD_SHA512, "SHA2-512" },
	{ KEYS_MD_SHA512, "SHA-512" },
};

int
keys_md_from_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(md_names) / sizeof(md_names[0]);
	    i++)
		if (strcasecmp(name, md_names[i].name) == 0)
			return md_names[i].md;
	return 0;
}

const char *
keys_md_name(enum keys_md md)
{
	switch (md) {
	case KEYS_MD_SHA256:
		return "SHA256";
	case KEYS_MD_SHA384:
		return "SHA384";
	case KEYS_MD_SHA512:
		return "SHA512";
	}
	return "?";
}

size_t
keys_req_encode(const struct keys_req *r, unsigned char *buf)
{
	int sign = r->op == KEYS_OP_SIGN;

	memset(buf, 0, KEYS_REQ_FIXED);
	buf[0] = KEYS_VERSION;
	buf[1] = (unsigned char)r->op;
	buf[2] = sign ? (unsigned char)r->alg : 0;
	buf[3] = sign ? (unsigned char)r->md : 0;
	put32(buf + 4, r->id);
	if (!sign)
		return KEYS_REQ_FIXED;
	put16(buf + 8, r->saltlen);
	put16(buf + 10, (uint16_t)r->dlen);
	memcpy(buf + 12, r->key, KEYS_ID_LEN);
	memcpy(buf + KEYS_REQ_FIXED, r->digest, r->dlen);
	return KEYS_REQ_FIXED + r->dlen;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

static enum keys_status
decode_sign(const unsigned char *p, size_t len, struct keys_req *r)
{
	size_t dlen = keys_md_size(p[3]);

	if (p[2] != KEYS_ALG_ECDSA && p[2] != KEYS_ALG_RSA_PKCS1 &&
	    p[2] != KEYS_ALG_RSA_PSS)
		return KEYS_EMALFORMED;
	if (dlen == 0 || get16(p + 10) != dlen || len != KEYS_REQ_FIXED + dlen)
		return KEYS_EMALFORMED;
	/* TLS's PSS (RFC 8446 4.2.3): the salt as long as the digest. */
	if (get16(p + 8) != (p[2] == KEYS_ALG_RSA_PSS ? dlen : 0))
		return KEYS_EMALFORMED;
	r->alg = (enum keys_alg)p[2];
	r->md = (enum keys_md)p[3];
	r->saltlen = get16(p + 8);
	r->dlen = dlen;
	memcpy(r->key, p + 12, KEYS_ID_LEN);
	memcpy(r->digest, p + KEYS_REQ_FIXED, dlen);
	return KEYS_OK;
}

enum keys_status
keys_req_decode(const unsigned char *p, size_t len, struct keys_req *r)
{
	memset(r, 0, sizeof(*r));
	if (len < KEYS_REQ_FIXED)
		return KEYS_EMALFORMED;
	r->id = get32(p + 4);
	if (p[0] != KEYS_VERSION)
		return KEYS_EVERSION;
	r->op = (enum keys_op)p[1];
	switch (p[1]) {
	case KEYS_OP_SIGN:
		return decode_sign(p, len, r);
	case KEYS_OP_RELOAD:
	case KEYS_OP_CHANNEL:
	case KEYS_OP_RENEW:
	case KEYS_OP_CONTROL:
		/* Nothing but the op and the id. */
		if (len != KEYS_REQ_FIXED || !all_zero(p + 2, 2) ||
		    !all_zero(p + 8, KEYS_REQ_FIXED - 8))
			return KEYS_EMALFORMED;
		return KEYS_OK;
	}
	return KEYS_EMALFORMED;
}

size_t
keys_ans_encode(const struct keys_ans *a, unsigned char *buf)
{
	size_t n = a->status == KEYS_OK ? a->siglen : 0;

	buf[0] = KEYS_VERSION;
	buf[1] = (unsigned char)a->status;
	put16(buf + 2, (uint16_t)n);
	put32(buf + 4, a->id);
	memcpy(buf + KEYS_ANS_FIXED, a->sig, n);
	return KEYS_ANS_FIXED + n;
}

int
keys_ans_decode(const unsigned char *p, size_t len, struct keys_ans *a)
{
	size_t n;

	memset(a, 0, sizeof(*a));
	if (len < KEYS_ANS_FIXED || p[0] != KEYS_VERSION || p[1] > KEYS_STATUS_MAX)
		return -1;
	n = get16(p + 2);
	if (n > KEYS_SIG_MAX || len != KEYS_ANS_FIXED + n ||
	    (p[1] != KEYS_OK && n != 0))
		return -1;
	a->status = (enum keys_status)p[1];
	a->id = get32(p + 4);
	a->siglen = n;
	memcpy(a->sig, p + KEYS_ANS_FIXED, n);
	return 0;
}

const char *
keys_status_string(enum keys_status s)
{
	switch (s) {
	case KEYS_OK:
		return "signed";
	case KEYS_EMALFORMED:
		return "the request is malformed";
	case KEYS_EVERSION:
		return "the key process speaks another version";
	case KEYS_ENOKEY:
		return "no binding or challenge uses that key";
	case KEYS_EMISMATCH:
		return "the algorithm does not fit the key";
	case KEYS_EFAILED:
		return "the key process failed to sign";
	case KEYS_EDENIED:
		return "only hsysd's control channel may ask that";
	case KEYS_EBUSY:
		return "a renewal runs already";
	}
	return "unknown status";
}
