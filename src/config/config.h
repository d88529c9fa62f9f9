/*
 * config — the HTTP configuration that `hsys http` edits and hsysd serves:
 * SSL certificate bindings, URL reservations, the IP listen list and the
 * connection timeouts, as netsh http knows them. Each noun is a table in the
 * store (schema.c) and a file here; the CLI and the daemon share them.
 *
 * Functions that change rows run inside the caller's transaction
 * (store_begin .. store_commit): a batch can put many changes in one. They
 * validate everything before they write. Errors carry netsh's error number
 * in err.code where netsh has one (CONFIG_E_*), so the CLI can print netsh's
 * line ("SSL Certificate add failed, Error: 183") before the explanation.
 *
 *   args.c      key=value argument lists, shared by every command
 *   sslcert.c   SSL certificate bindings (ipport=, hostnameport=)
 *   sslpick.c   which binding answers a handshake (as hsysd picks it)
 *   urlacl.c    URL reservations and the users or groups they name
 *   iplisten.c  the addresses hsysd listens on
 *   timeout.c   idle-connection and header-wait timeouts
 *   metrics.c   the URL prefix hsysd serves its metrics at
 *   timeout.c   idle-connection, header-wait and entity-body timeouts
 *   setting.c   limits by HTTP.sys's names (MaxConnections, ...), some
 *               per URL prefix
 *   notify.c    poking a running hsysd after a change
 */
#ifndef HSYS_CONFIG_CONFIG_H
#define HSYS_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "url/url.h"

struct err;
struct store;

/* netsh's (Win32) error numbers. */
#define CONFIG_E_NOT_FOUND	2	/* ERROR_FILE_NOT_FOUND */
#define CONFIG_E_PARAM		87	/* ERROR_INVALID_PARAMETER */
#define CONFIG_E_EXISTS		183	/* ERROR_ALREADY_EXISTS */
#define CONFIG_E_NO_KEY		1312	/* ERROR_NO_SUCH_LOGON_SESSION */

/* --- key=value arguments ---------------------------------------------- */

#define CONFIG_ARGS_MAX		40
#define CONFIG_ARGS_BUF		8192
#define CONFIG_KEY_MAX		64	/* longer keys are never suggested */

struct config_arg {
	const char	*key;		/* lowercased */
	const char	*value;		/* surrounding double quotes removed */
};

struct config_args {
	struct config_arg	a[CONFIG_ARGS_MAX];
	size_t			n;
	int			json;		/* --json was given */
	char			buf[CONFIG_ARGS_BUF];
	size_t			used;
};

#define CONFIG_KEY_REQUIRED	0x1
#define CONFIG_KEY_IGNORED	0x2	/* accepted, meaningless on Linux */

struct config_key {
	const char	*name;
	int		 flags;
};

/* Splits "key=value" words (keys case-insensitive; "--json" is a flag).
 * A word without '=' or a key given twice is an error (87). */
int	config_args_parse(int argc, char *const *argv, struct config_args *,
	    struct err *);
/* Refuses keys not in the NULL-terminated table and missing required
 * keys, naming them (87). */
int	config_args_check(const struct config_args *,
	    const struct config_key *, struct err *);
/* The value of a key, or NULL. */
const char *config_args_get(const struct config_args *, const char *key);
/* enable|disable (yes|no for urlacl's keys): 1, 0, or -1 with a message. */
int	config_bool(const char *key, const char *value, const char *yes,
	    const char *no, struct err *);

/* --- SSL certificate bindings ----------------------------------------- */

enum config_binding {
	CONFIG_IPPORT,		/* ipport=0.0.0.0:443, [::]:443, 192.0.2.1:443 */
	CONFIG_HOSTNAMEPORT	/* hostnameport=www.example.test:443 (SNI) */
};

/* The boolean options of a binding, in netsh's order of keys. */
enum config_sslopt {
	SSLOPT_CLIENTCERTNEGOTIATION,
	SSLOPT_VERIFYCLIENTCERTREVOCATION,
	SSLOPT_DISABLEHTTP2,
	SSLOPT_DISABLELEGACYTLS,
	SSLOPT_DISABLETLS12,
	SSLOPT_DISABLETLS13,
	SSLOPT_ENABLESESSIONTICKET,
	SSLOPT_DISABLEOCSPSTAPLING,
	SSLOPT_COUNT
};

struct config_sslopt_info {
	const char	*key;		/* netsh's key */
	const char	*column;	/* the table's column */
	int		 dflt;
	int		 acted_on;	/* 0: stored and shown only, for now */
};
extern const struct config_sslopt_info config_sslopts[SSLOPT_COUNT];

