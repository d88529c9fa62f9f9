/*
 * Unit tests of the key process's request format (src/keys/req.c): what
 * the decoder accepts (exactly the format), what it refuses, and that
 * encoding and decoding agree.
 */
#include <string.h>

#include "keys/keys.h"
#include "unit.h"

static struct keys_req
sign_req(enum keys_alg alg, enum keys_md md)
{
	struct keys_req r = { .op = KEYS_OP_SIGN, .alg = alg, .md = md,
	    .id = 0x01020304 };

	r.dlen = keys_md_size(md);
	if (alg == KEYS_ALG_RSA_PSS)
		r.saltlen = (uint16_t)r.dlen;
	memset(r.key, 0xAB, sizeof(r.key));
	memset(r.digest, 0x5A, r.dlen);
	return r;
}

static void
test_round_trip(void)
{
	static const enum keys_alg algs[] = { KEYS_ALG_ECDSA,
	    KEYS_ALG_RSA_PKCS1, KEYS_ALG_RSA_PSS };
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_req r, d;
	size_t n, i;
	int md;

	for (i = 0; i < 3; i++) {
		for (md = KEYS_MD_SHA256; md <= KEYS_MD_SHA512; md++) {
			r = sign_req(algs[i], (enum keys_md)md);
			n = keys_req_encode(&r, buf);
			CHECK(n == KEYS_REQ_FIXED + keys_md_size(md));
			CHECK(keys_req_decode(buf, n, &d) == KEYS_OK);
			CHECK(d.op == KEYS_OP_SIGN && d.alg == algs[i] &&
			    (int)d.md == md && d.id == r.id &&
			    d.saltlen == r.saltlen && d.dlen == r.dlen &&
			    memcmp(d.key, r.key, KEYS_ID_LEN) == 0 &&
			    memcmp(d.digest, r.digest, r.dlen) == 0);
		}
	}
	r = (struct keys_req){ .op = KEYS_OP_RELOAD, .id = 7 };
	CHECK(keys_req_encode(&r, buf) == KEYS_REQ_FIXED);
	CHECK(keys_req_decode(buf, KEYS_REQ_FIXED, &d) == KEYS_OK &&
	    d.op == KEYS_OP_RELOAD && d.id == 7);
	r.op = KEYS_OP_CHANNEL;
	keys_req_encode(&r, buf);
	CHECK(keys_req_decode(buf, KEYS_REQ_FIXED, &d) == KEYS_OK &&
	    d.op == KEYS_OP_CHANNEL);
}

/* One byte changed at `at` to `v`: refused. */
static enum keys_status
mutated(const struct keys_req *r, size_t at, unsigned char v, size_t len)
{
	unsigned char buf[KEYS_REQ_MAX + 8] = { 0 };
	struct keys_req d;
	size_t n = keys_req_encode(r, buf);

	buf[at] = v;
	return keys_req_decode(buf, len ? len : n, &d);
}

static void
test_refusals(void)
{
	struct keys_req r = sign_req(KEYS_ALG_ECDSA, KEYS_MD_SHA256);
	struct keys_req pss = sign_req(KEYS_ALG_RSA_PSS, KEYS_MD_SHA384);
	struct keys_req rl = { .op = KEYS_OP_RELOAD };
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_req d;

	CHECK(mutated(&r, 0, 2, 0) == KEYS_EVERSION);
	CHECK(mutated(&r, 0, 0, 0) == KEYS_EVERSION);
	CHECK(mutated(&r, 1, 0, 0) == KEYS_EMALFORMED);	/* op */
	CHECK(mutated(&r, 1, 4, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&r, 2, 0, 0) == KEYS_EMALFORMED);	/* alg */
	CHECK(mutated(&r, 2, 4, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&r, 3, 0, 0) == KEYS_EMALFORMED);	/* md */
	CHECK(mutated(&r, 3, 4, 0) == KEYS_EMALFORMED);
	/* SHA-384 named, SHA-256's length given and sent. */
	CHECK(mutated(&r, 3, KEYS_MD_SHA384, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&r, 10, 33, 0) == KEYS_EMALFORMED);	/* dlen */
	CHECK(mutated(&r, 8, 1, 0) == KEYS_EMALFORMED);	/* salt, ECDSA */
	CHECK(mutated(&pss, 8, 0, 0) == KEYS_EMALFORMED);	/* salt != 48 */
	CHECK(mutated(&pss, 8, 32, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&pss, 9, 1, 0) == KEYS_EMALFORMED);
	/* Lengths: short, a byte more, nothing. */
	CHECK(mutated(&r, 0, KEYS_VERSION, KEYS_REQ_FIXED + 31) ==
	    KEYS_EMALFORMED);
	CHECK(mutated(&r, 0, KEYS_VERSION, KEYS_REQ_FIXED + 33) ==
	    KEYS_EMALFORMED);
	CHECK(keys_req_decode(buf, 0, &d) == KEYS_EMALFORMED);
	CHECK(mutated(&r, 0, KEYS_VERSION, 7) == KEYS_EMALFORMED);
	/* RELOAD and CHANNEL: nothing but the op and the id. */
	CHECK(mutated(&rl, 2, 1, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&rl, 12, 1, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&rl, 43, 1, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&rl, 4, 0xFF, 0) == KEYS_OK);	/* the id */
	CHECK(mutated(&rl, 0, KEYS_VERSION, KEYS_REQ_FIXED + 1) ==
	    KEYS_EMALFORMED);
}

