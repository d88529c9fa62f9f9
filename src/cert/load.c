/*
 * load — reading a certificate file into a cert_bundle. See cert.h.
 *
 * The format is found by content, never by the file's name: PEM when a
 * "-----BEGIN " line is present, else DER, tried as PKCS#12, then as a
 * certificate, then as a lone private key (which is refused: there is
 * nothing to import without its certificate). Files are hostile input:
 * lengths are checked against the bytes we have, and every failure says
 * which of "password needed", "wrong password", "truncated", "damaged" or
 * "not a certificate file" applies. Passwords never enter a message.
 *
 * The cost of a file is bounded too: every password-based key derivation
 * (PKCS#12's MAC and encrypted bags, an encrypted PKCS#8 key) is charged
 * its declared iteration count (scrypt: N * r * p) before it runs, against
 * CERT_KDF_BUDGET per file, so that one file cannot keep hsys busy for
 * minutes (an iteration count of 2^31 takes about half an hour).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/secret.h"

void
cert_bundle_free(struct cert_bundle *b)
{
	X509_free(b->leaf);
	EVP_PKEY_free(b->key);
	sk_X509_pop_free(b->extra, X509_free);
	memset(b, 0, sizeof(*b));
}

static int
need_password(const char *name, struct err *e)
{
	err_set(e, "%s is protected by a password", name);
	e->code = CERT_LOAD_NEED_PASSWORD;
	return -1;
}

static int
bad_password(const char *name, struct err *e)
{
	ERR_clear_error();
	err_set(e, "the password for %s is wrong; check it and try "
	    "again", name);
	e->code = CERT_LOAD_BAD_PASSWORD;
	return -1;
}

static int
damaged(const char *name, struct err *e)
{
	return err_ssl(e, "%s is damaged", name);
}

/* --- choosing the leaf ------------------------------------------------ */

/* Index of the one certificate that issued no other in the set: the bottom
 * of a CA-only chain. -1 when there are several (unrelated CAs). */
static int
chain_bottom(STACK_OF(X509) *certs)
{
	int i, j, n = sk_X509_num(certs), pick = -1;
	X509 *x, *y;

	for (i = 0; i < n; i++) {
		x = sk_X509_value(certs, i);
		for (j = 0; j < n; j++) {
			y = sk_X509_value(certs, j);
			if (i != j && X509_check_issued(x, y) == X509_V_OK)
				break;
		}
		if (j < n)
			continue;
		if (pick != -1)
			return -1;
		pick = i;
	}
	return pick;
}

static int
pick_leaf(struct cert_bundle *b, STACK_OF(X509) *certs, const char *name,
    struct err *e)
{
	int i, n = sk_X509_num(certs), pick = -1, noca = 0;

	if (n == 0)
		return err_set(e, "%s holds %sno certificate", name,
		    b->key ? "a private key but " : "");
	if (b->key != NULL) {
		for (i = 0; i < n && pick == -1; i++)
			if (EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(certs,
			    i)), b->key) == 1)
				pick = i;
		ERR_clear_error();
		if (pick == -1)
			return err_set(e, "the private key in %s does not belong "
			    "to %s", name, n == 1 ? "its certificate" :
			    "any of its certificates");
		return pick;
	}
	for (i = 0; i < n; i++) {
		if (X509_check_ca(sk_X509_value(certs, i)) != 0)
			continue;
		if (noca++ == 0)
			pick = i;
	}
	if (noca > 1)
		return err_set(e, "%s holds %d end-entity certificates and no "
		    "private key; split it into one file per certificate",
		    name, noca);
	if (pick == -1 && (pick = chain_bottom(certs)) == -1)
		return err_set(e, "%s holds several unrelated CA certificates; "
		    "import them one file at a time", name);
	return pick;
}

/* Takes certs (freed on failure): the leaf moves to b->leaf, the rest
 * become b->extra. */
