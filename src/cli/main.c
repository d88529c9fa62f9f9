/*
 * main — the hsys program: global options, then a command group.
 *
 *   hsys cert ...           the machine certificate store
 *   hsys http ...           the HTTP configuration (netsh http syntax)
 *   hsys diagnose URL       why a URL does not reach its application
 *   hsys -f FILE [--atomic] batch lines from a file
 *   ... | hsys              batch lines from standard input
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/secret.h"

#ifndef HSYS_VERSION
#define HSYS_VERSION "0.1.0"
#endif

static const char usage_text[] =
"usage: hsys <command> ...\n"
"\n"
"  hsys cert ...            manage the machine certificate store\n"
"  hsys http ...            manage the HTTP configuration (netsh http syntax)\n"
"  hsys diagnose URL        check every hop from a client to the application\n"
"  hsys -f FILE [--atomic]  run the command lines of FILE (netsh -f)\n"
"  COMMANDS | hsys          run command lines read from standard input\n"
"  hsys --version           print the version\n"
"\n"
"'hsys cert --help' and 'hsys http --help' list the commands of a group.\n"
"State lives in $HSYS_HOME when set, else /var/lib/hsys (see hsys(1)).\n"
"Exit status: 0 success, 1 failure, 2 a command line that is not valid.\n";

int
main(int argc, char **argv)
{
	const char *file = NULL;
	int atomic = 0, i;

	/* hsys handles private keys and passwords: no core dumps. */
	secret_protect_process();

	if (argc < 2) {
		if (isatty(STDIN_FILENO)) {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
		return cli_batch("-", 0);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("hsys %s\n", HSYS_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "cert") == 0)
		return cli_cert(argc - 1, argv + 1);
	if (strcmp(argv[1], "http") == 0)
		return cli_http(argc - 1, argv + 1);
	if (strcmp(argv[1], "diagnose") == 0)
		return cli_diagnose(argc - 1, argv + 1);
	if (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--atomic") == 0) {
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--atomic") == 0)
				atomic = 1;
			else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
				file = argv[++i];
			else
				return cli_usage("", "unexpected '%s'",
				    argv[i]);
		}
		if (file == NULL)
			return cli_usage("", "-f needs a file name");
		return cli_batch(file, atomic);
	}
	fprintf(stderr, "hsys: unknown command '%s'. See 'hsys --help'.\n",
	    argv[1]);
	return EXIT_USAGE;
}
