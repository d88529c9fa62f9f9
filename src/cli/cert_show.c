/*
 * cert_show — hsys cert show T [--json]: one certificate in full (names,
 * validity, alternative names, key, usages, thumbprints) and the chain the
 * store builds for it, with where that chain ends in words.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

#define OPTION(name, has, val)	{ name, has, NULL, val }

static const struct option show_options[] = {
	OPTION("store", required_argument, CERT_OPT_STORE),
	OPTION("json", no_argument, CERT_OPT_JSON),
	OPTION("help", no_argument, CERT_OPT_HELP),
	{ NULL, 0, NULL, 0 }
};

static const char show_usage[] =
"usage: hsys cert show T [--store S] [--json]\n"
"\n"
"Shows certificate T (a thumbprint, or a unique prefix of 8 or more digits):\n"
"names, validity, alternative names, key, usages, thumbprints, and the chain\n"
"the store builds for it (CA store, Root store and the system's trust).\n";

/* The chain the store builds: the CA store's intermediates, the Root
 * store's and the system's anchors. show describes the chain's shape and
 * prints validity on its own, so no wrong date stops the chain. */
static int
chain_build(struct store *s, X509 *leaf, struct cert_chain *ch,
    struct err *e)
{
	struct cert_chain_in in = {
		.leaf = leaf, .system_trust = 1, .flags = CERT_CHAIN_ANY_DATES
	};
	int rc = -1;

	memset(ch, 0, sizeof(*ch));
	if (certstore_stack(s, CERT_STORE_CA, &in.untrusted, e) == 0 &&
	    certstore_stack(s, CERT_STORE_ROOT, &in.anchors, e) == 0)
		rc = cert_chain_build(&in, ch, e);
	sk_X509_pop_free(in.untrusted, X509_free);
	sk_X509_pop_free(in.anchors, X509_free);
	return rc;
}

/* Where the chain ends, in words. */
static void
chain_status(const struct cert_chain *ch, char *buf, size_t size)
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
    const struct cert_chain *ch)
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
json_chain(FILE *f, const struct cert_chain *ch)
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
    const struct cert_chain *ch)
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
	struct cert_chain ch;
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
		cert_chain_free(&ch);
		rc = 0;
	}
	X509_free(x);
	store_close(s);
	return rc == 0 ? EXIT_OK : cli_fail(&e);
}