static int
finish(struct cert_bundle *b, STACK_OF(X509) *certs, const char *name,
    struct err *e)
{
	int i;

	if ((i = pick_leaf(b, certs, name, e)) == -1) {
		sk_X509_pop_free(certs, X509_free);
		return -1;
	}
	b->leaf = sk_X509_delete(certs, i);
	b->extra = certs;
	return 0;
}

/* --- the cost of key derivations --------------------------------------- */

/* Iterations of password hashing one file may ask for, in all. Real files
 * ask for 2,048 (OpenSSL), 10,000 (Java) or 600,000 (OWASP's advice) per
 * derivation, and a file needs three or four. The fuzz targets build with
 * a smaller budget, to stay fast. */
#ifndef CERT_KDF_BUDGET
#define CERT_KDF_BUDGET		4000000
#endif

/* An iteration count as OpenSSL reads it (ASN1_INTEGER_get): a missing or
 * non-positive one does a single round. */
static uint64_t
kdf_iter(const ASN1_INTEGER *i)
{
	long v = i != NULL ? ASN1_INTEGER_get(i) : 1;

	return v > 0 ? (uint64_t)v : 1;
}

static uint64_t
kdf_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* scrypt's work: N * r * p (OpenSSL refuses what it cannot read). */
static uint64_t
kdf_scrypt_cost(const ASN1_TYPE *param)
{
	SCRYPT_PARAMS *sp;
	uint64_t n = 1, r = 1, p = 1;

	sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), param);
	if (sp == NULL)
		return 1;
	if (!ASN1_INTEGER_get_uint64(&n, sp->costParameter) ||
	    !ASN1_INTEGER_get_uint64(&r, sp->blockSize) ||
	    !ASN1_INTEGER_get_uint64(&p, sp->parallelizationParameter))
		n = r = p = 1;
	SCRYPT_PARAMS_free(sp);
	return kdf_mul(kdf_mul(n, r), p);
}

/* PBES2: PBKDF2's iteration count, or scrypt's work. */
static uint64_t
kdf_pbes2_cost(const ASN1_TYPE *param)
{
	PBE2PARAM *p2;
	PBKDF2PARAM *kp;
	uint64_t cost = 1;

	p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param);
	if (p2 == NULL || p2->keyfunc == NULL)
		goto done;
	switch (OBJ_obj2nid(p2->keyfunc->algorithm)) {
	case NID_id_pbkdf2:
		kp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
		    p2->keyfunc->parameter);
		if (kp != NULL)
			cost = kdf_iter(kp->iter);
		PBKDF2PARAM_free(kp);
		break;
	case NID_id_scrypt:
		cost = kdf_scrypt_cost(p2->keyfunc->parameter);
		break;
	}
done:
	PBE2PARAM_free(p2);
	return cost;
}

/* What decrypting with alg costs, in rounds of hashing. */
static uint64_t
kdf_cost(const X509_ALGOR *alg)
{
	PBEPARAM *pp;
	uint64_t cost;

	if (alg == NULL)
		return 1;
	if (OBJ_obj2nid(alg->algorithm) == NID_pbes2)
		return kdf_pbes2_cost(alg->parameter);
	/* PKCS#5 v1.5 and PKCS#12's own PBE algorithms. */
	pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM),
	    alg->parameter);
	cost = pp != NULL ? kdf_iter(pp->iter) : 1;
	PBEPARAM_free(pp);
	return cost;
}

/* Takes cost from the file's budget, or refuses the file. */
static int
kdf_charge(uint64_t *left, uint64_t cost, const char *name, struct err *e)
{
	if (cost <= *left) {
		*left -= cost;
		return 0;
	}
	err_set(e, "%s asks for too much password hashing (a step of %llu "
	    "rounds; hsys does at most %d for a whole file); export it again "
	    "with fewer iterations (openssl pkcs12 -export -iter 2048 "
	    "-maciter 2048)", name, (unsigned long long)cost,
	    CERT_KDF_BUDGET);
	e->code = CERT_LOAD_TOO_COSTLY;
	return -1;
}

