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
#include <strings.h>

#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

const struct config_key config_urlacl_keys[] = {
	{ "url", CONFIG_KEY_REQUIRED }, { "user", 0 },
	{ "listen", 0 }, { "delegate", 0 },
	{ "sddl", 0 },
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

/*
 * Windows principals a guide may name, and what to write here instead.
 * Only Everyone has a meaning of its own (every local user); for the
 * others the error names the Unix account that plays the part.
 */
static const struct {
	const char	*windows;
	const char	*instead;
} windows_names[] = {
	{ "NT AUTHORITY\\NETWORK SERVICE", "www-data" },
	{ "NETWORK SERVICE", "www-data" },
	{ "NT AUTHORITY\\LOCAL SERVICE", "nobody" },
	{ "LOCAL SERVICE", "nobody" },
	{ "NT AUTHORITY\\SYSTEM", "root" },
	{ "SYSTEM", "root" },
	{ "LocalSystem", "root" },
	{ "BUILTIN\\Users", "Everyone" },
	{ "Users", "Everyone" },
	{ "NT AUTHORITY\\Authenticated Users", "Everyone" },
	{ "Authenticated Users", "Everyone" },
	{ "BUILTIN\\Administrators", "root (or a group, such as @sudo)" },
	{ "Administrators", "root (or a group, such as @sudo)" },
};
#define NWINDOWS (sizeof(windows_names) / sizeof(windows_names[0]))

/* A Windows account name: the clear error, naming what to use. */
static int
windows_principal(const char *in, struct err *e)
{
	const char *bs = strrchr(in, '\\');
	size_t i;

	for (i = 0; i < NWINDOWS; i++)
		if (strcasecmp(in, windows_names[i].windows) == 0) {
			err_set(e, "user=%s: a Windows account; on Linux use "
			    "user=%s", in, windows_names[i].instead);
			return param(e);
		}
	if (strncasecmp(in, "IIS APPPOOL\\", 12) == 0) {
		err_set(e, "user=%s: a Windows application pool; on Linux use "
		    "the user the application runs as, such as user=www-data",
		    in);
		return param(e);
	}
	if (bs != NULL && getpwnam(bs + 1) != NULL) {
		err_set(e, "user=%s: Windows account names mean nothing here; "
		    "the local user of that name is user=%s", in, bs + 1);
		return param(e);
	}
	return 0;
}

int
config_principal_parse(const char *in, enum config_principal *kind,
    uint32_t *id, struct err *e)
{
	struct passwd *pw;
	struct group *gr;
	const char *s = in;

	if (strcasecmp(s, "Everyone") == 0 || strcasecmp(s, "\\Everyone") ==
	    0) {
		*kind = CONFIG_EVERYONE;
		*id = CONFIG_EVERYONE_ID;
		return 0;
	}
	if (windows_principal(s, e) == -1)
		return -1;
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
	    "Unix user, @GROUP for a group, a numeric uid (@GID), or "
	    "Everyone", in, s,
	    strchr(s, '\\') ? " (Windows account names mean nothing here)" :
	    "");
	return param(e);
}

int
config_principal_grants(enum config_principal kind, uint32_t id, uid_t uid,
    gid_t gid, int (*in_group)(uid_t, gid_t, gid_t))
{
	switch (kind) {
	case CONFIG_EVERYONE:
		return 1;
	case CONFIG_USER:
		return id == uid;
	case CONFIG_GROUP:
		return in_group(uid, gid, (gid_t)id);
	}
	return 0;
}

/*
 * netsh's sddl=, as Windows guides write it: "D:(A;;GX;;;WD)". One
 * allow ACE is understood, granting GX (listen), GW (delegate) or GA
 * (both) to Everyone (WD), the built-in users (BU) or the authenticated
 * users (AU) -- all of which mean every local user here -- or to a Unix
 * SID as `show urlacl` prints them (S-1-22-1-UID a user, S-1-22-2-GID a
 * group).
 */
