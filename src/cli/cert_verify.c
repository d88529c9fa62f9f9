/*
 * cert_verify — hsys cert verify: can this certificate serve HTTPS here?
 *
 * It is checked against what this machine trusts: the Root store of its
 * location and the system's roots as anchors, the CA store as a pool of
 * intermediates (never as anchors). Each problem is a line of its own,
 * then a verdict; the exit status is 0 only when the certificate is usable.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

static const char usage_text[] =
"usage: hsys cert verify T [--dns-name NAME] [--store S]\n"
"\n"
"Checks that certificate T can serve HTTPS: a chain to a trusted root (the\n"
"Root store and the system's roots; intermediates from the CA store), the\n"
"validity dates, the name (--dns-name, a host name or an IP address), the\n"
"serverAuth usage, the private key and the strength of key and signature.\n"
"Prints one line per problem or warning, then the verdict; exits 0 only\n"
"when the certificate is usable.\n";

static void
print_finding(void *arg, int warning, const char *msg)
{
	(void)arg;
	printf("%s: %s\n", warning ? "warning" : "problem", msg);
}

struct verify_inputs {
	X509		*cert;
	EVP_PKEY	*key;
	STACK_OF(X509)	*ca;
	STACK_OF(X509)	*root;
};

static void
inputs_free(struct verify_inputs *in)
{
	sk_X509_pop_free(in->root, X509_free);
	sk_X509_pop_free(in->ca, X509_free);
	EVP_PKEY_free(in->key);
	X509_free(in->cert);
}

static int
verify(const char *thumb, const char *store_opt, const char *dns_name,
    struct err *e)
{
	struct verify_inputs in = { NULL, NULL, NULL, NULL };
	struct cert_verify v;
	struct cert_entry c;
	struct store *s;
	int problems, rc = -1;

	if (cli_cert_find(store_opt, thumb, STORE_READ, &s, &c, e) == -1)
		return -1;
	if (certstore_load(s, c.id, &in.cert, s->keys ? &in.key : NULL,
	    e) == -1 ||
	    certstore_stack(s, CERT_STORE_CA, &in.ca, e) == -1 ||
	    certstore_stack(s, CERT_STORE_ROOT, &in.root, e) == -1)
		goto done;
	memset(&v, 0, sizeof(v));
	v.cert = in.cert;
	v.key = in.key;
	v.key_hidden = !s->keys;
	v.untrusted = in.ca;
	v.anchors = in.root;
	v.system_trust = 1;
	v.dns_name = dns_name;
	v.report = print_finding;
	printf("Certificate %s (%s, %s\\%s)\n", c.thumbprint, c.subject,
	    store_location_name(s->loc), c.store);
	if (cert_verify_https(&v, &problems, e) == -1)
		goto done;
	printf("%s\n", problems ? "NOT usable for HTTPS" : "usable for HTTPS");
	rc = problems ? 1 : 0;
done:
	inputs_free(&in);
	store_close(s);
	return rc;
}

int
cert_cmd_verify(int argc, char **argv)
{
	const char *thumb = NULL, *store_opt = NULL, *dns_name = NULL;
	struct err e;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if ((strcmp(argv[i], "--dns-name") == 0 ||
		    strcmp(argv[i], "--store") == 0) && i + 1 == argc)
			return cli_usage("cert verify", "%s needs a value",
			    argv[i]);
		if (strcmp(argv[i], "--dns-name") == 0)
			dns_name = argv[++i];
		else if (strcmp(argv[i], "--store") == 0)
			store_opt = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage("cert verify", "unknown option '%s'",
			    argv[i]);
		else if (thumb != NULL)
			return cli_usage("cert verify", "unexpected '%s'",
			    argv[i]);
		else
			thumb = argv[i];
	}
	if (thumb == NULL)
		return cli_usage("cert verify", "which certificate? Give its "
		    "thumbprint");
	if ((rc = verify(thumb, store_opt, dns_name, &e)) == -1)
		return cli_fail(&e);
	return rc ? EXIT_FAIL : EXIT_OK;
}
