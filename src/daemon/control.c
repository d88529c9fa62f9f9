/*
 * control — the daemon's Unix socket. See control.h.
 *
 * The socket is mode 0666: anyone may connect, and what a peer may do is
 * decided from SO_PEERCRED, never from what it claims.
 *
 * Because anyone may connect, a connection costs its peer something: one
 * that sends no first frame within --control-timeout is closed, a session
 * that holds no queue is ended after --idle-session-timeout, and a user
 * other than root or the daemon's own holds at most --control-per-uid
 * connections here at once (docs/operations.md, "Limits"). A connection
 * handed on (a data channel, a STATE request, a handover) no longer counts
 * here. Out of descriptors, the socket is not watched for a moment
 * (CONTROL_PAUSE_MS) rather than reported again at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/control.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/ratelimit.h"
#include "daemon/session.h"
#include "proto/proto.h"

/* Control frames name queues and prefixes: small. */
#define CONTROL_MAX_PAYLOAD	4096

#define CONTROL_ACCEPT_BATCH	64	/* then the other events get a turn */

/* Connections of one uid (not root's, not the daemon's own). */
struct ctl_uid {
	struct ctl_uid	*next;
	uid_t		 uid;
	int		 n;
};

struct control {
	struct loop_io		 io;
	struct loop_timer	 resume;	/* paused: out of descriptors */
	struct loop_defer	 free;
	struct hsysd		*d;
	dev_t			 dev;	/* the socket file we put in place */
	ino_t			 ino;
	struct ctl_conn		*conns;	/* every one not handed on */
	struct ctl_uid		*uids;
	struct ratelimit	 warn_accept;
	struct ratelimit	 warn_cap;
	struct ratelimit	 warn_timeout;
};

struct ctl_conn {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct loop_timer	 timer;	/* first frame; then a queue held */
	struct hsysd		*d;
	struct control		*ctl;	/* NULL once handed on or closed */
	struct ctl_conn		*next, **prevp;	/* in ctl->conns */
	struct ctl_uid		*peer;	/* counted there; NULL: not counted */
	struct session		*session;
	pid_t			 pid;
	uid_t			 uid;
	int			 dead;
	int			 noqueue;	/* none held at the last check */
	size_t			 len;
	unsigned char		 buf[2 * (PROTO_HEADER_SIZE +
				    CONTROL_MAX_PAYLOAD)];
};

/* The connection leaves the control socket's books: its uid's count, the
 * list control_close() walks. */
static void
uid_uncount(struct control *ctl, struct ctl_uid *u)
{
	struct ctl_uid **pp;

	if (u == NULL || --u->n > 0)
		return;
	for (pp = &ctl->uids; *pp != u; pp = &(*pp)->next)
		;
	*pp = u->next;
	free(u);
}

static void
conn_unlink(struct ctl_conn *c)
{
	if (c->ctl == NULL)
		return;
	uid_uncount(c->ctl, c->peer);
	c->peer = NULL;
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->ctl = NULL;
}

static void
conn_free(struct loop_defer *df)
{
	struct ctl_conn *c = container_of(df, struct ctl_conn, free);

	conn_unlink(c);
	if (c->io.fd != -1)
		close(c->io.fd);
	free(c);
}

void
control_drop(struct ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	loop_io_remove(c->d->loop, &c->io);
	loop_timer_cancel(c->d->loop, &c->timer);
	loop_defer(c->d->loop, &c->free);
}

void
control_bind(struct ctl_conn *c, struct session *s)
{
	c->session = s;
}

int
control_peer(struct ctl_conn *c, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	return getsockopt(c->io.fd, SOL_SOCKET, SO_PEERCRED, cred, &len);
}

int
control_send(struct ctl_conn *c, uint16_t type, uint16_t flags, uint64_t id,
    const void *payload, size_t len)
{
	unsigned char buf[PROTO_HEADER_SIZE + CONTROL_MAX_PAYLOAD] = { 0 };
	size_t size = proto_frame_size((uint32_t)len);

	if (c->dead)
		return -1;
	if (len > CONTROL_MAX_PAYLOAD)
		abort();	/* a bug: control replies are small */
	proto_header_put(buf, (uint32_t)len, type, flags, id);
	if (len > 0)
		memcpy(buf + PROTO_HEADER_SIZE, payload, len);
	if (send(c->io.fd, buf, size, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)size) {
		if (c->session != NULL)
			c->d->control_ops->end(c->session,
			    "does not read its replies");
		else
			control_drop(c);
		return -1;
	}
	return 0;
}

