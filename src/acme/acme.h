/*
 * acme — an ACME (RFC 8555) client: accounts, orders, challenges.
 *
 * This header is the component's front door. Files:
 *   schema.c     the acme_account table (a migration step)
 *   b64.c        base64url without padding, both ways
 *   jws.c        JWKs, RFC 7638 thumbprints, JWS signing (ES256, RS256)
 *                and the external account binding (HS256), with OpenSSL
 *   http.c       one HTTPS exchange with the ACME server, on libcurl
 *   client.c     the directory, nonces, signed POSTs, problem documents,
 *                badNonce retries
 *   account.c    accounts: registering and their rows in the store
 *   order.c      the order state machine: new-order, authorizations,
 *                challenges, finalize, download
 *   record.c     the acme_cert rows: what was ordered, and the current
 *                certificate
 *   obtain.c     an order from a record, kept in the store, the row moved
 *   schedule.c   when to renew: two thirds, ARI's window, the back-off
 *   ari.c        ACME Renewal Information (RFC 9773): the window, asked
 *                after issuance and again when its time comes; the
 *                certificate identifier `replaces` carries
 *   pending.c    the acme_challenge rows: challenges hsysd answers
 *   challcert.c  the TLS-ALPN-01 challenge certificate and its key
 *   publish.c    an order's challenges into those rows, and hsysd told;
 *                the interim responder when no hsysd runs
 *   responder.c  the interim HTTP-01 responder (a tiny HTTP/1.1 server)
 *   dnshook.c    the interim DNS-01 hook command
 *
 * JSON is read and written with jansson, HTTPS is libcurl's, signatures are
 * OpenSSL's. Private keys never appear in messages: errors name the server,
 * the URL or the problem the server sent, nothing else.
 */
#ifndef HSYS_ACME_ACME_H
#define HSYS_ACME_ACME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct err;
struct store;

/* --- base64url (b64.c) ------------------------------------------------ */

/* Encodes len bytes without padding into a new NUL-terminated string. */
char	*acme_b64url(const unsigned char *, size_t len);
/* Decodes (padding optional) into a new buffer; NULL when malformed. */
unsigned char *acme_b64url_decode(const char *, size_t *len);

/* --- JWK and JWS (jws.c) ---------------------------------------------- */

/* "ES256" for an EC P-256 key, "RS256" for RSA (2048 bits or more);
 * NULL for any other key. */
const char *acme_jws_alg(EVP_PKEY *);
/* The public JWK as canonical JSON (RFC 7638: required members only,
 * sorted, no whitespace). A new string. */
int	acme_jwk_json(EVP_PKEY *, char **, struct err *);
/* base64url(SHA-256(canonical JWK)): the RFC 7638 thumbprint. */
int	acme_jwk_thumbprint(EVP_PKEY *, char **, struct err *);
/* A flattened JWS (JSON string) over payload (NULL: POST-as-GET, an empty
 * payload) for url, with nonce; kid NULL puts the JWK in the header. */
int	acme_jws_sign(EVP_PKEY *, const char *kid, const char *nonce,
	    const char *url, const char *payload, char **out, struct err *);
/* The external account binding (RFC 8555 7.3.4): a JWS over the account's
 * JWK, HS256 with the MAC key the CA gave, as a JSON string. */
int	acme_eab_sign(EVP_PKEY *account, const char *eab_kid,
	    const unsigned char *mac, size_t maclen, const char *url,
	    char **out, struct err *);

/* --- the client (http.c, client.c) ------------------------------------ */

struct acme_response {
	long	 status;
	char	*body;			/* NUL-terminated */
	size_t	 len;
	char	 nonce[256];		/* Replay-Nonce */
	char	 location[2048];	/* Location */
	char	 content_type[128];
	long	 retry_after;		/* seconds; -1 when absent */
};
void	acme_response_free(struct acme_response *);

struct acme_client {
	char		 directory_url[2048];
	const char	*ca_file;	/* the server's CA, or NULL */
	void		*dir;		/* the directory (a json_t *) */
	char		 nonce[256];
	EVP_PKEY	*key;		/* the account key (not owned) */
	char		 kid[2048];	/* the account URL, once known */
	int		 bad_nonce_retries;	/* how many were needed */
	long		 retry_after;	/* the last problem's Retry-After,
					 * seconds; -1 when it gave none */
	long		 timeout;	/* seconds per exchange */
};

