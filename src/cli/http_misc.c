/*
 * http_misc — hsys http add|delete|show iplisten and timeout.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static const struct config_key ip_keys[] = {
	{ "ipaddress", CONFIG_KEY_REQUIRED }, { NULL, 0 }
};
static const struct config_key timeout_keys[] = {
	{ "timeouttype", CONFIG_KEY_REQUIRED }, { "value", CONFIG_KEY_REQUIRED },
	{ NULL, 0 }
};
static const struct config_key timeouttype_keys[] = {
	{ "timeouttype", CONFIG_KEY_REQUIRED }, { NULL, 0 }
};
static const struct config_key no_keys[] = { { NULL, 0 } };

struct json {
	FILE	*f;
	int	 n;
};

static int
ip_show(const char *addr, void *arg)
{
	struct json *j = arg;

	if (j == NULL)
		printf("    %s\n", addr);
	else
		fprintf(j->f, "%s\"%s\"", j->n++ ? ", " : "", addr);
	return 0;
}

int
http_iplisten(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	struct json j = { stdout, 0 };
	struct http_ctx t = *c;
	struct config_args a;
	char addr[CONFIG_ADDR_MAX];
	int add = strcasecmp(verb, "add") == 0, rc;
	const char *what = add ? "IP address add" : "IP address delete";
	struct err e;

	if (strcasecmp(verb, "show") == 0) {
		if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
		    config_args_check(&a, no_keys, &e) == -1 ||
		    http_open_read(&t, &e) == -1)
			return http_fail(c, "IP listen list show", &e);
		if (a.json)
			fputc('[', stdout);
		else
			fputs("\nIP addresses present in the IP listen list:\n"
			    "-------------------------------------------\n\n",
			    stdout);
		rc = config_iplisten_list(t.s, ip_show, a.json ? &j : NULL, &e);
		http_close(&t);
		fputs(a.json ? "]\n" : "\n", stdout);
		return rc == -1 ? http_fail(c, "IP listen list show", &e) :
		    EXIT_OK;
	}
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, ip_keys, &e) == -1 ||
	    config_ip_parse(config_args_get(&a, "ipaddress"), addr, &e) == -1 ||
	    http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	rc = add ? config_iplisten_add(t.s, addr, &e) :
	    config_iplisten_delete(t.s, addr, &e);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	puts(add ? "IP address successfully added" :
	    "IP address successfully deleted");
	return EXIT_OK;
}

static int
timeout_show(const struct http_ctx *c, int argc, char **argv)
{
	static const char *const labels[CONFIG_TIMEOUT_COUNT] = {
		"Idle Connection Timeout (sec)", "Header Wait Timeout (sec)",
		"Entity Body Timeout (sec)"
	};
	struct http_ctx t = *c;
	struct config_args a;
	int v[CONFIG_TIMEOUT_COUNT], set, i;
	struct err e;

	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, no_keys, &e) == -1 ||
	    http_open_read(&t, &e) == -1)
		return http_fail(c, "Timeout show", &e);
	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++) {
		if (config_timeout_get(t.s, (enum config_timeout)i, &v[i],
		    &set, &e) == -1) {
			http_close(&t);
			return http_fail(c, "Timeout show", &e);
		}
	}
	http_close(&t);
	if (a.json) {
		for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++)
			printf("%s\"%s\": %d", i ? ", " : "{",
			    config_timeout_name((enum config_timeout)i), v[i]);
		puts("}");
		return EXIT_OK;
	}
	fputs("\nTimeout Settings:\n-----------------\n\n", stdout);
	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++)
		printf("    %-32s: %d\n", labels[i], v[i]);
	fputc('\n', stdout);
	return EXIT_OK;
}

int
http_timeout(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	int add = strcasecmp(verb, "add") == 0, value = 0, rc;
	const char *what = add ? "Timeout set" : "Timeout delete";
	struct http_ctx t = *c;
	enum config_timeout type;
	struct config_args a;
	struct err e;

	if (strcasecmp(verb, "show") == 0)
		return timeout_show(c, argc, argv);
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, add ? timeout_keys : timeouttype_keys, &e)
	    == -1 ||
	    config_timeout_parse(config_args_get(&a, "timeouttype"), &type,
	    &e) == -1 ||
	    (add && config_timeout_value_parse(config_args_get(&a, "value"),
	    &value, &e) == -1) ||
	    http_begin(&t, &e) == -1)
		return http_fail(c, what, &e);
	rc = add ? config_timeout_set(t.s, type, value, &e) :
	    config_timeout_delete(t.s, type, &e);
	if (http_end(&t, rc == 0, &e) == -1 || rc == -1)
		return http_fail(c, what, &e);
	puts(add ? "Timeout successfully set" : "Timeout successfully deleted");
	return EXIT_OK;
}
