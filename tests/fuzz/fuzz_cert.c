/*
 * fuzz_cert — libFuzzer target for certificate import (src/cert/load.c):
 * cert_bundle_parse over PKCS#12, PEM and DER, with a password the input
 * picks (none, empty, the seeds' "fuzz-pw", or bytes of the input).
 *
 * Besides crashes, leaks and sanitizer reports it asserts the loader's
 * contract:
 *  - 0 or -1; on -1 a one-line message, an empty bundle, nothing left in
 *    OpenSSL's error queue, "password needed" only when none was given and
 *    "wrong password" only when one was; the password never appears in a
 *    message;
 *  - on 0 a leaf, a list of the others that does not hold the leaf, and a
 *    key, when there is one, that is the leaf's;
 *  - the same input parses the same way twice (no state kept between
 *    files) and the legacy provider, loaded for RC2 files, is unloaded;
 *  - one input costs a bounded amount of password hashing: the fuzz build
 *    sets a small CERT_KDF_BUDGET (Makefile), so an input that asks for
 *    more is refused with CERT_LOAD_TOO_COSTLY, never run for minutes
 *    (libFuzzer's -timeout catches one that is).
 *
 * Seeds: tests/fuzz/seeds_cert.sh (files of every tool cert_import uses).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/provider.h>

#include "cert/cert.h"
#include "common/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NAME	"F"

/* The password: data[0] & 3 picks it; the fourth kind starts with \x01
 * (which no message has) and takes data[1] % 16 bytes of the input. */
static size_t
pick_password(const uint8_t *data, size_t size, char *pw, const char **out)
{
	size_t n, i;

	switch (data[0] & 3) {
	case 0:
		*out = NULL;
		return 1;
	case 1:
		*out = "";
		return 1;
	case 2:
		*out = "fuzz-pw";
		return 1;
	}
	n = size > 1 ? data[1] % 16 : 0;
	if (2 + n > size)
		n = size > 2 ? size - 2 : 0;
	pw[0] = '\x01';
	for (i = 0; i < n; i++)
		pw[1 + i] = data[2 + i] ? (char)data[2 + i] : 'x';
	pw[1 + n] = '\0';
	*out = pw;
	return size < 2 + n ? size : 2 + n;
}

static void
check_failed(const struct cert_bundle *b, const struct err *e,
    const char *pw)
{
	assert(e->msg[0] != '\0' && strchr(e->msg, '\n') == NULL);
	assert(b->leaf == NULL && b->key == NULL && b->extra == NULL);
	if (e->code == CERT_LOAD_NEED_PASSWORD)
		assert(pw == NULL);
	if (e->code == CERT_LOAD_BAD_PASSWORD)
		assert(pw != NULL);
	if (pw != NULL && pw[0] == '\x01')
		assert(strstr(e->msg, pw) == NULL);
}

static void
check_loaded(const struct cert_bundle *b)
{
	int i;

	assert(b->leaf != NULL && b->extra != NULL);
	for (i = 0; i < sk_X509_num(b->extra); i++)
		assert(sk_X509_value(b->extra, i) != b->leaf);
	if (b->key != NULL)
		assert(EVP_PKEY_eq(X509_get0_pubkey(b->leaf), b->key) == 1);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_bundle a, b;
	struct err ea, eb;
	char pw[20];
	const char *pass;
	unsigned char *buf;
	size_t skip, len;
	int ra, rb;

	if (size == 0)
		return 0;
	skip = pick_password(data, size, pw, &pass);
	len = size - skip;
	/* A copy of exactly the file: ASan sees any read past it. */
	if ((buf = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + skip, len);
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ra = cert_bundle_parse(buf, len, NAME, pass, &a, &ea);
	assert(ra == 0 || ra == -1);
	assert(ERR_peek_error() == 0);
	assert(!OSSL_PROVIDER_available(NULL, "legacy"));
	if (ra == -1)
		check_failed(&a, &ea, pass);
	else
		check_loaded(&a);
	rb = cert_bundle_parse(buf, len, NAME, pass, &b, &eb);
	assert(rb == ra);
	if (ra == -1) {
		assert(strcmp(ea.msg, eb.msg) == 0 && ea.code == eb.code);
	} else {
		assert(X509_cmp(a.leaf, b.leaf) == 0);
		assert((a.key == NULL) == (b.key == NULL));
		assert(sk_X509_num(a.extra) == sk_X509_num(b.extra));
	}
	cert_bundle_free(&a);
	cert_bundle_free(&b);
	free(buf);
	return 0;
}
