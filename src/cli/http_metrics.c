/*
 * http_metrics — hsys http add|delete|show metrics: the URL prefix at
 * which hsysd serves its counters in Prometheus's text format
 * (config/metrics.c; the daemon's side is src/daemon/metrics.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static const struct config_key add_keys[] = {
	{ "url", CONFIG_KEY_REQUIRED }, { NULL, 0 }
};
static const struct config_key no_keys[] = { { NULL, 0 } };

static int
metrics_show(const struct http_ctx *c, int argc, char **argv)
{
	char url[URL_PREFIX_MAX];
	struct http_ctx t = *c;
	struct config_args a;
	struct err e;
	int rc;

	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, no_keys, &e) == -1 ||
	    http_open_read(&t, &e) == -1)
		return http_fail(c, "Metrics show", &e);
	rc = config_metrics_get(t.s, url, &e);
	http_close(&t);
	if (rc == -1)
		return http_fail(c, "Metrics show", &e);
	if (a.json) {
		fputs("{\"url\": ", stdout);
		if (rc == 1)
			cli_json_str(stdout, url);
		else
			fputs("null", stdout);
		fputs("}\n", stdout);
		return EXIT_OK;
	}
	printf("\nMetrics (Prometheus text format):\n"
	    "---------------------------------\n\n    URL: %s\n\n",
	    rc == 1 ? url : "none (off)");
	return EXIT_OK;
}

/* A metrics page for one host opens its port on every address. */
static void
note_addresses(const struct http_ctx *t, const char *url)
{
	struct url_prefix p;
	struct err e;

	if (url_prefix_parse(url, strlen(url), &p, &e) == -1 ||
	    p.host_kind == URL_HOST_STRONG || p.host_kind == URL_HOST_WEAK)
		return;
	http_note_every_address(t, p.host_kind == URL_HOST_IP ? p.host :
	    NULL, p.port);
}

int
http_metrics(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	int add = strcasecmp(verb, "add") == 0, rc;
	const char *what = add ? "Metrics add" : "Metrics delete";
	char url[URL_PREFIX_MAX] = "";
	struct http_ctx t = *c;
	struct config_args a;
	struct err e;

	if (strcasecmp(verb, "show") == 0)
		return metrics_show(c, argc, argv);
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, add ? add_keys : no_keys, &e) == -1 ||
	    (add && config_metrics_parse(config_args_get(&a, "url"), url,
	    &e) == -1) ||
	    http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	rc = add ? config_metrics_add(t.s, url, &e) :
	    config_metrics_delete(t.s, &e);
	if (add && rc == 0)
		note_addresses(&t, url);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	puts(add ? "Metrics successfully added" :
	    "Metrics successfully deleted");
	return EXIT_OK;
}
