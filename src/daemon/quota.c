/*
 * quota — per-user counts and limits. See quota.h.
 *
 * Users are few (one entry per uid holding something, gone when it holds
 * nothing), so a list does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/hsysd.h"
#include "daemon/quota.h"

struct quota_user {
	struct quota_user	*next;
	uid_t			 uid;
	unsigned long		 n[QUOTA_KINDS];
};

struct quota {
	unsigned long		 max[QUOTA_KINDS];
	size_t			 app_buffer;
	struct quota_user	*users;
};

static const char *const names[QUOTA_KINDS] = {
	"sessions", "queues", "prefixes", "state"
};

static const char *const what[QUOTA_KINDS] = {
	"sessions", "request queues", "URL prefixes",
	"STATE replies not yet read"
};

static struct quota *
get(struct hsysd *d)
{
	struct quota *q;

	if (d->quota != NULL)
		return d->quota;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->max[QUOTA_SESSIONS] = QUOTA_DEFAULT_SESSIONS;
	q->max[QUOTA_QUEUES] = QUOTA_DEFAULT_QUEUES;
	q->max[QUOTA_PREFIXES] = QUOTA_DEFAULT_PREFIXES;
	q->max[QUOTA_STATE] = QUOTA_DEFAULT_STATE;
	q->app_buffer = QUOTA_DEFAULT_APP_BUFFER;
	return d->quota = q;
}

int
quota_parse(struct hsysd *d, const char *arg, struct err *e)
{
	struct quota *q = get(d);
	const char *eq = strchr(arg, '=');
	unsigned long long v;
	char *end;
	int i;

	if (q == NULL)
		return err_set(e, "out of memory");
	if (eq == NULL)
		goto bad;
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || *end || end == eq + 1 || eq[1] == '-')
		goto bad;
	if ((size_t)(eq - arg) == strlen("app-buffer") &&
	    strncmp(arg, "app-buffer", (size_t)(eq - arg)) == 0) {
		if (v < (1u << 20))
			return err_set(e, "--limit app-buffer takes bytes, at "
			    "least 1048576, not '%s'", eq + 1);
		q->app_buffer = (size_t)v;
		return 0;
	}
	for (i = 0; i < QUOTA_KINDS; i++) {
		if (strlen(names[i]) != (size_t)(eq - arg) ||
		    strncmp(arg, names[i], (size_t)(eq - arg)) != 0)
			continue;
		if (v < 1 || v > 10000000)
			return err_set(e, "--limit %s takes a number from 1 to "
			    "10000000, not '%s'", names[i], eq + 1);
		q->max[i] = (unsigned long)v;
		return 0;
	}
bad:
	return err_set(e, "--limit takes NAME=N with NAME one of sessions, "
	    "queues, prefixes, state, app-buffer; not '%s'", arg);
}

static struct quota_user *
user(struct quota *q, uid_t uid, int create)
{
	struct quota_user *u;

	for (u = q->users; u != NULL; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create || (u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->uid = uid;
	u->next = q->users;
	q->users = u;
	return u;
}

int
quota_take(struct hsysd *d, uid_t uid, enum quota_kind k, struct err *e)
{
	struct quota *q = get(d);
	struct quota_user *u;

	if (q == NULL || (u = user(q, uid, 1)) == NULL) {
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return -1;
	}
	if (u->n[k] >= q->max[k] && uid != 0 && uid != geteuid()) {
		err_set(e, "uid %ld holds %lu %s, hsysd's limit per user "
		    "(an admin can raise it: hsysd --limit %s=N; see "
		    "docs/operations.md, \"Limits\")", (long)uid, u->n[k],
		    what[k], names[k]);
		e->code = EDQUOT;
		return -1;
	}
	u->n[k]++;
	return 0;
}

void
quota_give(struct hsysd *d, uid_t uid, enum quota_kind k)
{
	struct quota_user *u, **pp;
	int i;

	if (d->quota == NULL || (u = user(d->quota, uid, 0)) == NULL ||
	    u->n[k] == 0)
		return;
	u->n[k]--;
	for (i = 0; i < QUOTA_KINDS; i++)
		if (u->n[i] != 0)
			return;
	for (pp = &d->quota->users; *pp != u; pp = &(*pp)->next)
		;
	*pp = u->next;
	free(u);
}

size_t
quota_app_buffer(const struct hsysd *d)
{
	return d->quota != NULL ? d->quota->app_buffer :
	    QUOTA_DEFAULT_APP_BUFFER;
}

void
quota_free(struct hsysd *d)
{
	struct quota_user *u;

	if (d->quota == NULL)
		return;
	while ((u = d->quota->users) != NULL) {
		d->quota->users = u->next;
		free(u);
	}
	free(d->quota);
	d->quota = NULL;
}