/* GET/HEAD/POST url. body NULL: HEAD when head, else GET. */
int	acme_http(const struct acme_client *, const char *url, int head,
	    const char *body, const char *accept, struct acme_response *,
	    struct err *);

/* Reads the directory. timeout bounds each exchange (0: the default,
 * ACME_HTTP_TIMEOUT seconds). */
#define ACME_HTTP_TIMEOUT	60
int	acme_client_init(struct acme_client *, const char *directory_url,
	    const char *ca_file, long timeout, struct err *);
void	acme_client_free(struct acme_client *);
/* A URL of the directory ("newAccount", "newOrder", ...) or NULL. */
const char *acme_dir_url(const struct acme_client *, const char *name);
/* A string of the directory's meta object ("termsOfService") or NULL. */
const char *acme_dir_meta(const struct acme_client *, const char *name);
int	acme_dir_meta_bool(const struct acme_client *, const char *name);
/* A signed POST (payload NULL: POST-as-GET). Retries badNonce with the
 * fresh nonce the error carries. A problem document (4xx/5xx) becomes an
 * error naming its type and detail, with Retry-After for rateLimited;
 * e->code is the HTTP status. */
int	acme_post(struct acme_client *, const char *url, const char *payload,
	    const char *accept, struct acme_response *, struct err *);
/* Reads a response's JSON body (a json_t *, to json_decref). */
int	acme_json(const struct acme_response *, const char *what, void **,
	    struct err *);

/* --- accounts (account.c) --------------------------------------------- */

struct acme_register {
	const char		*server;	/* the directory URL */
	const char		*ca_file;
	const char		*email;		/* NULL: no contact */
	const char		*eab_kid;
	const unsigned char	*eab_mac;
	size_t			 eab_maclen;
	int			 accept_tos;
	const char		*key_type;	/* NULL: ec-p256; rsa-2048 */
	long			 timeout;	/* each exchange; 0: default */
};

struct acme_account {
	int64_t	 id;
	char	 server[2048];
	char	 url[2048];		/* the account URL (the JWS "kid") */
	char	 email[512];
	char	 ca_file[1024];
	char	 key_desc[64];
	int64_t	 created;
	int64_t	 key_id;
};

/* Registers an account at the server and keeps it in the store: begins
 * the store's transaction and leaves it open for the caller to commit
 * (on failure, nothing is left open). */
int	acme_account_register(struct store *, const struct acme_register *,
	    struct acme_account *, struct err *);
/* Calls fn for each account, oldest first. */
int	acme_account_list(struct store *,
	    int (*)(const struct acme_account *, void *), void *,
	    struct err *);
/* The account for server (NULL: the only one, else an error listing them)
 * and its key. */
int	acme_account_pick(struct store *, const char *server,
	    struct acme_account *, EVP_PKEY **, struct err *);

/* --- challenges (responder.c, dnshook.c) ------------------------------ */

struct acme_responder;
/* Listens on port (any address, IPv6 and IPv4) and answers in a thread. */
int	acme_responder_start(struct acme_responder **, int port, struct err *);
int	acme_responder_add(struct acme_responder *, const char *token,
	    const char *keyauth, struct err *);
void	acme_responder_stop(struct acme_responder *);

/* Runs `hook add|remove NAME VALUE`; fails unless it exits 0. */
int	acme_dns_hook(const char *hook, const char *verb, const char *name,
	    const char *value, struct err *);

/* --- pending challenges (pending.c, publish.c) ------------------------- */

#define ACME_CHALLENGE_HTTP01	"http-01"
#define ACME_CHALLENGE_DNS01	"dns-01"
#define ACME_CHALLENGE_TLSALPN01 "tls-alpn-01"

/* A challenge hsysd answers while an order waits on it. */
struct acme_pending {
	int64_t	 id;
	char	 type[16];		/* http-01, tls-alpn-01 */
	char	 name[256];		/* the identifier */
	char	 token[128];
	char	 keyauth[256];		/* token.thumbprint: public */
	int	 port;
	int64_t	 expires;
};

/* Inside a transaction. */
int	acme_pending_add(struct store *, const struct acme_pending *,
	    int64_t *id, struct err *);
/* Removes row id, and any that expired before now. */
int	acme_pending_remove(struct store *, int64_t id, int64_t now,
	    struct err *);
