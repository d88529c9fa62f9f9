/*
 * cert — the machine certificate store: certificates and their private keys
 * in the store database, named stores (My, Root, CA, WebHosting), thumbprints.
 *
 * This header is the component's front door. Files:
 *   schema.c      the cert tables (a migration step)
 *   storename.c   parsing "LocalMachine\My", "cert:\localmachine\my", "My"
 *   thumbprint.c  SHA-1/SHA-256 thumbprints, normalizing what users type
 *   certstore.c   adding, finding, listing, loading and deleting entries
 *   name.c        printing names and dates the way users expect
 *   load.c        reading PKCS#12, PEM and DER files into a cert_bundle
 */
#ifndef HSYS_CERT_CERT_H
#define HSYS_CERT_CERT_H

#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "store/store.h"

struct err;

/* --- store names ------------------------------------------------------ */

/* Canonical names. "Request" holds the keys of pending CSRs (certreq's
 * REQUEST store); users never name it directly. */
#define CERT_STORE_MY		"My"
#define CERT_STORE_ROOT		"Root"
#define CERT_STORE_CA		"CA"
#define CERT_STORE_WEBHOSTING	"WebHosting"

struct cert_store_name {
	enum store_location	 loc;
	const char		*name;	/* canonical, static */
};

/* Parses a store name in any of its spellings, case-insensitively:
 * "My", "LocalMachine\My", "LocalMachine/My", "cert:\LocalMachine\My",
 * "Cert:/CurrentUser/Root". NULL or "" means LocalMachine\My. */
int	cert_store_name_parse(const char *, struct cert_store_name *,
	    struct err *);

/* --- thumbprints ------------------------------------------------------ */

#define CERT_THUMB_LEN		40	/* SHA-1, hex */
#define CERT_SHA256_LEN		64
#define CERT_THUMB_MIN_PREFIX	8

/* SHA-1 (or SHA-256) of the DER encoding, as uppercase hex. */
int	cert_thumbprint(X509 *, char out[CERT_THUMB_LEN + 1]);
int	cert_sha256(X509 *, char out[CERT_SHA256_LEN + 1]);
/* Normalizes what a user typed: any case, spaces, colons, and a leading
 * U+200E (Windows' certmgr copies one) are accepted. Yields uppercase hex of
 * CERT_THUMB_MIN_PREFIX..CERT_THUMB_LEN digits. */
int	cert_thumb_normalize(const char *, char out[CERT_THUMB_LEN + 1],
	    struct err *);

/* --- names and dates -------------------------------------------------- */

/* "CN=www.example.test, O=Example" (RFC 2253 order, ", " separated). */
void	cert_name_string(const X509_NAME *, char *, size_t);
/* ASN1_TIME -> seconds since the epoch; returns 0 or -1. */
int	cert_time(const ASN1_TIME *, int64_t *);
/* "2027-11-25 06:00:00 UTC" */
void	cert_time_string(int64_t, char *, size_t);
/* Public key as "EC P-256", "RSA 2048", "Ed25519". */
void	cert_key_description(EVP_PKEY *, char *, size_t);

/* --- entries ---------------------------------------------------------- */

struct cert_entry {
	int64_t	id;
	char	store[16];			/* canonical store name */
	char	thumbprint[CERT_THUMB_LEN + 1];
	char	sha256[CERT_SHA256_LEN + 1];
	char	subject[512];
	char	issuer[512];
	int64_t	not_before, not_after;
	int	has_key;
};

enum certstore_outcome {
	CERTSTORE_ADDED,		/* a new entry */
	CERTSTORE_EXISTS,		/* already there, nothing changed */
	CERTSTORE_KEY_ATTACHED		/* was there without its key; now has it */
};

/* Adds a certificate (and its key, which must match it) to a named store of
 * the open location. Idempotent. Call inside store_begin/store_commit. */
int	certstore_add(struct store *, const char *storename, X509 *,
	    EVP_PKEY *key, enum certstore_outcome *, struct err *);

/* Finds one certificate by thumbprint (full, or a unique prefix of at least
 * 8 digits). storename NULL searches every store; when the certificate is in
 * several, My is preferred, else the error names the stores. Errors list
 * the candidates of an ambiguous prefix. */
int	certstore_find(struct store *, const char *storename,
	    const char *thumb, struct cert_entry *, struct err *);

/* Calls fn for each entry of a store (NULL: every store), ordered by store
 * then subject. A non-zero return from fn stops the walk and is returned. */
int	certstore_list(struct store *, const char *storename,
	    int (*fn)(const struct cert_entry *, void *), void *,
	    struct err *);

/* Loads an entry's certificate and, when key is not NULL, its private key
 * (*key is NULL when the entry has none). */
int	certstore_load(struct store *, int64_t id, X509 **, EVP_PKEY **key,
	    struct err *);

/* Every certificate of a store, e.g. CA or Root, for building chains. */
int	certstore_stack(struct store *, const char *storename,
	    STACK_OF(X509) **, struct err *);

/* Deletes an entry, and its key when no other entry uses it. */
int	certstore_delete(struct store *, int64_t id, struct err *);

/* Keys, found by their public half: a pending request's key, or the key of
 * a certificate being imported without one. *priv is NULL if none. */
int	certstore_key_put(struct store *, EVP_PKEY *, int64_t *id,
	    struct err *);
int	certstore_key_find(struct store *, EVP_PKEY *pub, int64_t *id,
	    EVP_PKEY **priv, struct err *);

/* --- loading files (load.c) ------------------------------------------- */

#define CERT_FILE_MAX		(1024 * 1024)	/* no real file is larger */

/* e->code after a failed load, so that a caller can ask for a password.
 * Negative: they collide with neither errno nor netsh numbers. */
#define CERT_LOAD_NEED_PASSWORD	(-2)	/* protected; no password given */
#define CERT_LOAD_BAD_PASSWORD	(-3)	/* the password given is wrong */

/* What a certificate file holds: the end-entity certificate (the one that
 * matches the key; without a key, the one that is not a CA, or the only
 * one), its private key or NULL, and every other certificate. */
struct cert_bundle {
	X509		*leaf;
	EVP_PKEY	*key;
	STACK_OF(X509)	*extra;		/* never NULL after a load */
};

/* Parses a file's bytes, whatever the format (PKCS#12, PEM, DER
 * certificate), found by content. password NULL means none was given;
 * NULL and "" both try an absent and an empty password. name is the file's
 * name, for messages. On failure the bundle is empty. */
int	cert_bundle_parse(const unsigned char *, size_t, const char *name,
	    const char *password, struct cert_bundle *, struct err *);
/* Reads a file (at most CERT_FILE_MAX bytes; "-" is stdin) and parses it. */
int	cert_bundle_load(const char *path, const char *password,
	    struct cert_bundle *, struct err *);
void	cert_bundle_free(struct cert_bundle *);

#endif
