/*
 * cert_acme_renew — `hsys cert acme renew [NAME] [--force] [--due]`,
 * `revoke NAME` and `delete NAME` (the record, once nothing follows it):
 * renewal by hand, and the renewal hsysd's renewal child
 * runs (`renew --due`, src/daemon/renew.c). Renewal is an order from the
 * acme_cert row (src/acme/obtain.c): a new key, the row moved to the new
 * certificate once it is stored, bindings that name the certificate
 * (certhash=acme:NAME) following at the generation it commits. A failure
 * leaves the old certificate bound and writes why, the count and the
 * back-off into the row (`list`, servicestate and the metrics page show
 * them).
 *
 * Each pass also asks the server's renewal information (ARI) again for the
 * rows whose ari_check has come, before deciding what is due, so that a
 * window the CA moved earlier renews now. One renewal at a time: a pass
 * holds an exclusive lock on $HSYS_HOME/acme-renew.lock, so that the old
 * and the new hsysd of a hand-over, or the admin and hsysd, do not order
 * the same certificate twice.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

#define RENEW_TIMEOUT	300

static const char renew_usage[] =
"usage: hsys cert acme renew [NAME] [--force] [--due] [--timeout SECONDS]\n"
"\n"
"Renews the ACME certificate NAME (or every one) when it is due: at the time\n"
"the server's renewal information suggests, else two thirds into its\n"
"lifetime; --force renews now. hsysd renews by itself ('renew --due' in a\n"
"child of its own); this is for the admin. The old certificate stays bound\n"
"until the new one is stored; bindings with certhash=acme:NAME follow it.\n"
"Renewal information is asked again when the server's Retry-After (else six\n"
"hours) has passed. One renewal runs at a time: while another holds the\n"
"lock, --due exits 0 (that one does the work), anything else fails.\n";

static const char revoke_usage[] =
"usage: hsys cert acme revoke NAME [--reason N]\n"
"\n"
"Revokes the current certificate of NAME at its ACME server (RFC 8555 7.6,\n"
"reason code N, 0 by default; 1 says its key was compromised) and marks it\n"
"due, so that hsysd renews it at once.\n";

static const char delete_usage[] =
"usage: hsys cert acme delete NAME\n"
"\n"
"Deletes the record of the ACME certificate NAME: hsysd renews it no more.\n"
"Its certificates stay in the store ('hsys cert delete T' removes one).\n"
"Refused while a binding follows it (certhash=acme:NAME) or a renewal runs.\n";

static void
say(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "hsys: %s\n", line);
}

struct renew {
	struct store	*s;
	const char	*only;
	int		 force, due, timeout, done, failed, matched;
	int64_t		 now;
};

static int
renew_one(struct renew *r, const struct acme_cert *row)
{
	struct acme_obtain ob = { .timeout = r->timeout, .say = say };
	struct acme_cert rec = *row;
	struct cert_entry c;
	char when[64];
	long retry = -1;
	struct err e;

	/* ARI again when its time has come: the window may have moved. */
	if (rec.ari_check > 0 && rec.ari_check <= r->now &&
	    acme_ari_recheck(r->s, &rec, r->now, &e) == -1)
		fprintf(stderr, "hsys: %s\n", e.msg);
	if (!r->force && rec.next_renewal > r->now) {
		if (r->only != NULL) {
			cert_time_string(rec.next_renewal, when, sizeof(when));
			printf("%s: not due until %s (--force renews now)\n",
			    rec.name, when);
		}
		return 0;
	}
	fprintf(stderr, "hsys: renewing %s (%s)\n", rec.name, rec.names);
	ob.retry_after = &retry;
	if (acme_obtain(r->s, &ob, &rec, &c, &e) == -1) {
		/* Keys never in messages: e names servers and problems. */
		fprintf(stderr, "hsys: renewing %s failed: %s\n", rec.name,
		    e.msg);
		acme_renew_failed(r->s, rec.name, e.msg, retry);
		r->failed++;
		return 0;
	}
	cert_time_string(rec.not_after, when, sizeof(when));
	printf("Renewed %s: %s, expires %s\n", rec.name, rec.thumbprint, when);
	r->done++;
	return 0;
}

/* Rows are copied first: renewing writes the table being listed. */
struct rows {
	struct acme_cert	*v;
	size_t			 n;
};

static int
collect(const struct acme_cert *c, void *arg)
{
	struct rows *rs = arg;
	struct acme_cert *nv;

	if ((nv = realloc(rs->v, (rs->n + 1) * sizeof(*nv))) == NULL)
		return 1;
	rs->v = nv;
	rs->v[rs->n++] = *c;
	return 0;
}

