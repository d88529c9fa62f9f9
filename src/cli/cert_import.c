/*
 * cert_import — hsys cert import FILE: a certificate file into the store.
 *
 * import puts the end-entity certificate (and its key) in the target store
 * and the intermediate CAs in CA; a root found in a file is only reported,
 * because trusting a root is a decision the user makes on its own (import
 * it alone with --store Root, or hsys cert trust). Every write is one
 * transaction: a failure leaves the store as it was.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/secret.h"
#include "store/store.h"

#define OPTION(name, has, val)	{ name, has, NULL, val }

static const struct option import_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
	OPTION("password-file", required_argument, CERT_OPT_PASSWORD_FILE),
	OPTION("password-stdin", no_argument, CERT_OPT_PASSWORD_STDIN),
	OPTION("password", required_argument, CERT_OPT_PASSWORD),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const char import_usage[] =
"usage: hsys cert import FILE [--store S] [--password-file F | --password-stdin\n"
"                        | --password P]\n"
"\n"
"Imports a PKCS#12 (.pfx/.p12), PEM or DER file, recognized by content.\n"
"The certificate and its private key go to S (default LocalMachine\\My),\n"
"intermediate CA certificates to CA of the same location. A root CA in the\n"
"file is reported, never trusted; import a file holding only a CA with\n"
"--store Root or --store CA to store it there. Importing again is harmless\n"
"and adds the key to a copy that had none. Without a password option, a\n"
"protected file prompts on the terminal.\n";

struct imported {
	struct cert_entry	 c;
	enum certstore_outcome	 outcome;
};

struct import {
	struct cert_store_name	 sn;
	const char		*file;
	struct imported		*rows;
	int			 nrows;
	STACK_OF(X509)		*roots;		/* reported, not stored */
};

static int
is_root(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0 &&
	    X509_check_ca(x) != 0;
}

/*
 * Where a certificate of the file goes: the target store, CA, or nowhere
 * (NULL: a root, reported; "": skipped). A root alone in a file goes to
 * Root or CA when the user names that store: that is how one trusts it.
 */
static const char *
destination(X509 *x, int is_leaf, int has_key, const char *target)
{
	int to_ca_store = strcmp(target, CERT_STORE_ROOT) == 0 ||
	    strcmp(target, CERT_STORE_CA) == 0;

	if (is_leaf && has_key)
		return target;
	if (is_root(x))
		return is_leaf && to_ca_store ? target : NULL;
	if (X509_check_ca(x) != 0)
		return is_leaf && to_ca_store ? target : CERT_STORE_CA;
	return is_leaf ? target : "";
}

static int
import_one(struct store *s, struct import *im, const char *storename,
    X509 *x, EVP_PKEY *key, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct imported *r;

	if (storename == NULL) {
		if (!X509_up_ref(x))
			return err_ssl(e, "out of memory");
		if (!sk_X509_push(im->roots, x)) {
			X509_free(x);
			return err_ssl(e, "out of memory");
		}
		return 0;
	}
	if (*storename == '\0') {
		cert_thumbprint(x, thumb);
		cli_warn("skipped %s in %s: it is neither the certificate's "
		    "nor a CA", thumb, im->file);
		return 0;
	}
	if ((r = reallocarray(im->rows, (size_t)im->nrows + 1,
	    sizeof(*r))) == NULL)
		return err_sys(e, "cannot import");
	im->rows = r;
	r += im->nrows;
	if (certstore_add(s, storename, x, key, &r->outcome, e) == -1)
		return -1;
	if (cert_thumbprint(x, thumb) == -1)
		return err_ssl(e, "cannot hash a certificate");
	if (certstore_find(s, storename, thumb, &r->c, e) == -1)
		return -1;
	im->nrows++;
	return 0;
}

static int
import_bundle(struct import *im, struct cert_bundle *b, struct err *e)
{
	struct store *s;
	int i;

	if (store_open(&s, im->sn.loc, STORE_WRITE, e) == -1)
		return -1;
	if (store_begin(s, e) == -1)
		goto fail;
	if (import_one(s, im, destination(b->leaf, 1, b->key != NULL,
	    im->sn.name), b->leaf, b->key, e) == -1)
		goto fail;
	for (i = 0; i < sk_X509_num(b->extra); i++)
		if (import_one(s, im, destination(sk_X509_value(b->extra, i),
		    0, 0, im->sn.name), sk_X509_value(b->extra, i), NULL, e)
		    == -1)
			goto fail;
	if (im->nrows == 0) {
		err_set(e, "nothing was imported: %s holds only a root CA; "
		    "to trust it, run 'hsys cert import %s --store Root'",
		    im->file, im->file);
		goto fail;
	}
	if (cli_commit(s, e) == -1)
		goto fail;
	store_close(s);
	return 0;
fail:
	store_rollback(s);
	store_close(s);
	return -1;
}