/* --- PKCS#12 ---------------------------------------------------------- */

/* One PKCS#12 file being read. */
struct p12 {
	const char		*pass;		/* the one that opened the MAC */
	const char		*name;
	STACK_OF(X509)		*certs;
	struct cert_bundle	*b;
	OSSL_PROVIDER		*legacy;	/* loaded for this file, or NULL */
	uint64_t		 kdf_left;	/* of CERT_KDF_BUDGET */
	struct err		*e;
};

/*
 * OpenSSL 3 keeps RC2 (the RC2-40 certificate bags of old Windows exports
 * and of "openssl pkcs12 -legacy") in its legacy provider, which is not
 * loaded by default. It is loaded only when a decryption fails, next to
 * the default provider (retain_fallbacks), and unloaded when the file is
 * read, so nothing outlives the parse. Returns 1 when it has just become
 * available: a retry may now succeed.
 */
static int
legacy_load(struct p12 *p)
{
	if (p->legacy != NULL || OSSL_PROVIDER_available(NULL, "legacy"))
		return 0;
	if ((p->legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

static int
mac_failed(const char *name, int given, struct err *e)
{
	unsigned long code = ERR_peek_last_error();

	/* A wrong password fails the comparison without an error; failing
	 * to compute the MAC at all means an algorithm we do not have. */
	if (ERR_GET_LIB(code) == ERR_LIB_PKCS12 &&
	    ERR_GET_REASON(code) == PKCS12_R_MAC_GENERATION_ERROR)
		return err_ssl(e, "cannot check the integrity of %s (an "
		    "unsupported MAC algorithm, or a damaged file)", name);
	ERR_clear_error();
	return given ? bad_password(name, e) : need_password(name, e);
}

/*
 * Finds the password that opens the file's MAC: the one given, or, when
 * none (or an empty one) was given, an absent or an empty password, which
 * PKCS#12 encodes differently (Windows writes one, OpenSSL the other).
 */
static int
mac_password(PKCS12 *p12, const char *given, struct p12 *p)
{
	const ASN1_INTEGER *iter = NULL;
	const char *name = p->name;
	struct err *e = p->e;
	uint64_t cost;

	p->pass = given;
	if (!PKCS12_mac_present(p12))
		return 0;
	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	cost = kdf_iter(iter);
	if (kdf_charge(&p->kdf_left, cost, name, e) == -1)
		return -1;
	if (given != NULL && *given != '\0') {
		if (PKCS12_verify_mac(p12, given, -1))
			return 0;
		return mac_failed(name, 1, e);
	}
	if (PKCS12_verify_mac(p12, NULL, 0)) {
		p->pass = NULL;
		return 0;
	}
	if (kdf_charge(&p->kdf_left, cost, name, e) == -1)
		return -1;
	if (PKCS12_verify_mac(p12, "", 0)) {
		p->pass = "";
		return 0;
	}
	return mac_failed(name, given != NULL, e);
}

static int
add_key(struct cert_bundle *b, EVP_PKEY *k, const char *name, struct err *e)
{
	if (k == NULL)
		return damaged(name, e);
	if (b->key != NULL) {
		EVP_PKEY_free(k);
		return err_set(e, "%s holds more than one private key; keep "
		    "only the certificate's", name);
	}
	b->key = k;
	return 0;
}

static int
add_cert(STACK_OF(X509) *certs, X509 *x, const char *name, struct err *e)
{
	if (x == NULL)
		return err_ssl(e, "a certificate in %s is damaged", name);
	if (!sk_X509_push(certs, x)) {
		X509_free(x);
		return err_ssl(e, "out of memory");
	}
	return 0;
}

/* Decrypts a shrouded key bag; -2 when decryption fails. */
static int
p12_shrouded_key(struct p12 *p, PKCS12_SAFEBAG *bag)
{
	PKCS8_PRIV_KEY_INFO *p8;
	const X509_ALGOR *alg = NULL;
	const X509_SIG *sig;
	int passlen = p->pass ? -1 : 0;
	uint64_t cost;

	if ((sig = PKCS12_SAFEBAG_get0_pkcs8(bag)) != NULL)
		X509_SIG_get0(sig, &alg, NULL);
	cost = kdf_cost(alg);
	if (kdf_charge(&p->kdf_left, cost, p->name, p->e) == -1)
		return -1;
	p8 = PKCS12_decrypt_skey(bag, p->pass, passlen);
	if (p8 == NULL && legacy_load(p)) {
		if (kdf_charge(&p->kdf_left, cost, p->name, p->e) == -1)
			return -1;
		p8 = PKCS12_decrypt_skey(bag, p->pass, passlen);
	}
	if (p8 == NULL)
		return -2;
	if (add_key(p->b, EVP_PKCS82PKEY(p8), p->name, p->e) == -1) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return -1;
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	return 0;
}

/* Walks safe bags: keys, certificates, nested bags; others are skipped. */
static int
p12_bags(struct p12 *p, const STACK_OF(PKCS12_SAFEBAG) *bags)
{
	const PKCS8_PRIV_KEY_INFO *p8;
	PKCS12_SAFEBAG *bag;
	int i, rc = 0;

	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags) && rc == 0; i++) {
		bag = sk_PKCS12_SAFEBAG_value(bags, i);
		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_keyBag:
			p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
			rc = add_key(p->b, p8 ? EVP_PKCS82PKEY(p8) : NULL,
			    p->name, p->e);
			break;
		case NID_pkcs8ShroudedKeyBag:
			rc = p12_shrouded_key(p, bag);
			break;
		case NID_certBag:
			if (PKCS12_SAFEBAG_get_bag_nid(bag) ==
			    NID_x509Certificate)
				rc = add_cert(p->certs,
				    PKCS12_SAFEBAG_get1_cert(bag), p->name,
				    p->e);
			break;
		case NID_safeContentsBag:
			rc = p12_bags(p, PKCS12_SAFEBAG_get0_safes(bag));
			break;
		}
	}
	return rc;
}

