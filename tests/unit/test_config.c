/*
 * Unit tests of the config component: the key=value grammar, validation of
 * every value, netsh's error numbers, the rows of each table, the urlacl
 * coverage precedence, config_sslcert_using, and the daemon poke.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"
#include "testcert.h"
#include "unit.h"

static int
args(struct config_args *a, const char *line, struct err *e)
{
	static char buf[1024];
	char *w[40], *p;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok(buf, " "); p != NULL && n < 40; p = strtok(NULL, " "))
		w[n++] = p;
	return config_args_parse(n, w, a, e);
}

static void
test_grammar(void)
{
	static struct config_args a;
	struct err e;

	CHECK(args(&a, "IPPort=0.0.0.0:443 CertHash=\"AB\" --json", &e) == 0);
	CHECK(a.n == 2 && a.json);
	CHECK_STR(config_args_get(&a, "ipport"), "0.0.0.0:443");
	CHECK_STR(config_args_get(&a, "certhash"), "AB");
	CHECK(config_args_get(&a, "appid") == NULL);
	CHECK(args(&a, "ipport", &e) == -1 && e.code == CONFIG_E_PARAM &&
	    strstr(e.msg, "key=value") != NULL);
	CHECK(args(&a, "=x", &e) == -1 && e.code == CONFIG_E_PARAM);
	CHECK(args(&a, "url=a URL=b", &e) == -1 &&
	    strstr(e.msg, "'url' is given twice") != NULL);
	CHECK(args(&a, "url=", &e) == 0 && strcmp(a.a[0].value, "") == 0);
	CHECK(args(&a, "url=http://+:80/ bogus=1", &e) == 0);
	CHECK(config_args_check(&a, config_urlacl_keys, &e) == -1 &&
	    e.code == CONFIG_E_PARAM &&
	    strstr(e.msg, "unknown parameter 'bogus'") != NULL);
	CHECK(args(&a, "user=root", &e) == 0);
	CHECK(config_args_check(&a, config_urlacl_keys, &e) == -1 &&
	    strstr(e.msg, "'url' is missing") != NULL);
	CHECK(config_bool("k", "Enable", "enable", "disable", &e) == 1);
	CHECK(config_bool("k", "DISABLE", "enable", "disable", &e) == 0);
	CHECK(config_bool("k", "on", "enable", "disable", &e) == -1 &&
	    e.code == CONFIG_E_PARAM && strstr(e.msg, "k=on") != NULL);
}

static void
test_values(void)
{
	char out[CONFIG_ENDPOINT_MAX], id[CONFIG_APPID_LEN + 1], sn[16];
	char ip[CONFIG_ADDR_MAX];
	enum config_timeout t;
	struct err e;
	int v;

	CHECK(config_endpoint_parse(CONFIG_IPPORT, "0.0.0.0:443", out, &e) == 0);
	CHECK_STR(out, "0.0.0.0:443");
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "[::]:443", out, &e) == 0);
	CHECK_STR(out, "[::]:443");
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "[2001:DB8::0:1]:8443", out,
	    &e) == 0);
	CHECK_STR(out, "[2001:db8::1]:8443");
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "0.0.0.0", out, &e) == -1 &&
	    strstr(e.msg, "port is missing") != NULL);
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "0.0.0.0:0", out, &e) == -1);
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "::1:443", out, &e) == -1 &&
	    strstr(e.msg, "brackets") != NULL);
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "www.test:443", out, &e)
	    == -1 && strstr(e.msg, "hostnameport") != NULL);
	/* netsh's empty address: every address. */
	CHECK(config_endpoint_parse(CONFIG_IPPORT, ":443", out, &e) == 0);
	CHECK_STR(out, "0.0.0.0:443");
	CHECK(config_endpoint_parse(CONFIG_IPPORT, ":", out, &e) == -1 &&
	    strstr(e.msg, "give an IP address") != NULL &&
	    strstr(e.msg, "http://") == NULL);
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, ":443", out, &e) ==
	    -1);
	CHECK(config_endpoint_parse(CONFIG_IPPORT, "1.2.3.4:443/", out, &e)
	    == -1);
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, "WWW.Test:443", out,
	    &e) == 0);
	CHECK_STR(out, "www.test:443");
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, "*.Example.test:443",
	    out, &e) == 0);
	CHECK_STR(out, "*.example.test:443");
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, "*:443", out, &e)
	    == -1);
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, "a.*.test:443", out,
	    &e) == -1);
	CHECK(config_endpoint_parse(CONFIG_HOSTNAMEPORT, "10.0.0.1:443", out,
	    &e) == -1 && strstr(e.msg, "ipport") != NULL);

	CHECK(config_appid_parse("{00112233-4455-6677-8899-AABBCCDDEEFF}", id,
	    &e) == 0);
	CHECK_STR(id, "{00112233-4455-6677-8899-aabbccddeeff}");
	CHECK(config_appid_parse("00112233-4455-6677-8899-aabbccddeeff", id,
	    &e) == 0);
	CHECK_STR(id, "{00112233-4455-6677-8899-aabbccddeeff}");
	CHECK(config_appid_parse("{00112233-4455-6677-8899-aabbccddeeff", id,
	    &e) == -1 && e.code == CONFIG_E_PARAM);
	CHECK(config_appid_parse("00112233445566778899aabbccddeeff", id, &e)
	    == -1);
	CHECK(config_appid_parse("0011223g-4455-6677-8899-aabbccddeeff", id,
	    &e) == -1);
	CHECK(config_appid_parse("", id, &e) == -1 &&
	    strstr(e.msg, "not a GUID") != NULL);

	CHECK(config_storename_parse("my", sn, &e) == 0);
	CHECK_STR(sn, "MY");
	CHECK(config_storename_parse("WebHosting", sn, &e) == 0);
	CHECK_STR(sn, "WEBHOSTING");
	CHECK(config_storename_parse("Trust", sn, &e) == -1);
	CHECK(config_storename_parse("CurrentUser\\My", sn, &e) == -1);

	CHECK(config_ip_parse("192.0.2.1", ip, &e) == 0);
	CHECK_STR(ip, "192.0.2.1");
	CHECK(config_ip_parse("[2001:DB8::1]", ip, &e) == 0);
	CHECK_STR(ip, "2001:db8::1");
	CHECK(config_ip_parse("example.test", ip, &e) == -1 &&
	    e.code == CONFIG_E_PARAM);

	CHECK(config_timeout_parse("IdleConnectionTimeout", &t, &e) == 0 &&
	    t == CONFIG_TIMEOUT_IDLE);
	CHECK(config_timeout_parse("headerwaittimeout", &t, &e) == 0 &&
	    t == CONFIG_TIMEOUT_HEADERWAIT);
	CHECK(config_timeout_parse("minsendrate", &t, &e) == -1);
	CHECK(config_timeout_parse("EntityBodyTimeout", &t, &e) == 0 &&
	    t == CONFIG_TIMEOUT_ENTITYBODY);
	CHECK(config_timeout_value_parse("65535", &v, &e) == 0 && v == 65535);
	CHECK(config_timeout_value_parse("0", &v, &e) == -1);
	CHECK(config_timeout_value_parse("65536", &v, &e) == -1);
	CHECK(config_timeout_value_parse("12s", &v, &e) == -1);
	CHECK(config_timeout_value_parse("-5", &v, &e) == -1);
}

