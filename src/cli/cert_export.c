/*
 * cert_export — hsys cert export: a certificate of the store, its
 * intermediates from the CA store and, on request, its private key, written
 * as a PFX (PKCS#12) or PEM file, as Export-PfxCertificate and
 * Export-Certificate do on Windows.
 *
 * Files that hold a key are created 0600, others 0644, atomically; an
 * existing file is only replaced with --force. The password is wiped as
 * soon as the file is encoded.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/secret.h"
#include "store/store.h"

static const char usage_text[] =
"usage: hsys cert export T (--pfx FILE | --pem FILE) [--with-key]\n"
"           [--password-file F | --password-stdin | --password P]\n"
"           [--legacy] [--force] [--store S]\n"
"\n"
"Writes certificate T and the intermediates found in the CA store to FILE.\n"
"  --pfx FILE         PKCS#12; AES-256-CBC, PBKDF2, SHA-256 MAC\n"
"  --pem FILE         PEM: certificate, intermediates, then the key\n"
"  --with-key         include the private key (PFX: a password is required,\n"
"                     asked on the terminal if no option gives it; PEM: the\n"
"                     key is encrypted with AES-256 only with a password)\n"
"  --legacy           PFX for old Windows and Java: 3DES and a SHA-1 MAC\n"
"  --force            replace FILE if it exists\n"
"  --store S          the store holding T (default: any store, My first)\n";

struct export_args {
	const char		*thumb;
	const char		*pfx;
	const char		*pem;
	const char		*store;
	struct cli_password	 pw;
	int			 with_key;
	int			 legacy;
	int			 force;
};

static int
parse(int argc, char **argv, struct export_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *next = i + 1 < argc ? argv[i + 1] :
		    NULL;

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if (strcmp(o, "--with-key") == 0)
			a->with_key = 1;
		else if (strcmp(o, "--legacy") == 0)
			a->legacy = 1;
		else if (strcmp(o, "--force") == 0)
			a->force = 1;
		else if (strcmp(o, "--password-stdin") == 0)
			a->pw.from_stdin = 1;
		else if (o[0] == '-' && o[1] == '-' && next == NULL)
			return cli_usage("cert export", "%s needs a value", o);
		else if (strcmp(o, "--pfx") == 0)
			a->pfx = argv[++i];
		else if (strcmp(o, "--pem") == 0)
			a->pem = argv[++i];
		else if (strcmp(o, "--store") == 0)
			a->store = argv[++i];
		else if (strcmp(o, "--password-file") == 0)
			a->pw.file = argv[++i];
		else if (strcmp(o, "--password") == 0)
			a->pw.arg = argv[++i];
		else if (o[0] == '-')
			return cli_usage("cert export", "unknown option '%s'",
			    o);
		else if (a->thumb != NULL)
			return cli_usage("cert export", "unexpected '%s'", o);
		else
			a->thumb = o;
	}
	if (a->thumb == NULL)
		return cli_usage("cert export", "which certificate? Give its "
		    "thumbprint");
	if ((a->pfx != NULL) == (a->pem != NULL))
		return cli_usage("cert export", "give one of --pfx FILE or "
		    "--pem FILE");
	if (a->legacy && a->pem != NULL)
		return cli_usage("cert export", "--legacy only applies to "
		    "--pfx");
	return -1;
}

/* The password a PFX with a key needs: given, else asked twice on the
 * terminal, else an error that says how to give one. */
static int
pfx_password(char *buf, size_t size, struct err *e)
{
	char again[SECRET_MAX];
	int rc;

	if (!isatty(STDIN_FILENO))
		return err_set(e, "a PFX with a private key needs a password; "
		    "give --password-file F or --password-stdin");
	if (secret_read_tty("Password for the PFX: ", buf, size, e) == -1)
		return -1;
	if (secret_read_tty("Again: ", again, sizeof(again), e) == -1) {
		secret_wipe(buf, size);
		return -1;
	}
	rc = strcmp(buf, again) == 0 ? 0 : err_set(e, "the passwords do not "
	    "match");
	if (rc == 0 && buf[0] == '\0')
		rc = err_set(e, "the password is empty");
	secret_wipe(again, sizeof(again));
	return rc;
}

/* Loads the certificate, its key when asked for, and its intermediates. */
static int
load(const struct export_args *a, X509 **x, EVP_PKEY **key,
    STACK_OF(X509) **chain, struct err *e)
{
	STACK_OF(X509) *pool = NULL;
	struct store *s;
	struct cert_entry c;
	int rc = -1;

	if (cli_cert_find(a->store, a->thumb, STORE_READ, &s, &c, e) == -1)
		return -1;
	if (a->with_key && !c.has_key) {
		err_set(e, "the store has no private key for %s; export it "
		    "without --with-key", c.thumbprint);
		goto done;
	}
	if (certstore_load(s, c.id, x, a->with_key ? key : NULL, e) == -1)
		goto done;
	if (certstore_stack(s, CERT_STORE_CA, &pool, e) == -1 ||
	    cert_chain_intermediates(*x, pool, chain, e) == -1) {
		X509_free(*x);
		EVP_PKEY_free(*key);
		*x = NULL;
		*key = NULL;
		goto done;
	}
	rc = 0;
done:
	sk_X509_pop_free(pool, X509_free);
	store_close(s);
	return rc;
}

static int
export(const struct export_args *a, struct err *e)
{
	const char *path = a->pfx ? a->pfx : a->pem;
	STACK_OF(X509) *chain = NULL;
	unsigned char *out = NULL;
	char pass[SECRET_MAX], thumb[CERT_THUMB_LEN + 1];
	EVP_PKEY *key = NULL;
	size_t len = 0;
	X509 *x = NULL;
	int given, encrypted, rc = -1;

	pass[0] = '\0';
	if (!a->force && access(path, F_OK) == 0)
		return err_set(e, "%s already exists; use --force to replace "
		    "it", path);
	if (cli_password_read(&a->pw, pass, sizeof(pass), &given, e) == -1)
		goto done;
	if (load(a, &x, &key, &chain, e) == -1)
		goto done;
	if (a->pfx != NULL && key != NULL && !given &&
	    pfx_password(pass, sizeof(pass), e) == -1)
		goto done;
	encrypted = pass[0] != '\0';
	if (a->pfx != NULL)
		rc = cert_export_pfx(x, key, chain, encrypted ? pass : NULL,
		    a->legacy, &out, &len, e);
	else
		rc = cert_export_pem(x, key, chain, pass, &out, &len, e);
	secret_wipe(pass, sizeof(pass));
	if (rc == -1)
		goto done;
	if (a->pem != NULL && key != NULL && !encrypted)
		cli_warn("the private key in %s is not encrypted; give a "
		    "password to encrypt it", path);
	if ((rc = fs_write_file(path, out, len, key ? 0600 : 0644, e)) == -1)
		goto done;
	cert_thumbprint(x, thumb);
	printf("Exported %s%s%s to %s\n", thumb,
	    sk_X509_num(chain) > 0 ? " with its intermediates" : "",
	    key ? " and its private key" : "", path);
done:
	secret_wipe(pass, sizeof(pass));
	cert_export_free(out, len);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

int
cert_cmd_export(int argc, char **argv)
{
	struct export_args a;
	struct err e;
	int rc;

	if ((rc = parse(argc, argv, &a)) != -1)
		return rc;
	if (export(&a, &e) == -1)
		return cli_fail(&e);
	return EXIT_OK;
}
