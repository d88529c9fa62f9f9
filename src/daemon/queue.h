/*
 * queue — request queues (HTTP.sys's request queues): named or anonymous,
 * owned by the uid that created them, shared by the sessions attached to
 * them. Main thread only; workers get what they need of them by mail.
 */
#ifndef HSYS_DAEMON_QUEUE_H
#define HSYS_DAEMON_QUEUE_H

#include <stdint.h>
#include <sys/types.h>

struct hsysd;
struct queue_stats;

#define QUEUE_NAME_MAX		255
#define QUEUE_DEFAULT_WAITING	1000	/* HTTP.sys's default */

struct queue {
	struct queue	*next;
	uint32_t	 id;
	uid_t		 owner;
	int		 open;		/* other uids may attach */
	uint32_t	 max_waiting;
	int		 sessions;	/* attached sessions */
	char		 name[QUEUE_NAME_MAX + 1];	/* "" if anonymous */
	struct queue_stats *stats;	/* shared with the route tables */
};

struct queue	*queue_new(struct hsysd *, const char *name, uid_t owner,
		    int open, uint32_t max_waiting);
struct queue	*queue_by_name(struct hsysd *, const char *name);
struct queue	*queue_by_id(struct hsysd *, uint32_t id);
/* Drops a session's hold; the queue goes with the last one. */
void		 queue_release(struct hsysd *, struct queue *);

#endif
