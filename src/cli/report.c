/*
 * report — how every hsys command tells the user what went wrong: a
 * failure ("hsys: <message>."), a wrong command line (with a hint to
 * --help) and a warning, each on stderr with the exit code it implies
 * (cli.h). The lowest layer of src/cli: every command file calls it, and
 * it calls none of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

int
cli_fail(const struct err *e)
{
	size_t n = strlen(e->msg);

	fprintf(stderr, "hsys: %s%s\n", e->msg,
	    n > 0 && (e->msg[n - 1] == '.' || e->msg[n - 1] == '?') ? "" : ".");
	return EXIT_FAIL;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("hsys: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ". See 'hsys %s --help'.\n", cmd);
	return EXIT_USAGE;
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("hsys: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
