/*
 * cert_trust — hsys cert trust / untrust: make this machine trust a CA or
 * self-signed certificate, or stop trusting it.
 *
 * Three targets, each reported on its own line: the hsys Root store of the
 * certificate's location (the anchors of hsys cert verify and hsysd), the
 * system's trust (trust.c knows the distributions) and the user's NSS
 * databases. A target that fails does not stop the others; it makes the
 * exit status 1. --dry-run changes nothing, not even the Root store.
 * --root DIR acts on the system installed under DIR alone: this host's
 * hsys Root store is another machine's business and is left as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

static const char usage_text[] =
"usage: hsys cert trust T [--dry-run] [--root DIR] [--store S]\n"
"       hsys cert untrust T [--dry-run] [--root DIR] [--store S]\n"
"\n"
"trust makes this machine trust CA or self-signed certificate T: it adds T\n"
"to the hsys Root store, to the system's trust (Debian, Ubuntu, Fedora,\n"
"RHEL, Arch) and to the NSS databases of the user (~/.pki/nssdb, Firefox).\n"
"untrust undoes each of these.\n"
"  --dry-run   print what would be done, change nothing\n"
"  --root DIR  act on the system installed under DIR (an image, a\n"
"              container) instead of this one\n"
"  --store S   the store holding T; its location's Root store is used\n";

struct trust_args {
	const char	*thumb;
	const char	*store;
	const char	*root;
	int		 dry_run;
	int		 untrust;
	char		 rootbuf[4096];
};

static int
parse(int argc, char **argv, struct trust_args *a)
{
	const char *cmd = a->untrust ? "cert untrust" : "cert trust";
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--dry-run") == 0)
			a->dry_run = 1;
		else if ((strcmp(argv[i], "--root") == 0 ||
		    strcmp(argv[i], "--store") == 0) && i + 1 == argc)
			return cli_usage(cmd, "%s needs a value", argv[i]);
		else if (strcmp(argv[i], "--root") == 0)
			a->root = argv[++i];
		else if (strcmp(argv[i], "--store") == 0)
			a->store = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage(cmd, "unknown option '%s'", argv[i]);
		else if (a->thumb != NULL)
			return cli_usage(cmd, "unexpected '%s'", argv[i]);
		else
			a->thumb = argv[i];
	}
	if (a->thumb == NULL)
		return cli_usage(cmd, "which certificate? Give its thumbprint");
	/* "/" and "" both mean this machine; a trailing slash is dropped so
	 * that paths print as ROOT/etc/..., not ROOT//etc/... */
	if (a->root != NULL) {
		if (strlen(a->root) >= sizeof(a->rootbuf))
			return cli_usage(cmd, "the --root path is too long");
		memcpy(a->rootbuf, a->root, strlen(a->root) + 1);
		while ((i = (int)strlen(a->rootbuf)) > 0 &&
		    a->rootbuf[i - 1] == '/')
			a->rootbuf[i - 1] = '\0';
		a->root = a->rootbuf[0] ? a->rootbuf : NULL;
	}
	return -1;
}

static void
say_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static void
fail_line(void *arg, const char *msg)
{
	int *failed = arg;
	struct err e;

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	cli_fail(&e);
	(*failed)++;
}

