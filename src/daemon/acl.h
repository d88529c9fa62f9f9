/*
 * acl — who may register a URL prefix: root, or a process whose uid (or
 * one of that user's groups) is granted listen by the most specific URL
 * reservation covering the prefix (hsys http add urlacl), as in HTTP.sys.
 */
#ifndef HSYS_DAEMON_ACL_H
#define HSYS_DAEMON_ACL_H

#include <sys/types.h>

struct err;
struct url_prefix;

/* 0: allowed; -1 with e->code EACCES (and a sentence naming the deciding
 * reservation, or saying none covers it) or another errno. */
int	acl_may_listen(uid_t, gid_t, const struct url_prefix *, struct err *);

#endif
