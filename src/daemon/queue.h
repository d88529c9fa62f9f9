/*
 * queue — request queues (HTTP.sys's request queues): named or anonymous,
 * owned by the uid that created them, shared by the sessions attached to
 * them. Main thread only; workers get what they need of them by mail, and
 * share their counters (qgate.h).
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

struct queue {
	struct queue	*next;
	uint32_t	 id;
	uid_t		 owner;
	int		 open;		/* other uids may attach */
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
struct queue	*queue_by_name(struct hsysd *, const char *name);
struct queue	*queue_by_id(struct hsysd *, uint32_t id);
/* A session takes a hold: a lingering queue is served again. */
void		 queue_hold(struct hsysd *, struct queue *);
/* Drops a session's hold; the queue goes with the last one, at once or
 * when its grace period ends. */
void		 queue_release(struct hsysd *, struct queue *);
/* A QUEUE_SET property (proto.h's PROTO_QUEUE_*); -1 with e->code
 * EINVAL when it is unknown or out of bounds. */
int		 queue_set(struct queue *, uint32_t prop, uint32_t value,
		    struct err *);
/* One of a lingering queue's prefixes was taken over: its waiting
 * requests route again, and it goes if that was its last prefix. */
void		 queue_reroute(struct hsysd *, struct queue *);
/* At exit, after the sessions: the queues still in their grace period. */
void		 queues_free(struct hsysd *);

#endif
