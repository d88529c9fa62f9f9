/*
 * thumbprint — hashes that identify a certificate, and what users type for
 * them. See cert.h.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert/cert.h"
#include "common/err.h"
#include "common/hex.h"

static int
digest_hex(X509 *x, const EVP_MD *md, char *out)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int len;

	if (!X509_digest(x, md, buf, &len))
		return -1;
	hex_encode(buf, len, out, 1);
	return 0;
}

int
cert_thumbprint(X509 *x, char out[CERT_THUMB_LEN + 1])
{
	return digest_hex(x, EVP_sha1(), out);
}

int
cert_sha256(X509 *x, char out[CERT_SHA256_LEN + 1])
{
	return digest_hex(x, EVP_sha256(), out);
}

int
cert_thumb_normalize(const char *in, char out[CERT_THUMB_LEN + 1],
    struct err *e)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;

	/* certmgr's details pane copies an invisible U+200E first. */
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x8e)
		s += 3;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':' || *s == '\t')
			continue;
		if (hex_digit(*s) < 0)
			return err_set(e, "'%s' is not a thumbprint: '%c' is not "
			    "a hex digit", in, isprint(*s) ? *s : '?');
		if (n == CERT_THUMB_LEN)
			return err_set(e, "'%s' is not a thumbprint: it has more "
			    "than %d hex digits", in, CERT_THUMB_LEN);
		out[n++] = (char)toupper(*s);
	}
	out[n] = '\0';
	if (n < CERT_THUMB_MIN_PREFIX)
		return err_set(e, "'%s' is not a thumbprint: give all %d hex "
		    "digits, or at least the first %d", in, CERT_THUMB_LEN,
		    CERT_THUMB_MIN_PREFIX);
	return 0;
}