/* Opens one ContentInfo of the authenticated safe; -2 when decryption
 * fails. */
static int
p12_safe(struct p12 *p, PKCS7 *p7)
{
	STACK_OF(PKCS12_SAFEBAG) *bags;
	int rc, passlen = p->pass ? -1 : 0;
	uint64_t cost;

	if (PKCS7_type_is_data(p7))
		bags = PKCS12_unpack_p7data(p7);
	else if (PKCS7_type_is_encrypted(p7)) {
		cost = p7->d.encrypted != NULL &&
		    p7->d.encrypted->enc_data != NULL ?
		    kdf_cost(p7->d.encrypted->enc_data->algorithm) : 1;
		if (kdf_charge(&p->kdf_left, cost, p->name, p->e) == -1)
			return -1;
		bags = PKCS12_unpack_p7encdata(p7, p->pass, passlen);
		if (bags == NULL && legacy_load(p)) {
			if (kdf_charge(&p->kdf_left, cost, p->name, p->e) ==
			    -1)
				return -1;
			bags = PKCS12_unpack_p7encdata(p7, p->pass, passlen);
		}
		if (bags == NULL)
			return -2;
	} else
		return 0;	/* public-key privacy mode: never seen */
	if (bags == NULL)
		return damaged(p->name, p->e);
	rc = p12_bags(p, bags);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return rc;
}

/* Says why the contents could not be decrypted. */
static int
p12_undecryptable(PKCS12 *p12, const char *password, const char *name,
    struct err *e)
{
	/* With a MAC the password is right: the cipher is the problem.
	 * Without one, a wrong password shows only here. */
	if (PKCS12_mac_present(p12))
		return err_ssl(e, "cannot decrypt %s: it uses an unsupported "
		    "cipher, or it is damaged", name);
	if (password == NULL)
		return need_password(name, e);
	return bad_password(name, e);
}

