/*
 * cert_issue — the commands that make certificates: new-selfsigned (with
 * --signer, issued by a CA in the store), new-ca, and the request/accept
 * pair that gets a certificate from another CA while the key stays here
 * (PowerShell's New-SelfSignedCertificate and certreq -new / -accept).
 *
 * Every option is checked before a key is generated or the store opened,
 * and each command changes the store in one transaction: a failure leaves
 * it as it was.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/fs.h"
#include "store/store.h"

#define ISSUED_MAX	(1024 * 1024)	/* a certificate and its chain */

/* --- options ----------------------------------------------------------- */

enum opt {
	O_DNS, O_IP, O_SUBJECT, O_KEY, O_DAYS, O_NOT_AFTER, O_SIGNER,
	O_STORE, O_OUT, O_NAME, O_PERMIT, O_FORCE, O_COUNT
};
#define OPT(o)		(1u << (o))
#define OPT_OPERAND	OPT(O_COUNT)	/* one operand, accept's FILE */

static const struct {
	const char	*name;
	int		 many;	/* may be given more than once */
	int		 flag;	/* takes no value */
} opts[O_COUNT] = {
	[O_DNS] = { "--dns-name", 1, 0 },
	[O_IP] = { "--ip", 1, 0 },
	[O_SUBJECT] = { "--subject", 0, 0 },
	[O_KEY] = { "--key", 0, 0 },
	[O_DAYS] = { "--days", 0, 0 },
	[O_NOT_AFTER] = { "--not-after", 0, 0 },
	[O_SIGNER] = { "--signer", 0, 0 },
	[O_STORE] = { "--store", 0, 0 },
	[O_OUT] = { "--out", 0, 0 },
	[O_NAME] = { "--name", 0, 0 },
	[O_PERMIT] = { "--permit-dns", 1, 0 },
	[O_FORCE] = { "--force", 0, 1 },
};

struct args {
	const char	*cmd;		/* "cert new-ca", for messages */
	const char	**v[O_COUNT];	/* each option's values */
	size_t		 n[O_COUNT];
	const char	*operand;	/* accept's FILE */
	const char	**slots;
};

/* The value of an option: one, or NULL when not given. */
#define ARG(a, o)	((a)->n[o] ? (a)->v[o][0] : NULL)

static void
args_free(struct args *a)
{
	free(a->slots);
}

/* Matches "--name VALUE" or "--name=VALUE" at argv[*i]; -1 if no value. */
static int
opt_match(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int
args_one(struct args *a, int argc, char **argv, int *i, unsigned allowed)
{
	const char *val;
	int o, m;

	for (o = 0; o < O_COUNT; o++) {
		if (!(allowed & OPT(o)))
			continue;
		if (opts[o].flag) {
			if (strcmp(argv[*i], opts[o].name) != 0)
				continue;
			a->v[o][a->n[o]++] = "";
			if (a->n[o] > 1)
				return cli_usage(a->cmd, "%s is given twice",
				    opts[o].name);
			return 0;
		}
		if ((m = opt_match(argc, argv, i, opts[o].name, &val)) == 0)
			continue;
		if (m == -1)
			return cli_usage(a->cmd, "%s needs a value",
			    opts[o].name);
		if (a->n[o] > 0 && !opts[o].many)
			return cli_usage(a->cmd, "%s is given twice",
			    opts[o].name);
		a->v[o][a->n[o]++] = val;
		return 0;
	}
	if ((argv[*i][0] == '-' && argv[*i][1] != '\0') ||
	    a->operand != NULL ||
	    !(allowed & OPT_OPERAND))
		return cli_usage(a->cmd, "unexpected '%s'", argv[*i]);
	a->operand = argv[*i];
	return 0;
}

/* Parses argv (argv[0] is the command). Returns -1 to go on, else the exit
 * code: EXIT_OK after --help, EXIT_USAGE after a message. */
static int
args_parse(struct args *a, int argc, char **argv, unsigned allowed,
    const char *cmd, const char *help)
{
	int i, o;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return EXIT_OK;
		}
	if ((a->slots = calloc((size_t)argc * O_COUNT, sizeof(char *)))
	    == NULL) {
		perror("hsys");
		return EXIT_FAIL;
	}
	for (o = 0; o < O_COUNT; o++)
		a->v[o] = a->slots + (size_t)o * (size_t)argc;
	for (i = 1; i < argc; i++)
		if (args_one(a, argc, argv, &i, allowed) != 0) {
			args_free(a);
			return EXIT_USAGE;
		}
	return -1;
}