/* TLS-ALPN-01 challenge certificates (challcert.c). The publisher makes
 * one for each tls-alpn-01 row: a new P-256 *key and the self-signed *x
 * for name with the acmeIdentifier extension of keyauth, kept with its key
 * in the store's internal certificate store CERT_STORE_ACME_CHALLENGE, so
 * that the key process signs with it; acme_challenge_cert_is tells
 * whether x is the certificate for (name, keyauth). */
int	acme_challenge_cert(const char *name, const char *keyauth,
	    EVP_PKEY **key, X509 **x, struct err *);
int	acme_challenge_cert_is(X509 *x, const char *name, const char *keyauth);

/* The rows that have not expired at now, oldest first. */
int	acme_pending_list(struct store *, int64_t now,
	    int (*)(const struct acme_pending *, void *), void *,
	    struct err *);

/* How an order makes its HTTP-01 and TLS-ALPN-01 challenges answerable:
 * publish gets all of an order's at once, before the server is told to
 * validate; withdraw undoes it, whatever happened. */
struct acme_publisher {
	int	(*publish)(void *, const struct acme_pending *, size_t n,
		    struct err *);
	void	(*withdraw)(void *);
	void	*arg;
};

/* The publisher of the store (publish.c): rows in acme_challenge, then
 * CONFIG_CHANGED so that hsysd answers them before publish returns. With
 * no hsysd running, HTTP-01 falls back to the interim responder on the
 * rows' port; TLS-ALPN-01 needs hsysd. say (may be NULL) gets progress. */
struct acme_store_pub {
	struct store		*store;
	struct acme_responder	*responder;
	int64_t			 ids[64];
	size_t			 nids;
	char			 certs[64][64];	/* tls-alpn-01's */
	size_t			 ncerts;
	void			(*say)(void *, const char *);
	void			*arg;
};
void	acme_store_publisher(struct acme_store_pub *, struct store *,
	    struct acme_publisher *);

/* --- orders (order.c) ------------------------------------------------- */

struct acme_order_req {
	const char *const	*names;
	size_t			 nnames;
	const char		*challenge;	/* http-01 (default),
						 * tls-alpn-01, dns-01 */
	int			 http_port;	/* for http-01 */
	int			 tls_port;	/* for tls-alpn-01 */
	const struct acme_publisher *pub;	/* http-01, tls-alpn-01 */
	const char		*dns_hook;	/* for dns-01 */
	/* ARI's identifier of the certificate renewed, or NULL. */
	const char		*replaces;
	EVP_PKEY		*cert_key;	/* the new certificate's key */
	int			 timeout;	/* seconds, the whole order */
	/* Progress lines ("authorization for x: valid"); may be NULL. */
	void			(*say)(void *, const char *);
	void			*arg;
};

/* Runs an order to the end: *chain gets the issued certificate first,
 * then the chain the server sent. */
int	acme_order_run(struct acme_client *, const struct acme_order_req *,
	    STACK_OF(X509) **chain, struct err *);

/* --- what was ordered (record.c) -------------------------------------- */

struct acme_cert {
	char	 name[256];		/* unique; default: the first name */
	int64_t	 account_id;
	char	 names[2048];		/* the DNS names, space-separated */
	char	 key_type[16];		/* ecdsa-p256, rsa-2048 */
	char	 store[16];
	char	 challenge[16];
	int	 http_port;
	char	 dns_hook[1024];
	char	 thumbprint[64];	/* the current certificate */
	int64_t	 not_after;
	int64_t	 updated;
	char	 last_error[512];
	int64_t	 not_before;		/* the certificate's start */
	int64_t	 next_renewal;		/* when hsysd renews it */
	int	 failures;		/* renewals failed in a row */
	int64_t	 last_attempt;
	int	 tls_port;		/* for tls-alpn-01 */
	int64_t	 ari_check;		/* when to ask ARI again; 0: none */
};

/* Records (or updates, by name) an ACME certificate. Inside a
 * transaction. */
int	acme_cert_put(struct store *, const struct acme_cert *, struct err *);
/* The row named name; e->code 2 when there is none. */
int	acme_cert_get(struct store *, const char *name, struct acme_cert *,
	    struct err *);
/* Deletes the row named name (its certificates stay). Inside a
 * transaction. */
int	acme_cert_delete(struct store *, const char *name, struct err *);
/* Calls fn for each, by name (fn's non-zero stops and is returned). */
int	acme_cert_list(struct store *,
	    int (*)(const struct acme_cert *, void *), void *, struct err *);

