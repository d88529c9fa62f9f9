/*
 * sslcert — SSL certificate bindings: which certificate hsysd presents on an
 * IP:port (ipport=) or for an SNI host name (hostnameport=), with netsh's
 * options. See config.h.
 *
 * A binding names its certificate by thumbprint and store, as netsh does;
 * the certificate must be in the LocalMachine store with its private key
 * when the binding is made (netsh's error 1312 otherwise). Deleting the
 * certificate later is refused while a binding uses it (see
 * config_sslcert_using).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

const struct config_sslopt_info config_sslopts[SSLOPT_COUNT] = {
	{ "clientcertnegotiation", "clientcertnegotiation", 0, 1 },
	{ "verifyclientcertrevocation", "verifyclientcertrevocation", 1, 0 },
	{ "disablehttp2", "disablehttp2", 0, 1 },
	{ "disablelegacytls", "disablelegacytls", 0, 0 },
	{ "disabletls12", "disabletls12", 0, 1 },
	{ "disabletls13", "disabletls13", 0, 1 },
	{ "enablesessionticket", "enablesessionticket", 0, 1 },
	{ "disableocspstapling", "disableocspstapling", 0, 0 },
};

#define OPT_COLUMNS "clientcertnegotiation, verifyclientcertrevocation, " \
	"disablehttp2, disablelegacytls, disabletls12, disabletls13, " \
	"enablesessionticket, disableocspstapling"
#define ALL_COLUMNS "kind, endpoint, certhash, appid, certstore, " OPT_COLUMNS
/* A binding with what it binds now: certhash=acme:NAME follows the ACME
 * record NAME's current certificate (renewal moves the record). */
#define READ_FROM "SELECT " ALL_COLUMNS ", acme_cert.thumbprint, " \
	"acme_cert.store FROM sslcert LEFT JOIN acme_cert ON " \
	"sslcert.certhash = '" CONFIG_ACME_PREFIX "' || acme_cert.name "

const struct config_key config_sslcert_keys[] = {
	{ "ipport", 0 }, { "hostnameport", 0 },
	{ "certhash", 0 }, { "appid", 0 }, { "certstorename", 0 },
	{ "clientcertnegotiation", 0 }, { "verifyclientcertrevocation", 0 },
	{ "disablehttp2", 0 }, { "disablelegacytls", 0 },
	{ "disabletls12", 0 }, { "disabletls13", 0 },
	{ "enablesessionticket", 0 }, { "disableocspstapling", 0 },
	{ "usagecheck", CONFIG_KEY_IGNORED },
	{ "dsmapperusage", CONFIG_KEY_IGNORED },
	{ "disablequic", CONFIG_KEY_IGNORED },
	{ "revocationfreshnesstime", CONFIG_KEY_IGNORED },
	{ "urlretrievaltimeout", CONFIG_KEY_IGNORED },
	{ "sslctlidentifier", CONFIG_KEY_IGNORED },
	{ "sslctlstorename", CONFIG_KEY_IGNORED },
	{ "verifyrevocationwithcachedclientcertonly", CONFIG_KEY_IGNORED },
	{ "reject", CONFIG_KEY_IGNORED },
	{ "enabletokenbinding", CONFIG_KEY_IGNORED },
	{ "logextendedevents", CONFIG_KEY_IGNORED },
	{ NULL, 0 }
};

static const struct config_key endpoint_keys[] = {
	{ "ipport", 0 }, { "hostnameport", 0 }, { NULL, 0 }
};

static int
param(struct err *e)
{
	e->code = CONFIG_E_PARAM;
	return -1;
}

