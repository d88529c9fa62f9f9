/*
 * cert_opts — the command lines of hsys cert import, list, show and
 * delete: one getopt_long loop for the options they share (--store, the
 * password options, --all, --long, --json, --help) and their positional
 * arguments. Each command keeps its own option table and usage text.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"

/* A --store that names no store is a wrong command line. */
int
cert_store_opt_ok(const char *cmd, const char *store)
{
	struct cert_store_name sn;
	struct err e;

	if (store == NULL || cert_store_name_parse(store, &sn, &e) == 0)
		return 1;
	cli_usage(cmd, "%s", e.msg);
	return 0;
}

/* Returns -1 when the command line is wrong (already said), 1 after
 * --help, 0 to go on. */
int
cert_opts_parse(int argc, char **argv, const struct option *lo, int maxargs,
    const char *cmd, const char *usage, struct cert_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;	/* GNU: a full reset, as batch mode parses again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case CERT_OPT_STORE:
			o->store = optarg;
			break;
		case CERT_OPT_PASSWORD_FILE:
			o->pw.file = optarg;
			break;
		case CERT_OPT_PASSWORD_STDIN:
			o->pw.from_stdin = 1;
			break;
		case CERT_OPT_PASSWORD:
			o->pw.arg = optarg;
			break;
		case CERT_OPT_ALL:
			o->all = 1;
			break;
		case CERT_OPT_LONG:
			o->lng = 1;
			break;
		case CERT_OPT_JSON:
			o->json = 1;
			break;
		case 'h':
		case CERT_OPT_HELP:
			fputs(usage, stdout);
			return 1;
		case ':':
			cli_usage(cmd, "%s needs a value", argv[optind - 1]);
			return -1;
		default:
			cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (o->nargs == maxargs) {
			cli_usage(cmd, "unexpected '%s'", argv[optind]);
			return -1;
		}
		o->arg[o->nargs++] = argv[optind];
	}
	return 0;
}
