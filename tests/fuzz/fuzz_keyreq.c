/*
 * fuzz_keyreq — libFuzzer target for the key process's request decoder
 * (src/keys/req.c), the one parser the key process runs on what a channel
 * sends, and the answer decoder hsysd runs on what comes back.
 *
 * Besides crashes and sanitizer reports it asserts their contract:
 *  - a request is accepted only at its exact length (44, or 44 and the
 *    digest's length for SIGN), with a known op (SIGN, RELOAD, CHANNEL,
 *    RENEW, CONTROL), algorithm and digest, a PSS salt length equal to
 *    the digest's (0 otherwise), and zeros in every field its op does not
 *    use: for RELOAD, CHANNEL, RENEW and CONTROL every byte but the
 *    version, the op and the id;
 *  - an accepted request re-encodes (keys_req_encode) to the same bytes;
 *  - an accepted answer is exactly 8 bytes and its signature (RENEW's:
 *    a pid or a wait status), with a known status, and re-encodes to the
 *    same bytes.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "keys/keys.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_request(const uint8_t *data, size_t size)
{
	unsigned char again[KEYS_REQ_MAX];
	struct keys_req r;
	size_t n;

	if (keys_req_decode(data, size, &r) != KEYS_OK)
		return;
	assert(size == KEYS_REQ_FIXED || (r.op == KEYS_OP_SIGN &&
	    size == KEYS_REQ_FIXED + keys_md_size(r.md)));
	if (r.op == KEYS_OP_SIGN) {
		assert(r.dlen == keys_md_size(r.md) && r.dlen != 0);
		assert(r.saltlen == (r.alg == KEYS_ALG_RSA_PSS ? r.dlen : 0));
	} else {
		size_t i;

		assert(r.op == KEYS_OP_RELOAD || r.op == KEYS_OP_CHANNEL ||
		    r.op == KEYS_OP_RENEW || r.op == KEYS_OP_CONTROL);
		for (i = 2; i < KEYS_REQ_FIXED; i++)
			assert((i >= 4 && i < 8) || data[i] == 0);
	}
	assert(data[0] == KEYS_VERSION);
	n = keys_req_encode(&r, again);
	assert(n == size && memcmp(again, data, size) == 0);
}

static void
check_answer(const uint8_t *data, size_t size)
{
	static unsigned char again[KEYS_ANS_MAX];
	static struct keys_ans a;
	size_t n;

	if (keys_ans_decode(data, size, &a) == -1)
		return;
	assert(size == KEYS_ANS_FIXED + a.siglen && a.siglen <= KEYS_SIG_MAX);
	assert(a.status == KEYS_OK || a.siglen == 0);
	assert(a.status <= KEYS_STATUS_MAX);
	n = keys_ans_encode(&a, again);
	assert(n == size && memcmp(again, data, size) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_answer(data, size);
	return 0;
}