#define CONFIG_ENDPOINT_MAX	(URL_HOST_MAX + 8)
#define CONFIG_APPID_LEN	38
#define CONFIG_ACME_PREFIX	"acme:"
#define CONFIG_CERTHASH_MAX	(5 + 255 + 1)	/* acme:NAME */	/* {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} */

struct config_sslcert {
	enum config_binding	kind;
	char			endpoint[CONFIG_ENDPOINT_MAX];	/* canonical */
	/* Uppercase SHA-1 hex, or "acme:NAME": the certificate the ACME
	 * record NAME holds now (docs/acme.md), followed at each renewal. */
	char			certhash[CONFIG_CERTHASH_MAX];
	char			appid[CONFIG_APPID_LEN + 1];
	char			storename[16];	/* MY, ROOT, CA, WEBHOSTING */
	int			opt[SSLOPT_COUNT];	/* 0/1; -1: not given */
	/* What is bound now (read from the store): certhash itself, or the
	 * ACME record's current thumbprint and store ("" if no record). */
	char			current[41];
	char			current_store[16];
};

/* "0.0.0.0:443", "[::]:443", "www.example.test:443", "*.example.test:443"
 * into canonical text. */
int	config_endpoint_parse(enum config_binding, const char *,
	    char out[CONFIG_ENDPOINT_MAX], struct err *);
/* A GUID with or without braces, into "{lowercase}". */
int	config_appid_parse(const char *, char out[CONFIG_APPID_LEN + 1],
	    struct err *);
/* MY, ROOT, CA, WEBHOSTING (any case) into the canonical uppercase name. */
int	config_storename_parse(const char *, char out[16], struct err *);

/* Fills a binding from add/update/delete/show arguments. For add, unset
 * options take their defaults; for update, they stay -1 (unchanged).
 * Returns 0, or -1 (87) naming the bad key. */
enum config_verb { CONFIG_ADD, CONFIG_UPDATE, CONFIG_DELETE, CONFIG_SHOW };
int	config_sslcert_from_args(const struct config_args *, enum config_verb,
	    struct config_sslcert *, struct err *);
extern const struct config_key config_sslcert_keys[];

/* Warnings that do not refuse the binding: an expired certificate, one
 * without the serverAuth EKU. */
struct config_warnings {
	char	msg[4][512];
	int	n;
};

/* Checks that certhash names a certificate with a private key in the named
 * store (1312 otherwise), then inserts (183 if the endpoint is bound). */
int	config_sslcert_add(struct store *, const struct config_sslcert *,
	    struct config_warnings *, struct err *);
/* Changes the given fields of an existing binding (2 if none). */
int	config_sslcert_update(struct store *, const struct config_sslcert *,
	    struct config_warnings *, struct err *);
int	config_sslcert_delete(struct store *, enum config_binding,
	    const char *endpoint, struct err *);
/* One binding (2 if none). */
int	config_sslcert_get(struct store *, enum config_binding,
	    const char *endpoint, struct config_sslcert *, struct err *);
/* The certificate a binding presents now: its certhash and store, or for
 * certhash=acme:NAME the ACME record's current one (an error naming the
 * record when there is none). */
int	config_sslcert_current(struct store *, const struct config_sslcert *,
	    char thumb[41], const char **storename, struct err *);
/* Every binding, ipport first, then by endpoint. fn's non-zero stops. */
int	config_sslcert_list(struct store *,
	    int (*fn)(const struct config_sslcert *, void *), void *,
	    struct err *);
/* Is the certificate (uppercase or lowercase thumbprint) used by a binding?
 * 1 and a description ("ipport=0.0.0.0:443, hostnameport=a.test:443"), 0,
 * or -1 when the store cannot be read. */
int	config_sslcert_using(struct store *, const char *thumbprint,
	    char *desc, size_t);

/* Which of n bindings answers a handshake (sslpick.c), as hsysd picks:
 * sni (NULL when the client sends none, as for an IP address) against the
 * hostnameport bindings of the port, exact then wildcard; else the ipport
 * of the local address (family AF_INET/AF_INET6, addr 4 or 16 bytes), else
 * the wildcard ipport of that family. The index, or -1 (TLS_NoBinding). */
long	config_sslcert_pick(const struct config_sslcert *, size_t n,
	    const char *sni, int family, const unsigned char *addr,
	    uint16_t port);

/* --- URL reservations ------------------------------------------------- */

