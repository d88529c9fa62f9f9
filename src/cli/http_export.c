/*
 * http_export — hsys http export: the whole HTTP configuration as batch
 * lines that `hsys -f FILE` applies on another machine. The output is
 * deterministic (sorted as the tables are listed, defaults left out), so
 * exporting, applying into an empty store and exporting again gives the
 * same text.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static int
sslcert(const struct config_sslcert *b, void *arg)
{
	int i;

	(void)arg;
	printf("http add sslcert %s=%s certhash=%s appid=%s certstorename=%s",
	    b->kind == CONFIG_IPPORT ? "ipport" : "hostnameport", b->endpoint,
	    b->certhash, b->appid, b->storename);
	for (i = 0; i < SSLOPT_COUNT; i++)
		if (b->opt[i] != config_sslopts[i].dflt)
			printf(" %s=%s", config_sslopts[i].key,
			    b->opt[i] ? "enable" : "disable");
	putchar('\n');
	return 0;
}

static int
urlacl(const struct config_urlacl *r, void *arg)
{
	char name[256];

	(void)arg;
	config_principal_name(r->kind, r->id, name, sizeof(name));
	printf("http add urlacl url=%s user=%s listen=%s delegate=%s\n",
	    r->url, name, r->listen ? "yes" : "no", r->delegate ? "yes" : "no");
	return 0;
}

static int
iplisten(const char *addr, void *arg)
{
	(void)arg;
	printf("http add iplisten ipaddress=%s\n", addr);
	return 0;
}

static int
timeouts(struct store *s, struct err *e)
{
	int i, v, set;

	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++) {
		if (config_timeout_get(s, (enum config_timeout)i, &v, &set, e)
		    == -1)
			return -1;
		if (set)
			printf("http add timeout timeouttype=%s value=%d\n",
			    config_timeout_name((enum config_timeout)i), v);
	}
	return 0;
}

static int
metrics(struct store *s, struct err *e)
{
	char url[URL_PREFIX_MAX];
	int rc;

	if ((rc = config_metrics_get(s, url, e)) == 1)
		printf("http add metrics url=%s\n", url);
	return rc == -1 ? -1 : 0;
}

static int
url_setting(enum config_setting s, const char *url, int64_t v, void *arg)
{
	(void)arg;
	if (v == CONFIG_UNLIMITED)
		printf("http add setting name=%s value=unlimited url=%s\n",
		    config_settings[s].name, url);
	else
		printf("http add setting name=%s value=%" PRId64 " url=%s\n",
		    config_settings[s].name, v, url);
	return 0;
}

static int
settings(struct store *s, struct err *e)
{
	int64_t v;
	int i, set;

	for (i = 0; i < CONFIG_SET_COUNT; i++) {
		if (config_setting_get(s, (enum config_setting)i, &v, &set, e)
		    == -1)
			return -1;
		if (!set)
			continue;
		if (v == CONFIG_UNLIMITED)
			printf("http add setting name=%s value=unlimited\n",
			    config_settings[i].name);
		else
			printf("http add setting name=%s value=%" PRId64 "\n",
			    config_settings[i].name, v);
	}
	return config_setting_list_url(s, url_setting, NULL, e);
}

int
http_export(const struct http_ctx *c, int argc, char **argv)
{
	struct http_ctx t = *c;
	struct err e;
	int rc;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hsys: 'http export' takes no parameters. See "
		    "'hsys http --help'.\n");
		return EXIT_USAGE;
	}
	if (http_open_read(&t, &e) == -1)
		return http_fail(c, "Export", &e);
	puts("# HTTP configuration exported by hsys; apply it with "
	    "'hsys -f FILE'.\n# The certificates that sslcert lines name "
	    "must be imported first.");
	rc = config_sslcert_list(t.s, sslcert, NULL, &e);
	if (rc == 0)
		rc = config_urlacl_list(t.s, urlacl, NULL, &e);
	if (rc == 0)
		rc = config_iplisten_list(t.s, iplisten, NULL, &e);
	if (rc == 0)
		rc = timeouts(t.s, &e);
	if (rc == 0)
		rc = metrics(t.s, &e);
	if (rc == 0)
		rc = settings(t.s, &e);
	http_close(&t);
	if (rc == -1)
		return http_fail(c, "Export", &e);
	return EXIT_OK;
}