int
config_endpoint_parse(enum config_binding kind, const char *in,
    char out[CONFIG_ENDPOINT_MAX], struct err *e)
{
	const char *key = kind == CONFIG_IPPORT ? "ipport" : "hostnameport";
	const char *name = in, *any = "";
	char url[CONFIG_ENDPOINT_MAX + 16];
	struct url_prefix u;
	int wild = 0, n;

	/* A URL prefix has the same host:port grammar: reuse its parser. */
	if (kind == CONFIG_HOSTNAMEPORT && strncmp(in, "*.", 2) == 0) {
		wild = 1;
		name += 2;
	}
	/* netsh's ipport=:443, an empty address: every address. */
	if (kind == CONFIG_IPPORT && name[0] == ':')
		any = "0.0.0.0";
	n = snprintf(url, sizeof(url), "http://%s%s/", any, name);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		err_set(e, "%s=%.40s...: too long", key, in);
		return param(e);
	}
	if (strchr(name, '/') != NULL || url_prefix_parse(url, (size_t)n, &u,
	    e) == -1) {
		if (kind == CONFIG_IPPORT && strchr(strrchr(name, ']') ?
		    strrchr(name, ']') : name, ':') == NULL) {
			err_set(e, "ipport=%s: the port is missing; e.g. "
			    "0.0.0.0:443, [::]:443 or :443", in);
			return param(e);
		}
		if (kind == CONFIG_IPPORT && strchr(name, '[') == NULL &&
		    strchr(name, ':') != strrchr(name, ':')) {
			err_set(e, "ipport=%s: an IPv6 address goes in brackets, "
			    "e.g. [::1]:443", in);
			return param(e);
		}
		if (kind == CONFIG_IPPORT)
			goto not_ip;
		if (strchr(name, '/') != NULL)
			err_set(e, "no '/' here");
		err_prefix(e, "%s=%s", key, in);
		return param(e);
	}
	if (kind == CONFIG_IPPORT && u.host_kind != URL_HOST_IP) {
not_ip:
		err_set(e, "ipport=%s: give an IP address and a port, e.g. "
		    "0.0.0.0:443, [::]:443 or :443 (every address); for a host "
		    "name use hostnameport=", in);
		return param(e);
	}
	if (kind == CONFIG_HOSTNAMEPORT && u.host_kind != URL_HOST_NAME) {
		err_set(e, "hostnameport=%s: give a host name and a port, e.g. "
		    "www.example.test:443; for an address use ipport=", in);
		return param(e);
	}
	u.path[0] = '\0';
	n = snprintf(out, CONFIG_ENDPOINT_MAX, "%s%s%s%s:%u", wild ? "*." : "",
	    u.family == AF_INET6 ? "[" : "", u.host,
	    u.family == AF_INET6 ? "]" : "", u.port);
	if (n < 0 || n >= CONFIG_ENDPOINT_MAX) {
		err_set(e, "%s=%.40s...: too long", key, in);
		return param(e);
	}
	return 0;
}

int
config_appid_parse(const char *in, char out[CONFIG_APPID_LEN + 1],
    struct err *e)
{
	static const int dash[] = { 8, 13, 18, 23 };
	size_t n = strlen(in), i, d = 0;
	const char *s = in;
	char c;

	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n = 36;
	}
	if (n != 36)
		goto bad;
	out[0] = '{';
	for (i = 0; i < 36; i++) {
		c = s[i];
		if (d < 4 && (int)i == dash[d]) {
			if (c != '-')
				goto bad;
			d++;
		} else if (c >= 'A' && c <= 'F')
			c = (char)(c + 32);
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			goto bad;
		out[i + 1] = c;
	}
	out[37] = '}';
	out[38] = '\0';
	return 0;
bad:
	err_set(e, "appid=%s: not a GUID; write it as "
	    "{00112233-4455-6677-8899-aabbccddeeff} (any GUID that names "
	    "your application; 'uuidgen' makes one)", in);
	return param(e);
}

int
config_storename_parse(const char *in, char out[16], struct err *e)
{
	struct cert_store_name sn;
	size_t i;

	if (cert_store_name_parse(in, &sn, e) == -1 || sn.loc != STORE_MACHINE) {
		err_set(e, "certstorename=%s: name a LocalMachine store: MY, "
		    "ROOT, CA or WEBHOSTING", in);
		return param(e);
	}
	for (i = 0; sn.name[i] != '\0' && i < 15; i++)
		out[i] = (char)(sn.name[i] >= 'a' && sn.name[i] <= 'z' ?
		    sn.name[i] - 32 : sn.name[i]);
	out[i] = '\0';
	return 0;
}

/* "MY" -> "My": the cert component's spelling. */
static const char *
cert_store_of(const char *storename)
{
	struct cert_store_name sn;
	struct err ignored;

	if (cert_store_name_parse(storename, &sn, &ignored) == -1)
		return CERT_STORE_MY;
	return sn.name;
}

