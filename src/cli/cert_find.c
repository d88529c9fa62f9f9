/*
 * cert_find — finding the certificate a command names: a thumbprint (or a
 * unique prefix) and an optional --store, in the store of that location.
 * Shared by the cert commands that act on one certificate (show, export,
 * delete, verify).
 */
#include <stddef.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

int
cli_cert_find(const char *store_opt, const char *thumb, int flags,
    struct store **sp, struct cert_entry *c, struct err *e)
{
	struct cert_store_name sn;

	*sp = NULL;
	if (cert_store_name_parse(store_opt, &sn, e) == -1)
		return -1;
	if (store_open(sp, sn.loc, flags, e) == -1)
		return -1;
	if (certstore_find(*sp, store_opt ? sn.name : NULL, thumb, c, e)
	    == -1) {
		store_close(*sp);
		*sp = NULL;
		return -1;
	}
	return 0;
}
