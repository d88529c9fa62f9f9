/*
 * http_ctx — what every `hsys http` command shares, through its struct
 * http_ctx (http.h): reaching the store (a transaction of its own, or a
 * batch's), key=value arguments, netsh-style failures, and the note on
 * ports opened on every address. Below the command files; calls none.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static int
count_one(const char *addr, void *arg)
{
	(void)addr;
	(*(int *)arg)++;
	return 0;
}

void
http_note_every_address(const struct http_ctx *c, const char *addr,
    unsigned port)
{
	struct err e;
	int n = 0;

	if (c->s == NULL || config_iplisten_list(c->s, count_one, &n, &e) ==
	    -1 || n > 0)
		return;
	if (addr != NULL)
		fprintf(stderr, "hsys: note: hsysd opens port %u on every "
		    "address, not only %s, as HTTP.sys does while the iplisten "
		    "list is empty; 'hsys http add iplisten ipaddress=%s' keeps "
		    "it to that address.\n", port, addr, addr);
	else
		fprintf(stderr, "hsys: note: hsysd opens port %u on every "
		    "address, as HTTP.sys does while the iplisten list is "
		    "empty; 'hsys http add iplisten ipaddress=ADDRESS' keeps it "
		    "to the addresses listed.\n", port);
}

int
http_begin(struct http_ctx *c, struct err *e)
{
	if (c->tx != NULL) {
		c->s = c->tx;
		return 0;
	}
	if (store_open(&c->s, STORE_MACHINE, STORE_WRITE, e) == -1)
		return -1;
	if (store_begin(c->s, e) == -1) {
		store_close(c->s);
		c->s = NULL;
		return -1;
	}
	return 0;
}

int
http_end(struct http_ctx *c, int ok, struct err *e)
{
	int rc = 0;

	if (c->tx != NULL || c->s == NULL)
		return 0;
	if (!ok)
		store_rollback(c->s);
	else
		rc = cli_commit(c->s, e);
	store_close(c->s);
	c->s = NULL;
	return rc;
}

int
http_open_read(struct http_ctx *c, struct err *e)
{
	if (c->tx != NULL) {
		c->s = c->tx;
		return 0;
	}
	return store_open(&c->s, STORE_MACHINE, STORE_READ, e);
}

void
http_close(struct http_ctx *c)
{
	if (c->tx == NULL)
		store_close(c->s);
	c->s = NULL;
}

int
http_fail(const struct http_ctx *c, const char *what, const struct err *e)
{
	size_t n = strlen(e->msg);

	fflush(stdout);
	if (e->code == CONFIG_E_PARAM || e->code == CONFIG_E_EXISTS ||
	    e->code == CONFIG_E_NOT_FOUND || e->code == CONFIG_E_NO_KEY)
		fprintf(stderr, "%s failed, Error: %d\n", what, e->code);
	fprintf(stderr, "hsys: ");
	if (c->line > 0)
		fprintf(stderr, "line %d: ", c->line);
	fprintf(stderr, "%s%s\n", e->msg, n > 0 && e->msg[n - 1] == '.' ?
	    "" : ".");
	return e->code == CONFIG_E_PARAM ? EXIT_USAGE : EXIT_FAIL;
}

int
http_args(const struct http_ctx *c, int argc, char **argv,
    struct config_args *a, const struct config_key *keys, struct err *e)
{
	const struct config_key *k;
	size_t i;

	if (config_args_parse(argc, argv, a, e) == -1)
		return -1;
	for (i = 0; i < a->n; i++)
		for (k = keys; k != NULL && k->name != NULL; k++)
			if ((k->flags & CONFIG_KEY_IGNORED) &&
			    strcmp(k->name, a->a[i].key) == 0) {
				fputs("hsys: warning: ", stderr);
				if (c->line > 0)
					fprintf(stderr, "line %d: ", c->line);
				fprintf(stderr, "%s= has no meaning on Linux; "
				    "ignored\n", a->a[i].key);
			}
	return 0;
}