int
control_error(struct ctl_conn *c, uint64_t id, int code, const char *fmt,
    ...)
{
	unsigned char p[512];
	char msg[480];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	return control_send(c, PROTO_ERROR, 0, id, p, proto_error_put(p,
	    sizeof(p), (uint32_t)code, msg, (size_t)n));
}

int
control_take(struct ctl_conn *c)
{
	int fd = c->io.fd;

	loop_io_remove(c->d->loop, &c->io);
	loop_timer_cancel(c->d->loop, &c->timer);
	conn_unlink(c);
	c->io.fd = -1;
	c->dead = 1;
	loop_defer(c->d->loop, &c->free);
	return fd;
}

/* The first frame on a connection; returns -1 to close it. */
static int
conn_first(struct ctl_conn *c, const struct proto_frame *f)
{
	if (c->d->control_ops->first(c->d, c, f) == -1)
		return -1;
	if (c->session == NULL || c->dead)
		return 0;
	/* A session: from now on, it must hold a queue. */
	if (c->d->ctl_noqueue_ms) {
		c->noqueue = 1;
		loop_timer_set(c->d->loop, &c->timer, c->d->ctl_noqueue_ms);
	} else
		loop_timer_cancel(c->d->loop, &c->timer);
	return 0;
}

static void
conn_end(struct ctl_conn *c, const char *why)
{
	if (c->dead)
		return;		/* ended already, e.g. by a failed send */
	if (c->session != NULL)
		c->d->control_ops->end(c->session, why);
	else
		control_drop(c);
}

