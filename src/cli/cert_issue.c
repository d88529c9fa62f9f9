/*
 * cert_issue — placeholder; replaced by its implementation.
 */
#include <stdio.h>

#include "cli/cli.h"

int
cert_cmd_new_selfsigned(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_new_ca(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_request(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}

int
cert_cmd_accept(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("hsys: not built yet\n", stderr);
	return EXIT_FAIL;
}
