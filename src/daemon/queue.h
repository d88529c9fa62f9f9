/*
 * queue — request queues (HTTP.sys's request queues): named or anonymous,
 * owned by the uid that created them, shared by the sessions attached to
 * them. A name is its owner's: two users may each have a queue "jobs".
 * Who else may attach is the owner's choice (HTTP.sys's request queue
 * security descriptor): an open queue admits the uids and groups its
 * owner allowed, never anyone by default. Main thread only; workers get
 * what they need of them by mail, and share their counters (qgate.h).
 *
 * A queue with prefixes outlives its last session for a grace period
 * (default 5 s; 0 turns it off): its prefixes stay and the workers hold
 * its requests until a process attaches again (docs/api.md, "Grace
 * period"). When the grace period ends first, the requests held get 503
 * and the queue and its prefixes go.
 */
#ifndef HSYS_DAEMON_QUEUE_H
#define HSYS_DAEMON_QUEUE_H

#include <stdint.h>
#include <sys/types.h>

#include "daemon/loop.h"

struct err;
struct hsysd;
struct queue_stats;
struct qgate;
struct registration;

#define QUEUE_NAME_MAX		255
#define QUEUE_DEFAULT_WAITING	1000	/* HTTP.sys's default */
#define QUEUE_DEFAULT_GRACE_MS	5000
#define QUEUE_ALLOW_MAX		64	/* = PROTO_QUEUE_ALLOW_MAX */

struct queue_allow {
	uint32_t	 id;		/* uid, or gid when group */
	int		 group;
};

struct queue {
	struct queue	*next;
	uint32_t	 id;
	uid_t		 owner;
	int		 open;		/* other uids may be allowed */
	struct queue_allow allow[QUEUE_ALLOW_MAX];	/* who, if open */
	int		 nallow;
	uint32_t	 max_waiting;
	int		 sessions;	/* attached sessions */
	char		 name[QUEUE_NAME_MAX + 1];	/* "" if anonymous */
	struct queue_stats *stats;	/* shared with the route tables */
	struct registration *prefixes;	/* its registrations (registry.c) */
	size_t		 nprefixes;

	/* Length and grace period (qgate.h). */
	struct hsysd	*d;
	struct qgate	*gate;		/* shared with the workers */
	int		 lingering;	/* no session, grace running */
	struct loop_timer linger;	/* the grace period's end */
};

struct queue	*queue_new(struct hsysd *, const char *name, uid_t owner,
		    int open, uint32_t max_waiting);
/* The queue `name` of that owner (names are per owner). */
struct queue	*queue_by_name(struct hsysd *, uid_t owner, const char *name);
struct queue	*queue_by_id(struct hsysd *, uint32_t id);
/* A session takes a hold: a lingering queue is served again. */
void		 queue_hold(struct hsysd *, struct queue *);
/* Drops a session's hold; the queue goes with the last one, at once or
 * when its grace period ends. */
void		 queue_release(struct hsysd *, struct queue *);
/* A QUEUE_SET property (proto.h's PROTO_QUEUE_*); -1 with e->code
 * EINVAL when it is unknown or out of bounds, or allowing others on a
 * queue that is not open; ENOSPC when the allow list is full. The caller
 * checks that only the owner (or root) allows. */
int		 queue_set(struct queue *, uint32_t prop, uint32_t value,
		    struct err *);
/* 1 when a process of that uid/gid may attach: root, the owner, or a
 * uid or group the owner allowed on an open queue. */
int		 queue_may_attach(const struct queue *, uid_t, gid_t);
/* One of a lingering queue's prefixes was taken over: its waiting
 * requests route again, and it goes if that was its last prefix. */
void		 queue_reroute(struct hsysd *, struct queue *);
/* At exit, after the sessions: the queues still in their grace period. */
void		 queues_free(struct hsysd *);

#endif