enum config_principal {
	CONFIG_USER,
	CONFIG_GROUP,
	CONFIG_EVERYONE		/* Windows' Everyone: every local user */
};
/* How CONFIG_EVERYONE is kept in the store: as a group with a gid no
 * group has ((gid_t)-1), so an older hsysd grants it to no one. */
#define CONFIG_EVERYONE_ID	0xffffffffu

struct config_urlacl {
	struct url_prefix	 prefix;
	char			 url[URL_PREFIX_MAX];	/* canonical */
	enum config_principal	 kind;
	uint32_t		 id;		/* uid or gid */
	int			 listen, delegate;
};

/* Does a reservation's principal include this process? in_group says
 * whether uid (primary gid `gid`) is a member of a group. */
int	config_principal_grants(enum config_principal, uint32_t id, uid_t,
	    gid_t, int (*in_group)(uid_t, gid_t, gid_t));
/* sddl=: the principal of a netsh SDDL string granting GX (listen) or GA
 * (listen and delegate) to one trustee; listen/delegate are set. */
int	config_sddl_parse(const char *, enum config_principal *, uint32_t *,
	    int *listen, int *delegate, struct err *);
/* user=NAME: a user, else a group of that name; @NAME a group; a number a
 * uid, @NUMBER a gid. */
int	config_principal_parse(const char *, enum config_principal *,
	    uint32_t *, struct err *);
/* "alice", "@staff", or the number when the name does not resolve. */
void	config_principal_name(enum config_principal, uint32_t, char *,
	    size_t);
/* A plausible SDDL: D:(A;;GX;;;S-1-22-1-UID) (Samba's Unix SIDs; GX
 * listen, GW delegate, GA both). */
void	config_urlacl_sddl(const struct config_urlacl *, char *, size_t);

extern const struct config_key config_urlacl_keys[];
int	config_urlacl_from_args(const struct config_args *, enum config_verb,
	    struct config_urlacl *, struct err *);
int	config_urlacl_add(struct store *, const struct config_urlacl *,
	    struct err *);
int	config_urlacl_delete(struct store *, const char *url, struct err *);
int	config_urlacl_get(struct store *, const char *url,
	    struct config_urlacl *, struct err *);
int	config_urlacl_list(struct store *,
	    int (*fn)(const struct config_urlacl *, void *), void *,
	    struct err *);
/* The most specific reservation covering a prefix (url.h's rule): 1 and
 * *out, or 0 when none does. */
int	config_urlacl_covering(struct store *, const struct url_prefix *,
	    struct config_urlacl *out, struct err *);
/* The same choice among reservations held in memory (hsysd keeps them per
 * store generation): 1 and *out, or 0. */
int	config_urlacl_pick(const struct config_urlacl *, size_t,
	    const struct url_prefix *, struct config_urlacl *out);

/* --- the IP listen list ----------------------------------------------- */

#define CONFIG_ADDR_MAX		48

int	config_ip_parse(const char *, char out[CONFIG_ADDR_MAX], struct err *);
int	config_iplisten_add(struct store *, const char *addr, struct err *);
int	config_iplisten_delete(struct store *, const char *addr, struct err *);
int	config_iplisten_list(struct store *, int (*fn)(const char *, void *),
	    void *, struct err *);

/* --- timeouts --------------------------------------------------------- */

enum config_timeout {
	CONFIG_TIMEOUT_IDLE,		/* idleconnectiontimeout */
	CONFIG_TIMEOUT_HEADERWAIT,	/* headerwaittimeout */
	CONFIG_TIMEOUT_ENTITYBODY,	/* entitybodytimeout */
	CONFIG_TIMEOUT_COUNT
};
#define CONFIG_TIMEOUT_DEFAULT	120
#define CONFIG_TIMEOUT_MAX	65535

const char *config_timeout_name(enum config_timeout);
int	config_timeout_parse(const char *, enum config_timeout *, struct err *);
int	config_timeout_value_parse(const char *, int *, struct err *);
int	config_timeout_set(struct store *, enum config_timeout, int seconds,
	    struct err *);
/* Back to the default; deleting one that was not set is not an error. */
int	config_timeout_delete(struct store *, enum config_timeout,
	    struct err *);
/* The value in force; *set says whether it differs from the default row. */
int	config_timeout_get(struct store *, enum config_timeout, int *seconds,
	    int *set, struct err *);

/* --- the metrics page ------------------------------------------------- */

/* Kept in the setting table under this name: the canonical prefix. */
#define CONFIG_METRICS_SETTING	"metrics.url"