static int
endpoint_from_args(const struct config_args *a, struct config_sslcert *b,
    struct err *e)
{
	const char *ip = config_args_get(a, "ipport");
	const char *host = config_args_get(a, "hostnameport");

	if (ip != NULL && host != NULL) {
		err_set(e, "give ipport= or hostnameport=, not both");
		return param(e);
	}
	if (ip == NULL && host == NULL) {
		err_set(e, "the parameter 'ipport' (or 'hostnameport') is "
		    "missing");
		return param(e);
	}
	b->kind = ip != NULL ? CONFIG_IPPORT : CONFIG_HOSTNAMEPORT;
	return config_endpoint_parse(b->kind, ip ? ip : host, b->endpoint, e);
}

int
config_sslcert_from_args(const struct config_args *a, enum config_verb verb,
    struct config_sslcert *b, struct err *e)
{
	const char *v;
	char thumb[CERT_THUMB_LEN + 1];
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < SSLOPT_COUNT; i++)
		b->opt[i] = verb == CONFIG_ADD ? config_sslopts[i].dflt : -1;
	if (verb == CONFIG_SHOW && a->n == 0)
		return 0;
	if (config_args_check(a, verb == CONFIG_ADD || verb == CONFIG_UPDATE ?
	    config_sslcert_keys : endpoint_keys, e) == -1)
		return -1;
	if (endpoint_from_args(a, b, e) == -1)
		return -1;
	if (verb == CONFIG_DELETE || verb == CONFIG_SHOW)
		return 0;
	if ((v = config_args_get(a, "certhash")) != NULL &&
	    strncasecmp(v, CONFIG_ACME_PREFIX, 5) == 0) {
		if (v[5] == '\0' || strlen(v + 5) > 255) {
			err_set(e, "certhash=%s: give the name of an ACME "
			    "certificate ('hsys cert acme list' shows them)", v);
			return param(e);
		}
		snprintf(b->certhash, sizeof(b->certhash), CONFIG_ACME_PREFIX
		    "%s", v + 5);
	} else if (v != NULL) {
		if (cert_thumb_normalize(v, thumb, e) == -1 ||
		    strlen(thumb) != CERT_THUMB_LEN) {
			err_set(e, "certhash=%s: give the certificate's whole "
			    "SHA-1 thumbprint, 40 hex digits ('hsys cert list' "
			    "shows it)", v);
			return param(e);
		}
		snprintf(b->certhash, sizeof(b->certhash), "%s", thumb);
	} else if (verb == CONFIG_ADD) {
		err_set(e, "the parameter 'certhash' is missing");
		return param(e);
	}
	if ((v = config_args_get(a, "appid")) != NULL) {
		if (config_appid_parse(v, b->appid, e) == -1)
			return -1;
	} else if (verb == CONFIG_ADD) {
		err_set(e, "the parameter 'appid' is missing");
		return param(e);
	}
	if ((v = config_args_get(a, "certstorename")) != NULL) {
		if (config_storename_parse(v, b->storename, e) == -1)
			return -1;
	} else if (verb == CONFIG_ADD)
		snprintf(b->storename, sizeof(b->storename), "MY");
	for (i = 0; i < SSLOPT_COUNT; i++) {
		if ((v = config_args_get(a, config_sslopts[i].key)) == NULL)
			continue;
		if ((b->opt[i] = config_bool(config_sslopts[i].key, v,
		    "enable", "disable", e)) == -1)
			return -1;
	}
	return 0;
}

static void
warn(struct config_warnings *w, const char *fmt, const char *a,
    const char *b)
{
	if (w == NULL || w->n >= 4)
		return;
	snprintf(w->msg[w->n++], sizeof(w->msg[0]), fmt, a, b);
}

/* The certificate must be there with its key; expired or not for servers
 * is only worth a warning, as netsh does not check either. */
static int
check_cert(struct store *s, const struct config_sslcert *b,
    struct config_warnings *w, struct err *e)
{
	const char *store = cert_store_of(b->storename);
	char thumb[41];
	struct cert_entry c;
	char date[64];
	X509 *x = NULL;