static void
conn_read(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct ctl_conn *c = container_of(io, struct ctl_conn, io);
	struct proto_frame f;
	size_t off = 0;
	ssize_t n;
	long used = PROTO_INCOMPLETE;

	(void)l;
	(void)rev;
	n = read(io->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_end(c, n == 0 ? "closed its control channel" :
		    strerror(errno));
		return;
	}
	c->len += (size_t)n;
	while (!c->dead && (used = proto_frame_next(c->buf + off,
	    c->len - off, CONTROL_MAX_PAYLOAD, &f)) > 0) {
		off += (size_t)used;
		if ((c->session ? c->d->control_ops->frame(c->session, &f) :
		    conn_first(c, &f)) == -1)
			conn_end(c, "protocol error");
	}
	if (c->dead)
		return;
	if (used == PROTO_MALFORMED) {
		control_error(c, 0, EMSGSIZE, "frame too large for a control "
		    "channel");
		conn_end(c, "sent an oversized frame");
		return;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

/*
 * The connection's timer: the first frame did not come in time, or the
 * session it became is checked for a queue. A session that held none at
 * two checks in a row (one after HELLO) ends: a live application's
 * control channel is idle by design, but it holds a queue.
 */
static void
conn_timeout(struct loop *l, struct loop_timer *t)
{
	struct ctl_conn *c = container_of(t, struct ctl_conn, timer);
	unsigned long more;
	char why[96];

	if (c->dead)
		return;
	if (c->session == NULL) {
		if (c->ctl == NULL || ratelimit_pass(&c->ctl->warn_timeout,
		    loop_now(l), &more))
			log_info("control: closed a connection of pid %ld, uid "
			    "%ld, that sent nothing within %llu ms (%lu more "
			    "since the last such line)", (long)c->pid,
			    (long)c->uid, (unsigned long long)c->d->ctl_hello_ms,
			    c->ctl != NULL ? more : 0);
		control_drop(c);
		return;
	}
	if (c->session->nqueues > 0)
		c->noqueue = 0;
	else if (c->noqueue) {
		snprintf(why, sizeof(why), "held no queue for %llu s; ended "
		    "(--idle-session-timeout)",
		    (unsigned long long)c->d->ctl_noqueue_ms / 1000);
		c->d->control_ops->end(c->session, why);
		return;
	} else
		c->noqueue = 1;
	loop_timer_set(l, t, c->d->ctl_noqueue_ms);
}

/* Counts a connection of uid; -1 when that user holds the most already.
 * Root and the daemon's own user are not counted. */
static int
uid_count(struct control *ctl, uid_t uid, struct ctl_uid **out)
{
	int max = ctl->d->ctl_per_uid;
	struct ctl_uid *u;

	*out = NULL;
	if (uid == 0 || uid == geteuid() || max <= 0)
		return 0;
	for (u = ctl->uids; u != NULL && u->uid != uid; u = u->next)
		;
	if (u == NULL) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			return -1;
		u->uid = uid;
		u->next = ctl->uids;
		ctl->uids = u;
	}
	if (u->n >= max)
		return -1;
	u->n++;
	*out = u;
	return 0;
}

/* A user over the cap is told why, and closed. */
static void
refuse(struct control *ctl, int fd, const struct ucred *cred)
{
	unsigned char buf[PROTO_HEADER_SIZE + 512] = { 0 };
	char msg[200];
	unsigned long more;
	size_t n;
	int len;

	len = snprintf(msg, sizeof(msg), "uid %ld holds %d connections to "
	    "hsysd already, the most one user may; close some (or ask the "
	    "administrator to raise --control-per-uid)", (long)cred->uid,
	    ctl->d->ctl_per_uid);
	n = proto_error_put(buf + PROTO_HEADER_SIZE, sizeof(buf) -
	    PROTO_HEADER_SIZE, EMFILE, msg, (size_t)len);
	proto_header_put(buf, (uint32_t)n, PROTO_ERROR, 0, 0);
	(void)!send(fd, buf, proto_frame_size((uint32_t)n), MSG_NOSIGNAL |
	    MSG_DONTWAIT);
	close(fd);
	if (ratelimit_pass(&ctl->warn_cap, loop_now(ctl->d->loop), &more))
		log_warn("control: pid %ld, uid %ld: over --control-per-uid "
		    "(%d connections); refused (%lu more refused since the "
		    "last such line)", (long)cred->pid, (long)cred->uid,
		    ctl->d->ctl_per_uid, more);
}

static void
conn_new(struct control *ctl, int fd)
{
	socklen_t clen = sizeof(struct ucred);
	struct loop *l = ctl->d->loop;
	struct ctl_uid *peer;
	struct ctl_conn *c;
	struct ucred cred;
	struct err e;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1) {
		close(fd);
		return;
	}
	if (uid_count(ctl, cred.uid, &peer) == -1) {
		refuse(ctl, fd, &cred);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		uid_uncount(ctl, peer);
		close(fd);
		return;
	}
	c->d = ctl->d;
	c->ctl = ctl;
	c->peer = peer;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->io.fd = fd;
	c->io.fn = conn_read;
	c->free.fn = conn_free;
	c->timer.fn = conn_timeout;
	if ((c->next = ctl->conns) != NULL)
		c->next->prevp = &c->next;
	ctl->conns = c;
	c->prevp = &ctl->conns;
	if (loop_io_add(l, &c->io, LOOP_READ, &e) == -1) {
		log_warn("control: %s", e.msg);
		conn_unlink(c);
		close(fd);
		free(c);
		return;
	}
	if (ctl->d->ctl_hello_ms)
		loop_timer_set(l, &c->timer, ctl->d->ctl_hello_ms);
}

static void
control_resume(struct loop *l, struct loop_timer *t)
{
	struct control *ctl = container_of(t, struct control, resume);

	loop_io_change(l, &ctl->io, LOOP_READ);
}

/* Out of descriptors: the pending connection stays queued, and a
 * level-triggered socket would be reported again at once. */
