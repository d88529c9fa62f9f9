/*
 * describe — a certificate's fields in words, for people: its
 * subjectAltNames by type, an extension as OpenSSL prints it, the serial
 * number, ISO 8601 dates. See cert.h. (Names, dates and key types in the
 * form messages use are name.c's.)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"

/* Calls fn for each subjectAltName of one GEN_* type, as text. */
void
cert_san_each(X509 *x, int type, void (*fn)(const char *, void *), void *arg)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	ASN1_STRING *str;
	char buf[1024];
	int i, len;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != type)
			continue;
		str = type == GEN_IPADD ? g->d.iPAddress : g->d.ia5;
		len = ASN1_STRING_length(str);
		if (type == GEN_IPADD) {
			if (inet_ntop(len == 4 ? AF_INET : AF_INET6,
			    ASN1_STRING_get0_data(str), buf, sizeof(buf)) ==
			    NULL || (len != 4 && len != 16))
				snprintf(buf, sizeof(buf), "(invalid)");
		} else
			snprintf(buf, sizeof(buf), "%.*s", len,
			    (const char *)ASN1_STRING_get0_data(str));
		fn(buf, arg);
	}
	GENERAL_NAMES_free(gens);
}

struct joined {
	char	*buf;
	size_t	 size;
};

static void
join_name(const char *name, void *arg)
{
	struct joined *j = arg;
	size_t n = strlen(j->buf);

	snprintf(j->buf + n, j->size - n, "%s%s", n ? ", " : "", name);
}

void
cert_san_join(X509 *x, int type, char *buf, size_t size)
{
	struct joined j = { buf, size };

	buf[0] = '\0';
	cert_san_each(x, type, join_name, &j);
}

/* An extension as OpenSSL prints it, on one line; "" when absent. */
void
cert_ext_string(X509 *x, int nid, char *buf, size_t size)
{
	X509_EXTENSION *ext;
	BIO *bio;
	char *p;
	long n, i;
	int at;

	buf[0] = '\0';
	if ((at = X509_get_ext_by_NID(x, nid, -1)) < 0)
		return;
	ext = X509_get_ext(x, at);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509V3_EXT_print(bio, ext, 0, 0) == 1) {
		n = BIO_get_mem_data(bio, &p);
		for (i = 0; i < n && (size_t)i < size - 1; i++)
			buf[i] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
		buf[i] = '\0';
		if (X509_EXTENSION_get_critical(ext))
			strncat(buf, " (critical)", size - strlen(buf) - 1);
	}
	BIO_free(bio);
	ERR_clear_error();
}

void
cert_serial_string(X509 *x, char *buf, size_t size)
{
	BIGNUM *bn;
	char *hex = NULL;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn != NULL)
		hex = BN_bn2hex(bn);
	snprintf(buf, size, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

void
cert_iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
}
