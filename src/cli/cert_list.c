/*
 * cert_list — hsys cert list [S | --all] [--long] [--json]: the
 * certificates of a store, or of every store of a location, as
 * PowerShell's dir cert:\ prints them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

#define OPTION(name, has, val)	{ name, has, NULL, val }

static const struct option list_options[] = {
	OPTION("all", no_argument, CERT_OPT_ALL),
	OPTION("long", no_argument, CERT_OPT_LONG),
	OPTION("json", no_argument, CERT_OPT_JSON),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const char list_usage[] =
"usage: hsys cert list [S] [--all] [--long] [--json]\n"
"\n"
"Lists store S (default LocalMachine\\My) as PowerShell's dir cert:\\ does.\n"
"--all lists every store of S's location (S may then be LocalMachine or\n"
"CurrentUser); --long adds the expiry, private key and DNS names; --json\n"
"prints an array of objects.\n";

static const char *const all_stores[] = {
	CERT_STORE_MY, CERT_STORE_ROOT, CERT_STORE_CA, CERT_STORE_WEBHOSTING,
};

struct lister {
	struct store	*s;
	const char	*loc;
	int		 lng, json, n;
	struct err	*e;
};

static void
long_header(const char *loc, const char *store)
{
	printf("\n   Store: %s\\%s\n\n", loc, store);
	printf("%-41s %-10s %-4s %-32s %s\n", "Thumbprint", "NotAfter", "Key",
	    "Subject", "DnsNameList");
	printf("%-41s %-10s %-4s %-32s %s\n", "----------", "--------", "---",
	    "-------", "-----------");
}

static int
list_row(const struct cert_entry *c, void *arg)
{
	struct lister *l = arg;
	char dns[1024], date[32];
	X509 *x = NULL;

	if (!l->lng && !l->json) {
		cli_cert_table_row(stdout, c);
		return 0;
	}
	if (certstore_load(l->s, c->id, &x, NULL, l->e) == -1)
		return -1;
	if (l->json) {
		fputs(l->n++ ? ",\n  {" : "[\n  {", stdout);
		cli_cert_json_entry(stdout, l->loc, c, x);
		fputc('}', stdout);
	} else {
		cert_san_join(x, GEN_DNS, dns, sizeof(dns));
		cert_iso_time(c->not_after, date, sizeof(date));
		date[10] = '\0';
		printf("%-41s %-10s %-4s %-32s %s\n", c->thumbprint, date,
		    c->has_key ? "Yes" : "No", c->subject, dns);
	}
	X509_free(x);
	return 0;
}

static int
list_store(struct lister *l, const char *name)
{
	if (!l->json && l->lng)
		long_header(l->loc, name);
	else if (!l->json)
		cli_cert_table_header(stdout, l->loc, name);
	return certstore_list(l->s, name, list_row, l, l->e) == 0 ? 0 : -1;
}

/* "LocalMachine", "cert:\CurrentUser\" ...: a whole location. */
static int
location_only(const char *in, enum store_location *loc)
{
	const char *s = in;
	size_t n;

	if (strncasecmp(s, "cert:", 5) == 0)
		s += strspn(s + 5, "\\/") + 5;
	n = strcspn(s, "\\/");
	if (s[n + strspn(s + n, "\\/")] != '\0')
		return 0;
	if (n == 12 && strncasecmp(s, "LocalMachine", n) == 0)
		*loc = STORE_MACHINE;
	else if (n == 11 && strncasecmp(s, "CurrentUser", n) == 0)
		*loc = STORE_USER;
	else
		return 0;
	return 1;
}

int
cert_cmd_list(int argc, char **argv)
{
	struct cert_store_name sn = { STORE_MACHINE, CERT_STORE_MY };
	struct lister l;
	struct cert_opts o;
	struct err e;
	size_t i;
	int r, rc = 0;

	if ((r = cert_opts_parse(argc, argv, list_options, 1, "cert list",
	    list_usage, &o)) != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.nargs == 1 && cert_requests_name(o.arg[0], &sn.loc))
		return cert_requests_list(sn.loc, o.json);
	if (o.nargs == 1 && location_only(o.arg[0], &sn.loc))
		o.all = 1;
	else if (cert_store_name_parse(o.arg[0], &sn, &e) == -1)
		return cli_usage("cert list", "%s", e.msg);
	memset(&l, 0, sizeof(l));
	l.loc = store_location_name(sn.loc);
	l.lng = o.lng;
	l.json = o.json;
	l.e = &e;
	if (store_open(&l.s, sn.loc, STORE_READ, &e) == -1)
		return cli_fail(&e);
	if (o.all) {
		for (i = 0; i < sizeof(all_stores) / sizeof(all_stores[0]) &&
		    rc == 0; i++)
			rc = list_store(&l, all_stores[i]);
	} else
		rc = list_store(&l, sn.name);
	store_close(l.s);
	if (rc == -1)
		return cli_fail(&e);
	if (l.json)
		fputs(l.n ? "\n]\n" : "[]\n", stdout);
	return EXIT_OK;
}