/* The spec of a new certificate from the options, checked. */
static int
args_spec(struct args *a, struct cert_spec *sp, struct err *e)
{
	memset(sp, 0, sizeof(*sp));
	sp->subject = ARG(a, O_SUBJECT);
	sp->dns = a->v[O_DNS];
	sp->ndns = a->n[O_DNS];
	sp->ip = a->v[O_IP];
	sp->nip = a->n[O_IP];
	sp->permit_dns = a->v[O_PERMIT];
	sp->npermit = a->n[O_PERMIT];
	if (ARG(a, O_DAYS) && cert_days_parse(ARG(a, O_DAYS), &sp->days, e)
	    == -1)
		return err_prefix(e, "--days");
	if (ARG(a, O_NOT_AFTER) && cert_date_parse(ARG(a, O_NOT_AFTER),
	    &sp->not_after, e) == -1)
		return err_prefix(e, "--not-after");
	if (cert_spec_check(sp, e) == -1)
		return -1;
	return cert_key_type_check(ARG(a, O_KEY) ? ARG(a, O_KEY) :
	    CERT_KEY_DEFAULT, e);
}

/* --- shared steps -------------------------------------------------------- */

/* Adds x (with key) to a store in one transaction. */
static int
keep(struct store *s, const char *storename, X509 *x, EVP_PKEY *key,
    struct err *e)
{
	enum certstore_outcome o;