/* url=PREFIX into canonical text (87 when it is not a UrlPrefix). */
int	config_metrics_parse(const char *, char out[URL_PREFIX_MAX],
	    struct err *);
/* 183 when metrics are on already (delete them first). */
int	config_metrics_add(struct store *, const char *url, struct err *);
/* 2 when they are off. */
int	config_metrics_delete(struct store *, struct err *);
/* 1 with the prefix in out, 0 when off, -1 on error. */
int	config_metrics_get(struct store *, char out[URL_PREFIX_MAX],
	    struct err *);
/* --- settings ------------------------------------------------------- */

/* Limits by HTTP.sys's registry names (MaxUrlLength, MaxHeaderCount and
 * Http2MaxConcurrentStreams are hsys's own; MinRequestBodyDataRate is
 * Kestrel's; EnableHttp2Cleartext is HTTP.sys's, 1 or 0). Values are integers; CONFIG_UNLIMITED where the default
 * is no limit. A row exists only for a value that was set. */
enum config_setting {
	CONFIG_SET_MAXCONNECTIONS,
	CONFIG_SET_MAXFIELDLENGTH,
	CONFIG_SET_MAXREQUESTBYTES,
	CONFIG_SET_MAXHEADERCOUNT,
	CONFIG_SET_MAXURLLENGTH,
	CONFIG_SET_MAXREQUESTBODYSIZE,
	CONFIG_SET_MINSENDRATE,
	CONFIG_SET_MINREQUESTBODYDATARATE,
	CONFIG_SET_URIENABLECACHE,
	CONFIG_SET_URIMAXURIBYTES,
	CONFIG_SET_URIMAXCACHEMEGABYTECOUNT,
	CONFIG_SET_HTTP2MAXCONCURRENTSTREAMS,
	CONFIG_SET_ENABLEHTTP2CLEARTEXT,
	CONFIG_SET_COUNT
};
#define CONFIG_UNLIMITED	(-1)

struct config_setting_info {
	const char	*name;		/* HTTP.sys's spelling */
	int64_t		 dflt;		/* or CONFIG_UNLIMITED */
	int64_t		 min, max;
	int		 unlimited_ok;	/* value=unlimited is accepted */
	int		 per_url;	/* url= may scope it to a prefix */
	const char	*unit;
};
extern const struct config_setting_info config_settings[CONFIG_SET_COUNT];

/* Any case; an unknown name is refused (87) with the known ones listed. */
int	config_setting_parse(const char *, enum config_setting *,
	    struct err *);
/* A decimal number in the setting's range, or "unlimited" where allowed. */
int	config_setting_value_parse(enum config_setting, const char *,
	    int64_t *, struct err *);
/* url= for a setting: refused for service-wide ones; else parsed into the
 * canonical prefix. */
int	config_setting_url_parse(enum config_setting, const char *,
	    char out[URL_PREFIX_MAX], struct err *);
/* url NULL: the service-wide value; else the prefix's (canonical). */
int	config_setting_set(struct store *, enum config_setting,
	    const char *url, int64_t, struct err *);
/* Back to the default (or to the service-wide value for a prefix);
 * deleting one that was not set is not an error. */
int	config_setting_delete(struct store *, enum config_setting,
	    const char *url, struct err *);
/* The service-wide value in force; *set says whether a row gave it. */
int	config_setting_get(struct store *, enum config_setting, int64_t *,
	    int *set, struct err *);
/* Every per-prefix value, by name then URL. fn's non-zero stops. */
int	config_setting_list_url(struct store *,
	    int (*fn)(enum config_setting, const char *url, int64_t, void *),
	    void *, struct err *);

/* --- notifying hsysd -------------------------------------------------- */

#define CONFIG_NOTIFY_MS	200
#define CONFIG_NOTIFY_REPLY_MS	2000	/* hsysd reloads, then answers */

/* The daemon's socket: $HSYS_HOME/hsysd.sock, else /run/hsys/hsysd.sock. */
int	config_notify_path(char *, size_t);
/* Sends CONFIG_CHANGED with the generation; silent when no daemon runs.
 * Returns 0 when delivered, 1 when nobody listens, -1 on another error
 * (which callers may ignore: the daemon also polls the generation). */
int	config_notify(int64_t generation, struct err *);
/* The same; warn gets each line hsysd's reply carries (a port it cannot
 * open: "cannot listen on 0.0.0.0:443: Address already in use (for the
 * binding ipport=127.0.0.1:443)"). */
int	config_notify_warn(int64_t generation,
	    void (*warn)(const char *, void *), void *, struct err *);

#endif
