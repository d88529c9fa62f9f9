/*
 * acl — URL reservations checked against a peer's credentials. See acl.h.
 *
 * The peer's groups are those of its user in the group database
 * (getgrouplist), plus the gid it runs with: SO_PEERCRED does not carry a
 * process's supplementary groups.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "config/config.h"
#include "daemon/acl.h"
#include "daemon/hsysd.h"
#include "store/store.h"

#define ACL_MAX_GROUPS	256

int
acl_in_group(uid_t uid, gid_t gid, gid_t want)
{
	gid_t groups[ACL_MAX_GROUPS];
	int n = ACL_MAX_GROUPS, i;
	struct passwd *pw;

	if (gid == want)
		return 1;
	if ((pw = getpwuid(uid)) == NULL)
		return 0;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		n = ACL_MAX_GROUPS;	/* truncated: check what we have */
	for (i = 0; i < n; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

/* The reservations of one store generation. */
struct acl_cache {
	int64_t			 generation;
	size_t			 n, cap;
	struct config_urlacl	*r;
};

static int	decide(uid_t, gid_t, int found, const struct config_urlacl *,
		    struct err *);

int
acl_may_listen(uid_t uid, gid_t gid, const struct url_prefix *p,
    struct err *e)
{
	struct config_urlacl r;
	struct store *s;
	int found;

	if (uid == 0)
		return 0;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1) {
		e->code = EIO;
		return -1;
	}
	found = config_urlacl_covering(s, p, &r, e);
	store_close(s);
	return decide(uid, gid, found, &r, e);
}

static int
cache_add(const struct config_urlacl *r, void *arg)
{
	struct acl_cache *c = arg;
	struct config_urlacl *n;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		if ((n = realloc(c->r, c->cap * sizeof(*n))) == NULL)
			return -1;
		c->r = n;
	}
	c->r[c->n++] = *r;
	return 0;
}

/* The cache for the generation served; NULL with e set when the store
 * cannot be read (the next add tries again). */
static struct acl_cache *
cache_get(struct hsysd *d, struct err *e)
{
	struct acl_cache *c = d->acl;
	struct store *s;
	int rc;

	if (c != NULL && c->generation == d->generation && d->generation >= 0)
		return c;
	if (c == NULL && (c = d->acl = calloc(1, sizeof(*c))) == NULL) {
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return NULL;
	}
	c->n = 0;
	c->generation = -1;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1) {
		e->code = EIO;
		return NULL;
	}
	rc = config_urlacl_list(s, cache_add, c, e);
	store_close(s);
	if (rc != 0) {
		if (rc != -1 || e->msg[0] == '\0')
			err_set(e, "out of memory reading the URL reservations");
		e->code = rc == -1 ? EIO : ENOMEM;
		return NULL;
	}
	c->generation = d->generation;
	return c;
}

int
acl_may_listen_cached(struct hsysd *d, uid_t uid, gid_t gid,
    const struct url_prefix *p, struct err *e)
{
	struct config_urlacl r;
	struct acl_cache *c;

	if (uid == 0)
		return 0;
	if ((c = cache_get(d, e)) == NULL)
		return -1;
	return decide(uid, gid, config_urlacl_pick(c->r, c->n, p, &r), &r, e);
}

void
acl_cache_free(struct hsysd *d)
{
	if (d->acl == NULL)
		return;
	free(d->acl->r);
	free(d->acl);
	d->acl = NULL;
}

static int
decide(uid_t uid, gid_t gid, int found, const struct config_urlacl *rp,
    struct err *e)
{
	const struct config_urlacl r = *rp;
	char who[64];
	int granted;

	if (found == -1) {
		e->code = EIO;
		return -1;
	}
	if (found == 0) {
		err_set(e, "no URL reservation covers this prefix; an admin "
		    "can add one with 'hsys http add urlacl url=... user=...'");
		e->code = EACCES;
		return -1;
	}
	granted = config_principal_grants(r.kind, r.id, uid, gid,
	    acl_in_group);
	if (granted && r.listen)
		return 0;
	config_principal_name(r.kind, r.id, who, sizeof(who));
	if (granted)
		err_set(e, "the reservation %s for %s says listen=no",
		    r.url, who);
	else
		err_set(e, "the reservation %s is for %s%s, not this process's "
		    "user (uid %ld)", r.url, r.kind == CONFIG_GROUP ?
		    "members of group " : "", who[0] == '@' ? who + 1 : who,
		    (long)uid);
	e->code = EACCES;
	return -1;
}

struct delegation {
	uid_t	uid;
	gid_t	gid;
	int	granted;		/* delegate=yes for this process */
	char	nodelegate[URL_PREFIX_MAX];	/* one for it, delegate=no */
};

static int
grants_delegate(const struct config_urlacl *r, void *arg)
{
	struct delegation *dg = arg;

	if (!config_principal_grants(r->kind, r->id, dg->uid, dg->gid,
	    acl_in_group))
		return 0;
	if (r->delegate) {
		dg->granted = 1;
		return 1;
	}
	if (dg->nodelegate[0] == '\0')
		snprintf(dg->nodelegate, sizeof(dg->nodelegate), "%s", r->url);
	return 0;
}

int
acl_may_delegate(uid_t uid, gid_t gid, struct err *e)
{
	struct delegation dg = { .uid = uid, .gid = gid };
	struct store *s;
	int rc;

	if (uid == 0)
		return 0;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1) {
		e->code = EIO;
		return -1;
	}
	rc = config_urlacl_list(s, grants_delegate, &dg, e);
	store_close(s);
	if (rc == -1) {
		e->code = EIO;
		return -1;
	}
	if (dg.granted)
		return 0;
	if (dg.nodelegate[0] != '\0')
		err_set(e, "a queue other users may attach to needs a URL "
		    "reservation with delegate=yes for this process's user "
		    "(uid %ld) or one of its groups; the reservation %s says "
		    "delegate=no", (long)uid, dg.nodelegate);
	else
		err_set(e, "a queue other users may attach to needs a URL "
		    "reservation with delegate=yes for this process's user "
		    "(uid %ld) or one of its groups; an admin can add one with "
		    "'hsys http add urlacl url=... user=... delegate=yes'",
		    (long)uid);
	e->code = EACCES;
	return -1;
}
