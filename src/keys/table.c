/*
 * table — the private keys the key process holds: those of the
 * certificates that the store's sslcert bindings use, and of the pending
 * TLS-ALPN-01 challenges' certificates (the internal store AcmeChallenge),
 * found by the SHA-256 of their public key. Nothing else is read from
 * keys.db.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "keys/keys_int.h"
#include "store/store.h"

int
keys_id(EVP_PKEY *k, unsigned char out[KEYS_ID_LEN])
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return -1;
	SHA256(der, (size_t)n, out);
	OPENSSL_free(der);
	return 0;
}

EVP_PKEY *
keys_table_find(const struct keys_table *t, const unsigned char id[KEYS_ID_LEN])
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (memcmp(t->e[i].id, id, KEYS_ID_LEN) == 0)
			return t->e[i].pkey;
	return NULL;
}

struct loading {
	struct keys_table	*t;
	struct store		*s;
	size_t			 cap;
};

static int
add_key(struct loading *l, X509 *x, EVP_PKEY *key)
{
	struct keys_entry *ne;
	unsigned char id[KEYS_ID_LEN];

	if (X509_check_private_key(x, key) != 1 ||
	    keys_id(X509_get0_pubkey(x), id) == -1)
		return 0;	/* hsysd finds out, and says so */
	if (keys_table_find(l->t, id) != NULL)
		return 0;
	if (l->t->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		if ((ne = realloc(l->t->e, l->cap * sizeof(*ne))) == NULL)
			return -1;
		l->t->e = ne;
	}
	memcpy(l->t->e[l->t->n].id, id, KEYS_ID_LEN);
	if (!EVP_PKEY_up_ref(key))
		return -1;
	l->t->e[l->t->n++].pkey = key;
	return 0;
}

/* A certificate entry's key, when the entry has one. */
static int
add_entry(const struct cert_entry *ce, void *arg)
{
	struct loading *l = arg;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct err e;
	int rc = 0;

	if (ce->has_key && certstore_load(l->s, ce->id, &x, &key, &e) == 0 &&
	    key != NULL)
		rc = add_key(l, x, key);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

static int
add_binding(const struct config_sslcert *c, void *arg)
{
	struct loading *l = arg;
	struct cert_store_name sn;
	struct cert_entry ce;
	struct err e;

	/* c->current: the thumbprint the binding serves now, which for
	 * certhash=acme:NAME is the ACME record's (it moves on renewal). */
	if (c->current[0] == '\0' ||
	    cert_store_name_parse(c->current_store, &sn, &e) == -1 ||
	    certstore_find(l->s, sn.name, c->current, &ce, &e) == -1)
		return 0;
	return add_entry(&ce, l);
}

int
keys_table_load(struct keys_table **out, struct err *e)
{
	struct loading l = { 0 };
	int rc = -1;

	*out = NULL;
	if ((l.t = calloc(1, sizeof(*l.t))) == NULL)
		return err_sys(e, "out of memory");
	/* A newer hsys may have taken over from ours and moved the schema
	 * on (docs/store.md): this process outlives an upgrade in place. */
	if (store_open(&l.s, STORE_MACHINE, STORE_READ | STORE_NEWER, e) == -1)
		goto out;
	if (store_need_keys(l.s, e) == -1)
		goto out;
	e->msg[0] = '\0';
	if (config_sslcert_list(l.s, add_binding, &l, e) != 0 ||
	    /* the pending TLS-ALPN-01 challenges' (acme/challcert.c) */
	    certstore_list(l.s, CERT_STORE_ACME_CHALLENGE, add_entry, &l, e)
	    != 0) {
		if (e->msg[0] == '\0')
			err_set(e, "out of memory reading the keys");
		goto out;
	}
	*out = l.t;
	l.t = NULL;
	rc = 0;
out:
	store_close(l.s);
	keys_table_free(l.t);
	return rc;
}

void
keys_table_free(struct keys_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		EVP_PKEY_free(t->e[i].pkey);
	free(t->e);
	free(t);
}
