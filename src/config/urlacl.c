/*
 * urlacl — URL reservations: which Unix user or group may register which
 * URL prefixes with hsysd (listen) and hand them on (delegate). See
 * config.h.
 *
 * The principal is stored as a number and a kind, so a reservation survives
 * renaming; names are looked up again when shown. hsysd checks an
 * application's SO_PEERCRED against the most specific covering reservation
 * (url.h's rule, config_urlacl_covering here).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

const struct config_key config_urlacl_keys[] = {
	{ "url", CONFIG_KEY_REQUIRED }, { "user", 0 },
	{ "listen", 0 }, { "delegate", 0 },
	{ "sddl", CONFIG_KEY_IGNORED },
	{ NULL, 0 }
};

static const struct config_key url_keys[] = {
	{ "url", CONFIG_KEY_REQUIRED }, { NULL, 0 }
};

static int
param(struct err *e)
{
	e->code = CONFIG_E_PARAM;
	return -1;
}

static int
number(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 0xfffffffeUL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
config_principal_parse(const char *in, enum config_principal *kind,
    uint32_t *id, struct err *e)
{
	struct passwd *pw;
	struct group *gr;
	const char *s = in;

	if (*s == '@') {
		s++;
		*kind = CONFIG_GROUP;
		if (number(s, id) == 0)
			return 0;
		if (*s != '\0' && (gr = getgrnam(s)) != NULL) {
			*id = (uint32_t)gr->gr_gid;
			return 0;
		}
		err_set(e, "user=%s: there is no group named '%s' ('getent "
		    "group' lists them)", in, s);
		return param(e);
	}
	if (number(s, id) == 0) {
		*kind = CONFIG_USER;
		return 0;
	}
	if (*s != '\0' && (pw = getpwnam(s)) != NULL) {
		*kind = CONFIG_USER;
		*id = (uint32_t)pw->pw_uid;
		return 0;
	}
	if (*s != '\0' && (gr = getgrnam(s)) != NULL) {
		*kind = CONFIG_GROUP;
		*id = (uint32_t)gr->gr_gid;
		return 0;
	}
	err_set(e, "user=%s: there is no user or group named '%s'%s; name a "
	    "Unix user, @GROUP for a group, or a numeric uid (@GID)", in, s,
	    strchr(s, '\\') ? " (Windows account names mean nothing here)" :
	    "");
	return param(e);
}

void
config_principal_name(enum config_principal kind, uint32_t id, char *buf,
    size_t size)
{
	struct passwd *pw;
	struct group *gr;

	if (kind == CONFIG_USER) {
		if ((pw = getpwuid((uid_t)id)) != NULL)
			snprintf(buf, size, "%s", pw->pw_name);
		else
			snprintf(buf, size, "%u", id);
	} else {
		if ((gr = getgrgid((gid_t)id)) != NULL)
			snprintf(buf, size, "@%s", gr->gr_name);
		else
			snprintf(buf, size, "@%u", id);
	}
}

void
config_urlacl_sddl(const struct config_urlacl *r, char *buf, size_t size)
{
	const char *rights = r->listen && r->delegate ? "GA" :
	    r->listen ? "GX" : "GW";

	snprintf(buf, size, "D:(A;;%s;;;S-1-22-%d-%u)", rights,
	    r->kind == CONFIG_USER ? 1 : 2, r->id);
}

static int
url_parse(const char *v, struct config_urlacl *r, struct err *e)
{
	if (url_prefix_parse(v, strlen(v), &r->prefix, e) == -1) {
		err_prefix(e, "url=%s", v);
		return param(e);
	}
	url_prefix_format(&r->prefix, r->url, sizeof(r->url));
	return 0;
}

int
config_urlacl_from_args(const struct config_args *a, enum config_verb verb,
    struct config_urlacl *r, struct err *e)
{
	const char *v;

	memset(r, 0, sizeof(*r));
	r->listen = 1;
	if (verb == CONFIG_SHOW && a->n == 0)
		return 0;
	if (config_args_check(a, verb == CONFIG_ADD ? config_urlacl_keys :
	    url_keys, e) == -1)
		return -1;
	if (url_parse(config_args_get(a, "url"), r, e) == -1)
		return -1;
	if (verb != CONFIG_ADD)
		return 0;
	if ((v = config_args_get(a, "user")) == NULL) {
		err_set(e, "the parameter 'user' is missing");
		return param(e);
	}
	if (config_principal_parse(v, &r->kind, &r->id, e) == -1)
		return -1;
	if ((v = config_args_get(a, "listen")) != NULL &&
	    (r->listen = config_bool("listen", v, "yes", "no", e)) == -1)
		return -1;
	if ((v = config_args_get(a, "delegate")) != NULL &&
	    (r->delegate = config_bool("delegate", v, "yes", "no", e)) == -1)
		return -1;
	if (!r->listen && !r->delegate) {
		err_set(e, "listen=no delegate=no grants nothing; allow one of "
		    "them");
		return param(e);
	}
	return 0;
}

static int
row_read(sqlite3_stmt *st, struct config_urlacl *r, struct err *e)
{
	const char *url = (const char *)sqlite3_column_text(st, 0);

	memset(r, 0, sizeof(*r));
	if (url_prefix_parse(url, strlen(url), &r->prefix, e) == -1)
		return err_prefix(e, "a stored reservation is damaged (%s)",
		    url);
	snprintf(r->url, sizeof(r->url), "%s", url);
	r->kind = strcmp((const char *)sqlite3_column_text(st, 1), "user")
	    == 0 ? CONFIG_USER : CONFIG_GROUP;
	r->id = (uint32_t)sqlite3_column_int64(st, 2);
	r->listen = sqlite3_column_int(st, 3);
	r->delegate = sqlite3_column_int(st, 4);
	return 0;
}

#define COLUMNS "url, principal, id, listen, delegate"

int
config_urlacl_get(struct store *s, const char *url, struct config_urlacl *r,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT " COLUMNS " FROM urlacl "
	    "WHERE url = ?", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && row_read(st, r, e) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		err_set(e, "there is no reservation for %s; 'hsys http show "
		    "urlacl' lists them", url);
		e->code = CONFIG_E_NOT_FOUND;
		return -1;
	}
	if (rc != SQLITE_ROW)
		return store_fail(s, e, "cannot read the URL reservations");
	return 0;
}

int
config_urlacl_add(struct store *s, const struct config_urlacl *r,
    struct err *e)
{
	struct config_urlacl old;
	sqlite3_stmt *st;
	int rc;

	if (config_urlacl_get(s, r->url, &old, e) == 0) {
		err_set(e, "%s is already reserved; use 'hsys http delete "
		    "urlacl url=%s' first", old.url, old.url);
		e->code = CONFIG_E_EXISTS;
		return -1;
	}
	if (e->code != CONFIG_E_NOT_FOUND)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO urlacl (" COLUMNS ") "
	    "VALUES (?, ?, ?, ?, ?)", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, r->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->kind == CONFIG_USER ? "user" : "group", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->id);
	sqlite3_bind_int(st, 4, r->listen);
	sqlite3_bind_int(st, 5, r->delegate);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot add the URL reservation");
	return 0;
}

int
config_urlacl_delete(struct store *s, const char *url, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM urlacl WHERE url = ?", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the URL reservation");
	if (sqlite3_changes(s->db) == 0) {
		err_set(e, "there is no reservation for %s; 'hsys http show "
		    "urlacl' lists them", url);
		e->code = CONFIG_E_NOT_FOUND;
		return -1;
	}
	return 0;
}

int
config_urlacl_list(struct store *s,
    int (*fn)(const struct config_urlacl *, void *), void *arg,
    struct err *e)
{
	struct config_urlacl r;
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (store_prepare(s, &st, "SELECT " COLUMNS " FROM urlacl "
	    "ORDER BY url", e) == -1)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_read(st, &r, e) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		stop = fn(&r, arg);
	}
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the URL reservations");
	return 0;
}

struct covering {
	const struct url_prefix	*p;
	struct config_urlacl	*best;
	int			 found;
};

/* The same order as url_prefix_cover_best, one candidate at a time. */
static int
consider(const struct config_urlacl *r, void *arg)
{
	struct covering *c = arg;
	struct url_prefix pair[2];

	if (!url_prefix_covers(&r->prefix, c->p))
		return 0;
	if (c->found) {
		pair[0] = c->best->prefix;
		pair[1] = r->prefix;
		if (url_prefix_cover_best(pair, 2, c->p) != 1)
			return 0;
	}
	*c->best = *r;
	c->found = 1;
	return 0;
}

int
config_urlacl_pick(const struct config_urlacl *rs, size_t n,
    const struct url_prefix *p, struct config_urlacl *out)
{
	struct covering c = { p, out, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		consider(&rs[i], &c);
	return c.found;
}

int
config_urlacl_covering(struct store *s, const struct url_prefix *p,
    struct config_urlacl *out, struct err *e)
{
	struct covering c = { p, out, 0 };

	if (config_urlacl_list(s, consider, &c, e) == -1)
		return -1;
	return c.found;
}
