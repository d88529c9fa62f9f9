/*
 * cert — the `hsys cert` command group: dispatch and help.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

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
