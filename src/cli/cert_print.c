/*
 * cert_print — how the cert commands print certificates: PowerShell's
 * table (Thumbprint, Subject) under a "Store: Location\Name" heading.
 */
#include <stdio.h>

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
