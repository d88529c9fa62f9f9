/*
 * http_sslcert — hsys http add|update|delete|show sslcert, printed the way
 * netsh prints them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

/* netsh's labels for the options, and how it shows their values. */
static const struct {
	const char	*label;
	int		 setstyle;	/* "Set"/"Not Set" rather than
					 * "Enabled"/"Disabled" */
} optshow[SSLOPT_COUNT] = {
	[SSLOPT_CLIENTCERTNEGOTIATION] = { "Negotiate Client Certificate", 0 },
	[SSLOPT_VERIFYCLIENTCERTREVOCATION] =
	    { "Verify Client Certificate Revocation", 0 },
	[SSLOPT_DISABLEHTTP2] = { "Disable HTTP2", 1 },
	[SSLOPT_DISABLELEGACYTLS] = { "Disable Legacy TLS Versions", 1 },
	[SSLOPT_DISABLETLS12] = { "Disable TLS1.2", 1 },
	[SSLOPT_DISABLETLS13] = { "Disable TLS1.3", 1 },
	[SSLOPT_ENABLESESSIONTICKET] = { "Enable Session Ticket", 1 },
	[SSLOPT_DISABLEOCSPSTAPLING] = { "Disable OCSP Stapling", 1 },
};

static void
line(FILE *f, const char *label, const char *value)
{
	fprintf(f, "    %-28s : %s\n", label, value);
}

static const char *
opt_value(const struct config_sslcert *b, enum config_sslopt o)
{
	if (optshow[o].setstyle)
		return b->opt[o] ? "Set" : "Not Set";
	return b->opt[o] ? "Enabled" : "Disabled";
}

static int
show_one(const struct config_sslcert *b, void *arg)
{
	FILE *f = arg;
	char hash[41];
	size_t i;

	/* netsh shows thumbprints in lowercase. */
	for (i = 0; i + 1 < sizeof(hash) && b->current[i] != '\0'; i++)
		hash[i] = (char)(b->current[i] >= 'A' && b->current[i] <= 'F' ?
		    b->current[i] + 32 : b->current[i]);
	hash[i] = '\0';
	line(f, b->kind == CONFIG_IPPORT ? "IP:port" : "Hostname:port",
	    b->endpoint);
	if (strncmp(b->certhash, CONFIG_ACME_PREFIX, 5) == 0) {
		/* Follows an ACME certificate: the name, and what it is now. */
		line(f, "Certificate Hash", *hash ? hash : "(none yet)");
		line(f, "ACME Certificate", b->certhash + 5);
	} else
		line(f, "Certificate Hash", hash);
	line(f, "Application ID", b->appid);
	line(f, "Certificate Store Name", b->storename);
	line(f, optshow[SSLOPT_VERIFYCLIENTCERTREVOCATION].label,
	    opt_value(b, SSLOPT_VERIFYCLIENTCERTREVOCATION));
	line(f, "Verify Revocation Using Cached Client Certificate Only",
	    "Disabled");
	line(f, "Usage Check", "Enabled");
	line(f, "Revocation Freshness Time", "0");
	line(f, "URL Retrieval Timeout", "0");
	line(f, "Ctl Identifier", "(null)");
	line(f, "Ctl Store Name", "(null)");
	line(f, "DS Mapper Usage", "Disabled");
	line(f, optshow[SSLOPT_CLIENTCERTNEGOTIATION].label,
	    opt_value(b, SSLOPT_CLIENTCERTNEGOTIATION));
	line(f, "Reject Connections", "Disabled");
	line(f, "Disable HTTP2", opt_value(b, SSLOPT_DISABLEHTTP2));
	line(f, "Disable QUIC", "Not Set");
	line(f, "Disable TLS1.2", opt_value(b, SSLOPT_DISABLETLS12));
	line(f, "Disable TLS1.3", opt_value(b, SSLOPT_DISABLETLS13));
	line(f, "Disable OCSP Stapling",
	    opt_value(b, SSLOPT_DISABLEOCSPSTAPLING));
	line(f, "Enable Token Binding", "Not Set");
	line(f, "Log Extended Events", "Not Set");
	line(f, "Disable Legacy TLS Versions",
	    opt_value(b, SSLOPT_DISABLELEGACYTLS));
	line(f, "Enable Session Ticket",
	    opt_value(b, SSLOPT_ENABLESESSIONTICKET));
	fputc('\n', f);
	return 0;
}

struct json {
	FILE	*f;
	int	 n;
};