/* --- obtaining and renewing (obtain.c, schedule.c, ari.c) ------------- */

#define ACME_NAMES_MAX		100	/* Let's Encrypt's limit */
#define ACME_BACKOFF_BASE	300	/* seconds, after the first failure */
#define ACME_BACKOFF_MAX	86400

struct cert_entry;

struct acme_obtain {
	const char	*server;	/* NULL: the record's account's */
	const char	*ca_file;	/* NULL: the account's */
	int		 timeout;	/* the whole order, seconds */
	int		*nonces;	/* badNonce retries, or NULL */
	long		*retry_after;	/* the server's Retry-After on a
					 * refusal (-1: none), or NULL */
	void		(*say)(void *, const char *);
	void		*arg;
};

/* Orders the certificate rec describes (names, key_type, store, challenge,
 * ports, hook; name), keeps it and its chain in the store and moves the
 * row to it (thumbprint, dates, next renewal, failures 0): the CLI's
 * order and renew, and hsysd's renewal child. *c: the stored entry.
 * Commits its own transactions; on failure the store is as it was. */
int	acme_obtain(struct store *, const struct acme_obtain *,
	    struct acme_cert *rec, struct cert_entry *c, struct err *);
/* A renewal of the row name failed for why: counted, written to
 * last_error, and the next attempt pushed back (acme_backoff_at), at
 * least retry_after seconds (the server's Retry-After, as on rateLimited;
 * -1: none). */
void	acme_renew_failed(struct store *, const char *name, const char *why,
	    long retry_after);
/* The account a record orders with: the newest at the record's server
 * (server NULL), else the newest at server, else the only one. */
int	acme_record_account(struct store *, const struct acme_cert *,
	    const char *server, struct acme_account *, EVP_PKEY **,
	    struct err *);

/* When to renew: two thirds into the lifetime less a jitter of up to a
 * thirtieth of it (r: random); a moment in ARI's window; after failures
 * in a row, now + the back-off. */
int64_t	acme_renew_at(int64_t not_before, int64_t not_after, uint32_t r);
int64_t	acme_window_at(int64_t start, int64_t end, uint32_t r);
int64_t	acme_backoff_at(int64_t now, int failures, uint32_t r);
/* The r the three above take: random (the time, if OpenSSL's generator
 * fails, which is jitter enough). */
uint32_t acme_jitter(void);
/* When a `renew --due` pass has work for the row: its renewal, or asking
 * ARI again, whichever comes first. */
int64_t	acme_cert_due_at(const struct acme_cert *);

#define ACME_ARI_RECHECK	21600	/* seconds, without Retry-After */
#define ACME_ARI_RECHECK_MIN	60	/* bounds on the server's */
#define ACME_ARI_RECHECK_MAX	86400
#define ACME_ARI_RECHECK_ERR	3600	/* after a failed look */

/* ARI's certificate identifier (RFC 9773 4.1): base64url of the
 * Authority Key Identifier, ".", base64url of the serial's DER value. */
int	acme_ari_cert_id(X509 *, char **, struct err *);
/* ARI (RFC 9773): the suggested window for leaf; 1 when the server offers
 * no renewalInfo. */
int	acme_ari_fetch(struct acme_client *, X509 *leaf, int64_t *start,
	    int64_t *end, long *retry_after, struct err *);
/* A window into rec: next_renewal redrawn in it when outside (always when
 * redraw), unless failures are being backed off; ari_check from
 * retry_after (-1: ACME_ARI_RECHECK), within bounds. Pure. */
void	acme_ari_apply(struct acme_cert *, int64_t start, int64_t end,
	    long retry_after, int64_t now, int redraw, uint32_t r);
/* After issuance: next_renewal from ARI when offered (written to the
 * row), else left as obtain set it. */
void	acme_ari_schedule(struct acme_client *, struct store *,
	    struct acme_cert *, STACK_OF(X509) *chain,
	    void (*say)(void *, const char *), void *);
/* A `renew --due` pass, for a row whose ari_check has come: asks the
 * server again and writes the row (next_renewal, ari_check). A window
 * moved earlier makes the row due. -1 (with ari_check pushed back
 * ACME_ARI_RECHECK_ERR) when the server could not be asked. */
int	acme_ari_recheck(struct store *, struct acme_cert *, int64_t now,
	    struct err *);

#endif
