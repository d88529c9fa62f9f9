/*
 * queue — request queues. See queue.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/acl.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/qgate.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/stats.h"
#include "daemon/route.h"
#include "daemon/worker.h"
#include "proto/proto.h"

_Static_assert(QUEUE_ALLOW_MAX == PROTO_QUEUE_ALLOW_MAX,
    "the allow list's bound is the protocol's");

static void	on_linger_end(struct loop *, struct loop_timer *);

struct queue *
queue_new(struct hsysd *d, const char *name, uid_t owner, int open,
    uint32_t max_waiting)
{
	struct queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->max_waiting = max_waiting ? max_waiting : QUEUE_DEFAULT_WAITING;
	if ((q->gate = qgate_new(d->last_queue_id + 1, q->max_waiting,
	    QUEUE_DEFAULT_GRACE_MS)) == NULL) {
		free(q);
		return NULL;
	}
	q->id = ++d->last_queue_id;
	q->owner = owner;
	q->open = open;
	q->d = d;
	q->linger.fn = on_linger_end;
	snprintf(q->name, sizeof(q->name), "%s", name ? name : "");
	if ((q->stats = qstats_new(q->id, q->name)) == NULL) {
		qgate_release(q->gate);
		free(q);
		return NULL;
	}
	q->next = d->queues;
	d->queues = q;
	return q;
}

struct queue *
queue_by_name(struct hsysd *d, uid_t owner, const char *name)
{
	struct queue *q;

	for (q = d->queues; q != NULL; q = q->next)
		if (q->owner == owner && q->name[0] != '\0' &&
		    strcmp(q->name, name) == 0)
			return q;
	return NULL;
}

int
queue_may_attach(const struct queue *q, uid_t uid, gid_t gid)
{
	int i;

	if (uid == 0 || uid == q->owner)
		return 1;
	if (!q->open)
		return 0;
	for (i = 0; i < q->nallow; i++) {
		if (!q->allow[i].group && q->allow[i].id == (uint32_t)uid)
			return 1;
		if (q->allow[i].group &&
		    acl_in_group(uid, gid, (gid_t)q->allow[i].id))
			return 1;
	}
	return 0;
}

static int
queue_allow(struct queue *q, uint32_t id, int group, struct err *e)
{
	int i;

	if (!q->open) {
		err_set(e, "the queue is not open: create it with "
		    "HSYS_QUEUE_OPEN to let other users attach");
		e->code = EINVAL;
		return -1;
	}
	for (i = 0; i < q->nallow; i++)
		if (q->allow[i].id == id && q->allow[i].group == group)
			return 0;
	if (q->nallow == QUEUE_ALLOW_MAX) {
		err_set(e, "a queue allows at most %d users and groups; "
		    "allow a group instead", QUEUE_ALLOW_MAX);
		e->code = ENOSPC;
		return -1;
	}
	q->allow[q->nallow].id = id;
	q->allow[q->nallow++].group = group;
	log_info("queue %u: %s %lu may attach", q->id, group ? "group" :
	    "uid", (unsigned long)id);
	return 0;
}

struct queue *
queue_by_id(struct hsysd *d, uint32_t id)
{
	struct queue *q;

	for (q = d->queues; q != NULL; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

/* Unlinks and frees; the prefixes go too (the caller has woken, or will
 * wake, whatever waited for them). */
static void
queue_free(struct hsysd *d, struct queue *q)
{
	struct queue **pp;

	loop_timer_cancel(d->loop, &q->linger);
	registry_drop_queue(d, q);
	for (pp = &d->queues; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	log_debug("queue %u%s%s closed", q->id, q->name[0] ? " " : "",
	    q->name);
	qstats_unref(q->stats);
	qgate_release(q->gate);
	quota_give(d, q->owner, QUOTA_QUEUES);	/* taken by its creator */
	free(q);
}

static void
wake(struct hsysd *d, struct queue *q, int expire)
{
	int w;

	for (w = 0; w < d->workers; w++)
		route_post_wake(&d->worker[w], q->id, expire);
}

void
queue_hold(struct hsysd *d, struct queue *q)
{
	q->sessions++;
	if (!q->lingering)
		return;
	q->lingering = 0;
	loop_timer_cancel(d->loop, &q->linger);
	/* Requests that find no channel yet wait a grace period for the
	 * new process's channels to reach their worker. */
	atomic_store(&q->gate->linger_until, 0);
	log_info("queue %u%s%s is served again", q->id, q->name[0] ? " " : "",
	    q->name);
}

void
queue_release(struct hsysd *d, struct queue *q)
{
	unsigned grace = atomic_load(&q->gate->grace_ms);

	if (--q->sessions > 0)
		return;
	if (grace == 0 || registry_count(d, q) == 0) {
		queue_free(d, q);
		return;
	}
	q->lingering = 1;
	atomic_store(&q->gate->linger_until, loop_now(d->loop) + grace);
	loop_timer_set(d->loop, &q->linger, grace);
	log_info("queue %u%s%s has no process; its requests wait up to %u ms "
	    "for one", q->id, q->name[0] ? " " : "", q->name, grace);
}

static void
on_linger_end(struct loop *l, struct loop_timer *t)
{
	struct queue *q = container_of(t, struct queue, linger);
	struct hsysd *d = q->d;

	(void)l;
	log_info("AppOffline: queue %u%s%s: no process attached within its "
	    "grace period; its prefixes are removed", q->id,
	    q->name[0] ? " " : "", q->name);
	/* The new table first, then the waiters' 503: mail keeps order. */
	registry_drop_queue(d, q);
	wake(d, q, 1);
	queue_free(d, q);
}

int
queue_set(struct queue *q, uint32_t prop, uint32_t value, struct err *e)
{
	switch (prop) {
	case PROTO_QUEUE_LENGTH:
		if (value < 1 || value > PROTO_QUEUE_LENGTH_MAX)
			break;
		q->max_waiting = value;
		atomic_store(&q->gate->length, value);
		log_info("queue %u: length %u", q->id, value);
		return 0;
	case PROTO_QUEUE_GRACE:
		if (value > PROTO_QUEUE_GRACE_MAX)
			break;
		atomic_store(&q->gate->grace_ms, value);
		log_info("queue %u: grace period %u ms", q->id, value);
		return 0;
	case PROTO_QUEUE_ALLOW_UID:
	case PROTO_QUEUE_ALLOW_GID:
		return queue_allow(q, value, prop == PROTO_QUEUE_ALLOW_GID, e);
	default:
		err_set(e, "unknown queue property %u", prop);
		e->code = EINVAL;
		return -1;
	}
	err_set(e, "a queue's length is 1 to %d requests, its grace period "
	    "0 to %d ms", PROTO_QUEUE_LENGTH_MAX, PROTO_QUEUE_GRACE_MAX);
	e->code = EINVAL;
	return -1;
}

void
queue_reroute(struct hsysd *d, struct queue *q)
{
	wake(d, q, 0);
	if (q->lingering && registry_count(d, q) == 0)
		queue_free(d, q);
}

void
queues_free(struct hsysd *d)
{
	while (d->queues != NULL)
		queue_free(d, d->queues);
}
