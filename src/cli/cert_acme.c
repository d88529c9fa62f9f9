/*
 * cert_acme — `hsys cert acme register|accounts|order|list`: ACME accounts
 * and certificates obtained from an ACME server (src/acme does the
 * protocol).
 *
 * HTTP-01 and TLS-ALPN-01 are answered by hsysd (src/acme/publish.c tells
 * it), DNS-01 through --dns-hook; renew and revoke are in
 * cert_acme_renew.c, and so is delete (docs/acme.md).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/secret.h"
#include "config/config.h"
#include "store/store.h"

#define NAMES_MAX	100	/* Let's Encrypt's limit per certificate */
#define ORDER_TIMEOUT	300

static const char register_usage[] =
"usage: hsys cert acme register --server URL [--ca-file PEM] [--email ADDR]\n"
"           [--eab-kid KID --eab-hmac-key-file FILE] [--accept-tos]\n"
"           [--key ec-p256|rsa-2048] [--timeout SECONDS]\n"
"\n"
"Creates an account at the ACME server whose directory is URL, with a new\n"
"key kept in the store. --ca-file trusts a private server's TLS certificate\n"
"(instead of the system's roots). --eab-* give the external account binding\n"
"a CA such as ZeroSSL hands out (the file holds the base64url MAC key).\n"
"--timeout bounds each exchange with the server (at most 60 seconds).\n";

static const char accounts_usage[] =
"usage: hsys cert acme accounts [--json]\n"
"\n"
"Lists the ACME accounts of the store.\n";

static const char order_usage[] =
"usage: hsys cert acme order --dns-name NAME... [--key ecdsa-p256|rsa-2048]\n"
"           [--store My|WebHosting] [--challenge http-01|tls-alpn-01|dns-01]\n"
"           [--http-port P] [--tls-port P] [--dns-hook PATH] [--server URL]\n"
"           [--ca-file PEM] [--timeout SECONDS] [--name NAME]\n"
"           [--bind ipport=ADDR:PORT|hostnameport=NAME:PORT]\n"
"\n"
"Obtains a certificate for the names from the account's ACME server, with a\n"
"key generated here that never leaves the store, and stores it and its\n"
"chain. hsysd answers http-01 (the default) on port P (80) and tls-alpn-01\n"
"on --tls-port (443), opening the port for the order if need be (without\n"
"hsysd, this command answers http-01 itself); dns-01 (needed for *.names)\n"
"runs 'PATH add|remove NAME VALUE' to publish the TXT record\n"
"_acme-challenge.NAME. --timeout (300) bounds the whole order, and each\n"
"exchange with the server to 60 seconds. The certificate is recorded under\n"
"NAME (default: the first name), which bindings may follow with\n"
"certhash=acme:NAME (--bind adds or moves that binding); hsysd renews it\n"
"when due ('hsys cert acme list').\n";

static const char list_usage[] =
"usage: hsys cert acme list [--json]\n"
"\n"
"Lists the certificates obtained by ACME: name, names, current thumbprint,\n"
"expiry, store, challenge, next renewal, when the server's renewal\n"
"information is asked again, failures and the last error.\n";

enum {
	O_SERVER = 256, O_CA_FILE, O_EMAIL, O_EAB_KID, O_EAB_KEY, O_TOS,
	O_KEY, O_JSON, O_DNS, O_STORE, O_CHALLENGE, O_HTTP_PORT, O_DNS_HOOK,
	O_TIMEOUT, O_NAME, O_TLS_PORT, O_FORCE, O_BIND, O_HELP
};

static const struct option long_opts[] = {
	{ "server", required_argument, NULL, O_SERVER },
	{ "ca-file", required_argument, NULL, O_CA_FILE },
	{ "email", required_argument, NULL, O_EMAIL },
	{ "eab-kid", required_argument, NULL, O_EAB_KID },
	{ "eab-hmac-key-file", required_argument, NULL, O_EAB_KEY },
	{ "accept-tos", no_argument, NULL, O_TOS },
	{ "key", required_argument, NULL, O_KEY },
	{ "json", no_argument, NULL, O_JSON },
	{ "dns-name", required_argument, NULL, O_DNS },
	{ "store", required_argument, NULL, O_STORE },
	{ "challenge", required_argument, NULL, O_CHALLENGE },
	{ "http-port", required_argument, NULL, O_HTTP_PORT },
	{ "dns-hook", required_argument, NULL, O_DNS_HOOK },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "name", required_argument, NULL, O_NAME },
	{ "tls-port", required_argument, NULL, O_TLS_PORT },
	{ "force", no_argument, NULL, O_FORCE },
	{ "bind", required_argument, NULL, O_BIND },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char	*server, *ca_file, *email, *eab_kid, *eab_key_file;
	const char	*key, *store, *challenge, *dns_hook, *name, *bind;
	const char	*names[NAMES_MAX];
	size_t		 nnames;
	int		 accept_tos, json, http_port, tls_port, timeout;
	int		 force;
	unsigned	 given;		/* bits of the options seen */
};

