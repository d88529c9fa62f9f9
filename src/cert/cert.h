/*
 * cert — the machine certificate store: certificates and their private keys
 * in the store database, named stores (My, Root, CA, WebHosting), thumbprints.
 *
 * This header is the component's front door. Files:
 *   schema.c      the cert tables (a migration step)
 *   winstore.c    Windows' store names: "LocalMachine\My", "My",
 *                 "cert:\localmachine\my" (names only; rows are certdb.c's)
 *   thumbprint.c  SHA-1/SHA-256 thumbprints, normalizing what users type
 *   certdb.c      the certificate and key rows in the SQLite store: adding,
 *                 finding, listing, loading and deleting entries
 *   name.c        printing names and dates the way users expect
 *   describe.c    a certificate's fields in words: SANs, extensions, serial
 *   issue_parse.c checking what users type: key types, DNs, dates, names
 *   issue.c       making keys, leaf and CA certificates, and CSRs
 *   request.c     pending requests, and reading what a CA sends back
 *   chain.c       the one chain builder (show, verify, export, hsysd)
 *   export.c      PFX and PEM encodings of a certificate, chain and key
 *   verify.c      whether a certificate can serve HTTPS, problem by problem
 *   trust.c       making the system (and NSS) trust a CA certificate
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
/* Internal, not a name users give: the TLS-ALPN-01 challenge certificates
 * of pending ACME orders, with their keys (acme/challcert.c). */
#define CERT_STORE_ACME_CHALLENGE "AcmeChallenge"

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

/* --- describing a certificate (describe.c) ---------------------------- */

/* Calls fn for each subjectAltName of one GEN_* type (GEN_DNS, GEN_IPADD,
 * GEN_EMAIL, GEN_URI), as text; an IP address that is not 4 or 16 bytes
 * reads "(invalid)". */
void	cert_san_each(X509 *, int type, void (*fn)(const char *, void *),
	    void *);
/* The same, joined with ", " ("" when none). */
void	cert_san_join(X509 *, int type, char *, size_t);
/* An extension as OpenSSL prints it, on one line, " (critical)" added when
 * it is; "" when absent. */
void	cert_ext_string(X509 *, int nid, char *, size_t);
/* The serial number in hex ("?" when it cannot be read). */
void	cert_serial_string(X509 *, char *, size_t);
/* "2027-11-25T06:00:00Z" */
void	cert_iso_time(int64_t, char *, size_t);

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
/* Deletes key key_id unless a certificate or a pending request still
 * uses it. */
int	certstore_key_release(struct store *, int64_t key_id, struct err *);

/* Keys, found by their public half: a pending request's key, or the key of
 * a certificate being imported without one. *priv is NULL if none. */
int	certstore_key_put(struct store *, EVP_PKEY *, int64_t *id,
	    struct err *);
int	certstore_key_find(struct store *, EVP_PKEY *pub, int64_t *id,
	    EVP_PKEY **priv, struct err *);

/* --- issuing: new keys, certificates, CAs and requests ----------------
 *
 *   issue_parse.c  what users type: key types, subjects, dates, names, IPs
 *   issue.c        building keys, leaf and CA certificates, CSRs
 *   request.c      pending requests (the request table) and reading the
 *                  certificate a CA sends back
 */

#define CERT_KEY_DEFAULT	"ec-p256"
#define CERT_DAYS_LEAF		365
#define CERT_DAYS_CA		3650
#define CERT_DAYS_MAX		36500
#define CERT_SKEW_SECONDS	300	/* notBefore this far in the past */

/* What a new certificate or request says; the name lists are validated by
 * cert_spec_check and by every function that builds from a spec. */
struct cert_spec {
	const char		*subject;	/* a DN; NULL: CN=first name */
	const char *const	*dns;		/* host names, "*." allowed */
	size_t			 ndns;
	const char *const	*ip;		/* IPv4/IPv6 literals */
	size_t			 nip;
	const char *const	*permit_dns;	/* a CA's permitted suffixes */
	size_t			 npermit;
	int			 days;		/* 0: the default */
	int64_t			 not_after;	/* instead of days when not 0 */
};

/* Generates a key: "ec-p256", "ec-p384", "rsa-2048", "rsa-3072",
 * "rsa-4096" (NULL: the default). Other names are refused with the list. */
int	cert_key_new(const char *type, EVP_PKEY **, struct err *);
int	cert_key_type_check(const char *type, struct err *);

/* "CN=x, O=y, C=z" (RFC 4514 order, most specific first) or "/C=z/O=y/CN=x"
 * (OpenSSL's order) into a new X509_NAME. */
