/*
 * queue — libhsys: queues and prefixes (QUEUE_CREATE, QUEUE_ATTACH,
 * PREFIX_ADD, PREFIX_REMOVE, QUEUE_SET, QUEUE_CLOSE), and what the
 * application asked of each, kept so that a new session after a
 * reconnection (reconnect.c) asks it again: lib_queue_again. See
 * include/hsys.h and docs/protocol.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/control.h"

static void	queue_remember(struct hsys_queue *, const char *name,
		    unsigned flags, int attached);
static int	prefix_remember(struct hsys_queue *, const char *prefix,
		    int add);

/* A queue operation carrying a name (or a prefix). */
static struct proto_queue_op
named_op(uint32_t queue_id, const char *name)
{
	return (struct proto_queue_op){ .queue_id = queue_id,
	    .name = (const unsigned char *)name,
	    .name_len = (uint32_t)strlen(name) };
}

/* QUEUE_CREATE's fields for a queue of this name and hsys_queue_* flags. */
static struct proto_queue_op
create_op(const char *name, unsigned flags)
{
	struct proto_queue_op op = named_op(0, name);

	op.flags = (name[0] ? PROTO_QUEUE_F_NAMED : 0) |
	    (flags & HSYS_QUEUE_OPEN ? PROTO_QUEUE_F_OPEN : 0);
	return op;
}

static int
queue_handle(struct hsys *h, uint32_t id, struct hsys_queue **qp)
{
	struct hsys_queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	q->h = h;
	q->id = id;
	*qp = q;
	return 0;
}

/* Reconnecting is reconnect.c's matter; these calls only say what the
 * application asked for, so that it can be asked again. */
static int
queue_remembered(struct hsys *h, uint32_t id,
    struct hsys_queue **qp, const char *name, unsigned flags, int attached)
{
	int rc;

	if ((rc = queue_handle(h, id, qp)) < 0)
		return rc;
	queue_remember(*qp, name, flags, attached);
	return 0;
}

int
hsys_queue_create(struct hsys *h, const char *name, unsigned flags,
    struct hsys_queue **qp)
{
	struct proto_queue_op op = create_op(name ? name : "", flags);
	uint32_t id;
	int rc;

	*qp = NULL;
	if ((rc = lib_queue_op(h, PROTO_QUEUE_CREATE, &op, &id)) < 0)
		return rc;
	return queue_remembered(h, id, qp, name, flags, 0);
}

int
hsys_queue_attach(struct hsys *h, const char *name, struct hsys_queue **qp)
{
	struct proto_queue_op op;
	uint32_t id;
	int rc;

	*qp = NULL;
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	/* An older daemon's names are global: "alice/jobs" would be a name
	 * of its own there, not alice's queue. */
	if (strchr(name, '/') != NULL &&
	    !(h->features & PROTO_FEATURE_QUEUE_ALLOW))
		return -EOPNOTSUPP;
	op = named_op(0, name);
	if ((rc = lib_queue_op(h, PROTO_QUEUE_ATTACH, &op, &id)) < 0)
		return rc;
	return queue_remembered(h, id, qp, name, 0, 1);
}

uint32_t
hsys_queue_id(const struct hsys_queue *q)
{
	return q->rec != NULL ? q->rec->id : q->id;
}

int
hsys_queue_close(struct hsys_queue *q)
{
	struct proto_queue_op op = { 0 };
	int rc;

	if (q == NULL)
		return 0;
	op.queue_id = hsys_queue_id(q);
	rc = lib_queue_op(q->h, PROTO_QUEUE_CLOSE, &op, NULL);
	lib_queue_forget(q->h, q->rec);
	free(q);
	return rc;
}

static int
prefix_op(struct hsys_queue *q, uint16_t type, const char *prefix)
{
	struct proto_queue_op op;

	if (prefix == NULL)
		return -EINVAL;
	op = named_op(hsys_queue_id(q), prefix);
	return lib_queue_op(q->h, type, &op, NULL);
}

int
hsys_prefix_add(struct hsys_queue *q, const char *prefix)
{
	int rc = prefix_op(q, PROTO_PREFIX_ADD, prefix);

	return rc < 0 ? rc : prefix_remember(q, prefix, 1);
}

int
hsys_prefix_remove(struct hsys_queue *q, const char *prefix)
{
	int rc = prefix_op(q, PROTO_PREFIX_REMOVE, prefix);

	return rc < 0 ? rc : prefix_remember(q, prefix, 0);
}

int
hsys_cache_flush(struct hsys_queue *q, const char *prefix, int recursive)
{
	struct proto_queue_op op = named_op(hsys_queue_id(q),
	    prefix != NULL ? prefix : "");

	if (!(q->h->features & PROTO_FEATURE_CACHE))
		return -EOPNOTSUPP;
	op.flags = recursive ? PROTO_CACHE_FLUSH_F_RECURSIVE : 0;
	return lib_queue_op(q->h, PROTO_CACHE_FLUSH, &op, NULL);
}

static int
queue_set(struct hsys_queue *q, uint32_t prop, uint32_t value)
{
	struct proto_queue_op op = { .property = prop, .value = value };

	/* An older daemon would end the session on an unknown type. */
	if (!(q->h->features & PROTO_FEATURE_QUEUE_SET))
		return -EOPNOTSUPP;
	op.queue_id = hsys_queue_id(q);
	return lib_queue_op(q->h, PROTO_QUEUE_SET, &op, NULL);
}