static void
accept_failed(struct control *ctl, int err)
{
	struct loop *l = ctl->d->loop;
	unsigned long more;

	if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
		return;
	/* Whatever else failed may fail again at once: pause for any. */
	loop_io_change(l, &ctl->io, 0);
	loop_timer_set(l, &ctl->resume, CONTROL_PAUSE_MS);
	if (ratelimit_pass(&ctl->warn_accept, loop_now(l), &more))
		log_warn("control: accept: %s; not accepting for %d ms (%lu "
		    "more since the last warning)", strerror(err),
		    CONTROL_PAUSE_MS, more);
}

static void
control_accept(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct control *ctl = container_of(io, struct control, io);
	int fd, n;

	(void)l;
	(void)rev;
	for (n = 0; n < CONTROL_ACCEPT_BATCH; n++) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			accept_failed(ctl, errno);
			return;
		}
		conn_new(ctl, fd);
	}
}

/* A listening socket at path, and the file it is (see control_unlink). */
static int
listen_socket(const char *path, dev_t *dev, ino_t *ino, struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t mask;
	int fd, rc;

	/* Bound under a temporary name and renamed once listening, so a
	 * client that finds the socket can always connect to it. */
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.new",
	    path) >= sizeof(sun.sun_path))
		return err_set(e, "the socket path %s is too long; use a "
		    "shorter HSYS_HOME", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return err_sys(e, "socket");
	/* The caller holds the instance lock: socket files left here are a
	 * dead daemon's. */
	unlink(sun.sun_path);
	/* Every user may connect (HELLO says who): mode 0666, made by the
	 * umask at bind(2), never by a chmod of a name that could have been
	 * swapped for a link in between. */
	mask = umask(0111);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc == -1 || listen(fd, 128) == -1 ||
	    rename(sun.sun_path, path) == -1) {
		err_sys(e, "cannot listen on %s", path);
		unlink(sun.sun_path);
		close(fd);
		return -1;
	}
	*dev = 0;
	*ino = 0;
	if (stat(path, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
	return fd;
}

int
control_open(struct control **cp, struct hsysd *d, const char *path,
    struct err *e)
{
	struct control *ctl;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return err_sys(e, "out of memory");
	ctl->d = d;
	ctl->io.fn = control_accept;
	ctl->resume.fn = control_resume;
	if ((ctl->io.fd = listen_socket(path, &ctl->dev, &ctl->ino, e)) ==
	    -1) {
		free(ctl);
		return -1;
	}
	if (loop_io_add(d->loop, &ctl->io, LOOP_READ, e) == -1) {
		close(ctl->io.fd);
		free(ctl);
		return -1;
	}
	*cp = ctl;
	return 0;
}

int
control_reopen(struct control *ctl, const char *path, struct err *e)
{
	struct loop *l = ctl->d->loop;
	dev_t dev;
	ino_t ino;
	int fd;

	if ((fd = listen_socket(path, &dev, &ino, e)) == -1)
		return -1;
	/* The same io, so an event of the old socket still in this batch
	 * finds a live object (and an accept that says EAGAIN). */
	loop_io_remove(l, &ctl->io);
	loop_timer_cancel(l, &ctl->resume);
	close(ctl->io.fd);
	ctl->io.fd = fd;
	ctl->dev = dev;
	ctl->ino = ino;
	return loop_io_add(l, &ctl->io, LOOP_READ, e);
}

void
control_unlink(struct control *ctl, const char *path)
{
	struct stat st;

	/* Another hsysd that took over has its own socket there now. */
	if (ctl != NULL && stat(path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(path);
}

static void
control_free(struct loop_defer *df)
{
	free(container_of(df, struct control, free));
}

void
control_close(struct control *ctl)
{
	struct ctl_conn *c;

	if (ctl == NULL)
		return;
	loop_io_remove(ctl->d->loop, &ctl->io);
	loop_timer_cancel(ctl->d->loop, &ctl->resume);
	close(ctl->io.fd);
	/* Sessions go on (a draining daemon serves them to the end); a
	 * connection that is nothing yet goes now. */
	while ((c = ctl->conns) != NULL) {
		conn_unlink(c);
		if (!c->dead && c->session == NULL)
			control_drop(c);
	}
	/* Its io may still be reported in this batch of events. */
	ctl->free.fn = control_free;
	loop_defer(ctl->d->loop, &ctl->free);
}