/* Adds x to (or removes it from) the Root store of s's location. */
static int
root_store(struct store *s, X509 *x, const char *thumb, int untrust,
    int dry_run, struct err *e)
{
	const char *loc = store_location_name(s->loc);
	enum certstore_outcome outcome;
	struct cert_entry c;
	struct err missing;
	int present;

	present = certstore_find(s, CERT_STORE_ROOT, thumb, &c, &missing) == 0;
	if (untrust ? !present : present) {
		printf("%s %s\\Root\n", present ? "Already in" : "Not in", loc);
		return 0;
	}
	if (dry_run) {
		printf("Would %s %s\\Root\n", untrust ? "remove it from" :
		    "add it to", loc);
		return 0;
	}
	if (store_begin(s, e) == -1)
		return -1;
	if ((untrust ? certstore_delete(s, c.id, e) :
	    certstore_add(s, CERT_STORE_ROOT, x, NULL, &outcome, e)) == -1 ||
	    cli_commit(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	printf("%s %s\\Root\n", untrust ? "Removed from" : "Added to", loc);
	return 0;
}

static int
targets(const struct trust_args *a, X509 *x, const char *thumb,
    struct store *s)
{
	struct trust_ctx t;
	struct err e;
	int failed = 0, n;

	memset(&t, 0, sizeof(t));
	t.root = a->root ? a->root : "";
	t.home = getenv("HOME");
	t.dry_run = a->dry_run;
	t.say = say_line;
	t.fail = fail_line;
	t.arg = &failed;
	if (s != NULL && a->root != NULL)
		printf("Left %s\\Root of this host as it is (--root)\n",
		    store_location_name(s->loc));
	else if (s != NULL && root_store(s, x, thumb, a->untrust, a->dry_run,
	    &e) == -1)
		fail_line(&failed, e.msg);
	if ((a->untrust ? trust_system_remove(&t, thumb, &e) :
	    trust_system_add(&t, x, thumb, &e)) == -1)
		fail_line(&failed, e.msg);
	n = a->untrust ? trust_nss_remove(&t, thumb) :
	    trust_nss_add(&t, x, thumb, &e);
	if (n == -1)
		fail_line(&failed, e.msg);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* The certificate in any store of the location. Trusting a root that is
 * also in the CA store is no ambiguity: every copy is the same certificate.
 * Only a prefix that matches different certificates is an error. */
static int
find_any(struct store *s, const char *thumb, struct cert_entry *c,
    struct err *e)
{
	static const char *order[] = { CERT_STORE_ROOT, CERT_STORE_MY,
	    CERT_STORE_CA, CERT_STORE_WEBHOSTING };
	struct cert_entry one;
	struct err ignored;
	size_t i;
	int found = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (certstore_find(s, order[i], thumb, &one, &ignored) == -1)
			continue;
		if (found && strcmp(c->thumbprint, one.thumbprint) != 0)
			return certstore_find(s, NULL, thumb, c, e);
		if (!found)
			*c = one;
		found = 1;
	}
	if (!found)
		return certstore_find(s, NULL, thumb, c, e);
	return 0;
}

static int
find(const struct trust_args *a, struct store **sp, struct cert_entry *c,
    struct err *e)
{
	struct cert_store_name sn;

	*sp = NULL;
	if (cert_store_name_parse(a->store, &sn, e) == -1 ||
	    store_open(sp, sn.loc, a->dry_run || a->root != NULL ? STORE_READ :
	    STORE_WRITE, e) == -1)
		return -1;
	if ((a->store ? certstore_find(*sp, sn.name, a->thumb, c, e) :
	    find_any(*sp, a->thumb, c, e)) == -1) {
		store_close(*sp);
		*sp = NULL;
		return -1;
	}
	return 0;
}

/* Untrust by a full thumbprint works even when the store no longer holds
 * the certificate: the system's files are named after it. */
static int
untrust_unknown(const struct trust_args *a, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct err ignored;

	if (!a->untrust || e->code != 2 || cert_thumb_normalize(a->thumb,
	    thumb, &ignored) == -1 || strlen(thumb) != CERT_THUMB_LEN)
		return cli_fail(e);
	printf("Not in the hsys store; removing %s from the system's trust\n",
	    thumb);
	return targets(a, NULL, thumb, NULL);
}

static int
run(struct trust_args *a)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct cert_entry c;
	struct store *s;
	struct stat st;
	struct err e;
	X509 *x = NULL;
	int warn, rc;

	if (a->root != NULL && (stat(a->root, &st) == -1 ||
	    !S_ISDIR(st.st_mode))) {
		err_set(&e, "--root %s is not a directory", a->root);
		return cli_fail(&e);
	}
	if (find(a, &s, &c, &e) == -1)
		return untrust_unknown(a, &e);
	if (certstore_load(s, c.id, &x, NULL, &e) == -1) {
		store_close(s);
		return cli_fail(&e);
	}
	memcpy(thumb, c.thumbprint, sizeof(thumb));
	if (!a->untrust && trust_check_anchor(x, &warn, &e) == -1) {
		rc = cli_fail(&e);
		goto done;
	}
	if (!a->untrust && warn)
		cli_warn("%s is a CA but not self-signed; OpenSSL-based "
		    "clients only accept it as an anchor with partial-chain "
		    "verification", thumb);
	rc = targets(a, x, thumb, s);
done:
	X509_free(x);
	store_close(s);
	return rc;
}

int
cert_cmd_trust(int argc, char **argv)
{
	struct trust_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(argc, argv, &a)) != -1)
		return rc;
	return run(&a);
}

int
cert_cmd_untrust(int argc, char **argv)
{
	struct trust_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.untrust = 1;
	if ((rc = parse(argc, argv, &a)) != -1)
		return rc;
	return run(&a);
}