static void
import_row(const struct imported *r)
{
	struct cert_entry c = r->c;
	const char *note = "";

	switch (r->outcome) {
	case CERTSTORE_ADDED:
		note = c.has_key ? "(with private key)" : "";
		break;
	case CERTSTORE_EXISTS:
		note = c.has_key ? "(already there, with private key)" :
		    "(already there)";
		break;
	case CERTSTORE_KEY_ATTACHED:
		note = "(private key added)";
		break;
	}
	if (*note != '\0')
		snprintf(c.subject, sizeof(c.subject), "%.400s  %s",
		    r->c.subject, note);
	cli_cert_table_row(stdout, &c);
}

/* One table per store touched, the target store first. */
static void
import_report(const struct import *im)
{
	const char *order[] = { im->sn.name, CERT_STORE_CA };
	char thumb[CERT_THUMB_LEN + 1], subject[512];
	int i, j, shown;
	X509 *x;

	for (i = 0; i < 2; i++) {
		if (i == 1 && strcmp(order[0], order[1]) == 0)
			break;
		for (shown = 0, j = 0; j < im->nrows; j++) {
			if (strcmp(im->rows[j].c.store, order[i]) != 0)
				continue;
			if (shown++ == 0)
				cli_cert_table_header(stdout,
				    store_location_name(im->sn.loc),
				    order[i]);
			import_row(&im->rows[j]);
		}
	}
	for (i = 0; i < sk_X509_num(im->roots); i++) {
		x = sk_X509_value(im->roots, i);
		cert_thumbprint(x, thumb);
		cert_name_string(X509_get_subject_name(x), subject,
		    sizeof(subject));
		printf("\nNot imported: the root CA %s (%s).\n"
		    "  A root is never trusted by importing a file that holds "
		    "it. To trust it,\n  import it alone with 'hsys cert "
		    "import ROOT.pem --store Root', or use\n  'hsys cert "
		    "trust'.\n", thumb, subject);
	}
}

/* Loads the file; a protected file without a password option prompts on
 * the terminal, and only there. */
static int
import_load(const char *file, const struct cli_password *pwo,
    struct cert_bundle *b, struct err *e)
{
	char pw[SECRET_MAX], prompt[512];
	int given, rc = -1;

	if (cli_password_read(pwo, pw, sizeof(pw), &given, e) == -1)
		goto done;
	rc = cert_bundle_load(file, given ? pw : NULL, b, e);
	if (rc == 0 || e->code != CERT_LOAD_NEED_PASSWORD || given)
		goto done;
	if (!isatty(STDIN_FILENO)) {
		err_set(e, "%s is protected by a password; give it with "
		    "--password-file F, --password-stdin or --password P",
		    file);
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s: ", file);
	if (secret_read_tty(prompt, pw, sizeof(pw), e) == 0)
		rc = cert_bundle_load(file, pw, b, e);
done:
	secret_wipe(pw, sizeof(pw));
	return rc;
}

int
cert_cmd_import(int argc, char **argv)
{
	struct cert_bundle b;
	struct import im;
	struct cert_opts o;
	struct err e;
	int rc, r;

	if ((r = cert_opts_parse(argc, argv, import_options, 1, "cert import",
	    import_usage, &o)) != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.nargs != 1)
		return cli_usage("cert import", "import needs a FILE");
	memset(&im, 0, sizeof(im));
	im.file = o.arg[0];
	if (cert_store_name_parse(o.store, &im.sn, &e) == -1)
		return cli_usage("cert import", "%s", e.msg);
	if (import_load(im.file, &o.pw, &b, &e) == -1)
		return cli_fail(&e);
	if ((im.roots = sk_X509_new_null()) == NULL) {
		err_ssl(&e, "out of memory");
		rc = -1;
	} else
		rc = import_bundle(&im, &b, &e);
	if (rc == 0)
		import_report(&im);
	cert_bundle_free(&b);
	sk_X509_pop_free(im.roots, X509_free);
	free(im.rows);
	return rc == 0 ? EXIT_OK : cli_fail(&e);
}