static void
test_principals(void)
{
	enum config_principal k;
	char name[64];
	uint32_t id;
	struct err e;

	CHECK(config_principal_parse("root", &k, &id, &e) == 0 &&
	    k == CONFIG_USER && id == 0);
	CHECK(config_principal_parse("@root", &k, &id, &e) == 0 &&
	    k == CONFIG_GROUP && id == 0);
	CHECK(config_principal_parse("1234", &k, &id, &e) == 0 &&
	    k == CONFIG_USER && id == 1234);
	CHECK(config_principal_parse("@4321", &k, &id, &e) == 0 &&
	    k == CONFIG_GROUP && id == 4321);
	/* A group name that is no user's is a group. */
	CHECK(config_principal_parse("adm", &k, &id, &e) == 0 &&
	    k == CONFIG_GROUP);
	CHECK(config_principal_parse("no-such-user-xyz", &k, &id, &e) == -1 &&
	    strstr(e.msg, "no user or group named") != NULL);
	CHECK(config_principal_parse("@no-such-group-xyz", &k, &id, &e) == -1 &&
	    strstr(e.msg, "no group named") != NULL);
	CHECK(config_principal_parse("DOMAIN\\user", &k, &id, &e) == -1 &&
	    strstr(e.msg, "Windows") != NULL);
	CHECK(config_principal_parse("", &k, &id, &e) == -1);
	CHECK(config_principal_parse("@", &k, &id, &e) == -1);
	config_principal_name(CONFIG_USER, 0, name, sizeof(name));
	CHECK_STR(name, "root");
	config_principal_name(CONFIG_GROUP, 0, name, sizeof(name));
	CHECK_STR(name, "@root");
	config_principal_name(CONFIG_USER, 4000000000u, name, sizeof(name));
	CHECK_STR(name, "4000000000");
}