	if (config_sslcert_current(s, b, thumb, &store, e) == -1)
		return -1;
	if (certstore_find(s, store, thumb, &c, e) == -1) {
		if (e->code != CONFIG_E_NOT_FOUND)
			return -1;
		err_set(e, "no certificate with thumbprint %s in "
		    "LocalMachine\\%s; import it (with its private key) into "
		    "that store first, or name its store with certstorename=",
		    thumb, store);
		e->code = CONFIG_E_NO_KEY;
		return -1;
	}
	if (!c.has_key) {
		err_set(e, "the certificate %s (%s) in LocalMachine\\%s has no "
		    "private key, so TLS cannot use it; import it together with "
		    "its key (e.g. from a .pfx)", c.thumbprint, c.subject, store);
		e->code = CONFIG_E_NO_KEY;
		return -1;
	}
	if (c.not_after < (int64_t)time(NULL)) {
		cert_time_string(c.not_after, date, sizeof(date));
		warn(w, "the certificate %s expired on %s; clients will refuse "
		    "it until you bind a current one", c.thumbprint, date);
	}
	if (certstore_load(s, c.id, &x, NULL, e) == -1)
		return -1;
	if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(x) & XKU_SSL_SERVER))
		warn(w, "the certificate %s (%.200s) is not meant for servers (its "
		    "extended key usage lacks serverAuth); clients may refuse "
		    "it", c.thumbprint, c.subject);
	X509_free(x);
	return 0;
}

static const char *
kind_name(enum config_binding k)
{
	return k == CONFIG_IPPORT ? "ipport" : "hostnameport";
}

