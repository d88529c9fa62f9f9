/*
 * http — placeholder for the `hsys http` command group.
 */
#include <stdio.h>

#include "cli/cli.h"

int
cli_http(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}