static struct store *
open_tx(void)
{
	struct store *s = NULL;
	struct err e;

	if (store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_begin(s, &e) == -1) {
		printf("# %s\n", e.msg);
		abort();
	}
	return s;
}

static int
urlacl(struct store *s, const char *line, struct err *e)
{
	static struct config_args a;
	struct config_urlacl r;

	if (args(&a, line, e) == -1 ||
	    config_urlacl_from_args(&a, CONFIG_ADD, &r, e) == -1)
		return -1;
	return config_urlacl_add(s, &r, e);
}

static void
test_urlacl(void)
{
	struct store *s = open_tx();
	struct config_urlacl r;
	struct url_prefix p;
	struct err e;
	char sddl[64];

	CHECK(urlacl(s, "url=http://+:80/ user=root", &e) == 0);
	CHECK(urlacl(s, "url=http://+:80/app/ user=@root delegate=yes", &e)
	    == 0);
	CHECK(urlacl(s, "url=http://*:80/app/admin/ user=1000", &e) == 0);
	CHECK(urlacl(s, "url=http://www.example.test:80/app/admin/ "
	    "user=1001 listen=no delegate=yes", &e) == 0);
	CHECK(urlacl(s, "url=HTTP://+:80/APP/ user=root", &e) == -1 &&
	    e.code == CONFIG_E_EXISTS && strstr(e.msg, "delete") != NULL);
	CHECK(urlacl(s, "url=http://+:80/x user=root", &e) == -1 &&
	    e.code == CONFIG_E_PARAM && strstr(e.msg, "trailing") != NULL);
	CHECK(urlacl(s, "url=http://+:80/x/ user=nobody-xyz", &e) == -1 &&
	    e.code == CONFIG_E_PARAM);
	CHECK(urlacl(s, "url=http://+:80/x/", &e) == -1 &&
	    strstr(e.msg, "'user' (or 'sddl') is missing") != NULL);
	CHECK(urlacl(s, "url=http://+:80/x/ user=root listen=no", &e) == -1 &&
	    strstr(e.msg, "grants nothing") != NULL);
	CHECK(urlacl(s, "url=http://+:80/x/ user=root listen=maybe", &e)
	    == -1 && strstr(e.msg, "yes or no") != NULL);
	CHECK(urlacl(s, "url=http://+:80/x/ user=root sddl=D:(A;;GX;;;WD)",
	    &e) == -1 && strstr(e.msg, "sddl= alone") != NULL);
	{
		enum config_principal k;
		uint32_t id;
		int l, d;

		CHECK(config_principal_parse("NT AUTHORITY\\NETWORK SERVICE",
		    &k, &id, &e) == -1 && strstr(e.msg, "www-data") != NULL);
		CHECK(config_principal_parse("EVERYONE", &k, &id, &e) == 0 &&
		    k == CONFIG_EVERYONE);
		CHECK(config_sddl_parse("D:(A;;GA;;;BU)", &k, &id, &l, &d, &e)
		    == 0 && k == CONFIG_EVERYONE && l && d);
		CHECK(config_sddl_parse("D:(A;;GW;;;S-1-22-2-50)", &k, &id, &l,
		    &d, &e) == 0 && k == CONFIG_GROUP && id == 50 && !l && d);
		CHECK(config_sddl_parse("D:(A;;GX;;;S-1-22-1-7)", &k, &id, &l,
		    &d, &e) == 0 && k == CONFIG_USER && id == 7 && l && !d);
		CHECK(config_sddl_parse("D:(A;;GX;;;NS)", &k, &id, &l, &d, &e)
		    == -1 && strstr(e.msg, "www-data") != NULL);
		CHECK(config_sddl_parse("D:(A;;GR;;;WD)", &k, &id, &l, &d, &e)
		    == -1);
		CHECK(config_sddl_parse("D:(A;;GX;;;WD)(A;;GA;;;BA)", &k, &id,
		    &l, &d, &e) == -1);
		CHECK(config_sddl_parse("", &k, &id, &l, &d, &e) == -1);
		CHECK(config_sddl_parse("D:(A;;GX;;;S-1-22-1-)", &k, &id, &l,
		    &d, &e) == -1);
	}
	CHECK(urlacl(s, "url=http://+:80/x/ sddl=D:(A;;GX;;;WD)", &e) == 0);
	CHECK(config_urlacl_get(s, "http://+:80/x/", &r, &e) == 0 &&
	    r.kind == CONFIG_EVERYONE && r.listen && !r.delegate);
	config_urlacl_sddl(&r, sddl, sizeof(sddl));
	CHECK_STR(sddl, "D:(A;;GX;;;WD)");
	CHECK(config_principal_grants(r.kind, r.id, 12345, 12345, NULL) == 1);

	/* Coverage: the longest path; at equal length the exact host. */
	/* (A weak wildcard reservation covers weak wildcard prefixes only:
	 * + under /app/admin/ falls to the + reservation of /app/.) */
	url_prefix_parse("http://+:80/app/admin/x/", 24, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 1);
	CHECK_STR(r.url, "http://+:80/app/");
	url_prefix_parse("http://*:80/app/admin/x/", 24, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 1);
	CHECK_STR(r.url, "http://*:80/app/admin/");
	url_prefix_parse("http://www.example.test:80/app/admin/", 37, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 1);
	CHECK_STR(r.url, "http://www.example.test:80/app/admin/");
	CHECK(r.id == 1001 && !r.listen && r.delegate);
	url_prefix_parse("http://+:80/App/y/", 18, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 1);
	CHECK_STR(r.url, "http://+:80/app/");
	CHECK(r.kind == CONFIG_GROUP && r.delegate);
	config_urlacl_sddl(&r, sddl, sizeof(sddl));
	CHECK_STR(sddl, "D:(A;;GA;;;S-1-22-2-0)");
	url_prefix_parse("http://+:80/other/", 18, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 1);
	CHECK_STR(r.url, "http://+:80/");
	url_prefix_parse("https://+:443/", 14, &p, &e);
	CHECK(config_urlacl_covering(s, &p, &r, &e) == 0);

	CHECK(config_urlacl_get(s, "http://+:80/APP/", &r, &e) == 0);
	CHECK(config_urlacl_delete(s, "http://+:80/app/", &e) == 0);
	CHECK(config_urlacl_delete(s, "http://+:80/app/", &e) == -1 &&
	    e.code == CONFIG_E_NOT_FOUND);
	CHECK(config_urlacl_get(s, "http://+:80/app/", &r, &e) == -1 &&
	    e.code == CONFIG_E_NOT_FOUND);
	store_rollback(s);
	store_close(s);
}

