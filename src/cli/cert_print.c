/*
 * cert_print — how the cert commands print certificates: PowerShell's
 * table (Thumbprint, Subject) under a "Store: Location\Name" heading, and
 * the JSON fields list and show share.
 */
#include <stdio.h>

#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"

void
cli_cert_table_header(FILE *f, const char *location, const char *store)
{
	fprintf(f, "\n   Store: %s\\%s\n\n", location, store);
	fprintf(f, "%-41s %s\n%-41s %s\n", "Thumbprint", "Subject",
	    "----------", "-------");
}

void
cli_cert_table_row(FILE *f, const struct cert_entry *c)
{
	fprintf(f, "%-41s %s\n", c->thumbprint, c->subject);
}

struct json_list {
	FILE	*f;
	int	 n;
};

static void
json_item(const char *name, void *arg)
{
	struct json_list *l = arg;

	if (l->n++ > 0)
		fputs(", ", l->f);
	cli_json_str(l->f, name);
}

void
cli_cert_json_sans(FILE *f, const char *key, X509 *x, int type)
{
	struct json_list l = { f, 0 };

	fprintf(f, "\"%s\": [", key);
	cert_san_each(x, type, json_item, &l);
	fputc(']', f);
}

void
cli_cert_json_entry(FILE *f, const char *loc, const struct cert_entry *c,
    X509 *x)
{
	char nb[32], na[32];

	cert_iso_time(c->not_before, nb, sizeof(nb));
	cert_iso_time(c->not_after, na, sizeof(na));
	cli_json_field(f, "thumbprint", c->thumbprint, 0);
	cli_json_field(f, "sha256", c->sha256, 0);
	cli_json_field(f, "store", c->store, 0);
	cli_json_field(f, "location", loc, 0);
	cli_json_field(f, "subject", c->subject, 0);
	cli_json_field(f, "issuer", c->issuer, 0);
	cli_json_field(f, "not_before", nb, 0);
	cli_json_field(f, "not_after", na, 0);
	fprintf(f, "\"has_private_key\": %s, ", c->has_key ? "true" : "false");
	cli_cert_json_sans(f, "dns_names", x, GEN_DNS);
}
