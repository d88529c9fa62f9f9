/*
 * cert — the `hsys cert` command group: dispatch and help.
 */
#include <stdio.h>
#include <string.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/secret.h"
#include "store/store.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
} commands[] = {
	{ "import", cert_cmd_import, "FILE [--store S] [--password-file F | "
	    "--password-stdin | --password P]" },
	{ "list", cert_cmd_list, "[S | --all] [--long] [--json]" },
	{ "show", cert_cmd_show, "T [--store S] [--json]" },
	{ "new-selfsigned", cert_cmd_new_selfsigned, "--dns-name NAME... "
	    "[--ip ADDR...] [--subject DN] [--key TYPE] [--days N | "
	    "--not-after DATE] [--signer T] [--store S]" },
	{ "new-ca", cert_cmd_new_ca, "--name NAME [--key TYPE] [--days N] "
	    "[--permit-dns SUFFIX...]" },
	{ "request", cert_cmd_request, "--dns-name NAME... [--ip ADDR...] "
	    "[--subject DN] "
	    "[--key TYPE] --out FILE.csr" },
	{ "accept", cert_cmd_accept, "FILE" },
	{ "export", cert_cmd_export, "T (--pfx FILE | --pem FILE) [--with-key] "
	    "[--password-file F | --password-stdin | --password P] [--legacy] "
	    "[--force] [--store S]" },
	{ "delete", cert_cmd_delete, "T [--store S]" },
	{ "trust", cert_cmd_trust, "T [--dry-run] [--root DIR] [--store S]" },
	{ "untrust", cert_cmd_untrust, "T [--dry-run] [--root DIR] "
	    "[--store S]" },
	{ "verify", cert_cmd_verify, "T [--dns-name NAME] [--store S]" },
	{ "acme", cert_cmd_acme, "register|accounts|order|list ... (see "
	    "'hsys cert acme --help')" },
};

int
cli_cert_find(const char *store_opt, const char *thumb, int flags,
    struct store **sp, struct cert_entry *c, struct err *e)
{
	struct cert_store_name sn;

	*sp = NULL;
	if (cert_store_name_parse(store_opt, &sn, e) == -1)
		return -1;
	if (store_open(sp, sn.loc, flags, e) == -1)
		return -1;
	if (certstore_find(*sp, store_opt ? sn.name : NULL, thumb, c, e)
	    == -1) {
		store_close(*sp);
		*sp = NULL;
		return -1;
	}
	return 0;
}

int
cli_password_read(const struct cli_password *p, char *buf, size_t size,
    int *given, struct err *e)
{
	int n = (p->file != NULL) + (p->from_stdin != 0) + (p->arg != NULL);

	*given = n > 0;
	buf[0] = '\0';
	if (n > 1)
		return err_set(e, "give the password once: --password-file, "
		    "--password-stdin or --password");
	if (p->file != NULL)
		return secret_read_file(p->file, buf, size, e);
	if (p->from_stdin)
		return secret_read_file("-", buf, size, e);
	if (p->arg != NULL) {
		cli_warn("--password on the command line can be seen by other "
		    "users in the process list; prefer --password-file or "
		    "--password-stdin");
		if (strlen(p->arg) >= size)
			return err_set(e, "the password is longer than %zu "
			    "bytes", size - 1);
		memcpy(buf, p->arg, strlen(p->arg) + 1);
	}
	return 0;
}

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

static void
help(FILE *f)
{
	size_t i;

	fputs("usage: hsys cert <command> [options]\n\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  hsys cert %s %s\n", commands[i].name,
		    commands[i].synopsis);
	fputs("\nT is a thumbprint (40 hex digits, or a unique prefix of 8 or "
	    "more);\nS is a store: My, Root, CA, WebHosting, optionally "
	    "LocalMachine\\S or CurrentUser\\S.\n'hsys cert COMMAND --help' "
	    "describes one command; man hsys-cert has it all.\n", f);
}

int
cli_cert(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage("cert", "unknown command 'cert %s'", argv[1]);
}
