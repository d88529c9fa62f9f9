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
#include <stdlib.h>

#include "common/err.h"
#include "config/config.h"
#include "daemon/acl.h"
#include "store/store.h"

#define ACL_MAX_GROUPS	256

static int
in_groups(uid_t uid, gid_t gid, gid_t want)
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

int
acl_may_listen(uid_t uid, gid_t gid, const struct url_prefix *p,
    struct err *e)
{
	struct config_urlacl r;
	struct store *s;
	char who[64];
	int found, granted;

	if (uid == 0)
		return 0;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1) {
		e->code = EIO;
		return -1;
	}
	found = config_urlacl_covering(s, p, &r, e);
	store_close(s);
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
	granted = r.kind == CONFIG_USER ? r.id == uid :
	    in_groups(uid, gid, (gid_t)r.id);
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
