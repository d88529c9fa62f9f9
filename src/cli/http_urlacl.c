/*
 * http_urlacl — hsys http add|delete|show urlacl, printed the way netsh
 * prints them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static int
show_one(const struct config_urlacl *r, void *arg)
{
	FILE *f = arg;
	char name[256], sddl[64];

	config_principal_name(r->kind, r->id, name, sizeof(name));
	config_urlacl_sddl(r, sddl, sizeof(sddl));
	fprintf(f, "    %-24s: %s\n", "Reserved URL", r->url);
	fprintf(f, "        User: %s\n", name);
	fprintf(f, "            Listen: %s\n", r->listen ? "Yes" : "No");
	fprintf(f, "            Delegate: %s\n", r->delegate ? "Yes" : "No");
	fprintf(f, "            SDDL: %s\n\n", sddl);
	return 0;
}

struct json {
	FILE	*f;
	int	 n;
};

static int
json_one(const struct config_urlacl *r, void *arg)
{
	struct json *j = arg;
	char name[256];

	config_principal_name(r->kind, r->id, name, sizeof(name));
	fprintf(j->f, "%s\n  {\"url\": ", j->n++ ? "," : "");
	cli_json_str(j->f, r->url);
	fprintf(j->f, ", \"user\": ");
	cli_json_str(j->f, name);
	if (r->kind == CONFIG_EVERYONE)
		fprintf(j->f, ", \"everyone\": true");
	else
		fprintf(j->f, ", \"%s\": %u", r->kind == CONFIG_USER ? "uid" :
		    "gid", r->id);
	fprintf(j->f, ", \"listen\": %s, \"delegate\": %s}",
	    r->listen ? "true" : "false", r->delegate ? "true" : "false");
	return 0;
}

static int
show(const struct http_ctx *c, const struct config_args *a,
    const struct config_urlacl *want)
{
	struct json j = { stdout, 0 };
	struct http_ctx t = *c;
	struct config_urlacl r;
	struct err e;
	int rc;

	if (http_open_read(&t, &e) == -1)
		return http_fail(c, "Url reservation show", &e);
	if (a->json)
		fputc('[', stdout);
	else
		fputs("\nURL Reservations:\n-----------------\n\n", stdout);
	if (want->url[0] != '\0') {
		if ((rc = config_urlacl_get(t.s, want->url, &r, &e)) == 0)
			a->json ? json_one(&r, &j) : show_one(&r, stdout);
	} else
		rc = config_urlacl_list(t.s, a->json ? json_one : show_one,
		    a->json ? (void *)&j : (void *)stdout, &e);
	http_close(&t);
	if (a->json)
		fputs(j.n ? "\n]\n" : "]\n", stdout);
	if (rc == -1)
		return http_fail(c, "Url reservation show", &e);
	return EXIT_OK;
}

int
http_urlacl(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	struct config_args a;
	struct config_urlacl r;
	struct http_ctx t = *c;
	enum config_verb v;
	const char *what;
	struct err e;
	int rc;

	v = strcasecmp(verb, "add") == 0 ? CONFIG_ADD :
	    strcasecmp(verb, "delete") == 0 ? CONFIG_DELETE : CONFIG_SHOW;
	what = v == CONFIG_ADD ? "Url reservation add" : v == CONFIG_DELETE ?
	    "Url reservation delete" : "Url reservation show";
	if (http_args(c, argc, argv, &a, v == CONFIG_ADD ? config_urlacl_keys :
	    NULL, &e) == -1 || config_urlacl_from_args(&a, v, &r, &e) == -1)
		return http_fail(c, what, &e);
	if (v == CONFIG_SHOW)
		return show(c, &a, &r);
	if (http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	rc = v == CONFIG_ADD ? config_urlacl_add(t.s, &r, &e) :
	    config_urlacl_delete(t.s, r.url, &e);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	puts(v == CONFIG_ADD ? "URL reservation successfully added" :
	    "URL reservation successfully deleted");
	return EXIT_OK;
}