/*
 * Walks the bags ourselves rather than through PKCS12_parse, which in
 * OpenSSL 3.0 refuses a file without a MAC when given a password, and
 * cannot say whether it failed to decrypt or found the file damaged.
 */
static int
parse_pkcs12(PKCS12 *p12, const char *password, const char *name,
    struct cert_bundle *b, struct err *e)
{
	struct p12 p = { NULL, name, NULL, b, NULL, CERT_KDF_BUDGET, e };
	STACK_OF(PKCS7) *safes = NULL;
	int i, rc = -1;

	if (mac_password(p12, password, &p) == -1)
		return -1;
	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL) {
		damaged(name, e);
		goto done;
	}
	if ((p.certs = sk_X509_new_null()) == NULL) {
		err_ssl(e, "out of memory");
		goto done;
	}
	for (i = 0, rc = 0; i < sk_PKCS7_num(safes) && rc == 0; i++)
		rc = p12_safe(&p, sk_PKCS7_value(safes, i));
	if (rc == -2)
		rc = p12_undecryptable(p12, password, name, e);
	if (rc == 0) {
		rc = finish(b, p.certs, name, e);
		p.certs = NULL;
	}
done:
	sk_X509_pop_free(p.certs, X509_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	if (p.legacy != NULL)
		OSSL_PROVIDER_unload(p.legacy);
	return rc;
}

/* --- DER -------------------------------------------------------------- */

/*
 * Reads the outer SEQUENCE header. Returns 1 with the declared total size,
 * 2 for BER's indefinite length (some PKCS#12 writers use it), 0 when the
 * bytes are not a SEQUENCE at all.
 */
static int
der_outer(const unsigned char *buf, size_t len, size_t *total)
{
	size_t i, n, l = 0;

	if (len < 2 || buf[0] != 0x30)
		return 0;
	if (buf[1] == 0x80)
		return 2;
	if (buf[1] < 0x80) {
		*total = 2 + (size_t)buf[1];
		return 1;
	}
	n = buf[1] & 0x7f;
	if (n > 4 || len < 2 + n)
		return 0;
	for (i = 0; i < n; i++)
		l = (l << 8) | buf[2 + i];
	*total = 2 + n + l;
	return 1;
}

static int
parse_der(const unsigned char *buf, size_t len, const char *name,
    const char *password, struct cert_bundle *b, struct err *e)
{
	STACK_OF(X509) *certs;
	const unsigned char *p;
	size_t total = 0;
	EVP_PKEY *k;
	PKCS12 *p12;
	X509 *x;
	int rc;

	switch (der_outer(buf, len, &total)) {
	case 0:
		return err_set(e, "%s is not a certificate file (expected "
		    "PKCS#12, PEM or DER)", name);
	case 1:
		if (total > len)
			return err_set(e, "%s is truncated: it should be %zu "
			    "bytes long but has %zu; copy it again", name,
			    total, len);
	}
	p = buf;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) != NULL) {
		rc = parse_pkcs12(p12, password, name, b, e);
		PKCS12_free(p12);
		return rc;
	}
	ERR_clear_error();
	p = buf;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if ((certs = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(certs, x)) {
			X509_free(x);
			sk_X509_free(certs);
			return err_ssl(e, "out of memory");
		}
		return finish(b, certs, name, e);
	}
	ERR_clear_error();
	p = buf;
	if ((k = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
		EVP_PKEY_free(k);
		return err_set(e, "%s holds a private key but no certificate; "
		    "give a PKCS#12 file, or a PEM file with the certificate "
		    "and its key", name);
	}
	ERR_clear_error();
	return err_set(e, "%s is damaged: it is DER, but neither PKCS#12, a "
	    "certificate nor a private key", name);
}