static void
test_answers(void)
{
	unsigned char buf[KEYS_ANS_MAX + 1];
	struct keys_ans a = { .status = KEYS_OK, .id = 9, .siglen = 72 }, d;
	size_t n;

	memset(a.sig, 0x11, a.siglen);
	n = keys_ans_encode(&a, buf);
	CHECK(n == KEYS_ANS_FIXED + 72);
	CHECK(keys_ans_decode(buf, n, &d) == 0 && d.status == KEYS_OK &&
	    d.id == 9 && d.siglen == 72 && memcmp(d.sig, a.sig, 72) == 0);
	CHECK(keys_ans_decode(buf, n - 1, &d) == -1);
	CHECK(keys_ans_decode(buf, n + 1, &d) == -1);
	a.status = KEYS_ENOKEY;
	n = keys_ans_encode(&a, buf);
	CHECK(n == KEYS_ANS_FIXED);	/* a refusal carries no bytes */
	CHECK(keys_ans_decode(buf, n, &d) == 0 && d.status == KEYS_ENOKEY);
	buf[1] = 99;
	CHECK(keys_ans_decode(buf, n, &d) == -1);
}

/* RENEW and CONTROL (the monitor's, issue 17): 44 bytes like RELOAD, a
 * new op in the same version, so an older key process refuses them as
 * malformed and a newer one still reads the older requests. */
static void
test_renew(void)
{
	static const unsigned char wire[KEYS_REQ_FIXED] = { 1, 4, 0, 0,
	    0x78, 0x56, 0x34, 0x12 };
	struct keys_req r = { .op = KEYS_OP_RENEW, .id = 0x12345678 }, d;
	struct keys_req ctl = { .op = KEYS_OP_CONTROL };
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_ans a = { .status = KEYS_OK, .id = 3, .siglen = 4 }, ad;
	size_t i;

	CHECK(keys_req_encode(&r, buf) == KEYS_REQ_FIXED);
	CHECK(memcmp(buf, wire, sizeof(wire)) == 0);
	CHECK(keys_req_decode(wire, sizeof(wire), &d) == KEYS_OK &&
	    d.op == KEYS_OP_RENEW && d.id == 0x12345678);
	CHECK(keys_req_encode(&ctl, buf) == KEYS_REQ_FIXED);
	CHECK(keys_req_decode(buf, KEYS_REQ_FIXED, &d) == KEYS_OK &&
	    d.op == KEYS_OP_CONTROL);
	/* Nothing but the op and the id: every other byte refused. */
	for (i = 2; i < KEYS_REQ_FIXED; i++)
		if (i < 4 || i >= 8)
			CHECK(mutated(&r, i, 1, 0) == KEYS_EMALFORMED);
	CHECK(mutated(&r, 0, KEYS_VERSION, KEYS_REQ_FIXED + 1) ==
	    KEYS_EMALFORMED);
	CHECK(mutated(&r, 0, KEYS_VERSION, KEYS_REQ_FIXED - 1) ==
	    KEYS_EMALFORMED);
	CHECK(mutated(&r, 0, 2, 0) == KEYS_EVERSION);
	CHECK(mutated(&r, 1, 6, 0) == KEYS_EMALFORMED);	/* no op 6 */
	/* The answers: a pid or a wait status in 4 bytes; the new
	 * statuses read back, none beyond. */
	memcpy(a.sig, "\x01\x02\x00\x00", 4);
	i = keys_ans_encode(&a, buf);
	CHECK(i == KEYS_ANS_FIXED + 4);
	CHECK(keys_ans_decode(buf, i, &ad) == 0 && ad.siglen == 4 &&
	    ad.sig[0] == 1 && ad.sig[1] == 2);
	a.status = KEYS_EDENIED;
	i = keys_ans_encode(&a, buf);
	CHECK(i == KEYS_ANS_FIXED);
	CHECK(keys_ans_decode(buf, i, &ad) == 0 && ad.status == KEYS_EDENIED);
	buf[1] = KEYS_EBUSY;
	CHECK(keys_ans_decode(buf, i, &ad) == 0 && ad.status == KEYS_EBUSY);
	buf[1] = KEYS_STATUS_MAX + 1;
	CHECK(keys_ans_decode(buf, i, &ad) == -1);
	CHECK(strcmp(keys_status_string(KEYS_EDENIED), "unknown status") != 0);
}

static void
test_md_names(void)
{
	CHECK(keys_md_from_name("SHA256") == KEYS_MD_SHA256);
	CHECK(keys_md_from_name("sha2-384") == KEYS_MD_SHA384);
	CHECK(keys_md_from_name("SHA512") == KEYS_MD_SHA512);
	CHECK(keys_md_from_name("SHA1") == 0);
	CHECK(keys_md_from_name("MD5-SHA1") == 0);
	CHECK(keys_md_from_name(NULL) == 0);
	CHECK(keys_md_size(0) == 0 && keys_md_size(4) == 0);
}

int
main(void)
{
	RUN(test_round_trip);
	RUN(test_refusals);
	RUN(test_answers);
	RUN(test_renew);
	RUN(test_md_names);
	return unit_done();
}
