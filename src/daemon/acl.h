/*
 * acl — who may register a URL prefix: root, or a process whose uid (or
 * one of that user's groups) is granted listen by the most specific URL
 * reservation covering the prefix (hsys http add urlacl), as in HTTP.sys.
 *
 * And who may create a queue that other users' processes may attach to
 * (HSYS_QUEUE_OPEN, HTTP.sys's delegation): root, or a process whose uid
 * or one of whose groups some reservation grants delegate=yes. The queue
 * has no prefix yet when it is created, so any such reservation will do;
 * each prefix later added to the queue still needs listen for the process
 * that adds it.
 */
#ifndef HSYS_DAEMON_ACL_H
#define HSYS_DAEMON_ACL_H

#include <sys/types.h>

struct err;
struct hsysd;
struct url_prefix;

/* 0: allowed; -1 with e->code EACCES (and a sentence naming the deciding
 * reservation, or saying none covers it) or another errno. */
int	acl_may_listen(uid_t, gid_t, const struct url_prefix *, struct err *);
/* The same answer from the reservations of the generation hsysd serves,
 * read once per generation (hsys waits for hsysd to serve the generation
 * it wrote, reload.h): adding many prefixes does not read the store each
 * time. */
int	acl_may_listen_cached(struct hsysd *, uid_t, gid_t,
	    const struct url_prefix *, struct err *);
void	acl_cache_free(struct hsysd *);
/* 0: allowed; -1 with e->code EACCES (saying what is missing) or EIO. */
int	acl_may_delegate(uid_t, gid_t, struct err *);
/* 1 when a process running as uid/gid is in group `want`: its gid, or a
 * group of its user in the group database. */
int	acl_in_group(uid_t, gid_t, gid_t want);

#endif