static int
sslcert(struct store *s, enum config_verb v, const char *line,
    struct config_warnings *w, struct err *e)
{
	static struct config_args a;
	struct config_sslcert b;

	if (args(&a, line, e) == -1 ||
	    config_sslcert_from_args(&a, v, &b, e) == -1)
		return -1;
	if (v == CONFIG_ADD)
		return config_sslcert_add(s, &b, w, e);
	if (v == CONFIG_UPDATE)
		return config_sslcert_update(s, &b, w, e);
	return config_sslcert_delete(s, b.kind, b.endpoint, e);
}

static void
put_cert(struct store *s, const char *store, X509 *x, EVP_PKEY *k,
    char thumb[CERT_THUMB_LEN + 1])
{
	enum certstore_outcome o;
	struct err e;

	if (certstore_add(s, store, x, k, &o, &e) == -1)
		printf("# %s\n", e.msg);
	cert_thumbprint(x, thumb);
}

static void
test_sslcert(void)
{
	char good[CERT_THUMB_LEN + 1], nokey[CERT_THUMB_LEN + 1];
	char root[CERT_THUMB_LEN + 1], line[512], desc[256];
	struct config_warnings w = { .n = 0 };
	struct store *s = open_tx();
	struct config_sslcert b;
	EVP_PKEY *k1 = testcert_key(), *k2 = testcert_key();
	X509 *x1 = testcert_make("www.example.test", k1, NULL, NULL, 1);
	X509 *x2 = testcert_make("nokey.test", k2, NULL, NULL, 2);
	const char *appid = "appid={00112233-4455-6677-8899-aabbccddeeff}";
	struct err e;

	put_cert(s, "My", x1, k1, good);
	put_cert(s, "My", x2, NULL, nokey);
	put_cert(s, "Root", x1, NULL, root);

	snprintf(line, sizeof(line), "ipport=0.0.0.0:443 certhash=%s %s", good,
	    appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == 0 && w.n == 0);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    e.code == CONFIG_E_EXISTS && strstr(e.msg, "update") != NULL);
	/* [::]:443 is a binding of its own. */
	snprintf(line, sizeof(line), "ipport=[::]:443 certhash=%s %s "
	    "disablehttp2=enable", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == 0);
	CHECK(config_sslcert_get(s, CONFIG_IPPORT, "[::]:443", &b, &e) == 0 &&
	    b.opt[SSLOPT_DISABLEHTTP2] == 1 &&
	    b.opt[SSLOPT_VERIFYCLIENTCERTREVOCATION] == 1 &&
	    strcmp(b.storename, "MY") == 0);
	snprintf(line, sizeof(line), "ipport=0.0.0.0:8443 certhash=%s %s", nokey,
	    appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    e.code == CONFIG_E_NO_KEY && strstr(e.msg, "no private key"));
	snprintf(line, sizeof(line), "ipport=0.0.0.0:8443 certhash=%s %s "
	    "certstorename=CA", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    e.code == CONFIG_E_NO_KEY && strstr(e.msg, "LocalMachine\\CA"));
	snprintf(line, sizeof(line), "ipport=0.0.0.0:8443 certhash=%s %s "
	    "certstorename=root", root, appid);
	/* In Root without its key row? The key is shared by public key. */
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == 0);
	snprintf(line, sizeof(line), "ipport=0.0.0.0:9443 certhash=%.20s %s",
	    good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    e.code == CONFIG_E_PARAM && strstr(e.msg, "40 hex"));
	CHECK(sslcert(s, CONFIG_ADD, "ipport=0.0.0.0:9443 appid=x", &w, &e)
	    == -1 && strstr(e.msg, "'certhash' is missing"));
	snprintf(line, sizeof(line), "ipport=0.0.0.0:9443 certhash=%s", good);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    strstr(e.msg, "'appid' is missing"));
	snprintf(line, sizeof(line), "certhash=%s %s", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    strstr(e.msg, "'ipport' (or 'hostnameport') is missing"));
	snprintf(line, sizeof(line), "ipport=0.0.0.0:1 hostnameport=a:1 "
	    "certhash=%s %s", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    strstr(e.msg, "not both"));
	snprintf(line, sizeof(line), "ipport=0.0.0.0:9443 certhash=%s %s "
	    "http2=off", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == -1 &&
	    strstr(e.msg, "unknown parameter 'http2'"));
	snprintf(line, sizeof(line), "hostnameport=*.example.test:443 "
	    "certhash=%s %s usagecheck=enable", good, appid);
	CHECK(sslcert(s, CONFIG_ADD, line, &w, &e) == 0);

	/* Update changes only what it is given. */
	CHECK(sslcert(s, CONFIG_UPDATE, "ipport=[::]:443 "
	    "clientcertnegotiation=enable", &w, &e) == 0);
	CHECK(config_sslcert_get(s, CONFIG_IPPORT, "[::]:443", &b, &e) == 0 &&
	    b.opt[SSLOPT_DISABLEHTTP2] == 1 &&
	    b.opt[SSLOPT_CLIENTCERTNEGOTIATION] == 1);
	CHECK(sslcert(s, CONFIG_UPDATE, "ipport=10.0.0.1:443 disablehttp2="
	    "enable", &w, &e) == -1 && e.code == CONFIG_E_NOT_FOUND);
	snprintf(line, sizeof(line), "ipport=[::]:443 certhash=%s", nokey);
	CHECK(sslcert(s, CONFIG_UPDATE, line, &w, &e) == -1 &&
	    e.code == CONFIG_E_NO_KEY);

	CHECK(config_sslcert_using(s, good, desc, sizeof(desc)) == 1);
	CHECK_STR(desc, "ipport=0.0.0.0:443, ipport=0.0.0.0:8443, "
	    "ipport=[::]:443, hostnameport=*.example.test:443");
	CHECK(config_sslcert_using(s, nokey, desc, sizeof(desc)) == 0);

	CHECK(sslcert(s, CONFIG_DELETE, "ipport=0.0.0.0:443", &w, &e) == 0);
	CHECK(sslcert(s, CONFIG_DELETE, "ipport=0.0.0.0:443", &w, &e) == -1 &&
	    e.code == CONFIG_E_NOT_FOUND);
	CHECK(sslcert(s, CONFIG_DELETE, "ipport=0.0.0.0:443 certhash=x", &w,
	    &e) == -1 && e.code == CONFIG_E_PARAM);
	store_rollback(s);
	store_close(s);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_iplisten_timeout(void)
{
	struct store *s = open_tx();
	struct err e;
	int v, set;

	CHECK(config_iplisten_add(s, "192.0.2.1", &e) == 0);
	CHECK(config_iplisten_add(s, "192.0.2.1", &e) == -1 &&
	    e.code == CONFIG_E_EXISTS);
	CHECK(config_iplisten_delete(s, "192.0.2.2", &e) == -1 &&
	    e.code == CONFIG_E_NOT_FOUND);
	CHECK(config_iplisten_delete(s, "192.0.2.1", &e) == 0);
	CHECK(config_timeout_get(s, CONFIG_TIMEOUT_IDLE, &v, &set, &e) == 0 &&
	    v == 120 && !set);
	CHECK(config_timeout_set(s, CONFIG_TIMEOUT_IDLE, 30, &e) == 0);
	CHECK(config_timeout_get(s, CONFIG_TIMEOUT_IDLE, &v, &set, &e) == 0 &&
	    v == 30 && set);
	CHECK(config_timeout_delete(s, CONFIG_TIMEOUT_IDLE, &e) == 0);
	CHECK(config_timeout_get(s, CONFIG_TIMEOUT_IDLE, &v, &set, &e) == 0 &&
	    v == 120 && !set);
	store_rollback(s);
	store_close(s);
}