int
config_sddl_parse(const char *in, enum config_principal *kind, uint32_t *id,
    int *listen, int *delegate, struct err *e)
{
	char rights[8], sid[64], tail[4];

	if (sscanf(in, "D:(A;;%7[A-Z];;;%63[A-Za-z0-9-])%3s", rights, sid,
	    tail) != 2)
		goto unknown;
	if (strcmp(rights, "GX") == 0)
		*listen = 1, *delegate = 0;
	else if (strcmp(rights, "GW") == 0)
		*listen = 0, *delegate = 1;
	else if (strcmp(rights, "GA") == 0)
		*listen = 1, *delegate = 1;
	else
		goto unknown;
	if (strcmp(sid, "WD") == 0 || strcmp(sid, "BU") == 0 ||
	    strcmp(sid, "AU") == 0) {
		*kind = CONFIG_EVERYONE;
		*id = CONFIG_EVERYONE_ID;
		return 0;
	}
	if (strncmp(sid, "S-1-22-", 7) == 0 && (sid[7] == '1' ||
	    sid[7] == '2') && sid[8] == '-' && number(sid + 9, id) == 0) {
		*kind = sid[7] == '1' ? CONFIG_USER : CONFIG_GROUP;
		return 0;
	}
	err_set(e, "sddl=%s: the trustee %s is a Windows account; name the "
	    "Unix user with user= instead (%s)", in, sid,
	    strcmp(sid, "NS") == 0 || strcmp(sid, "S-1-5-20") == 0 ?
	    "NETWORK SERVICE: user=www-data" :
	    strcmp(sid, "LS") == 0 || strcmp(sid, "S-1-5-19") == 0 ?
	    "LOCAL SERVICE: user=nobody" :
	    strcmp(sid, "SY") == 0 || strcmp(sid, "S-1-5-18") == 0 ?
	    "SYSTEM: user=root" : "user=Everyone for every user");
	return param(e);
unknown:
	err_set(e, "sddl=%s: hsys understands one allow entry granting GX, GW "
	    "or GA, such as D:(A;;GX;;;WD) (every user); otherwise give user=",
	    in);
	return param(e);
}

void
config_principal_name(enum config_principal kind, uint32_t id, char *buf,
    size_t size)
{
	struct passwd *pw;
	struct group *gr;

	if (kind == CONFIG_EVERYONE) {
		snprintf(buf, size, "Everyone");
	} else if (kind == CONFIG_USER) {
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

	if (r->kind == CONFIG_EVERYONE)
		snprintf(buf, size, "D:(A;;%s;;;WD)", rights);
	else
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
	if ((v = config_args_get(a, "sddl")) != NULL) {
		if (config_args_get(a, "user") != NULL ||
		    config_args_get(a, "listen") != NULL ||
		    config_args_get(a, "delegate") != NULL) {
			err_set(e, "give sddl= alone, or user= with listen= and "
			    "delegate=, not both");
			return param(e);
		}
		return config_sddl_parse(v, &r->kind, &r->id, &r->listen,
		    &r->delegate, e);
	}
	if ((v = config_args_get(a, "user")) == NULL) {
		err_set(e, "the parameter 'user' (or 'sddl') is missing");
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
	if (r->kind == CONFIG_GROUP && r->id == CONFIG_EVERYONE_ID)
		r->kind = CONFIG_EVERYONE;
	r->listen = sqlite3_column_int(st, 3);
	r->delegate = sqlite3_column_int(st, 4);
	return 0;
}

#define COLUMNS "url, principal, id, listen, delegate"

struct equal {
	struct url_prefix	 p;
	struct config_urlacl	*out;
	int			 found;
};

static int
equal_one(const struct config_urlacl *r, void *arg)
{
	struct equal *q = arg;

	if (!url_prefix_equal(&r->prefix, &q->p))
		return 0;
	*q->out = *r;
	q->found = 1;
	return 1;
}

/* A row another hsys stored in an older spelling of the canonical form
 * ("%3A" before ':' was decoded) still parses to the same prefix: found
 * by comparing prefixes, so it can be shown, deleted, and not doubled. */
static int
get_by_prefix(struct store *s, const char *url, struct config_urlacl *r,
    struct err *e)
{
	struct equal q = { .out = r };
	struct err pe;

	if (url_prefix_parse(url, strlen(url), &q.p, &pe) == -1)
		return 0;
	if (config_urlacl_list(s, equal_one, &q, e) == -1)
		return -1;
	return q.found;
}

int
config_urlacl_get(struct store *s, const char *url, struct config_urlacl *r,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc, found;

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
	if (rc == SQLITE_DONE && (found = get_by_prefix(s, url, r, e)) != 0)
		return found == 1 ? 0 : -1;
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
	struct config_urlacl old;
	sqlite3_stmt *st;
	int rc;

	if (config_urlacl_get(s, url, &old, e) == -1)
		return -1;
	if (store_prepare(s, &st, "DELETE FROM urlacl WHERE url = ?", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, old.url, -1, SQLITE_STATIC);
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