int	cert_dn_parse(const char *, X509_NAME **, struct err *);
/* "YYYY-MM-DD" (00:00:00 UTC) or "YYYY-MM-DDTHH:MM:SSZ". */
int	cert_date_parse(const char *, int64_t *, struct err *);
/* A number of days, 1..CERT_DAYS_MAX. */
int	cert_days_parse(const char *, int *, struct err *);
/* A host name for a SAN (wildcard: "*" as the whole leftmost label). */
int	cert_dns_name_check(const char *, int wildcard_ok, struct err *);
/* An IPv4 or IPv6 literal into 4 or 16 bytes; *len says which. */
int	cert_ip_parse(const char *, unsigned char out[16], int *len,
	    struct err *);
/* Every name, IP, suffix and date of a spec (a CA's has no names). */
int	cert_spec_check(const struct cert_spec *, struct err *);

/* A TLS server certificate for key: self-signed when signer is NULL, else
 * issued by signer (a CA; see cert_signer_check) with signer_key. Within a
 * signer's validity: the default shrinks to fit, an explicit end past the
 * signer's is refused. */
int	cert_make_leaf(const struct cert_spec *, EVP_PKEY *key, X509 *signer,
	    EVP_PKEY *signer_key, X509 **, struct err *);
/* A self-signed CA "CN=name"; spec gives days and permit_dns only. */
int	cert_make_ca(const char *name, const struct cert_spec *, EVP_PKEY *key,
	    X509 **, struct err *);
/* A CSR for key, asking for the spec's subject and names. */
int	cert_make_request(const struct cert_spec *, EVP_PKEY *key,
	    X509_REQ **, struct err *);
/* Refuses a signer that is not a CA allowed to sign certificates, has no
 * private key, or is not valid now. */
int	cert_signer_check(X509 *, EVP_PKEY *key, struct err *);

/* Pending requests: the key waits in the store with a request row. Call
 * inside store_begin/store_commit. */
int	cert_request_put(struct store *, X509_REQ *, EVP_PKEY *key,
	    struct err *);
/* The pending request whose key is pub's: *id 0 when none. */
int	cert_request_find(struct store *, EVP_PKEY *pub, int64_t *id,
	    EVP_PKEY **priv, struct err *);
int	cert_request_delete(struct store *, int64_t id, struct err *);
/* The REQUEST store, as Windows shows it: each pending request named by
 * the SHA-1 of its CSR (a thumbprint), with its subject, the names it
 * asks for and when it was made. */
struct cert_request {
	int64_t	 id;
	char	 thumbprint[CERT_THUMB_LEN + 1];
	char	 subject[512];
	char	 names[512];		/* "DNS:a, IP:1.2.3.4" */
	int64_t	 created;		/* Unix time */
};
int	cert_request_list(struct store *,
	    int (*)(const struct cert_request *, void *), void *,
	    struct err *);
/* The pending request a thumbprint (or a unique prefix of 8 or more
 * digits) names; -1 with e->code 2 when none, 87 when ambiguous. */
int	cert_request_lookup(struct store *, const char *thumb,
	    struct cert_request *, struct err *);
/* Drops it and its key (the key has no other use). Inside a
 * transaction. */
int	cert_request_remove(struct store *, const struct cert_request *,
	    struct err *);
/* What a CA sends back: one certificate in DER, or PEM certificates (the
 * issued one and its chain), or PKCS#7 in PEM or DER. */
int	cert_issued_parse(const unsigned char *, size_t, STACK_OF(X509) **,
	    struct err *);

/* --- chains (chain.c) ------------------------------------------------- */

/* What a chain is built from. */
struct cert_chain_in {
	X509		*leaf;
	STACK_OF(X509)	*untrusted;	/* intermediates (the CA store); NULL */
	STACK_OF(X509)	*anchors;	/* trusted roots (the Root store); NULL */
	int		 system_trust;	/* also trust the system's roots */
	time_t		 now;		/* 0: the current time */
	unsigned	 flags;		/* CERT_CHAIN_* */
};
/* Which wrong dates (expired, not yet valid) do not stop the chain: the
 * leaf's (a caller that judges them itself), or any certificate's (one
 * that describes the chain's shape). */
#define CERT_CHAIN_LEAF_DATES	0x1
#define CERT_CHAIN_ANY_DATES	0x2

struct cert_chain {
	STACK_OF(X509)	*certs;		/* leaf first, never empty; owned */
	int		 trusted;	/* it ends at a trusted root */
	int		 error;		/* X509_V_ERR_* that stopped it, or OK */
	int		 error_depth;	/* where, counted from the leaf */
	char		 error_subject[256];	/* whose subject; "": unknown */
};

/* Builds the chain from in->leaf towards a trusted root with OpenSSL's
 * verifier, as far as it goes: an untrusted chain is a result (trusted 0,
 * error says why), -1 only when the build could not run. Free the result
 * with cert_chain_free. */
int	cert_chain_build(const struct cert_chain_in *, struct cert_chain *,
	    struct err *);
void	cert_chain_free(struct cert_chain *);
/* What a server sends with x, and an export adds: the intermediates of
 * x's chain through pool (the CA store), nearest first; x and roots are
 * left out (clients must already have a root). */
