/*
 * setting — the limits hsysd enforces on clients, by HTTP.sys's registry
 * names (HKLM\System\CurrentControlSet\Services\HTTP\Parameters), set with
 * `hsys http add setting name=... value=... [url=...]`.
 *
 * Service-wide values live in the `setting` table (name, value), one row
 * per name in HTTP.sys's spelling; other components keep their own names
 * there (metrics.url), which this file neither lists nor touches. Values
 * scoped to a URL prefix live in `urlsetting`. A row exists only for a
 * value that was set; deleting it goes back to the default. See config.h
 * and docs/config.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

/*
 * The ranges: MaxFieldLength and MaxRequestBytes are HTTP.sys's, except
 * that MaxRequestBytes stops at 64 KiB (a connection's input buffer is
 * sized by it); MaxHeaderCount's ceiling bounds the per-connection header
 * table; Http2MaxConcurrentStreams' bounds what one HTTP/2 connection may
 * hold at once (each stream may buffer a window of body). A NULL unit
 * marks a switch (0 or 1).
 */
const struct config_setting_info config_settings[CONFIG_SET_COUNT] = {
	{ "MaxConnections", CONFIG_UNLIMITED, 1, 10000000, 1, 0,
	    "connections" },
	{ "MaxFieldLength", 16384, 64, 65534, 0, 0, "bytes" },
	{ "MaxRequestBytes", 16384, 256, 65536, 0, 0, "bytes" },
	{ "MaxHeaderCount", 100, 1, 1000, 0, 0, "header fields" },
	{ "MaxUrlLength", 16384, 16, 65534, 0, 0, "bytes" },
	{ "MaxRequestBodySize", CONFIG_UNLIMITED, 0, INT64_C(1) << 62, 1, 1,
	    "bytes" },
	{ "MinSendRate", 150, 1, 1000000000, 0, 0, "bytes/s" },
	{ "MinRequestBodyDataRate", 240, 0, 1000000000, 0, 0, "bytes/s" },
	/* The response cache (docs/cache.md). UriMaxUriBytes stops at
	 * 1 MiB, not HTTP.sys's 16 MB: a hit's body is copied whole to the
	 * connection. UriMaxCacheMegabyteCount has no "system decides" 0:
	 * 0 turns the cache off, as UriEnableCache=0 does. */
	{ "UriEnableCache", 1, 0, 1, 0, 0, "(1 on, 0 off)" },
	{ "UriMaxUriBytes", 262144, 4096, 1048576, 0, 0, "bytes" },
	{ "UriMaxCacheMegabyteCount", 64, 0, 65536, 0, 0, "MiB" },
	{ "Http2MaxConcurrentStreams", 100, 1, 1000, 0, 0, "streams" },
	{ "EnableHttp2Cleartext", 1, 0, 1, 0, 0, NULL },
};

static int
param(struct err *e)
{
	e->code = CONFIG_E_PARAM;
	return -1;
}

int
config_setting_parse(const char *in, enum config_setting *out,
    struct err *e)
{
	char names[512];
	size_t n = 0;
	int i;

	for (i = 0; i < CONFIG_SET_COUNT; i++) {
		if (strcasecmp(in, config_settings[i].name) == 0) {
			*out = (enum config_setting)i;
			return 0;
		}
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		    i ? ", " : "", config_settings[i].name);
	}
	err_set(e, "name=%s: not a setting hsys knows; use one of %s", in,
	    names);
	return param(e);
}

int
config_setting_value_parse(enum config_setting s, const char *in,
    int64_t *v, struct err *e)
{
	const struct config_setting_info *si = &config_settings[s];
	char *end;
	long long n;

	if (si->unlimited_ok && strcasecmp(in, "unlimited") == 0) {
		*v = CONFIG_UNLIMITED;
		return 0;
	}
	if (*in >= '0' && *in <= '9') {
		errno = 0;
		n = strtoll(in, &end, 10);
		if (*end == '\0' && errno == 0 && n >= si->min && n <= si->max) {
			*v = n;
			return 0;
		}
	}
	if (si->unit == NULL) {		/* a switch */
		err_set(e, "value=%s: %s takes 1 (on) or 0 (off)", in,
		    si->name);
		return param(e);
	}
	err_set(e, "value=%s: %s takes a number of %s from %" PRId64 " to %"
	    PRId64 "%s", in, si->name, si->unit, si->min, si->max,
	    si->unlimited_ok ? ", or unlimited" : "");
	return param(e);
}

int
config_setting_url_parse(enum config_setting s, const char *in,
    char out[URL_PREFIX_MAX], struct err *e)
{
	struct url_prefix p;

	if (!config_settings[s].per_url) {
		err_set(e, "url=%s: %s is service-wide; give it without url=",
		    in, config_settings[s].name);
		return param(e);
	}
	if (url_prefix_parse(in, strlen(in), &p, e) == -1) {
		err_prefix(e, "url=%s", in);
		return param(e);
	}
	url_prefix_format(&p, out, URL_PREFIX_MAX);
	return 0;
}

static int
step(struct store *st, sqlite3_stmt *stmt, const char *what, struct err *e)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, what);
	return 0;
}

int
config_setting_set(struct store *st, enum config_setting s, const char *url,
    int64_t v, struct err *e)
{
	sqlite3_stmt *stmt;

	if (store_prepare(st, &stmt, url == NULL ?
	    "INSERT OR REPLACE INTO setting VALUES (?, ?)" :
	    "INSERT OR REPLACE INTO urlsetting VALUES (?, ?3, ?2)", e) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, config_settings[s].name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, v);
	if (url != NULL)
		sqlite3_bind_text(stmt, 3, url, -1, SQLITE_STATIC);
	return step(st, stmt, "cannot set the setting", e);
}

int
config_setting_delete(struct store *st, enum config_setting s,
    const char *url, struct err *e)
{
	sqlite3_stmt *stmt;

	if (store_prepare(st, &stmt, url == NULL ?
	    "DELETE FROM setting WHERE name = ?" :
	    "DELETE FROM urlsetting WHERE name = ? AND url = ?", e) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, config_settings[s].name, -1, SQLITE_STATIC);
	if (url != NULL)
		sqlite3_bind_text(stmt, 2, url, -1, SQLITE_STATIC);
	return step(st, stmt, "cannot delete the setting", e);
}

int
config_setting_get(struct store *st, enum config_setting s, int64_t *v,
    int *set, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_prepare(st, &stmt, "SELECT value FROM setting WHERE name = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, config_settings[s].name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	/* Only an integer is ours; anything else is treated as unset. */
	*set = rc == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) == SQLITE_INTEGER;
	*v = *set ? sqlite3_column_int64(stmt, 0) : config_settings[s].dflt;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, e, "cannot read the settings");
	return 0;
}

int
config_setting_list_url(struct store *st,
    int (*fn)(enum config_setting, const char *, int64_t, void *), void *arg,
    struct err *e)
{
	enum config_setting s;
	sqlite3_stmt *stmt;
	struct err ignore;
	int rc, stop = 0;

	if (store_prepare(st, &stmt, "SELECT name, url, value FROM urlsetting "
	    "ORDER BY name, url", e) == -1)
		return -1;
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (config_setting_parse((const char *)sqlite3_column_text(stmt,
		    0), &s, &ignore) == -1)
			continue;
		stop = fn(s, (const char *)sqlite3_column_text(stmt, 1),
		    sqlite3_column_int64(stmt, 2), arg);
	}
	sqlite3_finalize(stmt);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, e, "cannot read the settings");
	return stop;
}
