/*
 * http_setting — hsys http add|delete|show setting: the limits hsysd
 * enforces, by HTTP.sys's names (config/setting.c). `show` prints every
 * value in force, defaults marked, then the per-prefix ones.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static const struct config_key add_keys[] = {
	{ "name", CONFIG_KEY_REQUIRED }, { "value", CONFIG_KEY_REQUIRED },
	{ "url", 0 }, { NULL, 0 }
};
static const struct config_key delete_keys[] = {
	{ "name", CONFIG_KEY_REQUIRED }, { "url", 0 }, { NULL, 0 }
};
static const struct config_key show_keys[] = {
	{ "name", 0 }, { NULL, 0 }
};

struct show {
	int	json;
	int	n;		/* JSON objects written */
	int	only;		/* a setting, or -1 for all */
};

static void
value_text(int64_t v, char *buf, size_t size)
{
	if (v == CONFIG_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%" PRId64, v);
}

static void
show_one(struct show *sh, enum config_setting s, const char *url, int64_t v,
    int dflt)
{
	char val[32];

	value_text(v, val, sizeof(val));
	/* Unset, hsysd derives it from its open-files limit (snapshot.c). */
	if (s == CONFIG_SET_MAXCONNECTIONS && dflt && url == NULL)
		snprintf(val, sizeof(val), "3/4 of hsysd's open files");
	if (!sh->json) {
		if (url == NULL)
			printf("    %-28s: %s%s\n", config_settings[s].name, val,
			    dflt ? " (default)" : "");
		else
			printf("    %-28s: %s  url=%s\n", config_settings[s].name,
			    val, url);
		return;
	}
	printf("%s\n  {\"name\": \"%s\", ", sh->n++ ? "," : "",
	    config_settings[s].name);
	if (url != NULL) {
		fputs("\"url\": ", stdout);
		cli_json_str(stdout, url);
		fputs(", ", stdout);
	}
	if (v == CONFIG_UNLIMITED)
		fputs("\"value\": null, \"unlimited\": true", stdout);
	else
		printf("\"value\": %" PRId64, v);
	printf(", \"default\": %s}", dflt ? "true" : "false");
}

static int
show_url(enum config_setting s, const char *url, int64_t v, void *arg)
{
	struct show *sh = arg;

	if (sh->only == -1 || sh->only == (int)s)
		show_one(sh, s, url, v, 0);
	return 0;
}

static int
setting_show(const struct http_ctx *c, int argc, char **argv)
{
	struct http_ctx t = *c;
	struct config_args a;
	struct show sh = { 0, 0, -1 };
	enum config_setting only;
	int64_t v;
	int i, set, rc = 0;
	struct err e;

	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, show_keys, &e) == -1 ||
	    (config_args_get(&a, "name") != NULL &&
	    config_setting_parse(config_args_get(&a, "name"), &only, &e) ==
	    -1) ||
	    http_open_read(&t, &e) == -1)
		return http_fail(c, "Setting show", &e);
	if (config_args_get(&a, "name") != NULL)
		sh.only = (int)only;
	sh.json = a.json;
	fputs(sh.json ? "[" : "\nSettings:\n---------\n\n", stdout);
	for (i = 0; i < CONFIG_SET_COUNT && rc == 0; i++) {
		if (sh.only != -1 && sh.only != i)
			continue;
		if ((rc = config_setting_get(t.s, (enum config_setting)i, &v,
		    &set, &e)) == 0)
			show_one(&sh, (enum config_setting)i, NULL, v, !set);
	}
	if (rc == 0)
		rc = config_setting_list_url(t.s, show_url, &sh, &e);
	http_close(&t);
	fputs(sh.json ? "\n]\n" : "\n", stdout);
	return rc == -1 ? http_fail(c, "Setting show", &e) : EXIT_OK;
}

int
http_setting(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	int add = strcasecmp(verb, "add") == 0, rc;
	const char *what = add ? "Setting add" : "Setting delete", *u;
	char url[URL_PREFIX_MAX];
	struct http_ctx t = *c;
	enum config_setting s;
	struct config_args a;
	int64_t value = 0;
	struct err e;

	if (strcasecmp(verb, "show") == 0)
		return setting_show(c, argc, argv);
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, add ? add_keys : delete_keys, &e) == -1 ||
	    config_setting_parse(config_args_get(&a, "name"), &s, &e) == -1 ||
	    (add && config_setting_value_parse(s, config_args_get(&a, "value"),
	    &value, &e) == -1) ||
	    ((u = config_args_get(&a, "url")) != NULL &&
	    config_setting_url_parse(s, u, url, &e) == -1) ||
	    http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	rc = add ? config_setting_set(t.s, s, u ? url : NULL, value, &e) :
	    config_setting_delete(t.s, s, u ? url : NULL, &e);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	puts(add ? "Setting successfully added" :
	    "Setting successfully deleted");
	return EXIT_OK;
}