int	cert_chain_intermediates(X509 *x, STACK_OF(X509) *pool,
	    STACK_OF(X509) **chain, struct err *);

/* --- export ----------------------------------------------------------- */

/* PKCS#12 of x, its chain and (when not NULL) its key. A key needs a
 * password. Default algorithms: AES-256-CBC with PBKDF2 and a SHA-256 MAC;
 * legacy: pbeWithSHA1And3-KeyTripleDES-CBC and a SHA-1 MAC. Without a key
 * and a password, the certificates are not encrypted. */
int	cert_export_pfx(X509 *x, EVP_PKEY *key, STACK_OF(X509) *chain,
	    const char *pass, int legacy, unsigned char **out, size_t *len,
	    struct err *);
/* PEM: x, its chain, then (when not NULL) the key as PKCS#8, encrypted with
 * AES-256-CBC when pass is not NULL or empty. */
int	cert_export_pem(X509 *x, EVP_PKEY *key, STACK_OF(X509) *chain,
	    const char *pass, unsigned char **out, size_t *len, struct err *);
/* Wipes and frees what cert_export_* returned. */
void	cert_export_free(unsigned char *, size_t);

/* --- verify ----------------------------------------------------------- */

/* What a working HTTPS binding needs of its certificate. */
struct cert_verify {
	X509		*cert;
	EVP_PKEY	*key;		/* NULL: the store has none */
	int		 key_hidden;	/* the keys are root's: key not checked */
	STACK_OF(X509)	*untrusted;	/* intermediates (the CA store) */
	STACK_OF(X509)	*anchors;	/* trusted roots (the Root store) */
	int		 system_trust;	/* also trust the system's roots */
	const char	*dns_name;	/* a host name or IP address, or NULL */
	time_t		 now;		/* 0: the current time */
	/* Called once per finding; warnings do not make it unusable. */
	void		(*report)(void *arg, int warning, const char *msg);
	void		*arg;
};

#define CERT_VERIFY_EXPIRY_WARN_DAYS	30

/* Runs every check and reports each finding. *problems is the number of
 * findings that make the certificate unusable for HTTPS; -1 only when the
 * checks themselves could not run. */
int	cert_verify_https(const struct cert_verify *, int *problems,
	    struct err *);

/* --- trust ------------------------------------------------------------ */

/* How the system keeps its trusted certificates. */
enum trust_family {
	TRUST_UNKNOWN,
	TRUST_DEBIAN,		/* update-ca-certificates */
	TRUST_FEDORA,		/* update-ca-trust (p11-kit) */
	TRUST_ARCH		/* trust extract-compat (p11-kit) */
};

struct trust_ctx {
	const char	*root;		/* "" for /, else --root DIR */
	const char	*home;		/* the invoking user's $HOME, or NULL */
	int		 dry_run;
	/* One line per action done (or, for dry runs, to be done), and
	 * one per target that failed; a failure does not stop the others. */
	void		(*say)(void *arg, const char *line);
	void		(*fail)(void *arg, const char *msg);
	void		*arg;
};

/* Refuses a certificate that is neither self-signed nor a CA. *warn is set
 * when it is a CA that is not self-signed (clients may not use it as an
 * anchor). */
int	trust_check_anchor(X509 *, int *warn, struct err *);
/* Tells the family from ROOT/etc/os-release (ID, ID_LIKE), else from the
 * directories present. */
enum trust_family trust_detect(const char *root);
const char *trust_family_name(enum trust_family);
/* The file a family's trust source holds for thumbprint (under root). */
int	trust_anchor_path(enum trust_family, const char *root,
	    const char *thumb, char *buf, size_t size, struct err *);
/* Places (or removes) the PEM file and refreshes the system's bundle.
 * x is only needed to add. */
int	trust_system_add(const struct trust_ctx *, X509 *, const char *thumb,
	    struct err *);
int	trust_system_remove(const struct trust_ctx *, const char *thumb,
	    struct err *);
/* Every NSS database of the user (~/.pki/nssdb, Firefox profiles) when
 * certutil exists. Returns the number of databases that failed, each
 * reported through fail (0 when certutil or the databases are missing). */
int	trust_nss_add(const struct trust_ctx *, X509 *, const char *thumb,
	    struct err *);
int	trust_nss_remove(const struct trust_ctx *, const char *thumb);
/* --- loading files (load.c) ------------------------------------------- */

#define CERT_FILE_MAX		(1024 * 1024)	/* no real file is larger */

/* e->code after a failed load, so that a caller can ask for a password.
 * Negative: they collide with neither errno nor netsh numbers. */
#define CERT_LOAD_NEED_PASSWORD	(-2)	/* protected; no password given */
#define CERT_LOAD_BAD_PASSWORD	(-3)	/* the password given is wrong */
#define CERT_LOAD_TOO_COSTLY	(-4)	/* more than CERT_KDF_BUDGET rounds */

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