static int
json_one(const struct config_sslcert *b, void *arg)
{
	struct json *j = arg;
	int i;

	fprintf(j->f, "%s\n  {\"%s\": ", j->n++ ? "," : "",
	    b->kind == CONFIG_IPPORT ? "ipport" : "hostnameport");
	cli_json_str(j->f, b->endpoint);
	fputs(", \"certhash\": ", j->f);
	cli_json_str(j->f, b->certhash);
	fprintf(j->f, ", \"current\": \"%s\", \"appid\": \"%s\", "
	    "\"certstorename\": \"%s\"", b->current, b->appid, b->storename);
	for (i = 0; i < SSLOPT_COUNT; i++)
		fprintf(j->f, ", \"%s\": %s", config_sslopts[i].key,
		    b->opt[i] ? "true" : "false");
	fputc('}', j->f);
	return 0;
}

static int
show(const struct http_ctx *c, const struct config_args *a,
    const struct config_sslcert *want)
{
	struct json j = { stdout, 0 };
	struct http_ctx r = *c;
	struct config_sslcert b;
	struct err e;
	int rc;

	if (http_open_read(&r, &e) == -1)
		return http_fail(c, "SSL Certificate show", &e);
	if (a->json)
		fputc('[', stdout);
	if (want->endpoint[0] != '\0') {
		if ((rc = config_sslcert_get(r.s, want->kind, want->endpoint,
		    &b, &e)) == 0) {
			if (a->json)
				json_one(&b, &j);
			else {
				fputs("\nSSL Certificate bindings:\n"
				    "-------------------------\n\n", stdout);
				show_one(&b, stdout);
			}
		}
	} else if (a->json)
		rc = config_sslcert_list(r.s, json_one, &j, &e);
	else {
		fputs("\nSSL Certificate bindings:\n"
		    "-------------------------\n\n", stdout);
		rc = config_sslcert_list(r.s, show_one, stdout, &e);
	}
	http_close(&r);
	if (a->json)
		fputs(j.n ? "\n]\n" : "]\n", stdout);
	if (rc == -1)
		return http_fail(c, "SSL Certificate show", &e);
	return EXIT_OK;
}

static void
note_unused(const struct config_args *a)
{
	int i;

	for (i = 0; i < SSLOPT_COUNT; i++)
		if (!config_sslopts[i].acted_on &&
		    config_args_get(a, config_sslopts[i].key) != NULL)
			cli_warn("%s= is stored and shown but not acted on "
			    "yet", config_sslopts[i].key);
}

/* A binding for one address, or a name, opens its port everywhere. */
static void
note_addresses(const struct http_ctx *t, const struct config_sslcert *b)
{
	char addr[CONFIG_ENDPOINT_MAX];
	const char *colon = strrchr(b->endpoint, ':');
	size_t n = colon ? (size_t)(colon - b->endpoint) : 0;

	if (colon == NULL || n >= sizeof(addr))
		return;
	memcpy(addr, b->endpoint, n);
	addr[n] = '\0';
	if (strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "[::]") == 0)
		return;
	http_note_every_address(t, b->kind == CONFIG_IPPORT ? addr : NULL,
	    (unsigned)strtoul(colon + 1, NULL, 10));
}

int
http_sslcert(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	struct config_args a;
	struct config_warnings w = { .n = 0 };
	struct config_sslcert b;
	struct http_ctx t = *c;
	enum config_verb v;
	const char *what, *done;
	struct err e;
	int i, rc;

	if (strcasecmp(verb, "add") == 0) {
		v = CONFIG_ADD;
		what = "SSL Certificate add";
		done = "SSL Certificate successfully added";
	} else if (strcasecmp(verb, "update") == 0) {
		v = CONFIG_UPDATE;
		what = "SSL Certificate update";
		done = "SSL Certificate successfully updated";
	} else if (strcasecmp(verb, "delete") == 0) {
		v = CONFIG_DELETE;
		what = "SSL Certificate deletion";
		done = "SSL Certificate successfully deleted";
	} else {
		v = CONFIG_SHOW;
		what = "SSL Certificate show";
		done = NULL;
	}
	if (http_args(c, argc, argv, &a, v == CONFIG_ADD || v == CONFIG_UPDATE ?
	    config_sslcert_keys : NULL, &e) == -1 ||
	    config_sslcert_from_args(&a, v, &b, &e) == -1)
		return http_fail(c, what, &e);
	if (v == CONFIG_SHOW)
		return show(c, &a, &b);
	note_unused(&a);
	if (http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	if (v == CONFIG_ADD)
		rc = config_sslcert_add(t.s, &b, &w, &e);
	else if (v == CONFIG_UPDATE)
		rc = config_sslcert_update(t.s, &b, &w, &e);
	else
		rc = config_sslcert_delete(t.s, b.kind, b.endpoint, &e);
	if (v == CONFIG_ADD && rc == 0)
		note_addresses(&t, &b);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	for (i = 0; i < w.n; i++)
		cli_warn("%s", w.msg[i]);
	puts(done);
	return EXIT_OK;
}
