/*
 * queue — request queues. See queue.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/registry.h"
#include "daemon/stats.h"

struct queue *
queue_new(struct hsysd *d, const char *name, uid_t owner, int open,
    uint32_t max_waiting)
{
	struct queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->id = ++d->last_queue_id;
	q->owner = owner;
	q->open = open;
	q->max_waiting = max_waiting ? max_waiting : QUEUE_DEFAULT_WAITING;
	snprintf(q->name, sizeof(q->name), "%s", name ? name : "");
	if ((q->stats = qstats_new(q->id, q->name)) == NULL) {
		free(q);
		return NULL;
	}
	q->next = d->queues;
	d->queues = q;
	return q;
}

struct queue *
queue_by_name(struct hsysd *d, const char *name)
{
	struct queue *q;

	for (q = d->queues; q != NULL; q = q->next)
		if (q->name[0] != '\0' && strcmp(q->name, name) == 0)
			return q;
	return NULL;
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

void
queue_release(struct hsysd *d, struct queue *q)
{
	struct queue **pp;

	if (--q->sessions > 0)
		return;
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
	free(q);
}
