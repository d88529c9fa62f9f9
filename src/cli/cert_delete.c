/*
 * cert_delete — hsys cert delete T: one certificate out of its store, and
 * its private key with the last entry that uses it. A certificate that a
 * binding uses is refused.
 */
#include <getopt.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "config/config.h"
#include "common/err.h"
#include "store/store.h"

#define OPTION(name, has, val)	{ name, has, NULL, val }

static const struct option delete_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const char delete_usage[] =
"usage: hsys cert delete T [--store S]\n"
"\n"
"Deletes certificate T from its store (S narrows the search; My is\n"
"preferred). Its private key goes with the last entry that uses it.\n";

/*
 * The one place an entry is deleted, in one transaction. A certificate a
 * binding uses is refused: the check and the deletion see the same store.
 */
static int
delete_entry(struct store *s, const struct cert_entry *c, int *key_gone,
    struct err *e)
{
	char used[512];
	int64_t key_id = 0;
	X509 *x = NULL;
	int rc;

	*key_gone = 0;
	if (certstore_load(s, c->id, &x, NULL, e) == -1)
		return -1;
	if (store_begin(s, e) == -1)
		goto fail;
	/* Bindings live in the LocalMachine store only. */
	if (s->loc == STORE_MACHINE && (rc = config_sslcert_using(s,
	    c->thumbprint, used, sizeof(used))) != 0) {
		if (rc == -1)
			err_set(e, "cannot read the bindings in %s", s->path);
		else
			err_set(e, "the certificate %s is used by the binding "
			    "%s; delete or update that binding first ('hsys "
			    "http delete sslcert ...')", c->thumbprint, used);
		goto fail;
	}
	if (certstore_delete(s, c->id, e) == -1)
		goto fail;
	if (c->has_key && certstore_key_find(s, X509_get0_pubkey(x), &key_id,
	    NULL, e) == -1)
		goto fail;
	if (cli_commit(s, e) == -1)
		goto fail;
	*key_gone = c->has_key && key_id == 0;
	X509_free(x);
	return 0;
fail:
	store_rollback(s);
	X509_free(x);
	return -1;
}

int
cert_cmd_delete(int argc, char **argv)
{
	enum store_location loc;
	struct cert_entry c;
	struct store *s;
	struct cert_opts o;
	struct err e;
	int r, key_gone;

	if ((r = cert_opts_parse(argc, argv, delete_options, 1, "cert delete",
	    delete_usage, &o)) != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.nargs != 1)
		return cli_usage("cert delete", "delete needs a thumbprint");
	if (cert_requests_name(o.store, &loc))
		return cert_requests_delete(loc, o.arg[0]);
	if (!cert_store_opt_ok("cert delete", o.store))
		return EXIT_USAGE;
	if (cli_cert_find(o.store, o.arg[0], STORE_WRITE, &s, &c, &e) == -1)
		return cli_fail(&e);
	if (delete_entry(s, &c, &key_gone, &e) == -1) {
		store_close(s);
		return cli_fail(&e);
	}
	printf("Deleted %s (%s) from %s\\%s%s.\n", c.thumbprint, c.subject,
	    store_location_name(s->loc), c.store, key_gone ?
	    ", with its private key" : c.has_key ? "; its private key stays "
	    "for another entry that uses it" : "");
	store_close(s);
	return EXIT_OK;
}