static void
row_read(sqlite3_stmt *st, struct config_sslcert *b)
{
	int i;

	b->kind = strcmp((const char *)sqlite3_column_text(st, 0), "ipport")
	    == 0 ? CONFIG_IPPORT : CONFIG_HOSTNAMEPORT;
	snprintf(b->endpoint, sizeof(b->endpoint), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	snprintf(b->certhash, sizeof(b->certhash), "%s",
	    (const char *)sqlite3_column_text(st, 2));
	snprintf(b->appid, sizeof(b->appid), "%s",
	    (const char *)sqlite3_column_text(st, 3));
	snprintf(b->storename, sizeof(b->storename), "%s",
	    (const char *)sqlite3_column_text(st, 4));
	for (i = 0; i < SSLOPT_COUNT; i++)
		b->opt[i] = sqlite3_column_int(st, 5 + i);
	if (strncmp(b->certhash, CONFIG_ACME_PREFIX, 5) != 0) {
		snprintf(b->current, sizeof(b->current), "%.40s", b->certhash);
		snprintf(b->current_store, sizeof(b->current_store), "%s",
		    cert_store_of(b->storename));
		return;
	}
	b->current[0] = b->current_store[0] = '\0';
	if (sqlite3_column_type(st, 5 + SSLOPT_COUNT) == SQLITE_TEXT) {
		snprintf(b->current, sizeof(b->current), "%.40s",
		    (const char *)sqlite3_column_text(st, 5 + SSLOPT_COUNT));
		snprintf(b->current_store, sizeof(b->current_store), "%.15s",
		    (const char *)sqlite3_column_text(st, 6 + SSLOPT_COUNT));
	}
}

int
config_sslcert_current(struct store *s, const struct config_sslcert *b,
    char thumb[41], const char **storename, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (strncmp(b->certhash, CONFIG_ACME_PREFIX, 5) != 0) {
		snprintf(thumb, 41, "%.40s", b->certhash);
		*storename = cert_store_of(b->storename);
		return 0;
	}
	if (store_prepare(s, &st, "SELECT thumbprint, store FROM acme_cert "
	    "WHERE name = ?", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, b->certhash + 5, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(thumb, 41, "%.40s", (const char *)
		    sqlite3_column_text(st, 0));
		*storename = cert_store_of((const char *)
		    sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the ACME certificates");
	err_set(e, "certhash=%s: no ACME certificate is named '%s'; 'hsys "
	    "cert acme order --name %s ...' obtains one, 'hsys cert acme "
	    "list' shows them", b->certhash, b->certhash + 5, b->certhash + 5);
	e->code = CONFIG_E_NO_KEY;
	return -1;
}

static int
not_found(enum config_binding kind, const char *endpoint, struct err *e)
{
	err_set(e, "there is no SSL certificate binding for %s=%s; 'hsys http "
	    "show sslcert' lists them", kind_name(kind), endpoint);
	e->code = CONFIG_E_NOT_FOUND;
	return -1;
}

int
config_sslcert_get(struct store *s, enum config_binding kind,
    const char *endpoint, struct config_sslcert *b, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, READ_FROM "WHERE kind = ? AND endpoint = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_read(st, b);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return not_found(kind, endpoint, e);
	if (rc != SQLITE_ROW)
		return store_fail(s, e, "cannot read the SSL bindings");
	return 0;
}

static int
row_write(struct store *s, const char *sql, const struct config_sslcert *b,
    struct err *e)
{
	sqlite3_stmt *st;
	int i, rc;

	if (store_prepare(s, &st, sql, e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, kind_name(b->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->certhash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->appid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b->storename, -1, SQLITE_STATIC);
	for (i = 0; i < SSLOPT_COUNT; i++)
		sqlite3_bind_int(st, 6 + i, b->opt[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot write the SSL binding");
	return 0;
}

int
config_sslcert_add(struct store *s, const struct config_sslcert *b,
    struct config_warnings *w, struct err *e)
{
	struct config_sslcert old;

	if (config_sslcert_get(s, b->kind, b->endpoint, &old, e) == 0) {
		err_set(e, "%s=%s is already bound (to certificate %s); use "
		    "'hsys http update sslcert' to change it, or delete it "
		    "first", kind_name(b->kind), b->endpoint, old.certhash);
		e->code = CONFIG_E_EXISTS;
		return -1;
	}
	if (e->code != CONFIG_E_NOT_FOUND)
		return -1;
	if (check_cert(s, b, w, e) == -1)
		return -1;
	return row_write(s, "INSERT INTO sslcert (" ALL_COLUMNS ") VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?)", b, e);
}

int
config_sslcert_update(struct store *s, const struct config_sslcert *change,
    struct config_warnings *w, struct err *e)
{
	struct config_sslcert b;
	int i, recheck = 0;

	if (config_sslcert_get(s, change->kind, change->endpoint, &b, e) == -1)
		return -1;
	if (change->certhash[0] != '\0') {
		recheck = 1;
		memcpy(b.certhash, change->certhash, sizeof(b.certhash));
	}
	if (change->storename[0] != '\0') {
		recheck = 1;
		memcpy(b.storename, change->storename, sizeof(b.storename));
	}
	if (change->appid[0] != '\0')
		memcpy(b.appid, change->appid, sizeof(b.appid));
	for (i = 0; i < SSLOPT_COUNT; i++)
		if (change->opt[i] != -1)
			b.opt[i] = change->opt[i];
	if (recheck && check_cert(s, &b, w, e) == -1)
		return -1;
	return row_write(s, "UPDATE sslcert SET certhash = ?3, appid = ?4, "
	    "certstore = ?5, clientcertnegotiation = ?6, "
	    "verifyclientcertrevocation = ?7, disablehttp2 = ?8, "
	    "disablelegacytls = ?9, disabletls12 = ?10, disabletls13 = ?11, "
	    "enablesessionticket = ?12, disableocspstapling = ?13 "
	    "WHERE kind = ?1 AND endpoint = ?2", &b, e);
}

int
config_sslcert_delete(struct store *s, enum config_binding kind,
    const char *endpoint, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM sslcert WHERE kind = ? AND "
	    "endpoint = ?", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the SSL binding");
	if (sqlite3_changes(s->db) == 0)
		return not_found(kind, endpoint, e);
	return 0;
}

int
config_sslcert_list(struct store *s,
    int (*fn)(const struct config_sslcert *, void *), void *arg,
    struct err *e)
{
	struct config_sslcert b;
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (store_prepare(s, &st, READ_FROM "ORDER BY kind = 'hostnameport', "
	    "endpoint", e) == -1)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(st, &b);
		stop = fn(&b, arg);
	}
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the SSL bindings");
	return 0;
}

int
config_sslcert_using(struct store *s, const char *thumbprint, char *desc,
    size_t size)
{
	sqlite3_stmt *st;
	size_t n;
	int rc, found = 0;

	if (size > 0)
		desc[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT kind, endpoint FROM sslcert "
	    "WHERE certhash = upper(?) ORDER BY kind = 'hostnameport', "
	    "endpoint", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, thumbprint, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = strlen(desc);
		if (size > n)
			snprintf(desc + n, size - n, "%s%s=%s",
			    found ? ", " : "", (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1));
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return found;
}
