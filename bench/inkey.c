/*
 * inkey — hsysd as it was before the key process, for bench/handshakes:
 * the real daemon (libhsysd.a and main.o, linked as hsysd is), with each
 * binding's private key put into its TLS context, so that handshakes sign
 * in the serving process. Only tls_ctx_new changes, wrapped at link time
 * (-Wl,--wrap=tls_ctx_new): the context is built as hsysd builds it, then
 * the key read from the store (as root: keys.db is root's) replaces the
 * key process's handle. Nothing here is part of hsys; it is the baseline
 * the key process is measured against.
 */
#include <openssl/ssl.h>

#include "cert/cert.h"
#include "common/err.h"
#include "daemon/tls.h"
#include "store/store.h"

int	__real_tls_ctx_new(SSL_CTX **, struct store *, const char *,
	    const char *, unsigned, struct tls_tickets *, struct keys_client *,
	    struct err *);
int	__wrap_tls_ctx_new(SSL_CTX **, struct store *, const char *,
	    const char *, unsigned, struct tls_tickets *, struct keys_client *,
	    struct err *);

int
__wrap_tls_ctx_new(SSL_CTX **out, struct store *s, const char *thumbprint,
    const char *storename, unsigned flags, struct tls_tickets *tickets,
    struct keys_client *keys, struct err *e)
{
	struct store *ks = NULL;
	struct cert_entry c;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (__real_tls_ctx_new(out, s, thumbprint, storename, flags, tickets,
	    keys, e) == -1)
		return -1;
	if (store_open(&ks, STORE_MACHINE, STORE_READ | STORE_KEYS, e) == -1 ||
	    certstore_find(ks, storename ? storename : CERT_STORE_MY,
	    thumbprint, &c, e) == -1 ||
	    certstore_load(ks, c.id, &x, &k, e) == -1)
		goto done;
	if (k == NULL || !SSL_CTX_use_PrivateKey(*out, k) ||
	    !SSL_CTX_check_private_key(*out)) {
		err_set(e, "inkey: cannot use the key of %s in-process",
		    thumbprint);
		goto done;
	}
	rc = 0;
done:
	if (rc == -1) {
		SSL_CTX_free(*out);
		*out = NULL;
	}
	EVP_PKEY_free(k);
	X509_free(x);
	store_close(ks);
	return rc;
}