static int
count_url(enum config_setting s, const char *url, int64_t v, void *arg)
{
	int *n = arg;

	CHECK(s == CONFIG_SET_MAXREQUESTBODYSIZE);
	CHECK_STR(url, *n == 0 ? "http://+:80/a/" : "https://+:443/up/");
	CHECK(v == (*n == 0 ? 0 : 1024));
	(*n)++;
	return 0;
}

static void
test_setting(void)
{
	struct store *s = open_tx();
	char url[URL_PREFIX_MAX];
	enum config_setting k;
	struct err e;
	int64_t v;
	int set, n = 0;

	CHECK(config_setting_parse("maxconnections", &k, &e) == 0 &&
	    k == CONFIG_SET_MAXCONNECTIONS);
	CHECK(config_setting_parse("MINSENDRATE", &k, &e) == 0 &&
	    k == CONFIG_SET_MINSENDRATE);
	CHECK(config_setting_parse("metrics.url", &k, &e) == -1 &&
	    e.code == CONFIG_E_PARAM && strstr(e.msg, "MaxFieldLength") != NULL);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXCONNECTIONS, "Unlimited",
	    &v, &e) == 0 && v == CONFIG_UNLIMITED);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXFIELDLENGTH, "unlimited",
	    &v, &e) == -1 && e.code == CONFIG_E_PARAM);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXFIELDLENGTH, "63", &v,
	    &e) == -1 && strstr(e.msg, "from 64 to 65534") != NULL);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXFIELDLENGTH, "65534",
	    &v, &e) == 0 && v == 65534);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXREQUESTBODYSIZE, "0",
	    &v, &e) == 0 && v == 0);
	CHECK(config_setting_value_parse(CONFIG_SET_MAXREQUESTBODYSIZE,
	    "99999999999999999999", &v, &e) == -1);
	CHECK(config_setting_value_parse(CONFIG_SET_MINSENDRATE, "-1", &v,
	    &e) == -1);
	CHECK(config_setting_value_parse(CONFIG_SET_MINSENDRATE, "12k", &v,
	    &e) == -1);
	CHECK(config_setting_url_parse(CONFIG_SET_MAXCONNECTIONS,
	    "http://+:80/", url, &e) == -1 && strstr(e.msg, "service-wide"));
	CHECK(config_setting_url_parse(CONFIG_SET_MAXREQUESTBODYSIZE,
	    "http://+:80/a", url, &e) == -1 && e.code == CONFIG_E_PARAM);
	CHECK(config_setting_url_parse(CONFIG_SET_MAXREQUESTBODYSIZE,
	    "HTTPS://+:443/up/", url, &e) == 0);
	CHECK_STR(url, "https://+:443/up/");

	CHECK(config_setting_get(s, CONFIG_SET_MINSENDRATE, &v, &set, &e) ==
	    0 && v == 150 && !set);
	CHECK(config_setting_get(s, CONFIG_SET_MAXCONNECTIONS, &v, &set, &e) ==
	    0 && v == CONFIG_UNLIMITED && !set);
	CHECK(config_setting_set(s, CONFIG_SET_MINSENDRATE, NULL, 500, &e) == 0);
	CHECK(config_setting_set(s, CONFIG_SET_MINSENDRATE, NULL, 600, &e) == 0);
	CHECK(config_setting_get(s, CONFIG_SET_MINSENDRATE, &v, &set, &e) ==
	    0 && v == 600 && set);
	/* Another component's name in the same table is left alone. */
	CHECK(store_exec(s, "INSERT INTO setting VALUES ('metrics.url', "
	    "'http://x/')", &e) == 0);
	CHECK(config_setting_delete(s, CONFIG_SET_MINSENDRATE, NULL, &e) == 0);
	CHECK(config_setting_delete(s, CONFIG_SET_MINSENDRATE, NULL, &e) == 0);
	CHECK(config_setting_get(s, CONFIG_SET_MINSENDRATE, &v, &set, &e) ==
	    0 && v == 150 && !set);

	CHECK(config_setting_set(s, CONFIG_SET_MAXREQUESTBODYSIZE,
	    "https://+:443/up/", 1024, &e) == 0);
	CHECK(config_setting_set(s, CONFIG_SET_MAXREQUESTBODYSIZE,
	    "http://+:80/a/", 0, &e) == 0);
	CHECK(config_setting_get(s, CONFIG_SET_MAXREQUESTBODYSIZE, &v, &set,
	    &e) == 0 && v == CONFIG_UNLIMITED && !set);
	CHECK(config_setting_list_url(s, count_url, &n, &e) == 0 && n == 2);
	CHECK(config_setting_delete(s, CONFIG_SET_MAXREQUESTBODYSIZE,
	    "https://+:443/UP/", &e) == 0);
	n = 0;
	CHECK(config_setting_list_url(s, count_url, &n, &e) == 0 && n == 1);
	store_rollback(s);
	store_close(s);
}

