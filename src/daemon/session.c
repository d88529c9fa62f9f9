/*
 * session — application sessions and queue operations. See session.h and
 * docs/protocol.md.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"

#include "daemon/acl.h"
#include "daemon/cacheserve.h"
#include "daemon/channel.h"
#include "daemon/control.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/session.h"
#include "proto/control.h"

#define OWNER_MAX		64	/* "owner/" of "owner/name" */

static struct session *
session_by_id(struct hsysd *d, uint64_t id)
{
	struct session *s;

	for (s = d->sessions; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/* Copies a span into a NUL-terminated buffer; -1 if out of bounds, too
 * long, or not printable ASCII (names appear in logs). */
static int
span_name(const struct proto_frame *f, size_t at, size_t area, char *out,
    size_t size)
{
	const unsigned char *p;
	uint32_t n, i;

	if (proto_span_get(f, at, area, &p, &n) == -1 || n >= size)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
session_hello(struct hsysd *d, struct ctl_conn *c, const struct proto_frame *f)
{
	unsigned char w[PROTO_WELCOME_SIZE];
	struct proto_welcome wel;
	struct session *s;
	struct ucred cred;
	struct err e;

	if (f->length < PROTO_HELLO_FIXED ||
	    proto_get32(f->payload + PROTO_HELLO_MAGIC) != PROTO_MAGIC)
		return control_error(c, 0, EPROTO, "not an hsys HELLO");
	if (proto_get16(f->payload + PROTO_HELLO_MIN_VERSION) > PROTO_VERSION ||
	    proto_get16(f->payload + PROTO_HELLO_MAX_VERSION) < PROTO_VERSION)
		return control_error(c, 0, EPROTONOSUPPORT, "this hsysd speaks "
		    "protocol version %d only", PROTO_VERSION);
	if (control_peer(c, &cred) == -1)
		return control_error(c, 0, EPROTO, "cannot identify the peer");
	if (quota_take(d, cred.uid, QUOTA_SESSIONS, &e) == -1)
		return control_error(c, 0, e.code, "%s", e.msg);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		quota_give(d, cred.uid, QUOTA_SESSIONS);
		return control_error(c, 0, ENOMEM, "out of memory");
	}
	if (span_name(f, PROTO_HELLO_NAME, PROTO_HELLO_FIXED, s->name,
	    sizeof(s->name)) == -1 ||
	    RAND_bytes(s->key, sizeof(s->key)) != 1) {
		free(s);
		quota_give(d, cred.uid, QUOTA_SESSIONS);
		return control_error(c, 0, EINVAL, "bad application name");
	}
	s->d = d;
	s->ctl = c;
	s->id = ++d->last_session_id;
	s->pid = cred.pid;
	s->uid = cred.uid;
	s->gid = cred.gid;
	s->hello_flags = proto_get32(f->payload + PROTO_HELLO_FLAGS);
	s->next = d->sessions;
	d->sessions = s;
	control_bind(c, s);

	wel = (struct proto_welcome){
		.version = PROTO_VERSION,
		.workers = (uint16_t)d->workers,
		.max_frame = PROTO_MAX_FRAME,
		.window = PROTO_WINDOW,
		.max_waiting = QUEUE_DEFAULT_WAITING,
		.session = s->id,
		.generation = (uint64_t)d->generation,
		.features = PROTO_FEATURE_QUEUE_SET | PROTO_FEATURE_QUEUE_ALLOW |
		    PROTO_FEATURE_RESP_TRAILERS | PROTO_FEATURE_CACHE,
	};
	memcpy(wel.key, s->key, sizeof(wel.key));
	proto_welcome_put(w, sizeof(w), &wel);
	log_info("session %llu: %s (pid %ld, uid %ld) connected",
	    (unsigned long long)s->id, s->name[0] ? s->name : "unnamed",
	    (long)s->pid, (long)s->uid);
	return control_send(c, PROTO_WELCOME, 0, 0, w, sizeof(w));
}

int
session_channel(struct hsysd *d, struct ctl_conn *c,
    const struct proto_frame *f, int *index, uint64_t *id)
{
	struct proto_channel ch;
	struct session *s;
	struct ucred cred;

	if (proto_channel_get(f, &ch) == -1) {
		control_error(c, 0, EPROTO, "short CHANNEL frame");
		return -1;
	}
	*id = ch.session;
	*index = ch.index;
	s = session_by_id(d, *id);
	/* One answer for every mismatch: no hint which part was wrong. */
	if (s == NULL || CRYPTO_memcmp(s->key, ch.key, PROTO_KEY_SIZE) != 0 ||
	    control_peer(c, &cred) == -1 || cred.uid != s->uid) {
		control_error(c, 0, EACCES, "no such session");
		return -1;
	}
	if (*index >= d->workers ||
	    s->chanmask[*index / 64] & (1ull << (*index % 64))) {
		control_error(c, 0, EINVAL, "no data channel %d, or it is "
		    "attached already", *index);
		return -1;
	}
	s->chanmask[*index / 64] |= 1ull << (*index % 64);
	return 0;
}

void
session_channel_ready(struct hsysd *d, uint64_t id)
{
	struct session *s = session_by_id(d, id);
	int i;

	/* With every channel attached, the session serves its queues. Each
	 * worker got its channel's adoption by mail before this. */
	if (s != NULL && ++s->channels == d->workers)
		for (i = 0; i < s->nqueues; i++)
			registry_serve(d, s, s->queues[i], 1);
}

static int
queue_attach_session(struct session *s, struct queue *q, uint64_t op)
{
	unsigned char ok[PROTO_OK_QUEUE_SIZE];
	int i;

	for (i = 0; i < s->nqueues; i++)
		if (s->queues[i] == q)
			goto reply;
	if (s->nqueues == SESSION_MAX_QUEUES)
		return control_error(s->ctl, op, EMFILE, "a session may hold "
		    "at most %d queues", SESSION_MAX_QUEUES);
	s->queues[s->nqueues++] = q;
	queue_hold(s->d, q);
	if (s->channels == s->d->workers)
		registry_serve(s->d, s, q, 1);
reply:
	return control_send(s->ctl, PROTO_OK, 0, op, ok,
	    proto_ok_queue_put(ok, sizeof(ok), q->id));
}

static int
op_queue_create(struct session *s, const struct proto_frame *f)
{
	char name[QUEUE_NAME_MAX + 1] = "";
	uint32_t flags, max;
	struct queue *q;
	struct err e;

	if (f->length < PROTO_QUEUE_CREATE_FIXED)
		return control_error(s->ctl, f->id, EPROTO, "short frame");
	flags = proto_get32(f->payload);
	max = proto_get32(f->payload + 4);
	if (max > PROTO_QUEUE_LENGTH_MAX)
		return control_error(s->ctl, f->id, EINVAL, "a queue's length "
		    "is 1 to %d requests (0: the default, %d)",
		    PROTO_QUEUE_LENGTH_MAX, QUEUE_DEFAULT_WAITING);
	if (span_name(f, 8, PROTO_QUEUE_CREATE_FIXED, name, sizeof(name)) == -1)
		return control_error(s->ctl, f->id, EINVAL, "a queue name is "
		    "1 to %d printable ASCII characters", QUEUE_NAME_MAX);
	if ((flags & PROTO_QUEUE_F_NAMED) != (name[0] != '\0'))
		return control_error(s->ctl, f->id, EINVAL, "a named queue "
		    "needs a name, an anonymous one none");
	if (strchr(name, '/') != NULL)
		return control_error(s->ctl, f->id, EINVAL, "a queue name has "
		    "no '/': 'owner/name' names another user's queue");
	if (name[0] != '\0' && queue_by_name(s->d, s->uid, name) != NULL)
		return control_error(s->ctl, f->id, EEXIST, "your queue '%s' "
		    "exists; attach to it or choose another name", name);
	if ((flags & PROTO_QUEUE_F_OPEN) &&
	    acl_may_delegate(s->uid, s->gid, &e) == -1)
		return control_error(s->ctl, f->id, e.code, "%s", e.msg);
	if (quota_take(s->d, s->uid, QUOTA_QUEUES, &e) == -1)
		return control_error(s->ctl, f->id, e.code, "%s", e.msg);
	if ((q = queue_new(s->d, name, s->uid,
	    (flags & PROTO_QUEUE_F_OPEN) != 0, max)) == NULL) {
		quota_give(s->d, s->uid, QUOTA_QUEUES);
		return control_error(s->ctl, f->id, ENOMEM, "out of memory");
	}
	return queue_attach_session(s, q, f->id);
}

/* "name" is the peer's own queue; "owner/name" another user's, the
 * owner a user name or, all digits, a uid. Splits spec at its '/'. -1:
 * no such user, or not of that form. */
static int
queue_owner(const struct session *s, char *spec, uid_t *owner, char **name)
{
	char *slash = strchr(spec, '/'), *end, buf[1024];
	struct passwd pw, *pwp = NULL;
	unsigned long v;

	*owner = s->uid;
	*name = spec;
	if (slash == NULL)
		return 0;
	*slash = '\0';
	*name = slash + 1;
	if (spec[0] == '\0' || (*name)[0] == '\0' ||
	    strchr(*name, '/') != NULL)
		return -1;
	if (spec[strspn(spec, "0123456789")] == '\0') {
		errno = 0;
		v = strtoul(spec, &end, 10);
		if (errno != 0 || v > (uid_t)-2)
			return -1;
		*owner = (uid_t)v;
		return 0;
	}
	if (getpwnam_r(spec, &pw, buf, sizeof(buf), &pwp) != 0 ||
	    pwp == NULL)
		return -1;
	*owner = pw.pw_uid;
	return 0;
}

static int
op_queue_attach(struct session *s, const struct proto_frame *f)
{
	char spec[OWNER_MAX + QUEUE_NAME_MAX + 1], *name;
	struct queue *q;
	uid_t owner;

	if (f->length < PROTO_QUEUE_ATTACH_FIXED ||
	    span_name(f, 0, PROTO_QUEUE_ATTACH_FIXED, spec,
	    sizeof(spec)) == -1 ||
	    spec[0] == '\0')
		return control_error(s->ctl, f->id, EINVAL, "bad queue name");
	if (queue_owner(s, spec, &owner, &name) == -1)
		return control_error(s->ctl, f->id, EINVAL, "'%s/%s': another "
		    "user's queue is named OWNER/NAME, OWNER a known user "
		    "name or a uid", spec, name);
	if ((q = queue_by_name(s->d, owner, name)) == NULL &&
	    owner == s->uid)
		return control_error(s->ctl, f->id, ENOENT, "you have no "
		    "queue named '%s' (another user's is attached as "
		    "OWNER/%s)", name, name);
	if (q == NULL)
		return control_error(s->ctl, f->id, ENOENT, "uid %ld has no "
		    "queue named '%s'", (long)owner, name);
	if (!queue_may_attach(q, s->uid, s->gid))
		return control_error(s->ctl, f->id, EACCES, "the queue '%s' "
		    "of uid %ld does not allow uid %ld to attach: its owner "
		    "must create it open and allow this user or one of its "
		    "groups", name, (long)q->owner, (long)s->uid);
	return queue_attach_session(s, q, f->id);
}

static int
op_queue_close(struct session *s, const struct proto_frame *f)
{
	uint32_t id;
	int i;

	if (f->length < PROTO_QUEUE_CLOSE_SIZE)
		return control_error(s->ctl, f->id, EPROTO, "short frame");
	id = proto_get32(f->payload);
	for (i = 0; i < s->nqueues; i++) {
		if (s->queues[i]->id != id)
			continue;
		registry_serve(s->d, s, s->queues[i], 0);
		queue_release(s->d, s->queues[i]);
		s->queues[i] = s->queues[--s->nqueues];
		return control_send(s->ctl, PROTO_OK, 0, f->id, NULL, 0);
	}
	return control_error(s->ctl, f->id, ENOENT, "this session holds no "
	    "queue %u", id);
}

static struct queue *
held_queue(struct session *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->nqueues; i++)
		if (s->queues[i]->id == id)
			return s->queues[i];
	return NULL;
}

static int
op_prefix(struct session *s, const struct proto_frame *f)
{
	const unsigned char *text;
	struct queue *q, *from = NULL;
	struct err e;
	uint32_t n;
	int rc;

	if (f->length < PROTO_PREFIX_FIXED || proto_span_get(f, 8,
	    PROTO_PREFIX_FIXED, &text, &n) == -1)
		return control_error(s->ctl, f->id, EPROTO, "short frame");
	if ((q = held_queue(s, proto_get32(f->payload))) == NULL)
		return control_error(s->ctl, f->id, ENOENT, "this session "
		    "holds no queue %u", proto_get32(f->payload));
	if (f->type == PROTO_PREFIX_ADD)
		rc = registry_add(s->d, s, q, (const char *)text, n, &from,
		    &e);
	else
		rc = registry_remove(s->d, q, (const char *)text, n, &e);
	if (rc == -1)
		return control_error(s->ctl, f->id, e.code ? e.code : EINVAL,
		    "%s", e.msg);
	if (from != NULL)	/* its waiting requests go to q now */
		queue_reroute(s->d, from);
	return control_send(s->ctl, PROTO_OK, 0, f->id, NULL, 0);
}

static int
op_queue_set(struct session *s, const struct proto_frame *f)
{
	struct queue *q;
	struct err e;
	uint32_t prop;

	if (f->length < PROTO_QUEUE_SET_SIZE)
		return control_error(s->ctl, f->id, EPROTO, "short frame");
	if ((q = held_queue(s, proto_get32(f->payload))) == NULL)
		return control_error(s->ctl, f->id, ENOENT, "this session "
		    "holds no queue %u", proto_get32(f->payload));
	/* Consent is the owner's to give, not an allowed user's to pass
	 * on. */
	prop = proto_get32(f->payload + 4);
	if ((prop == PROTO_QUEUE_ALLOW_UID || prop == PROTO_QUEUE_ALLOW_GID) &&
	    s->uid != 0 && s->uid != q->owner)
		return control_error(s->ctl, f->id, EPERM, "only the queue's "
		    "owner (uid %ld) may allow others to attach",
		    (long)q->owner);
	if (queue_set(q, prop, proto_get32(f->payload + 8), &e) == -1)
		return control_error(s->ctl, f->id, e.code, "%s", e.msg);
	return control_send(s->ctl, PROTO_OK, 0, f->id, NULL, 0);
}

/* Every worker has dropped the entries: the answer, if the session is
 * still there (a peer that does not take it is dropped by control.c). */
static void
cache_flushed(struct hsysd *d, uint64_t session, uint32_t id)
{
	struct session *s = session_by_id(d, session);

	if (s != NULL)
		(void)control_send(s->ctl, PROTO_OK, 0, id, NULL, 0);
}

/* CACHE_FLUSH: the queue's cached responses under a prefix (or all of
 * them) go, on every worker (HttpFlushResponseCache). */
static int
op_cache_flush(struct session *s, const struct proto_frame *f)
{
	struct proto_queue_op op;
	struct url_prefix p;
	char url[URL_PREFIX_MAX + 1];
	size_t n;
	struct err e;

	if (proto_queue_op_get(f, &op) == -1)
		return control_error(s->ctl, f->id, EPROTO, "short frame");
	if (held_queue(s, op.queue_id) == NULL)
		return control_error(s->ctl, f->id, ENOENT, "this session "
		    "holds no queue %u", op.queue_id);
	/* A URL names its path without the final '/' a prefix has. */
	if (op.name_len > 0 && op.name_len < sizeof(url)) {
		memcpy(url, op.name, op.name_len);
		n = op.name_len;
		if (url[n - 1] != '/')
			url[n++] = '/';
		if (url_prefix_parse(url, n, &p, &e) == -1)
			return control_error(s->ctl, f->id, EINVAL, "%s",
			    e.msg);
	} else if (op.name_len > 0)
		return control_error(s->ctl, f->id, EINVAL, "the URL is "
		    "longer than %zu bytes", sizeof(url) - 2);
	if (cacheserve_post_flush(s->d, op.queue_id, op.name_len > 0 ? &p :
	    NULL, (op.flags & PROTO_CACHE_FLUSH_F_RECURSIVE) != 0,
	    cache_flushed, s->id, f->id) == -1)
		return control_error(s->ctl, f->id, ENOMEM, "out of memory");
	return 0;
}

int
session_frame(struct session *s, const struct proto_frame *f)
{
	switch (f->type) {
	case PROTO_QUEUE_CREATE:
		return op_queue_create(s, f);
	case PROTO_QUEUE_ATTACH:
		return op_queue_attach(s, f);
	case PROTO_QUEUE_CLOSE:
		return op_queue_close(s, f);
	case PROTO_PREFIX_ADD:
	case PROTO_PREFIX_REMOVE:
		return op_prefix(s, f);
	case PROTO_QUEUE_SET:
		return op_queue_set(s, f);
	case PROTO_CACHE_FLUSH:
		return op_cache_flush(s, f);
	default:
		control_error(s->ctl, f->id, EPROTO, "unexpected frame type "
		    "0x%04x on a control channel", f->type);
		return -1;
	}
}

void
session_end(struct session *s, const char *why)
{
	struct session **pp;
	int i;

	for (pp = &s->d->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	log_info("session %llu: %s: %s", (unsigned long long)s->id,
	    s->name[0] ? s->name : "unnamed", why);
	for (i = 0; i < s->nqueues; i++) {
		registry_serve(s->d, s, s->queues[i], 0);
		queue_release(s->d, s->queues[i]);
	}
	channels_close_session(s->d, s->id);
	control_bind(s->ctl, NULL);
	control_drop(s->ctl);
	quota_give(s->d, s->uid, QUOTA_SESSIONS);
	free(s);
}

void
session_end_by_id(struct hsysd *d, uint64_t id, const char *why)
{
	struct session *s = session_by_id(d, id);

	if (s != NULL)
		session_end(s, why);
}