/* --- PEM -------------------------------------------------------------- */

static int
pem_pass_from(char *buf, int size, int rwflag, void *u)
{
	size_t n = strlen(u);

	(void)rwflag;
	if (n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

/* Whether a decryption failed the way a wrong password makes it fail: bad
 * padding at the end (the only check a password-based cipher has), or,
 * one time in 256, padding that happened to look right over bytes that
 * are no key (PKCS12_R_DECODE_ERROR: the container was whole, what came
 * out of it was not). */
static int
wrong_key_error(void)
{
	unsigned long code;
	int reason;

	while ((code = ERR_get_error()) != 0) {
		reason = ERR_GET_REASON(code);
		if ((ERR_GET_LIB(code) == ERR_LIB_EVP &&
		    reason == EVP_R_BAD_DECRYPT) ||
		    (ERR_GET_LIB(code) == ERR_LIB_PKCS12 &&
		    (reason == PKCS12_R_PKCS12_CIPHERFINAL_ERROR ||
		    reason == PKCS12_R_DECODE_ERROR))) {
			ERR_clear_error();
			return 1;
		}
	}
	return 0;
}

/* PKCS#8 "ENCRYPTED PRIVATE KEY". */
static EVP_PKEY *
pem_pkcs8_key(const unsigned char *data, long len, const char *password,
    const char *name, struct err *e)
{
	PKCS8_PRIV_KEY_INFO *p8;
	const unsigned char *p = data;
	const X509_ALGOR *alg;
	uint64_t left = CERT_KDF_BUDGET;
	EVP_PKEY *k;
	X509_SIG *sig;

	if (password == NULL) {
		need_password(name, e);
		return NULL;
	}
	if ((sig = d2i_X509_SIG(NULL, &p, len)) == NULL) {
		damaged(name, e);
		return NULL;
	}
	/* One key per file (pem_block): one derivation to pay for. */
	X509_SIG_get0(sig, &alg, NULL);
	if (kdf_charge(&left, kdf_cost(alg), name, e) == -1) {
		X509_SIG_free(sig);
		return NULL;
	}
	p8 = PKCS8_decrypt(sig, password, (int)strlen(password));
	X509_SIG_free(sig);
	if (p8 == NULL) {
		if (wrong_key_error())
			bad_password(name, e);
		else
			err_set(e, "cannot decrypt the private key in %s: an "
			    "unsupported cipher, or a damaged file", name);
		return NULL;
	}
	if ((k = EVP_PKCS82PKEY(p8)) == NULL)
		damaged(name, e);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return k;
}

/* PKCS#1, SEC1 or PKCS#8, possibly with OpenSSL's "Proc-Type: 4,ENCRYPTED"
 * header; decrypted in place. */
static EVP_PKEY *
pem_plain_key(char *header, unsigned char *data, long len,
    const char *password, const char *name, struct err *e)
{
	const unsigned char *p = data;
	EVP_CIPHER_INFO ci;
	EVP_PKEY *k;

	if (!PEM_get_EVP_CIPHER_INFO(header, &ci)) {
		err_ssl(e, "the private key in %s is damaged or uses an "
		    "unsupported cipher", name);
		return NULL;
	}
	if (ci.cipher != NULL) {
		if (password == NULL) {
			need_password(name, e);
			return NULL;
		}
		if (!PEM_do_header(&ci, data, &len, pem_pass_from,
		    (void *)password)) {
			bad_password(name, e);
			return NULL;
		}
	}
	if ((k = d2i_AutoPrivateKey(NULL, &p, len)) == NULL) {
		if (ci.cipher != NULL)
			bad_password(name, e);
		else
			damaged(name, e);
	}
	return k;
}

static int
pem_is_cert(const char *type)
{
	return strcmp(type, PEM_STRING_X509) == 0 ||
	    strcmp(type, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(type, PEM_STRING_X509_TRUSTED) == 0;
}

static int
pem_is_key(const char *type)
{
	size_t n = strlen(type), k = strlen("PRIVATE KEY");

	return n >= k && strcmp(type + n - k, "PRIVATE KEY") == 0;
}

/* One block; kinds we do not use (EC PARAMETERS, a CSR) are skipped. */
static int
pem_block(const char *type, char *header, unsigned char *data,
    long len, const char *password, STACK_OF(X509) *certs,
    struct cert_bundle *b, const char *name, struct err *e)
{
	const unsigned char *p = data;
	X509 *x;

	if (pem_is_cert(type)) {
		x = strcmp(type, PEM_STRING_X509_TRUSTED) == 0 ?
		    d2i_X509_AUX(NULL, &p, len) : d2i_X509(NULL, &p, len);
		return add_cert(certs, x, name, e);
	}
	if (!pem_is_key(type))
		return 0;
	if (b->key != NULL)
		return err_set(e, "%s holds more than one private key; keep "
		    "only the certificate's", name);
	if (strcmp(type, PEM_STRING_PKCS8) == 0)
		b->key = pem_pkcs8_key(data, len, password, name, e);
	else
		b->key = pem_plain_key(header, data, len, password, name, e);
	return b->key ? 0 : -1;
}

static int
pem_at_end(int blocks)
{
	unsigned long code = ERR_peek_last_error();

	if (blocks == 0 || ERR_GET_LIB(code) != ERR_LIB_PEM ||
	    ERR_GET_REASON(code) != PEM_R_NO_START_LINE)
		return 0;
	ERR_clear_error();
	return 1;
}

static int
parse_pem(const unsigned char *buf, size_t len, const char *name,
    const char *password, struct cert_bundle *b, struct err *e)
{
	STACK_OF(X509) *certs = NULL;
	unsigned char *data = NULL;
	char *type = NULL, *header = NULL;
	int blocks = 0, rc;
	long dlen = 0;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (certs = sk_X509_new_null()) == NULL) {
		err_ssl(e, "out of memory");
		goto fail;
	}
	for (;;) {
		if (!PEM_read_bio(bio, &type, &header, &data, &dlen)) {
			if (pem_at_end(blocks))
				break;
			damaged(name, e);
			goto fail;
		}
		blocks++;
		rc = pem_block(type, header, data, dlen, password, certs, b,
		    name, e);
		OPENSSL_free(type);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)dlen);
		if (rc == -1)
			goto fail;
	}
	BIO_free(bio);
	return finish(b, certs, name, e);
fail:
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	return -1;
}

