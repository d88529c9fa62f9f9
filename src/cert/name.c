/*
 * name — printing distinguished names, dates and key types. See cert.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

#include "cert/cert.h"

void
cert_name_string(const X509_NAME *name, char *buf, size_t size)
{
	unsigned long flags = (XN_FLAG_RFC2253 & ~XN_FLAG_SEP_MASK &
	    ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC;
	BIO *bio;
	long n;
	char *p;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		if (n >= (long)size)
			n = (long)size - 1;
		if (n > 0)
			memcpy(buf, p, (size_t)n);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
}

int
cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

void
cert_time_string(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "?");
}

void
cert_key_description(EVP_PKEY *k, char *buf, size_t size)
{
	char group[64];
	size_t glen;

	if (k == NULL) {
		snprintf(buf, size, "unknown");
		return;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		snprintf(buf, size, "RSA %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(k, "group", group,
		    sizeof(group), &glen) != 1)
			snprintf(group, sizeof(group), "%d bits",
			    EVP_PKEY_get_bits(k));
		else if (strcmp(group, "prime256v1") == 0)
			snprintf(group, sizeof(group), "P-256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(group, sizeof(group), "P-384");
		else if (strcmp(group, "secp521r1") == 0)
			snprintf(group, sizeof(group), "P-521");
		snprintf(buf, size, "EC %s", group);
		break;
	case EVP_PKEY_ED25519:
		snprintf(buf, size, "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(buf, size, "Ed448");
		break;
	default:
		snprintf(buf, size, "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(k)),
		    EVP_PKEY_get_bits(k));
	}
}
