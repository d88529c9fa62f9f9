/*
 * cert_store — placeholder; replaced by its implementation.
 */
#include <stdio.h>

#include "cli/cli.h"

int
cert_cmd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_show(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_delete(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}