/* --- entry points ----------------------------------------------------- */

int
cert_bundle_parse(const unsigned char *buf, size_t len, const char *name,
    const char *password, struct cert_bundle *b, struct err *e)
{
	int rc;

	memset(b, 0, sizeof(*b));
	if (len == 0)
		return err_set(e, "%s is empty", name);
	if (len > CERT_FILE_MAX)
		return err_set(e, "%s is larger than %d bytes; it is not a "
		    "certificate file", name, CERT_FILE_MAX);
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
		rc = parse_pem(buf, len, name, password, b, e);
	else
		rc = parse_der(buf, len, name, password, b, e);
	if (rc == -1)
		cert_bundle_free(b);
	ERR_clear_error();
	return rc;
}

int
cert_bundle_load(const char *path, const char *password,
    struct cert_bundle *b, struct err *e)
{
	unsigned char *buf;
	size_t len;
	int rc;

	memset(b, 0, sizeof(*b));
	if (fs_read_file(path, CERT_FILE_MAX, &buf, &len, e) == -1)
		return -1;
	rc = cert_bundle_parse(buf, len, strcmp(path, "-") == 0 ?
	    "standard input" : path, password, b, e);
	/* The file may hold a private key in the clear. */
	secret_wipe(buf, len);
	free(buf);
	return rc;
}
