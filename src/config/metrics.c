/*
 * metrics — where hsysd serves its counters in Prometheus's text format:
 * one UrlPrefix, kept in the setting table as "metrics.url"; no row means
 * no metrics page. hsysd registers the prefix like an application's when
 * it sees the store's generation move. See config.h.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

int
config_metrics_parse(const char *in, char out[URL_PREFIX_MAX], struct err *e)
{
	struct url_prefix p;

	if (url_prefix_parse(in, strlen(in), &p, e) == -1 ||
	    url_prefix_format(&p, out, URL_PREFIX_MAX) < 0) {
		e->code = CONFIG_E_PARAM;
		return -1;
	}
	return 0;
}

int
config_metrics_get(struct store *s, char out[URL_PREFIX_MAX], struct err *e)
{
	sqlite3_stmt *st;
	const unsigned char *v;
	int rc, found = 0;

	if (store_prepare(s, &st, "SELECT value FROM setting WHERE name = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, CONFIG_METRICS_SETTING, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(st, 0)) != NULL) {
		snprintf(out, URL_PREFIX_MAX, "%s", (const char *)v);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the metrics setting");
	return found;
}

int
config_metrics_add(struct store *s, const char *url, struct err *e)
{
	char cur[URL_PREFIX_MAX];
	sqlite3_stmt *st;
	int rc;

	if ((rc = config_metrics_get(s, cur, e)) == -1)
		return -1;
	if (rc == 1) {
		err_set(e, "metrics are served at %s already; delete them "
		    "first", cur);
		e->code = CONFIG_E_EXISTS;
		return -1;
	}
	if (store_prepare(s, &st, "INSERT INTO setting VALUES (?, ?)", e) ==
	    -1)
		return -1;
	sqlite3_bind_text(st, 1, CONFIG_METRICS_SETTING, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot store the metrics setting");
	return 0;
}

int
config_metrics_delete(struct store *s, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM setting WHERE name = ?", e) ==
	    -1)
		return -1;
	sqlite3_bind_text(st, 1, CONFIG_METRICS_SETTING, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the metrics setting");
	if (sqlite3_changes(s->db) == 0) {
		err_set(e, "metrics are not served");
		e->code = CONFIG_E_NOT_FOUND;
		return -1;
	}
	return 0;
}
