/*
 * timeout — HTTP.sys's service-wide timeouts (netsh http add timeout):
 * how long an idle keep-alive connection stays open, how long a client may
 * take to send a request's head, and how long it may pause while sending a
 * request's body (HTTP.sys's EntityBody; netsh does not know it). A row
 * exists only for a value that was set; deleting it goes back to the
 * default (120 s each). See config.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static const char *const names[CONFIG_TIMEOUT_COUNT] = {
	"idleconnectiontimeout", "headerwaittimeout", "entitybodytimeout"
};

const char *
config_timeout_name(enum config_timeout t)
{
	return names[t];
}

int
config_timeout_parse(const char *in, enum config_timeout *t, struct err *e)
{
	int i;

	for (i = 0; i < CONFIG_TIMEOUT_COUNT; i++) {
		if (strcasecmp(in, names[i]) == 0) {
			*t = (enum config_timeout)i;
			return 0;
		}
	}
	err_set(e, "timeouttype=%s: use idleconnectiontimeout, "
	    "headerwaittimeout or entitybodytimeout (minsendrate is a "
	    "setting: hsys http add setting name=MinSendRate)", in);
	e->code = CONFIG_E_PARAM;
	return -1;
}

int
config_timeout_value_parse(const char *in, int *v, struct err *e)
{
	char *end;
	long n;

	if (*in >= '0' && *in <= '9') {
		n = strtol(in, &end, 10);
		if (*end == '\0' && n >= 1 && n <= CONFIG_TIMEOUT_MAX) {
			*v = (int)n;
			return 0;
		}
	}
	err_set(e, "value=%s: give a number of seconds from 1 to %d", in,
	    CONFIG_TIMEOUT_MAX);
	e->code = CONFIG_E_PARAM;
	return -1;
}

int
config_timeout_set(struct store *s, enum config_timeout t, int seconds,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "INSERT OR REPLACE INTO timeout "
	    "VALUES (?, ?)", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, names[t], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, seconds);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot set the timeout");
	return 0;
}

int
config_timeout_delete(struct store *s, enum config_timeout t, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM timeout WHERE name = ?", e)
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, names[t], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the timeout");
	return 0;
}

int
config_timeout_get(struct store *s, enum config_timeout t, int *seconds,
    int *set, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT seconds FROM timeout WHERE name = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, names[t], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*set = rc == SQLITE_ROW;
	*seconds = *set ? sqlite3_column_int(st, 0) : CONFIG_TIMEOUT_DEFAULT;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the timeouts");
	return 0;
}
