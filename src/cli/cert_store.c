/*
 * cert_store — hsys cert import, list, show and delete: moving certificates
 * into and out of the store, and looking at what is there.
 *
 * import puts the end-entity certificate (and its key) in the target store
 * and the intermediate CAs in CA; a root found in a file is only reported,
 * because trusting a root is a decision the user makes on its own (import
 * it alone with --store Root, or hsys cert trust). Every write is one
 * transaction: a failure leaves the store as it was.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "config/config.h"
#include "common/err.h"
#include "common/secret.h"
#include "store/store.h"

/* --- command lines ---------------------------------------------------- */

#define OPTION(name, has, val)	{ name, has, NULL, val }

static const struct option import_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
	OPTION("password-file", required_argument, CERT_OPT_PASSWORD_FILE),
	OPTION("password-stdin", no_argument, CERT_OPT_PASSWORD_STDIN),
	OPTION("password", required_argument, CERT_OPT_PASSWORD),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const struct option list_options[] = {
	OPTION("all", no_argument, CERT_OPT_ALL),
	OPTION("long", no_argument, CERT_OPT_LONG),
	OPTION("json", no_argument, CERT_OPT_JSON),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const struct option show_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
	OPTION("json", no_argument, CERT_OPT_JSON),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const struct option delete_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
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

static const char list_usage[] =
"usage: hsys cert list [S] [--all] [--long] [--json]\n"
"\n"
"Lists store S (default LocalMachine\\My) as PowerShell's dir cert:\\ does.\n"
"--all lists every store of S's location (S may then be LocalMachine or\n"
"CurrentUser); --long adds the expiry, private key and DNS names; --json\n"
"prints an array of objects.\n";

static const char show_usage[] =
"usage: hsys cert show T [--store S] [--json]\n"
"\n"
"Shows certificate T (a thumbprint, or a unique prefix of 8 or more digits):\n"
"names, validity, alternative names, key, usages, thumbprints, and the chain\n"
"the store builds for it (CA store, Root store and the system's trust).\n";

static const char delete_usage[] =
"usage: hsys cert delete T [--store S]\n"
"\n"
"Deletes certificate T from its store (S narrows the search; My is\n"
"preferred). Its private key goes with the last entry that uses it.\n";

/* --- import ----------------------------------------------------------- */

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

/* --- list ------------------------------------------------------------- */

static const char *const all_stores[] = {
	CERT_STORE_MY, CERT_STORE_ROOT, CERT_STORE_CA, CERT_STORE_WEBHOSTING,
};

struct lister {
	struct store	*s;
	const char	*loc;
	int		 lng, json, n;
	struct err	*e;
};

static void
long_header(const char *loc, const char *store)
{
	printf("\n   Store: %s\\%s\n\n", loc, store);
	printf("%-41s %-10s %-4s %-32s %s\n", "Thumbprint", "NotAfter", "Key",
	    "Subject", "DnsNameList");
	printf("%-41s %-10s %-4s %-32s %s\n", "----------", "--------", "---",
	    "-------", "-----------");
}

static int
list_row(const struct cert_entry *c, void *arg)
{
	struct lister *l = arg;
	char dns[1024], date[32];
	X509 *x = NULL;

	if (!l->lng && !l->json) {
		cli_cert_table_row(stdout, c);
		return 0;
	}
	if (certstore_load(l->s, c->id, &x, NULL, l->e) == -1)
		return -1;
	if (l->json) {
		fputs(l->n++ ? ",\n  {" : "[\n  {", stdout);
		cli_cert_json_entry(stdout, l->loc, c, x);
		fputc('}', stdout);
	} else {
		cert_san_join(x, GEN_DNS, dns, sizeof(dns));
		cert_iso_time(c->not_after, date, sizeof(date));
		date[10] = '\0';
		printf("%-41s %-10s %-4s %-32s %s\n", c->thumbprint, date,
		    c->has_key ? "Yes" : "No", c->subject, dns);
	}
	X509_free(x);
	return 0;
}

static int
list_store(struct lister *l, const char *name)
{
	if (!l->json && l->lng)
		long_header(l->loc, name);
	else if (!l->json)
		cli_cert_table_header(stdout, l->loc, name);
	return certstore_list(l->s, name, list_row, l, l->e) == 0 ? 0 : -1;
}

/* "LocalMachine", "cert:\CurrentUser\" ...: a whole location. */
static int
location_only(const char *in, enum store_location *loc)
{
	const char *s = in;
	size_t n;

	if (strncasecmp(s, "cert:", 5) == 0)
		s += strspn(s + 5, "\\/") + 5;
	n = strcspn(s, "\\/");
	if (s[n + strspn(s + n, "\\/")] != '\0')
		return 0;
	if (n == 12 && strncasecmp(s, "LocalMachine", n) == 0)
		*loc = STORE_MACHINE;
	else if (n == 11 && strncasecmp(s, "CurrentUser", n) == 0)
		*loc = STORE_USER;
	else
		return 0;
	return 1;
}

int
cert_cmd_list(int argc, char **argv)
{
	struct cert_store_name sn = { STORE_MACHINE, CERT_STORE_MY };
	struct lister l;
	struct cert_opts o;
	struct err e;
	size_t i;
	int r, rc = 0;

	if ((r = cert_opts_parse(argc, argv, list_options, 1, "cert list",
	    list_usage, &o)) != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.nargs == 1 && cert_requests_name(o.arg[0], &sn.loc))
		return cert_requests_list(sn.loc, o.json);
	if (o.nargs == 1 && location_only(o.arg[0], &sn.loc))
		o.all = 1;
	else if (cert_store_name_parse(o.arg[0], &sn, &e) == -1)
		return cli_usage("cert list", "%s", e.msg);
	memset(&l, 0, sizeof(l));
	l.loc = store_location_name(sn.loc);
	l.lng = o.lng;
	l.json = o.json;
	l.e = &e;
	if (store_open(&l.s, sn.loc, STORE_READ, &e) == -1)
		return cli_fail(&e);
	if (o.all) {
		for (i = 0; i < sizeof(all_stores) / sizeof(all_stores[0]) &&
		    rc == 0; i++)
			rc = list_store(&l, all_stores[i]);
	} else
		rc = list_store(&l, sn.name);
	store_close(l.s);
	if (rc == -1)
		return cli_fail(&e);
	if (l.json)
		fputs(l.n ? "\n]\n" : "[]\n", stdout);
	return EXIT_OK;
}

/* --- show ------------------------------------------------------------- */

struct chain {
	STACK_OF(X509)	*certs;		/* leaf first */
	int		 trusted;
	int		 error;		/* X509_V_ERR_*, when not trusted */
};

/* show describes the chain's shape; validity is printed on its own, so an
 * expired link must not stop the chain from being built. */
static int
chain_cb(int ok, X509_STORE_CTX *ctx)
{
	int err = X509_STORE_CTX_get_error(ctx);

	if (!ok && (err == X509_V_ERR_CERT_HAS_EXPIRED ||
	    err == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	return ok;
}

static int
chain_build(struct store *s, X509 *leaf, struct chain *ch, struct err *e)
{
	STACK_OF(X509) *untrusted = NULL, *roots = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *ts = NULL;
	int i, rc = -1;

	memset(ch, 0, sizeof(*ch));
	if (certstore_stack(s, CERT_STORE_CA, &untrusted, e) == -1 ||
	    certstore_stack(s, CERT_STORE_ROOT, &roots, e) == -1)
		goto done;
	if ((ts = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL) {
		err_ssl(e, "cannot build the chain");
		goto done;
	}
	for (i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(ts, sk_X509_value(roots, i));
	X509_STORE_set_default_paths(ts);
	if (!X509_STORE_CTX_init(ctx, ts, leaf, untrusted)) {
		err_ssl(e, "cannot build the chain");
		goto done;
	}
	X509_STORE_CTX_set_verify_cb(ctx, chain_cb);
	ch->trusted = X509_verify_cert(ctx) == 1;
	if (!ch->trusted)
		ch->error = X509_STORE_CTX_get_error(ctx);
	if ((ch->certs = X509_STORE_CTX_get1_chain(ctx)) == NULL)
		ch->certs = sk_X509_new_null();
	if (ch->certs == NULL || (sk_X509_num(ch->certs) == 0 &&
	    (!X509_up_ref(leaf) || !sk_X509_push(ch->certs, leaf)))) {
		err_ssl(e, "cannot build the chain");
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(ts);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_pop_free(roots, X509_free);
	return rc;
}

/* Where the chain ends, in words. */
static void
chain_status(const struct chain *ch, char *buf, size_t size)
{
	X509 *last = sk_X509_value(ch->certs, sk_X509_num(ch->certs) - 1);
	char subject[512], issuer[512];

	cert_name_string(X509_get_subject_name(last), subject,
	    sizeof(subject));
	cert_name_string(X509_get_issuer_name(last), issuer, sizeof(issuer));
	switch (ch->trusted ? X509_V_OK : ch->error) {
	case X509_V_OK:
		snprintf(buf, size, "ends at a trusted root");
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		snprintf(buf, size, "not trusted: stops at %s; its issuer %s "
		    "is in neither the CA nor the Root store nor the system's "
		    "trust", subject, issuer);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		snprintf(buf, size, "not trusted: ends at the root %s, which "
		    "is not trusted (not in the Root store nor the system's "
		    "trust)", subject);
		break;
	default:
		snprintf(buf, size, "not trusted: stops at %s: %s", subject,
		    X509_verify_cert_error_string(ch->error));
	}
}

static void
line(const char *label, const char *value)
{
	printf("%-20s %s\n", label, *value ? value : "(none)");
}

static void
show_text(const char *loc, const struct cert_entry *c, X509 *x,
    const struct chain *ch)
{
	char buf[2048], nb[64], na[64];
	char subject[512], thumb[CERT_THUMB_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	int i;

	line("Thumbprint:", c->thumbprint);
	line("SHA-256:", c->sha256);
	snprintf(buf, sizeof(buf), "%s\\%s", loc, c->store);
	line("Store:", buf);
	line("Subject:", c->subject);
	line("Issuer:", c->issuer);
	cert_serial_string(x, buf, sizeof(buf));
	line("Serial number:", buf);
	cert_time_string(c->not_before, nb, sizeof(nb));
	cert_time_string(c->not_after, na, sizeof(na));
	snprintf(buf, sizeof(buf), "%s to %s%s", nb, na,
	    now > c->not_after ? " (EXPIRED)" : now < c->not_before ?
	    " (NOT YET VALID)" : "");
	line("Valid:", buf);
	cert_san_join(x, GEN_DNS, buf, sizeof(buf));
	line("DNS names:", buf);
	cert_san_join(x, GEN_IPADD, buf, sizeof(buf));
	if (*buf)
		line("IP addresses:", buf);
	cert_san_join(x, GEN_EMAIL, buf, sizeof(buf));
	if (*buf)
		line("Email addresses:", buf);
	cert_san_join(x, GEN_URI, buf, sizeof(buf));
	if (*buf)
		line("URIs:", buf);
	cert_key_description(X509_get0_pubkey(x), buf, sizeof(buf));
	line("Public key:", buf);
	line("Private key:", c->has_key ? "yes, in the store" : "no");
	cert_ext_string(x, NID_key_usage, buf, sizeof(buf));
	line("Key usage:", buf);
	cert_ext_string(x, NID_ext_key_usage, buf, sizeof(buf));
	line("Extended key usage:", buf);
	cert_ext_string(x, NID_basic_constraints, buf, sizeof(buf));
	line("Basic constraints:", buf);
	printf("Chain:\n");
	for (i = 0; i < sk_X509_num(ch->certs); i++) {
		cert_thumbprint(sk_X509_value(ch->certs, i), thumb);
		cert_name_string(X509_get_subject_name(sk_X509_value(
		    ch->certs, i)), subject, sizeof(subject));
		printf("  %d  %s  %s\n", i, thumb, subject);
	}
	chain_status(ch, buf, sizeof(buf));
	printf("  %s\n", buf);
}

static void
json_eku(FILE *f, X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	char oid[128];
	int i, nid;

	fputs("\"extended_key_usage\": [", f);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		if (nid != NID_undef)
			snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(oid, sizeof(oid),
			    sk_ASN1_OBJECT_value(eku, i), 1);
		fputs(i ? ", " : "", f);
		cli_json_str(f, oid);
	}
	fputs("], ", f);
	EXTENDED_KEY_USAGE_free(eku);
}

static void
json_chain(FILE *f, const struct chain *ch)
{
	char subject[512], thumb[CERT_THUMB_LEN + 1], buf[1200];
	int i;

	fputs("\"chain\": [", f);
	for (i = 0; i < sk_X509_num(ch->certs); i++) {
		cert_thumbprint(sk_X509_value(ch->certs, i), thumb);
		cert_name_string(X509_get_subject_name(sk_X509_value(
		    ch->certs, i)), subject, sizeof(subject));
		fputs(i ? ", {" : "{", f);
		cli_json_field(f, "thumbprint", thumb, 0);
		cli_json_field(f, "subject", subject, 1);
		fputc('}', f);
	}
	fprintf(f, "], \"chain_trusted\": %s, ", ch->trusted ? "true" :
	    "false");
	chain_status(ch, buf, sizeof(buf));
	cli_json_field(f, "chain_status", buf, 1);
}

static void
show_json(const char *loc, const struct cert_entry *c, X509 *x,
    const struct chain *ch)
{
	char buf[2048];
	long pathlen;

	fputc('{', stdout);
	cli_cert_json_entry(stdout, loc, c, x);
	fputs(", ", stdout);
	cli_cert_json_sans(stdout, "ip_addresses", x, GEN_IPADD);
	fputs(", ", stdout);
	cli_cert_json_sans(stdout, "emails", x, GEN_EMAIL);
	fputs(", ", stdout);
	cli_cert_json_sans(stdout, "uris", x, GEN_URI);
	fputs(", ", stdout);
	cert_serial_string(x, buf, sizeof(buf));
	cli_json_field(stdout, "serial", buf, 0);
	cert_key_description(X509_get0_pubkey(x), buf, sizeof(buf));
	cli_json_field(stdout, "public_key", buf, 0);
	cert_ext_string(x, NID_key_usage, buf, sizeof(buf));
	cli_json_field(stdout, "key_usage", buf, 0);
	json_eku(stdout, x);
	pathlen = X509_get_pathlen(x);
	fprintf(stdout, "\"ca\": %s, \"path_length\": ",
	    X509_check_ca(x) ? "true" : "false");
	if (pathlen >= 0)
		fprintf(stdout, "%ld, ", pathlen);
	else
		fputs("null, ", stdout);
	json_chain(stdout, ch);
	fputs("}\n", stdout);
}

int
cert_cmd_show(int argc, char **argv)
{
	struct cert_entry c;
	struct store *s;
	struct chain ch;
	struct cert_opts o;
	struct err e;
	X509 *x = NULL;
	int r, rc = -1;

	if ((r = cert_opts_parse(argc, argv, show_options, 1, "cert show",
	    show_usage, &o)) != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (o.nargs != 1)
		return cli_usage("cert show", "show needs a thumbprint");
	if (!cert_store_opt_ok("cert show", o.store))
		return EXIT_USAGE;
	if (cli_cert_find(o.store, o.arg[0], STORE_READ, &s, &c, &e) == -1)
		return cli_fail(&e);
	if (certstore_load(s, c.id, &x, NULL, &e) == 0 &&
	    chain_build(s, x, &ch, &e) == 0) {
		if (o.json)
			show_json(store_location_name(s->loc), &c, x, &ch);
		else
			show_text(store_location_name(s->loc), &c, x, &ch);
		sk_X509_pop_free(ch.certs, X509_free);
		rc = 0;
	}
	X509_free(x);
	store_close(s);
	return rc == 0 ? EXIT_OK : cli_fail(&e);
}

/* --- delete ----------------------------------------------------------- */

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