static void
test_notify(const char *home)
{
	struct sockaddr_un sun;
	unsigned char f[32];
	struct err e;
	int fd, c;

	/* Nobody listening: silent. */
	CHECK(config_notify(7, &e) == 1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/hsysd.sock", home);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	/* Bound but not listening: refused, still silent. */
	CHECK(config_notify(7, &e) == 1);
	CHECK(listen(fd, 1) == 0);
	CHECK(config_notify(0x0102030405060708LL, &e) == 0);
	c = accept(fd, NULL, NULL);
	CHECK(c >= 0 && read(c, f, sizeof(f)) == 16);
	CHECK(f[0] == 0 && f[1] == 0 && f[2] == 0 && f[3] == 0);
	CHECK(f[4] == 0x01 && f[5] == 0x0f && f[6] == 0 && f[7] == 0);
	CHECK(f[8] == 0x08 && f[9] == 0x07 && f[15] == 0x01);
	close(c);
	close(fd);
}

int
main(void)
{
	const char *home = testcert_home();

	RUN(test_grammar);
	RUN(test_values);
	RUN(test_principals);
	RUN(test_urlacl);
	RUN(test_sslcert);
	RUN(test_iplisten_timeout);
	RUN(test_setting);
	unit_name = "test_notify";
	test_notify(home);
	testcert_home_remove(home);
	return unit_done();
}