	if (store_begin(s, e) == -1)
		return -1;
	if (certstore_add(s, storename, x, key, &o, e) == -1 ||
	    cli_commit(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* PowerShell's answer to a new certificate: the table with its row. */
static int
show(struct store *s, const char *storename, X509 *x, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct cert_entry c;

	if (cert_thumbprint(x, thumb) == -1)
		return err_ssl(e, "cannot hash the certificate");
	if (certstore_find(s, storename, thumb, &c, e) == -1)
		return -1;
	cli_cert_table_header(stdout, store_location_name(s->loc), c.store);
	cli_cert_table_row(stdout, &c);
	return 0;
}

/* --- new-selfsigned ------------------------------------------------------ */

static const char help_selfsigned[] =
"usage: hsys cert new-selfsigned --dns-name NAME [--dns-name NAME...]\n"
"           [--ip ADDR...] [--subject DN] [--key TYPE]\n"
"           [--days N | --not-after DATE] [--signer T [--force]] [--store S]\n"
"\n"
"Makes a new key and a TLS server certificate for it, and keeps both in\n"
"the store (LocalMachine\\My by default). Self-signed unless --signer names\n"
"a CA certificate of the store whose key is here too.\n"
"\n"
"  --dns-name NAME   a host name it is for (repeat; *.example.test allowed)\n"
"  --ip ADDR         an IPv4 or IPv6 address it is for (repeat)\n"
"                    (at least one --dns-name or --ip)\n"
"  --subject DN      \"CN=x, O=y, C=z\" or \"/C=z/O=y/CN=x\";\n"
"                    default CN=the first name\n"
"  --key TYPE        ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096\n"
"  --days N          valid for N days, 1 to 36500 (default 365)\n"
"  --not-after DATE  valid until DATE: YYYY-MM-DD (00:00 UTC) or\n"
"                    YYYY-MM-DDTHH:MM:SSZ\n"
"  --signer T        issue it from the CA certificate T (thumbprint)\n"
"  --force           issue it even outside the signer's name constraints\n"
"  --store S         My (default) or WebHosting, in LocalMachine (default)\n"
"                    or CurrentUser, e.g. CurrentUser\\My\n";

/* A new certificate goes where certificates with keys serve TLS; Root and
 * CA hold what is trusted, and trusting is its own, explicit step. */
static int
leaf_store(const char *opt, struct cert_store_name *sn, struct err *e)
{
	if (cert_store_name_parse(opt, sn, e) == -1)
		return -1;
	if (strcmp(sn->name, CERT_STORE_MY) != 0 &&
	    strcmp(sn->name, CERT_STORE_WEBHOSTING) != 0)
		return err_set(e, "a new certificate goes into My or "
		    "WebHosting, not %s; trusting a certificate is a separate "
		    "step (hsys cert trust)", sn->name);
	return 0;
}

/* The CA certificate --signer names, with its key, fit to sign. */
static int
signer_load(struct store *s, const char *thumb, X509 **x, EVP_PKEY **key,
    struct err *e)
{
	struct cert_entry c;

	if (certstore_find(s, NULL, thumb, &c, e) == -1 ||
	    certstore_load(s, c.id, x, key, e) == -1 ||
	    cert_signer_check(*x, *key, e) == -1)
		return err_prefix(e, "--signer %s", thumb);
	return 0;
}

/*
 * A certificate outside its CA's name constraints is one every client
 * rejects, which is never what the user wants: refused, unless --force
 * (a test of how clients react, say), which makes it a warning.
 */
static int
constraints_check(X509 *x, X509 *signer, int force, struct err *e)
{
	NAME_CONSTRAINTS *nc;
	X509 *copy;
	int bad;

	nc = X509_get_ext_d2i(signer, NID_name_constraints, NULL, NULL);
	if (nc == NULL)
		return 0;
	/* The check reads the SAN from OpenSSL's cache of a certificate's
	 * extensions: fill it from a decoded copy of the finished one. */
	bad = (copy = X509_dup(x)) == NULL ||
	    X509_get_extension_flags(copy) == 0 ||
	    NAME_CONSTRAINTS_check(copy, nc) != X509_V_OK;
	X509_free(copy);
	NAME_CONSTRAINTS_free(nc);
	if (!bad)
		return 0;
	if (force) {
		cli_warn("the signer's name constraints do not permit every "
		    "name of this certificate; clients will reject it (--force)");
		return 0;
	}
	return err_set(e, "the signer's name constraints do not permit every "
	    "name asked for, so every client would reject the certificate; "
	    "ask only for names the CA may issue ('hsys cert show' on the "
	    "signer lists them), or give --force to make it anyway");
}

int
cert_cmd_new_selfsigned(int argc, char **argv)
{
	struct cert_store_name sn;
	struct cert_spec sp;
	struct store *s = NULL;
	struct args a;
	struct err e;
	X509 *x = NULL, *signer = NULL;
	EVP_PKEY *key = NULL, *skey = NULL;
	int rc;

	if ((rc = args_parse(&a, argc, argv, OPT(O_DNS) | OPT(O_IP) |
	    OPT(O_SUBJECT) | OPT(O_KEY) | OPT(O_DAYS) | OPT(O_NOT_AFTER) |
	    OPT(O_SIGNER) | OPT(O_STORE) | OPT(O_FORCE), "cert new-selfsigned",
	    help_selfsigned)) != -1)
		return rc;
	if (a.n[O_DNS] + a.n[O_IP] == 0) {
		rc = cli_usage(a.cmd, "give at least one --dns-name or --ip");
		goto done;
	}
	rc = EXIT_FAIL;
	if (args_spec(&a, &sp, &e) == -1 ||
	    leaf_store(ARG(&a, O_STORE), &sn, &e) == -1 ||
	    store_open(&s, sn.loc, STORE_WRITE, &e) == -1)
		goto fail;
	if (ARG(&a, O_SIGNER) && signer_load(s, ARG(&a, O_SIGNER), &signer,
	    &skey, &e) == -1)
		goto fail;
	if (cert_key_new(ARG(&a, O_KEY), &key, &e) == -1 ||
	    cert_make_leaf(&sp, key, signer, skey, &x, &e) == -1)
		goto fail;
	if (signer != NULL && constraints_check(x, signer,
	    a.n[O_FORCE] > 0, &e) == -1)
		goto fail;
	if (keep(s, sn.name, x, key, &e) == -1 || show(s, sn.name, x, &e)
	    == -1)
		goto fail;
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	X509_free(x);
	X509_free(signer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(skey);
	store_close(s);
	args_free(&a);
	return rc;
}

/* --- new-ca -------------------------------------------------------------- */

static const char help_ca[] =
"usage: hsys cert new-ca --name NAME [--key TYPE] [--days N]\n"
"           [--permit-dns SUFFIX...]\n"
"\n"
"Makes a new key and a self-signed CA certificate \"CN=NAME\" for it, and\n"
"keeps both in LocalMachine\\My, ready for 'hsys cert new-selfsigned\n"
"--signer'. The CA is not trusted until 'hsys cert trust' says so.\n"
"\n"
"  --name NAME          its common name\n"
"  --key TYPE           ec-p256 (default), ec-p384, rsa-2048, rsa-3072,\n"
"                       rsa-4096\n"
"  --days N             valid for N days, 1 to 36500 (default 3650)\n"
"  --permit-dns SUFFIX  it may only issue for SUFFIX and names under it\n"
"                       (repeat; critical name constraints; IP addresses\n"
"                       are not constrained)\n";

int
cert_cmd_new_ca(int argc, char **argv)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct cert_spec sp;
	struct store *s = NULL;
	struct args a;
	struct err e;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	if ((rc = args_parse(&a, argc, argv, OPT(O_NAME) | OPT(O_KEY) |
	    OPT(O_DAYS) | OPT(O_PERMIT), "cert new-ca", help_ca)) != -1)
		return rc;
	if (ARG(&a, O_NAME) == NULL) {
		rc = cli_usage(a.cmd, "give the CA a --name");
		goto done;
	}
	rc = EXIT_FAIL;
	if (args_spec(&a, &sp, &e) == -1 ||
	    store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    cert_key_new(ARG(&a, O_KEY), &key, &e) == -1 ||
	    cert_make_ca(ARG(&a, O_NAME), &sp, key, &x, &e) == -1 ||
	    keep(s, CERT_STORE_MY, x, key, &e) == -1 ||
	    show(s, CERT_STORE_MY, x, &e) == -1)
		goto fail;
	cert_thumbprint(x, thumb);
	printf("\nThe CA is in LocalMachine\\My with its key and is NOT "
	    "trusted; 'hsys cert trust %s' makes this machine trust it.\n",
	    thumb);
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	X509_free(x);
	EVP_PKEY_free(key);
	store_close(s);
	args_free(&a);
	return rc;
}

/* --- request ------------------------------------------------------------- */

static const char help_request[] =
"usage: hsys cert request --dns-name NAME [--dns-name NAME...] [--ip ADDR...]\n"
"           [--subject DN] [--key TYPE] --out FILE.csr\n"
"\n"
"Makes a new key and a certificate signing request (PEM, PKCS#10) for it,\n"
"for a CA to sign. The key stays in the LocalMachine store as a pending\n"
"request; 'hsys cert accept' pairs it with the certificate the CA issues.\n"
"\n"
"  --dns-name NAME   a host name to ask for (repeat; *.example.test allowed)\n"
"  --ip ADDR         an IPv4 or IPv6 address to ask for (repeat)\n"
"                    (at least one --dns-name or --ip)\n"
"  --subject DN      \"CN=x, O=y, C=z\" or \"/C=z/O=y/CN=x\";\n"
"                    default CN=the first name\n"
"  --key TYPE        ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096\n"
"  --out FILE.csr    where the request goes (mode 0644)\n";

/* The directory of --out must be there before a key is spent on it. */
static int
out_dir_check(const char *path, struct err *e)
{
	char buf[PATH_MAX], *dir;
	struct stat sb;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return err_set(e, "--out: the path is too long");
	dir = dirname(buf);
	if (stat(dir, &sb) == -1)
		return err_sys(e, "cannot write the request to %s: the "
		    "directory %s", path, dir);
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, "cannot write the request to %s: %s is not "
		    "a directory", path, dir);
	return 0;
}

static int
request_pem(X509_REQ *req, BIO **bio, char **pem, long *len, struct err *e)
{
	if ((*bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(*bio, req))
		return err_ssl(e, "cannot encode the request");
	*len = BIO_get_mem_data(*bio, pem);
	return 0;
}

/* Records the request and writes the file in one go: the file is written
 * inside the transaction, and removed if the commit fails. */
static int
request_keep(struct store *s, X509_REQ *req, EVP_PKEY *key, const char *out,
    struct err *e)
{
	BIO *bio = NULL;
	char *pem = NULL;
	long len = 0;

	if (request_pem(req, &bio, &pem, &len, e) == -1 ||
	    store_begin(s, e) == -1)
		goto fail;
	if (cert_request_put(s, req, key, e) == -1 ||
	    fs_write_file(out, pem, (size_t)len, 0644, e) == -1) {
		store_rollback(s);
		goto fail;
	}
	if (cli_commit(s, e) == -1) {
		unlink(out);
		goto fail;
	}
	BIO_free(bio);
	return 0;
fail:
	BIO_free(bio);
	return -1;
}

int
cert_cmd_request(int argc, char **argv)
{
	char subject[512];
	struct cert_spec sp;
	struct store *s = NULL;
	struct args a;
	struct err e;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	int rc;

	if ((rc = args_parse(&a, argc, argv, OPT(O_DNS) | OPT(O_IP) |
	    OPT(O_SUBJECT) | OPT(O_KEY) | OPT(O_OUT), "cert request",
	    help_request)) != -1)
		return rc;
	if (a.n[O_DNS] + a.n[O_IP] == 0 || ARG(&a, O_OUT) == NULL) {
		rc = cli_usage(a.cmd, "give at least one --dns-name or --ip, "
		    "and --out");
		goto done;
	}
	rc = EXIT_FAIL;
	if (args_spec(&a, &sp, &e) == -1 ||
	    out_dir_check(ARG(&a, O_OUT), &e) == -1 ||
	    store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    cert_key_new(ARG(&a, O_KEY), &key, &e) == -1 ||
	    cert_make_request(&sp, key, &req, &e) == -1 ||
	    request_keep(s, req, key, ARG(&a, O_OUT), &e) == -1)
		goto fail;
	cert_name_string(X509_REQ_get_subject_name(req), subject,
	    sizeof(subject));
	printf("The request for %s is in %s.\nIts key waits in the "
	    "LocalMachine store as a pending request; give the certificate "
	    "the CA issues to 'hsys cert accept'.\n", subject, ARG(&a, O_OUT));
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	store_close(s);
	args_free(&a);
	return rc;
}

/* --- accept -------------------------------------------------------------- */

static const char help_accept[] =
"usage: hsys cert accept FILE\n"
"\n"
"Takes the certificate a CA issued for a request made with 'hsys cert\n"
"request' on this machine (PEM, DER or PKCS#7; a PEM file may carry the\n"
"chain), pairs it with the pending request's key and keeps both in\n"
"LocalMachine\\My. Intermediate CA certificates of the chain go into CA;\n"
"a root is left out, since trusting one is a separate step.\n";

/* Which certificate of the file answers a pending request: its index. */
static int
accept_find(struct store *s, STACK_OF(X509) *sk, int64_t *req_id,
    EVP_PKEY **key, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct cert_entry c;
	struct err ignored;
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		if (cert_request_find(s, X509_get0_pubkey(sk_X509_value(sk, i)),
		    req_id, key, e) == -1)
			return -1;
		if (*req_id != 0)
			return i;
	}
	cert_thumbprint(sk_X509_value(sk, 0), thumb);
	if (certstore_find(s, CERT_STORE_MY, thumb, &c, &ignored) == 0 &&
	    c.has_key)
		return err_set(e, "the certificate %s (%s) is already in "
		    "%s\\My with its key; nothing to accept", thumb,
		    c.subject, store_location_name(s->loc));
	return err_set(e, "no pending request has the key of this "
	    "certificate; was it issued for a request made with hsys cert "
	    "request on this machine?");
}

/* The rest of the chain: intermediates into CA; roots and others left. */
static int
accept_chain(struct store *s, STACK_OF(X509) *sk, int leaf, struct err *e)
{
	enum certstore_outcome o;
	char name[512];
	X509 *x;
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		if (i == leaf)
			continue;
		x = sk_X509_value(sk, i);
		cert_name_string(X509_get_subject_name(x), name, sizeof(name));
		if (X509_check_ca(x) != 1)
			printf("Left out %s: not a CA certificate.\n", name);
		else if (X509_self_signed(x, 0) == 1)
			printf("Left out the root %s: trusting a root is a "
			    "separate step (import it into Root).\n", name);
		else if (certstore_add(s, CERT_STORE_CA, x, NULL, &o, e) == -1)
			return -1;
		else if (o == CERTSTORE_ADDED)
			printf("Added the intermediate %s to %s\\CA.\n", name,
			    store_location_name(s->loc));
	}
	return 0;
}

static int
accept_keep(struct store *s, STACK_OF(X509) *sk, X509 **leaf, struct err *e)
{
	enum certstore_outcome o;
	EVP_PKEY *key = NULL;
	int64_t req_id;
	int i;

	if (store_begin(s, e) == -1)
		return -1;
	if ((i = accept_find(s, sk, &req_id, &key, e)) == -1)
		goto fail;
	*leaf = sk_X509_value(sk, i);
	if (certstore_add(s, CERT_STORE_MY, *leaf, key, &o, e) == -1 ||
	    accept_chain(s, sk, i, e) == -1 ||
	    cert_request_delete(s, req_id, e) == -1 ||
	    cli_commit(s, e) == -1)
		goto fail;
	EVP_PKEY_free(key);
	return 0;
fail:
	store_rollback(s);
	EVP_PKEY_free(key);
	return -1;
}

int
cert_cmd_accept(int argc, char **argv)
{
	STACK_OF(X509) *sk = NULL;
	unsigned char *buf = NULL;
	struct store *s = NULL;
	X509 *leaf = NULL;
	struct args a;
	struct err e;
	size_t len;
	int rc;

	if ((rc = args_parse(&a, argc, argv, OPT_OPERAND, "cert accept",
	    help_accept)) != -1)
		return rc;
	if (a.operand == NULL) {
		rc = cli_usage(a.cmd, "give the FILE the CA sent back");
		goto done;
	}
	rc = EXIT_FAIL;
	if (fs_read_file(a.operand, ISSUED_MAX, &buf, &len, &e) == -1)
		goto fail;
	if (cert_issued_parse(buf, len, &sk, &e) == -1) {
		err_prefix(&e, "cannot accept %s", a.operand);
		goto fail;
	}
	if (store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    accept_keep(s, sk, &leaf, &e) == -1 ||
	    show(s, CERT_STORE_MY, leaf, &e) == -1)
		goto fail;
	rc = EXIT_OK;
	goto done;
fail:
	cli_fail(&e);
done:
	sk_X509_pop_free(sk, X509_free);
	free(buf);
	store_close(s);
	args_free(&a);
	return rc;
}
