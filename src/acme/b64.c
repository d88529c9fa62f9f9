/*
 * b64 — base64url without padding (RFC 4648 section 5), as JOSE uses it,
 * on top of OpenSSL's base64.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme/acme.h"

char *
acme_b64url(const unsigned char *in, size_t len)
{
	size_t i, n;
	char *out;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

unsigned char *
acme_b64url_decode(const char *in, size_t *len)
{
	size_t i, n = strlen(in), pad;
	unsigned char *out = NULL;
	char *std;
	int got;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return NULL;
	pad = (4 - n % 4) % 4;
	if ((std = malloc(n + pad + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (in[i] == '+' || in[i] == '/' || in[i] == '=')
			goto done;
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	memset(std + n, '=', pad);
	std[n + pad] = '\0';
	if ((out = malloc((n + pad) / 4 * 3 + 1)) == NULL)
		goto done;
	got = EVP_DecodeBlock(out, (unsigned char *)std, (int)(n + pad));
	if (got < 0) {
		free(out);
		out = NULL;
		goto done;
	}
	*len = (size_t)got - pad;
done:
	free(std);
	return out;
}
