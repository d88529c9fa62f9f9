/*
 * iplisten — the IP listen list: the local addresses hsysd binds. Empty
 * means every address, as with HTTP.sys. See config.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

int
config_ip_parse(const char *in, char out[CONFIG_ADDR_MAX], struct err *e)
{
	unsigned char addr[16];
	char buf[CONFIG_ADDR_MAX];
	size_t n = strlen(in);
	const char *s = in;

	/* netsh takes IPv6 bare; brackets are tolerated. */
	if (n >= 2 && n < sizeof(buf) && in[0] == '[' && in[n - 1] == ']') {
		memcpy(buf, in + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET, s, addr) == 1) {
		inet_ntop(AF_INET, addr, out, CONFIG_ADDR_MAX);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		inet_ntop(AF_INET6, addr, out, CONFIG_ADDR_MAX);
		return 0;
	}
	err_set(e, "ipaddress=%s: not an IPv4 or IPv6 address (e.g. "
	    "192.0.2.1 or 2001:db8::1)", in);
	e->code = CONFIG_E_PARAM;
	return -1;
}

static int
change(struct store *s, const char *sql, const char *addr, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, sql, e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot change the IP listen list");
	return sqlite3_changes(s->db);
}

int
config_iplisten_add(struct store *s, const char *addr, struct err *e)
{
	int n = change(s, "INSERT OR IGNORE INTO iplisten VALUES (?)", addr, e);

	if (n == 0) {
		err_set(e, "%s is already in the IP listen list", addr);
		e->code = CONFIG_E_EXISTS;
		return -1;
	}
	return n < 0 ? -1 : 0;
}

int
config_iplisten_delete(struct store *s, const char *addr, struct err *e)
{
	int n = change(s, "DELETE FROM iplisten WHERE address = ?", addr, e);

	if (n == 0) {
		err_set(e, "%s is not in the IP listen list; 'hsys http show "
		    "iplisten' lists it", addr);
		e->code = CONFIG_E_NOT_FOUND;
		return -1;
	}
	return n < 0 ? -1 : 0;
}

int
config_iplisten_list(struct store *s, int (*fn)(const char *, void *),
    void *arg, struct err *e)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (store_prepare(s, &st, "SELECT address FROM iplisten "
	    "ORDER BY address", e) == -1)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn((const char *)sqlite3_column_text(st, 0), arg);
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the IP listen list");
	return 0;
}
