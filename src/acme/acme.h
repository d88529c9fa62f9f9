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

/* --- orders (order.c) ------------------------------------------------- */

#define ACME_CHALLENGE_HTTP01	"http-01"
#define ACME_CHALLENGE_DNS01	"dns-01"

struct acme_order_req {
	const char *const	*names;
	size_t			 nnames;
	const char		*challenge;	/* http-01 (default), dns-01 */
	int			 http_port;	/* for http-01 */
	const char		*dns_hook;	/* for dns-01 */
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
};

/* Records (or updates, by name) an ACME certificate. Inside a
 * transaction. */
int	acme_cert_put(struct store *, const struct acme_cert *, struct err *);
/* Calls fn for each, by name. */
int	acme_cert_list(struct store *,
	    int (*)(const struct acme_cert *, void *), void *, struct err *);

#endif
