/*
 * cert_delete — hsys cert delete T: one certificate out of its store, and
 * its private key with the last entry that uses it. A certificate that a
 * binding uses is refused, by thumbprint or through an ACME record
 * (certhash=acme:NAME follows the record's current certificate), and so is
 * an ACME record's current certificate: hsysd renews from it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
 * The ACME record whose current certificate c is, into name, and the
 * bindings that follow it into used: 1 when there is one, 0 none, -1 on
 * error. Records and bindings share hsys.db (LocalMachine only).
 */
static int
acme_holder(struct store *s, const struct cert_entry *c, char *name,
    size_t nsize, char *used, size_t usize)
{
	const char *kind;
	sqlite3_stmt *st;
	size_t n;
	int rc, found = 0;

	name[0] = used[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT a.name, b.kind, b.endpoint "
	    "FROM acme_cert a LEFT JOIN sslcert b ON b.certhash = '"
	    CONFIG_ACME_PREFIX "' || a.name WHERE a.thumbprint = upper(?1) "
	    "AND lower(a.store) = lower(?2) ORDER BY a.name, "
	    "b.kind = 'hostnameport', b.endpoint", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, c->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->store, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!found)
			snprintf(name, nsize, "%s",
			    (const char *)sqlite3_column_text(st, 0));
		found = 1;
		/* One record is enough to name; its bindings only. */
		if (strcmp(name, (const char *)sqlite3_column_text(st, 0))
		    != 0 || (kind = (const char *)sqlite3_column_text(st, 1))
		    == NULL)
			continue;
		n = strlen(used);
		if (usize > n)
			snprintf(used + n, usize - n, "%s%s=%s", n ? ", " : "",
			    kind, (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? found : -1;
}

/* Refuses c when an ACME record holds it (and bindings follow that). */
static int
acme_refuse(struct store *s, const struct cert_entry *c, struct err *e)
{
	char name[256], used[512];
	int rc;

	if ((rc = acme_holder(s, c, name, sizeof(name), used, sizeof(used)))
	    == -1)
		return err_set(e, "cannot read the ACME certificates in %s",
		    s->path);
	if (rc == 0)
		return 0;
	if (*used)
		return err_set(e, "the certificate %s is the current one of the "
		    "ACME certificate %s, which the binding %s follows "
		    "(certhash=" CONFIG_ACME_PREFIX "%s); delete or update that "
		    "binding first ('hsys http delete sslcert ...'), then the "
		    "record ('hsys cert acme delete %s'), or renew it ('hsys "
		    "cert acme renew %s --force') so that this one is no longer "
		    "current", c->thumbprint, name, used, name, name, name);
	return err_set(e, "the certificate %s is the current one of the ACME "
	    "certificate %s, which hsysd renews; delete the record first "
	    "('hsys cert acme delete %s'), or renew it ('hsys cert acme renew "
	    "%s --force') so that this one is no longer current",
	    c->thumbprint, name, name, name);
}

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
	if (s->loc == STORE_MACHINE && acme_refuse(s, c, e) == -1)
		goto fail;
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
