/*
 * batch — placeholder for netsh-style batch mode.
 */
#include <stdio.h>

#include "cli/cli.h"

int
cli_batch(const char *path, int atomic)
{
	(void)path;
	(void)atomic;
	fputs("hsys: batch mode is not built yet\n", stderr);
	return EXIT_FAIL;
}