static int
number(const char *cmd, const char *opt, const char *s, int max, int *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > max) {
		cli_usage(cmd, "%s wants a number from 1 to %d, not '%s'", opt,
		    max, s);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
take(struct opts *o, int c, const char *cmd)
{
	switch (c) {
	case O_SERVER: o->server = optarg; break;
	case O_CA_FILE: o->ca_file = optarg; break;
	case O_EMAIL: o->email = optarg; break;
	case O_EAB_KID: o->eab_kid = optarg; break;
	case O_EAB_KEY: o->eab_key_file = optarg; break;
	case O_TOS: o->accept_tos = 1; break;
	case O_KEY: o->key = optarg; break;
	case O_JSON: o->json = 1; break;
	case O_STORE: o->store = optarg; break;
	case O_CHALLENGE: o->challenge = optarg; break;
	case O_DNS_HOOK: o->dns_hook = optarg; break;
	case O_NAME: o->name = optarg; break;
	case O_FORCE: o->force = 1; break;
	case O_BIND: o->bind = optarg; break;
	case O_HTTP_PORT:
		return number(cmd, "--http-port", optarg, 65535, &o->http_port);
	case O_TLS_PORT:
		return number(cmd, "--tls-port", optarg, 65535, &o->tls_port);
	case O_TIMEOUT:
		return number(cmd, "--timeout", optarg, 86400, &o->timeout);
	case O_DNS:
		if (o->nnames == NAMES_MAX) {
			cli_usage(cmd, "at most %d --dns-name", NAMES_MAX);
			return -1;
		}
		o->names[o->nnames++] = optarg;
		break;
	}
	return 0;
}

/* Returns -1 when the command line is wrong (already said), 1 after
 * --help, 0 to go on. allowed: the O_* options this command takes. */
static int
parse(int argc, char **argv, const int *allowed, const char *cmd,
    const char *usage, struct opts *o)
{
	int c, i;

	memset(o, 0, sizeof(*o));
	o->http_port = 80;
	o->tls_port = 443;
	o->timeout = ORDER_TIMEOUT;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c == 'h' || c == O_HELP) {
			fputs(usage, stdout);
			return 1;
		}
		if (c == ':') {
			cli_usage(cmd, "%s needs a value", argv[optind - 1]);
			return -1;
		}
		for (i = 0; allowed[i] && allowed[i] != c; i++)
			;
		if (c == '?' || !allowed[i]) {
			cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
		if (take(o, c, cmd) == -1)
			return -1;
	}
	if (optind < argc) {
		cli_usage(cmd, "unexpected '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* --- register ---------------------------------------------------------- */

static int
read_eab_key(const char *file, unsigned char **mac, size_t *len,
    struct err *e)
{
	char buf[SECRET_MAX];

	if (secret_read_file(file, buf, sizeof(buf), e) == -1)
		return -1;
	*mac = acme_b64url_decode(buf, len);
	secret_wipe(buf, sizeof(buf));
	if (*mac == NULL || *len == 0) {
		free(*mac);
		*mac = NULL;
		return err_set(e, "%s does not hold a base64url MAC key (as "
		    "the CA gave it)", file);
	}
	return 0;
}

static int
cmd_register(int argc, char **argv)
{
	static const int allowed[] = { O_SERVER, O_CA_FILE, O_EMAIL, O_EAB_KID,
	    O_EAB_KEY, O_TOS, O_KEY, O_TIMEOUT, 0 };
	const char *cmd = "cert acme register";
	struct acme_register rq;
	struct acme_account a;
	unsigned char *mac = NULL;
	struct store *s = NULL;
	struct opts o;
	struct err e;
	int rc;

	if ((rc = parse(argc, argv, allowed, cmd, register_usage, &o)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (o.server == NULL)
		return cli_usage(cmd, "give the ACME directory URL with "
		    "--server");
	if ((o.eab_kid == NULL) != (o.eab_key_file == NULL))
		return cli_usage(cmd, "--eab-kid and --eab-hmac-key-file go "
		    "together");
	memset(&rq, 0, sizeof(rq));
	rq.server = o.server;
	rq.ca_file = o.ca_file;
	rq.email = o.email;
	rq.eab_kid = o.eab_kid;
	rq.accept_tos = o.accept_tos;
	rq.key_type = o.key;
	rq.timeout = o.timeout < ACME_HTTP_TIMEOUT ? o.timeout : 0;
	rc = EXIT_FAIL;
	if (o.eab_key_file != NULL && read_eab_key(o.eab_key_file, &mac,
	    &rq.eab_maclen, &e) == -1)
		goto fail;
	rq.eab_mac = mac;
	if (store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    acme_account_register(s, &rq, &a, &e) == -1 ||
	    cli_commit(s, &e) == -1)
		goto fail;
	printf("Registered at %s\n  account: %s\n  key:     %s (in %s)\n",
	    a.server, a.url, a.key_desc, s->path);
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	if (mac != NULL) {
		secret_wipe(mac, rq.eab_maclen);
		free(mac);
	}
	store_close(s);
	return rc;
}

/* --- accounts ---------------------------------------------------------- */

static int
account_text(const struct acme_account *a, void *arg)
{
	int *n = arg;
	char when[64];

	cert_time_string(a->created, when, sizeof(when));
	printf("%s%-9s %" PRId64 "\n  server:  %s\n  account: %s\n  key:     "
	    "%s\n  email:   %s\n  created: %s\n", (*n)++ ? "\n" : "", "Account",
	    a->id, a->server, a->url, a->key_desc, *a->email ? a->email :
	    "(none)", when);
	if (*a->ca_file)
		printf("  ca-file: %s\n", a->ca_file);
	return 0;
}

static int
account_json(const struct acme_account *a, void *arg)
{
	int *n = arg;

	printf("%s\n  {\"id\": %" PRId64 ", \"server\": ", (*n)++ ? "," : "",
	    a->id);
	cli_json_str(stdout, a->server);
	fputs(", \"account\": ", stdout);
	cli_json_str(stdout, a->url);
	fputs(", \"key\": ", stdout);
	cli_json_str(stdout, a->key_desc);
	fputs(", \"email\": ", stdout);
	cli_json_str(stdout, a->email);
	fputs(", \"ca_file\": ", stdout);
	cli_json_str(stdout, a->ca_file);
	printf(", \"created\": %" PRId64 "}", a->created);
	return 0;
}

static int
cmd_accounts(int argc, char **argv)
{
	static const int allowed[] = { O_JSON, 0 };
	struct store *s = NULL;
	struct opts o;
	struct err e;
	int rc, n = 0;

	if ((rc = parse(argc, argv, allowed, "cert acme accounts",
	    accounts_usage, &o)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1)
		return cli_fail(&e);
	if (o.json)
		fputs("[", stdout);
	rc = acme_account_list(s, o.json ? account_json : account_text, &n,
	    &e);
	if (o.json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	else if (rc == 0 && n == 0)
		puts("No ACME accounts; 'hsys cert acme register --server URL' "
		    "makes one.");
	store_close(s);
	return rc == 0 ? EXIT_OK : cli_fail(&e);
}

/* --- order ------------------------------------------------------------- */

static void
progress(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "hsys: %s\n", line);
}

static int
order_check(const char *cmd, struct opts *o, struct cert_store_name *sn,
    const char **keytype)
{
	struct err e;
	size_t i;

	if (o->nnames == 0)
		return cli_usage(cmd, "give the names with --dns-name");
	/* Checked before anything is asked of the server: a name the CSR
	 * would refuse must not cost an order. */
	for (i = 0; i < o->nnames; i++)
		if (cert_dns_name_check(o->names[i], 1, &e) == -1)
			return cli_usage(cmd, "%s", e.msg);
	if (o->name != NULL && (*o->name == '\0' || strlen(o->name) > 255))
		return cli_usage(cmd, "--name is 1 to 255 characters");
	if (cert_store_name_parse(o->store, sn, &e) == -1)
		return cli_usage(cmd, "%s", e.msg);
	if (sn->loc != STORE_MACHINE || (strcmp(sn->name, CERT_STORE_MY) != 0
	    && strcmp(sn->name, CERT_STORE_WEBHOSTING) != 0))
		return cli_usage(cmd, "--store is My or WebHosting (of "
		    "LocalMachine)");
	if (o->key == NULL || strcmp(o->key, "ecdsa-p256") == 0 ||
	    strcmp(o->key, "ec-p256") == 0)
		*keytype = "ec-p256";
	else if (strcmp(o->key, "rsa-2048") == 0)
		*keytype = "rsa-2048";
	else
		return cli_usage(cmd, "--key is ecdsa-p256 or rsa-2048, not "
		    "'%s'", o->key);
	if (o->challenge == NULL)
		o->challenge = o->dns_hook ? ACME_CHALLENGE_DNS01 :
		    ACME_CHALLENGE_HTTP01;
	return 0;
}

/* What the acme_cert row says of this order, but the certificate. */
static void
order_record(const struct opts *o, const char *storename,
    const char *keytype, int64_t account_id, struct acme_cert *r)
{
	size_t i, n;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", o->name ? o->name :
	    o->names[0]);
	r->account_id = account_id;
	for (i = 0, n = 0; i < o->nnames && n < sizeof(r->names); i++)
		n += (size_t)snprintf(r->names + n, sizeof(r->names) - n,
		    "%s%s", i ? " " : "", o->names[i]);
	snprintf(r->key_type, sizeof(r->key_type), "%s",
	    strcmp(keytype, "rsa-2048") == 0 ? "rsa-2048" : "ecdsa-p256");
	snprintf(r->store, sizeof(r->store), "%s", storename);
	snprintf(r->challenge, sizeof(r->challenge), "%s", o->challenge);
	r->http_port = o->http_port;
	r->tls_port = o->tls_port;
	snprintf(r->dns_hook, sizeof(r->dns_hook), "%s", o->dns_hook ?
	    o->dns_hook : "");
}

static int
order_run(struct store *s, const struct opts *o, struct acme_cert *rec,
    struct cert_entry *c, struct err *e)
{
	struct acme_obtain ob = { .server = o->server, .ca_file = o->ca_file,
	    .timeout = o->timeout, .say = progress };
	int nonces = 0, rc;

	ob.nonces = &nonces;
	rc = acme_obtain(s, &ob, rec, c, e);
	if (nonces > 0)
		fprintf(stderr, "hsys: the server rejected %d nonce%s; retried "
		    "with fresh ones\n", nonces, nonces == 1 ? "" : "s");
	return rc;
}

/* The --bind endpoint, as 'hsys http add sslcert' reads it. */
static int
bind_args(const char *bind, const char *name, int add,
    struct config_sslcert *b, struct err *e)
{
	char hash[300];
	char *argv[] = { (char *)bind, hash,
	    (char *)"appid={00000000-0000-0000-0000-000000000000}" };
	struct config_args a;

	snprintf(hash, sizeof(hash), "certhash=" CONFIG_ACME_PREFIX "%s",
	    name);
	if (config_args_parse(add ? 3 : 2, argv, &a, e) == -1 ||
	    config_sslcert_from_args(&a, add ? CONFIG_ADD : CONFIG_UPDATE, b,
	    e) == -1)
		return err_prefix(e, "--bind %s", bind);
	return 0;
}

/* --bind: a binding that follows the certificate by name, added, or its
 * certhash moved to it (its other settings kept). */
static int
order_bind(struct store *s, const char *bind, const char *name,
    struct err *e)
{
	struct config_warnings w = { .n = 0 };
	struct config_sslcert b;
	int i, rc;

	if (bind_args(bind, name, 1, &b, e) == -1 || store_begin(s, e) == -1)
		return -1;
	rc = config_sslcert_add(s, &b, &w, e);
	if (rc == -1 && e->code == CONFIG_E_EXISTS)
		rc = bind_args(bind, name, 0, &b, e) == -1 ? -1 :
		    config_sslcert_update(s, &b, &w, e);
	if (rc == -1 || cli_commit(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	for (i = 0; i < w.n; i++)
		fprintf(stderr, "hsys: warning: %s\n", w.msg[i]);
	fprintf(stderr, "hsys: %s now follows certhash=" CONFIG_ACME_PREFIX
	    "%s\n", bind, name);
	return 0;
}

static int
cmd_order(int argc, char **argv)
{
	static const int allowed[] = { O_DNS, O_KEY, O_STORE, O_CHALLENGE,
	    O_HTTP_PORT, O_TLS_PORT, O_DNS_HOOK, O_SERVER, O_CA_FILE,
	    O_TIMEOUT, O_NAME, O_BIND, 0 };
	const char *cmd = "cert acme order", *keytype = NULL;
	struct cert_store_name sn;
	struct cert_entry c;
	struct acme_cert rec;
	struct config_sslcert bsc;
	struct store *s = NULL;
	struct opts o;
	struct err e;
	int rc;

	if ((rc = parse(argc, argv, allowed, cmd, order_usage, &o)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (order_check(cmd, &o, &sn, &keytype) != 0)
		return EXIT_USAGE;
	rc = EXIT_FAIL;
	order_record(&o, sn.name, keytype, 0, &rec);
	/* A --bind that could never be made must not cost an order. */
	if (o.bind != NULL && bind_args(o.bind, rec.name, 1, &bsc, &e) == -1)
		return cli_usage(cmd, "%s", e.msg);
	if (store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_need_keys(s, &e) == -1 ||
	    order_run(s, &o, &rec, &c, &e) == -1 ||
	    (o.bind != NULL && order_bind(s, o.bind, rec.name, &e) == -1))
		goto fail;
	cli_cert_table_header(stdout, store_location_name(sn.loc), sn.name);
	cli_cert_table_row(stdout, &c);
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	store_close(s);
	return rc;
}

/* --- list ------------------------------------------------------------- */

static int
cert_text(const struct acme_cert *c, void *arg)
{
	char until[64], when[64];
	int *n = arg;

	cert_time_string(c->not_after, until, sizeof(until));
	cert_time_string(c->updated, when, sizeof(when));
	printf("%s%s\n  names:      %s\n  thumbprint: %s (LocalMachine\\%s)\n"
	    "  expires:    %s\n  key:        %s\n  challenge:  %s\n"
	    "  obtained:   %s\n", (*n)++ ? "\n" : "", c->name, c->names,
	    c->thumbprint, c->store, until, c->key_type, c->challenge, when);
	if (c->next_renewal > 0) {
		cert_time_string(c->next_renewal, when, sizeof(when));
		printf("  renewal:    %s%s\n", when, c->failures ? " (after "
		    "a failure: back-off)" : "");
	}
	if (c->ari_check > 0) {
		cert_time_string(c->ari_check, when, sizeof(when));
		printf("  ARI again:  %s\n", when);
	}
	if (c->failures > 0)
		printf("  failures:   %d in a row\n", c->failures);
	if (*c->last_error)
		printf("  last error: %s\n", c->last_error);
	return 0;
}

static int
cert_json(const struct acme_cert *c, void *arg)
{
	int *n = arg;

	printf("%s\n  {\"name\": ", (*n)++ ? "," : "");
	cli_json_str(stdout, c->name);
	fputs(", \"names\": ", stdout);
	cli_json_str(stdout, c->names);
	fputs(", \"thumbprint\": ", stdout);
	cli_json_str(stdout, c->thumbprint);
	fputs(", \"store\": ", stdout);
	cli_json_str(stdout, c->store);
	fputs(", \"challenge\": ", stdout);
	cli_json_str(stdout, c->challenge);
	fputs(", \"key\": ", stdout);
	cli_json_str(stdout, c->key_type);
	printf(", \"account\": %" PRId64 ", \"not_before\": %" PRId64
	    ", \"not_after\": %" PRId64 ", \"updated\": %" PRId64
	    ", \"next_renewal\": %" PRId64 ", \"ari_check\": %" PRId64
	    ", \"failures\": %d, \"last_error\": ", c->account_id,
	    c->not_before, c->not_after, c->updated, c->next_renewal,
	    c->ari_check, c->failures);
	cli_json_str(stdout, c->last_error);
	fputs("}", stdout);
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	static const int allowed[] = { O_JSON, 0 };
	struct store *s = NULL;
	struct opts o;
	struct err e;
	int rc, n = 0;

	if ((rc = parse(argc, argv, allowed, "cert acme list", list_usage,
	    &o)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1)
		return cli_fail(&e);
	if (o.json)
		fputs("[", stdout);
	rc = acme_cert_list(s, o.json ? cert_json : cert_text, &n, &e);
	if (o.json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	else if (rc == 0 && n == 0)
		puts("No ACME certificates; 'hsys cert acme order --dns-name "
		    "NAME' obtains one.");
	store_close(s);
	return rc == 0 ? EXIT_OK : cli_fail(&e);
}

/* --- dispatch ---------------------------------------------------------- */

int
cert_cmd_acme(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "%s\n%s\n%s\n%s\n%s",
		    register_usage, accounts_usage, order_usage, list_usage,
		    "usage: hsys cert acme renew [NAME] [--force]\n"
		    "usage: hsys cert acme revoke NAME [--reason N]\n"
		    "usage: hsys cert acme delete NAME\n");
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "register") == 0)
		return cmd_register(argc - 1, argv + 1);
	if (strcmp(argv[1], "accounts") == 0)
		return cmd_accounts(argc - 1, argv + 1);
	if (strcmp(argv[1], "order") == 0)
		return cmd_order(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "renew") == 0)
		return cli_acme_renew(argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return cli_acme_delete(argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return cli_acme_revoke(argc - 1, argv + 1);
	return cli_usage("cert acme", "unknown command 'cert acme %s'",
	    argv[1]);
}
