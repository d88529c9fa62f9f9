/*
 * cert_password — the password options of import and export
 * (--password-file, --password-stdin, --password), read once, with a
 * warning for the one other users can see in the process list.
 */
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/secret.h"

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