int
hsys_queue_set_length(struct hsys_queue *q, uint32_t length)
{
	if (length < 1 || length > PROTO_QUEUE_LENGTH_MAX)
		return -EINVAL;
	return queue_set(q, PROTO_QUEUE_LENGTH, length);
}

int
hsys_queue_set_grace(struct hsys_queue *q, uint32_t ms)
{
	if (ms > PROTO_QUEUE_GRACE_MAX)
		return -EINVAL;
	return queue_set(q, PROTO_QUEUE_GRACE, ms);
}

/* Remembered once the daemon took it, to be given again after a
 * reconnection, where the queue is created anew. */
static int
queue_allow(struct hsys_queue *q, uint32_t prop, uint32_t id)
{
	struct lib_queue *r = q->rec;
	unsigned i;
	int rc;

	/* An older daemon lets every user attach an open queue. */
	if (!(q->h->features & PROTO_FEATURE_QUEUE_ALLOW))
		return -EOPNOTSUPP;
	if ((rc = queue_set(q, prop, id)) < 0 || r == NULL)
		return rc;
	for (i = 0; i < r->nallow; i++)
		if (r->allow[i] == id && r->allow_prop[i] == prop)
			return 0;
	if (r->nallow < PROTO_QUEUE_ALLOW_MAX) {
		r->allow[r->nallow] = id;
		r->allow_prop[r->nallow++] = prop;
	}
	return 0;
}

int
hsys_queue_allow(struct hsys_queue *q, uid_t uid)
{
	return queue_allow(q, PROTO_QUEUE_ALLOW_UID, (uint32_t)uid);
}

int
hsys_queue_allow_group(struct hsys_queue *q, gid_t gid)
{
	return queue_allow(q, PROTO_QUEUE_ALLOW_GID, (uint32_t)gid);
}

int
lib_queue_again(struct hsys *h, struct lib_queue *r)
{
	struct hsys_queue q = { .h = h, .rec = r };
	struct proto_queue_op create = create_op(r->name, r->flags);
	struct proto_queue_op attach = named_op(0, r->name);
	struct lib_prefix *p;
	uint32_t id = 0;
	unsigned i;
	int rc;

	/* Another process of the queue may have made it again first; or
	 * the one that created it may not be back yet. */
	if (r->attached || (rc = lib_queue_op(h, PROTO_QUEUE_CREATE, &create,
	    &id)) == -EEXIST)
		rc = lib_queue_op(h, PROTO_QUEUE_ATTACH, &attach, &id);
	/* Another user's queue ("owner/name") is that user's to create. */
	if (rc == -ENOENT && r->attached && strchr(r->name, '/') == NULL)
		rc = lib_queue_op(h, PROTO_QUEUE_CREATE, &create, &id);
	if (rc < 0)
		return rc;
	r->id = id;
	/* A refusal leaves the safe side (fewer users admitted) and must not
	 * stop the reconnection: the queue may have been made again, not
	 * open, by another process of its owner that had attached. */
	for (i = 0; i < r->nallow; i++)
		if ((rc = queue_set(&q, r->allow_prop[i], r->allow[i])) < 0 &&
		    rc != -EINVAL && rc != -EPERM && rc != -ENOSPC)
			return rc;
	for (p = r->prefixes; p != NULL; p = p->next)
		if ((rc = prefix_op(&q, PROTO_PREFIX_ADD, p->text)) < 0 &&
		    rc != -EEXIST)
			return rc;
	return 0;
}

/* Out of memory, the queue is not remembered, and not created again
 * after a reconnection; the handle works meanwhile. */
static void
queue_remember(struct hsys_queue *q, const char *name, unsigned flags,
    int attached)
{
	struct lib_queue *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->id = q->id;
	r->flags = flags;
	r->attached = attached;
	r->next = q->h->queues;
	q->h->queues = r;
	q->rec = r;
}

void
lib_queue_forget(struct hsys *h, struct lib_queue *r)
{
	struct lib_queue **pp;
	struct lib_prefix *p;

	if (r == NULL)
		return;
	for (pp = &h->queues; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	while ((p = r->prefixes) != NULL) {
		r->prefixes = p->next;
		free(p);
	}
	free(r);
}

/* Out of memory, a prefix is not remembered: it is not registered again
 * after a reconnection, which hsys_prefix_add cannot report now (the
 * prefix is registered). */
static int
prefix_remember(struct hsys_queue *q, const char *prefix, int add)
{
	struct lib_prefix *p, **pp;
	size_t n = strlen(prefix) + 1;

	if (q->rec == NULL)
		return 0;
	if (!add) {
		for (pp = &q->rec->prefixes; (p = *pp) != NULL; pp = &p->next)
			if (strcmp(p->text, prefix) == 0) {
				*pp = p->next;
				free(p);
				break;
			}
		return 0;
	}
	if ((p = malloc(sizeof(*p) + n)) == NULL)
		return 0;
	memcpy(p->text, prefix, n);
	p->next = q->rec->prefixes;
	q->rec->prefixes = p;
	return 0;
}