static int
opts(int argc, char **argv, const char *usage, const char *cmd,
    struct renew *r, const char **only, long *reason)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "due", no_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'f': r->force = 1; break;
		case 'd': r->due = 1; break;
		case 't':
			r->timeout = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || r->timeout < 1 || r->timeout > 86400)
				return cli_usage(cmd, "--timeout wants 1 to "
				    "86400 seconds"), -1;
			break;
		case 'r':
			if (reason == NULL)
				return cli_usage(cmd, "unknown option "
				    "'--reason'"), -1;
			*reason = strtol(optarg, &end, 10);
			if (*end != '\0' || *reason < 0 || *reason > 10)
				return cli_usage(cmd, "--reason is a reason "
				    "code, 0 to 10 (RFC 5280)"), -1;
			break;
		default:
			return cli_usage(cmd, "unknown option '%s'",
			    argv[optind - 1]), -1;
		}
	}
	if (optind < argc)
		*only = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected '%s'", argv[optind]), -1;
	return 0;
}

/* The renewal lock: 1 when another pass holds it. *fd stays open (and
 * the lock held) until the process ends; hooks do not inherit it. */
static int
renew_lock(int *fd, struct err *e)
{
	char home[4096], path[4200];
	struct stat st;

	if (store_home(STORE_MACHINE, home, sizeof(home), e) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/acme-renew.lock", home);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return err_sys(e, "cannot open %s", path);
	/* Another user's lock could hold renewals off for ever (--due
	 * exits 0 while it is held). */
	if (fstat(*fd, &st) == -1)
		return err_sys(e, "cannot read %s", path);
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return err_set(e, "%s is not this user's own (owner %u, mode "
		    "%o); remove it", path, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return 1;
	return err_sys(e, "cannot lock %s", path);
}

static int
renew_pass(struct renew *r)
{
	struct rows rs = { NULL, 0 };
	struct err e;
	size_t i;
	int rc;

	r->now = (int64_t)time(NULL);
	if (store_open(&r->s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_need_keys(r->s, &e) == -1)
		goto fail;
	if ((rc = acme_cert_list(r->s, collect, &rs, &e)) != 0) {
		if (rc > 0)
			err_set(&e, "out of memory");
		goto fail;
	}
	for (i = 0; i < rs.n; i++) {
		if (r->only != NULL && strcmp(rs.v[i].name, r->only) != 0)
			continue;
		r->matched++;
		renew_one(r, &rs.v[i]);
	}
	free(rs.v);
	store_close(r->s);
	if (r->only != NULL && r->matched == 0) {
		fprintf(stderr, "hsys: no ACME certificate is named '%s' "
		    "('hsys cert acme list' shows them)\n", r->only);
		return EXIT_FAIL;
	}
	return r->failed ? EXIT_FAIL : EXIT_OK;
fail:
	free(rs.v);
	store_close(r->s);
	return cli_fail(&e);
}

int
cli_acme_renew(int argc, char **argv)
{
	const char *cmd = "cert acme renew";
	struct renew r = { .timeout = RENEW_TIMEOUT };
	struct err e;
	int rc, lock = -1;

	if ((rc = opts(argc, argv, renew_usage, cmd, &r, &r.only, NULL)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if ((rc = renew_lock(&lock, &e)) == -1)
		rc = cli_fail(&e);
	else if (rc == 1 && r.due && r.only == NULL) {
		/* A hand-over's two hsysd, or hsysd and a timer: the one
		 * that holds the lock does the work. */
		printf("Another renewal is running; it renews what is due.\n");
		rc = EXIT_OK;
	} else if (rc == 1) {
		err_set(&e, "another renewal is running ('hsys cert acme "
		    "renew' or hsysd's); try again when it has ended");
		rc = cli_fail(&e);
	} else
		rc = renew_pass(&r);
	if (lock != -1)
		close(lock);
	return rc;
}

/* --- revoke ----------------------------------------------------------- */

static int
revoke_post(struct store *s, const struct acme_cert *rec, long reason,
    struct err *e)
{
	struct acme_obtain none = { 0 };
	struct acme_account a;
	struct acme_client cl;
	struct acme_response resp;
	struct cert_entry c;
	unsigned char *der = NULL;
	EVP_PKEY *akey = NULL;
	X509 *x = NULL;
	char *b64 = NULL, *body = NULL;
	int len, rc = -1;

	(void)none;
	if (certstore_find(s, rec->store, rec->thumbprint, &c, e) == -1 ||
	    certstore_load(s, c.id, &x, NULL, e) == -1)
		return -1;
	/* The record's account: with accounts at several servers, the
	 * only one would be ambiguous. */
	if (acme_record_account(s, rec, NULL, &a, &akey, e) == -1)
		goto out;
	if (acme_client_init(&cl, a.server, a.ca_file, 0, e) == -1)
		goto out;
	cl.key = akey;
	snprintf(cl.kid, sizeof(cl.kid), "%s", a.url);
	if ((len = i2d_X509(x, &der)) <= 0 ||
	    (b64 = acme_b64url(der, (size_t)len)) == NULL ||
	    asprintf(&body, "{\"certificate\":\"%s\",\"reason\":%ld}", b64,
	    reason) < 0) {
		body = NULL;
		err_set(e, "out of memory");
	} else if (acme_post(&cl, acme_dir_url(&cl, "revokeCert"), body, NULL,
	    &resp, e) == 0) {
		acme_response_free(&resp);
		rc = 0;
	} else
		err_prefix(e, "cannot revoke %s", rec->thumbprint);
	acme_client_free(&cl);
out:
	OPENSSL_free(der);
	free(b64);
	free(body);
	X509_free(x);
	EVP_PKEY_free(akey);
	return rc;
}

int
cli_acme_revoke(int argc, char **argv)
{
	const char *cmd = "cert acme revoke", *name = NULL;
	struct renew r = { .timeout = RENEW_TIMEOUT };
	struct acme_cert rec;
	struct store *s = NULL;
	long reason = 0;
	struct err e;
	int rc, lock = -1;

	if ((rc = opts(argc, argv, revoke_usage, cmd, &r, &name, &reason))
	    != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (name == NULL)
		return cli_usage(cmd, "name the certificate to revoke");
	/* A renewal running would write the row back, undue. */
	if ((rc = renew_lock(&lock, &e)) == 1)
		err_set(&e, "a renewal is running; try again when it has ended");
	if (rc != 0 || store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_need_keys(s, &e) == -1 ||
	    acme_cert_get(s, name, &rec, &e) == -1 ||
	    revoke_post(s, &rec, reason, &e) == -1)
		goto fail;
	/* Due now: hsysd replaces it at its next look. */
	rec.next_renewal = (int64_t)time(NULL);
	snprintf(rec.last_error, sizeof(rec.last_error), "revoked by the "
	    "admin; due for renewal");
	if (store_begin(s, &e) == -1)
		goto fail;
	if (acme_cert_put(s, &rec, &e) == -1 || cli_commit(s, &e) == -1) {
		store_rollback(s);
		goto fail;
	}
	printf("Revoked %s (%s); it is due for renewal now\n", name,
	    rec.thumbprint);
	rc = EXIT_OK;
	goto out;
fail:
	rc = cli_fail(&e);
out:
	store_close(s);
	if (lock != -1)
		close(lock);
	return rc;
}

/* --- delete ------------------------------------------------------------ */

/* The bindings that follow name, into used: 1 when there are. */
static int
followers(struct store *s, const char *name, char *used, size_t size)
{
	sqlite3_stmt *st;
	size_t n;
	int rc, found = 0;

	used[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT kind, endpoint FROM sslcert "
	    "WHERE certhash = '" CONFIG_ACME_PREFIX "' || ? ORDER BY "
	    "kind = 'hostnameport', endpoint", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = strlen(used);
		if (size > n)
			snprintf(used + n, size - n, "%s%s=%s", n ? ", " : "",
			    (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1));
		found = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? found : -1;
}

static int
delete_record(struct store *s, const char *name, struct acme_cert *rec,
    struct err *e)
{
	char used[512];
	int rc;

	if (store_begin(s, e) == -1)
		return -1;
	if (acme_cert_get(s, name, rec, e) == -1)
		goto fail;
	if ((rc = followers(s, name, used, sizeof(used))) != 0) {
		if (rc == -1)
			err_set(e, "cannot read the bindings in %s", s->path);
		else
			err_set(e, "the binding %s follows the ACME certificate "
			    "%s (certhash=" CONFIG_ACME_PREFIX "%s); delete it "
			    "or bind a thumbprint first ('hsys http delete "
			    "sslcert ...' or 'hsys http update sslcert ... "
			    "certhash=%s')", used, name, name, rec->thumbprint);
		goto fail;
	}
	if (acme_cert_delete(s, name, e) == -1 || cli_commit(s, e) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
cli_acme_delete(int argc, char **argv)
{
	const char *cmd = "cert acme delete", *name = NULL;
	struct renew r = { .timeout = RENEW_TIMEOUT };
	struct acme_cert rec;
	struct store *s = NULL;
	struct err e;
	int rc, lock = -1;

	if ((rc = opts(argc, argv, delete_usage, cmd, &r, &name, NULL)) != 0)
		return rc == 1 ? EXIT_OK : EXIT_USAGE;
	if (r.force || r.due || r.timeout != RENEW_TIMEOUT)
		return cli_usage(cmd, "delete takes a name and no option");
	if (name == NULL)
		return cli_usage(cmd, "name the ACME certificate to delete");
	/* A renewal running would write the row back. */
	if ((rc = renew_lock(&lock, &e)) == 1)
		err_set(&e, "a renewal is running; try again when it has ended");
	if (rc != 0 || store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    delete_record(s, name, &rec, &e) == -1) {
		rc = cli_fail(&e);
		goto out;
	}
	printf("Deleted the ACME certificate %s; hsysd renews it no more. Its "
	    "certificate %s stays in LocalMachine\\%s ('hsys cert delete %s' "
	    "removes it).\n", name, rec.thumbprint, rec.store,
	    rec.thumbprint);
	rc = EXIT_OK;
out:
	store_close(s);
	if (lock != -1)
		close(lock);
	return rc;
}
