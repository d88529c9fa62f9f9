/*
 * cert_export — placeholder; replaced by its implementation.
 */
#include <stdio.h>

#include "cli/cli.h"

int
cert_cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}
