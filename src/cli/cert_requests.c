/*
 * cert_requests — the REQUEST store: the pending requests 'hsys cert
 * request' made, listed and removed as Windows shows its REQUEST store
 * (dir cert:\LocalMachine\REQUEST, and certreq's pending requests):
 *
 *   hsys cert list REQUEST [--json]
 *   hsys cert delete T --store REQUEST
 *
 * A request is named by the SHA-1 of its CSR; deleting it drops its key.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

int
cert_requests_name(const char *in, enum store_location *loc)
{
	const char *s = in, *name;
	size_t n;

	if (s == NULL)
		return 0;
	if (strncasecmp(s, "cert:", 5) == 0)
		s += strspn(s + 5, "\\/") + 5;
	*loc = STORE_MACHINE;
	n = strcspn(s, "\\/");
	name = s;
	if (s[n] != '\0') {
		if (n == 12 && strncasecmp(s, "LocalMachine", n) == 0)
			*loc = STORE_MACHINE;
		else if (n == 11 && strncasecmp(s, "CurrentUser", n) == 0)
			*loc = STORE_USER;
		else
			return 0;
		name = s + n + strspn(s + n, "\\/");
	}
	return strcasecmp(name, "REQUEST") == 0;
}

struct lister {
	int	json;
	int	n;
};

static int
list_one(const struct cert_request *r, void *arg)
{
	struct lister *l = arg;
	char when[32];
	time_t t = (time_t)r->created;
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&t, &tm));
	if (l->json) {
		printf("%s\n  {\"thumbprint\": \"%s\", \"subject\": ",
		    l->n ? "," : "", r->thumbprint);
		cli_json_str(stdout, r->subject);
		printf(", \"names\": ");
		cli_json_str(stdout, r->names);
		printf(", \"created\": \"%s\"}", when);
	} else {
		printf("%s  %s  %s%s%s%s\n", r->thumbprint, when, r->subject,
		    r->names[0] ? " (" : "", r->names,
		    r->names[0] ? ")" : "");
	}
	l->n++;
	return 0;
}

int
cert_requests_list(enum store_location loc, int json)
{
	struct lister l = { json, 0 };
	struct store *s;
	struct err e;
	int rc;

	if (store_open(&s, loc, STORE_READ, &e) == -1)
		return cli_fail(&e);
	if (!json)
		printf("\n%s\\REQUEST (pending requests: 'hsys cert accept' "
		    "completes one)\n\n", store_location_name(loc));
	else
		fputc('[', stdout);
	rc = cert_request_list(s, list_one, &l, &e);
	store_close(s);
	if (json)
		fputs(l.n ? "\n]\n" : "]\n", stdout);
	else if (l.n == 0)
		printf("(none)\n");
	return rc == -1 ? cli_fail(&e) : EXIT_OK;
}

int
cert_requests_delete(enum store_location loc, const char *thumb)
{
	struct cert_request r;
	struct store *s;
	struct err e;

	if (store_open(&s, loc, STORE_WRITE, &e) == -1)
		return cli_fail(&e);
	if (store_begin(s, &e) == -1 ||
	    cert_request_lookup(s, thumb, &r, &e) == -1 ||
	    cert_request_remove(s, &r, &e) == -1 ||
	    cli_commit(s, &e) == -1) {
		store_rollback(s);
		store_close(s);
		return cli_fail(&e);
	}
	printf("Deleted the pending request %s (%s) from %s\\REQUEST, with "
	    "its private key.\n", r.thumbprint, r.subject,
	    store_location_name(loc));
	store_close(s);
	return EXIT_OK;
}
