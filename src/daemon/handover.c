/*
 * handover — one hsysd replacing another. See handover.h and
 * docs/operations.md, which tells the whole sequence; in short:
 *
 *   new -> old  HANDOVER                        (first frame on a control
 *                                                connection; root or the
 *                                                daemon's own uid only)
 *   old -> new  HANDOVER_FD lock, HANDOVER_FD per listening socket
 *               (SCM_RIGHTS), HANDOVER_PREFIX per registration,
 *               HANDOVER_END
 *   new         binds its control socket and renames it into place
 *   new -> old  HANDOVER_READY; old sends GOAWAY to its applications,
 *               which reconnect to the new daemon and register again
 *   new         once every handed-over prefix is served again (or the
 *               --takeover-wait bound passed): accepts on the inherited
 *               sockets
 *   new -> old  HANDOVER_DONE; old stops accepting and drains
 *
 * Until DONE only the old daemon accepts: a request never reaches a new
 * daemon that does not know its application yet. The listening sockets
 * are the same open sockets in both processes, so their accept queues
 * are never closed; for a moment both accept from them, and both can
 * serve every registered prefix then.
 *
 * The instance lock travels as a descriptor too: flock() belongs to the
 * open file, so the new daemon holds it from the moment it arrives, and
 * keeps it when the old one exits; no third hsysd can start in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/err.h"
#include "common/fdpass.h"
#include "common/util.h"
#include "daemon/control.h"
#include "daemon/drain.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/keyproc.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/registry.h"
#include "daemon/session.h"
#include "proto/control.h"
#include "proto/proto.h"
#include "url/url.h"

#define HO_IO_TIMEOUT_S	10	/* a live peer answers in far less */
#define HO_CHECK_MS	20	/* how often the new one looks for apps */
#define HO_MAX_PAYLOAD	4096
#define HO_FD_FIXED	8
#define HO_PREFIX_FIXED	24

struct ho_prefix {
	struct ho_prefix	*next;
	int			 back;	/* registered again, and served */
	char			 text[URL_PREFIX_MAX];
};

struct handover {
	struct loop_io		 io;
	struct loop_timer	 timer;
	struct loop_defer	 free;
	struct hsysd		*d;
	int			 old;		/* this daemon hands over */
	pid_t			 peer;
	uint64_t		 deadline;	/* new: accept by then */
	struct ho_prefix	*prefixes;	/* new: what to wait for */
	size_t			 nprefixes;
	size_t			 len;
	unsigned char		 buf[2 * (PROTO_HEADER_SIZE +
				    HO_MAX_PAYLOAD)];
};

static void
ho_release(struct loop_defer *df)
{
	struct handover *h = container_of(df, struct handover, free);
	struct ho_prefix *p;

	while ((p = h->prefixes) != NULL) {
		h->prefixes = p->next;
		free(p);
	}
	free(h);
}

/* The handover ends: its socket and timer stop at once, the object goes
 * after the current batch of events, which may still report its io. */
static void
ho_free(struct hsysd *d)
{
	struct handover *h = d->handover;

	if (h == NULL)
		return;
	d->handover = NULL;
	h->free.fn = ho_release;
	if (d->loop == NULL) {		/* before the loop exists */
		if (h->io.fd != -1)
			close(h->io.fd);
		ho_release(&h->free);
		return;
	}
	if (h->io.fd != -1) {
		loop_io_remove(d->loop, &h->io);
		close(h->io.fd);
		h->io.fd = -1;
	}
	loop_timer_cancel(d->loop, &h->timer);
	loop_defer(d->loop, &h->free);
}

void
handover_free(struct hsysd *d)
{
	ho_free(d);
}

/* One frame, and at most one descriptor with it, on a blocking socket. */
static int
send_frame(int fd, uint16_t type, uint64_t id, const void *payload,
    size_t len, int pass)
{
	unsigned char buf[PROTO_HEADER_SIZE + HO_MAX_PAYLOAD] = { 0 };
	size_t off = 0, size;

	if (len > HO_MAX_PAYLOAD)
		return -1;
	proto_header_put(buf, (uint32_t)len, type, 0, id);
	if (len > 0)
		memcpy(buf + PROTO_HEADER_SIZE, payload, len);
	size = proto_frame_size((uint32_t)len);
	/* A stream socket may take part of it; the descriptor goes with
	 * the first byte, so the rest is sent without it. */
	for (;;) {
		ssize_t n = fdpass_send(fd, buf + off, size - off, pass);

		if (n <= 0)
			return -1;
		if ((off += (size_t)n) == size)
			return 0;
		pass = -1;
	}
}

static int
set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = HO_IO_TIMEOUT_S };

	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) |
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int
set_blocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

static void
send_error(int fd, int code, const char *msg)
{
	unsigned char p[512];

	send_frame(fd, PROTO_ERROR, 0, p, proto_error_put(p, sizeof(p),
	    (uint32_t)code, msg, strlen(msg)), -1);
}

/* Writes our pid into the lock file, for the next one's messages. */
static void
lock_note_pid(int fd)
{
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)len, 0) != len)
		log_warn("cannot write our pid into the lock file: %s",
		    strerror(errno));
}

/* --- the old daemon ------------------------------------------------- */

struct sending {
	int	fd;
	int	nfds;
};

static int
send_listener(int lfd, uint16_t port, int tls, void *arg)
{
	struct sending *sd = arg;
	unsigned char p[HO_FD_FIXED] = { 0 };

	proto_put32(p, PROTO_HANDOVER_LISTENER);
	proto_put16(p + 4, port);
	proto_put16(p + 6, tls ? PROTO_HANDOVER_F_TLS : 0);
	if (send_frame(sd->fd, PROTO_HANDOVER_FD, 0, p, sizeof(p), lfd) == -1)
		return -1;
	sd->nfds++;
	return 0;
}

static int
send_prefix(const char *text, const struct url_prefix *up, struct queue *q,
    void *arg)
{
	struct sending *sd = arg;
	unsigned char p[HO_MAX_PAYLOAD] = { 0 };
	size_t nl, tl = strlen(text);

	(void)up;
	if (q == NULL)
		return 0;	/* the metrics page: the new daemon's own */
	nl = strlen(q->name);
	if (HO_PREFIX_FIXED + nl + tl > sizeof(p))
		return 0;	/* cannot be: both are bounded well below */
	proto_put32(p, (q->name[0] ? PROTO_QUEUE_F_NAMED : 0) |
	    (q->open ? PROTO_QUEUE_F_OPEN : 0));
	proto_put32(p + 4, (uint32_t)q->owner);
	proto_span_put(p + 8, 0, (uint32_t)nl);
	proto_span_put(p + 16, (uint32_t)nl, (uint32_t)tl);
	memcpy(p + HO_PREFIX_FIXED, q->name, nl);
	memcpy(p + HO_PREFIX_FIXED + nl, text, tl);
	return send_frame(sd->fd, PROTO_HANDOVER_PREFIX, 0, p,
	    HO_PREFIX_FIXED + nl + tl, -1);
}

static void
goaway_all(struct hsysd *d)
{
	unsigned char p[8] = { 0 };
	struct session *s, *next;
	int n = 0, old = 0;

	proto_put32(p, PROTO_GOAWAY_F_RECONNECT);
	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;	/* a failed send ends the session */
		if (!(s->hello_flags & PROTO_HELLO_F_GOAWAY)) {
			old++;
			continue;
		}
		if (control_send(s->ctl, PROTO_GOAWAY, 0, 0, p, sizeof(p)) == 0)
			n++;
	}
	log_notice("handover: %d application session(s) told to reconnect%s",
	    n, old ? "; some do not understand GOAWAY and keep this daemon's "
	    "session until it ends" : "");
}

/* DONE: the new daemon accepts; this one stops and drains. */
static void
old_done(struct hsysd *d)
{
	struct handover *h = d->handover;

	log_notice("handover: hsysd pid %ld accepts now; this one stops "
	    "accepting and drains", (long)h->peer);
	sd_notifyf(0, "MAINPID=%ld\nREADY=1", (long)h->peer);
	listeners_stop(d);
	control_close(d->control);
	d->control = NULL;
	ho_free(d);
	if (drain_start(d, d->drain_ms) == -1)
		loop_stop(d->loop);
}

/* The new daemon went away before DONE: serve on, as if nothing had
 * happened, with our own control socket back in place. */
/* The new daemon went away before DONE: serve on, as if nothing had
 * happened, with our own control socket back in place (its connections,
 * the applications' sessions among them, stay). */
static void
old_abort(struct hsysd *d, const char *why)
{
	struct err e;

	log_warn("handover: the new hsysd (pid %ld) %s before taking over; "
	    "this one serves on", (long)d->handover->peer, why);
	ho_free(d);
	if ((d->control == NULL ? control_open(&d->control, d, d->sock_path,
	    &e) : control_reopen(d->control, d->sock_path, &e)) == -1) {
		log_err("%s; stopping", e.msg);
		control_close(d->control);
		d->control = NULL;
		if (drain_start(d, d->drain_ms) == -1)
			loop_stop(d->loop);
		return;
	}
	lock_note_pid(d->lock_fd);
	sd_notify(0, "READY=1");
}

static void
old_read(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct handover *h = container_of(io, struct handover, io);
	struct hsysd *d = h->d;
	struct proto_frame f;
	long used;
	ssize_t n;

	(void)l;
	(void)rev;
	n = read(io->fd, h->buf + h->len, sizeof(h->buf) - h->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		old_abort(d, "went away");
		return;
	}
	h->len += (size_t)n;
	while ((used = proto_frame_next(h->buf, h->len, HO_MAX_PAYLOAD,
	    &f)) > 0) {
		switch (f.type) {
		case PROTO_HANDOVER_READY:
			goaway_all(d);
			break;
		case PROTO_HANDOVER_DONE:
			old_done(d);
			return;
		default:
			old_abort(d, "sent an unexpected frame");
			return;
		}
		memmove(h->buf, h->buf + used, h->len - (size_t)used);
		h->len -= (size_t)used;
	}
	if (used == PROTO_MALFORMED)
		old_abort(d, "sent a malformed frame");
}

/* A channel of its own to our key process: an unprivileged successor
 * could not start one (docs/keys.md). Without a key process (it is being
 * started again), the successor starts its own. */
static int
send_keys(struct hsysd *d, struct sending *sd)
{
	unsigned char p[HO_FD_FIXED] = { 0 };
	struct err e;
	pid_t pid;
	int kfd, rc;

	if (keyproc_handover_channel(d, &kfd, &pid, &e) == -1) {
		log_warn("handover: %s; the new hsysd starts its own key "
		    "process", e.msg);
		return 0;
	}
	proto_put32(p, PROTO_HANDOVER_KEYS);
	proto_put32(p + 4, (uint32_t)pid);
	rc = send_frame(sd->fd, PROTO_HANDOVER_FD, 0, p, sizeof(p), kfd);
	close(kfd);
	if (rc == 0)
		sd->nfds++;
	return rc;
}

static int
old_send_state(struct hsysd *d, int fd)
{
	struct sending sd = { .fd = fd };
	unsigned char p[HO_FD_FIXED] = { 0 };

	proto_put32(p, PROTO_HANDOVER_LOCK);
	if (send_frame(fd, PROTO_HANDOVER_FD, 0, p, sizeof(p), d->lock_fd) ==
	    -1)
		return -1;
	sd.nfds = 1;
	if (send_keys(d, &sd) == -1 ||
	    listeners_each_fd(d, send_listener, &sd) == -1 ||
	    registry_each(d, send_prefix, &sd) == -1)
		return -1;
	return send_frame(fd, PROTO_HANDOVER_END, (uint64_t)sd.nfds, NULL, 0,
	    -1);
}

void
handover_serve(struct hsysd *d, int fd, const struct proto_frame *f)
{
	socklen_t clen = sizeof(struct ucred);
	struct handover *h;
	struct ucred cred;
	struct err e;

	if (set_blocking(fd, 1) == -1 || set_timeouts(fd) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1) {
		log_warn("handover: %s", strerror(errno));
		goto fail;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_warn("handover: refused to pid %ld, uid %ld: only root or "
		    "uid %ld may take this hsysd over", (long)cred.pid,
		    (long)cred.uid, (long)geteuid());
		send_error(fd, EACCES, "only root or the daemon's own user may "
		    "take hsysd over");
		goto fail;
	}
	if (f->length < 8 || proto_get32(f->payload) != PROTO_MAGIC) {
		send_error(fd, EPROTO, "not an hsys HANDOVER");
		goto fail;
	}
	if (d->handover != NULL || d->drain != NULL) {
		send_error(fd, EBUSY, "this hsysd is handing over or stopping "
		    "already");
		goto fail;
	}
	log_notice("handover: hsysd pid %ld takes over; handing it the "
	    "listening sockets and registrations", (long)cred.pid);
	if (old_send_state(d, fd) == -1) {
		log_warn("handover: cannot send the state to pid %ld: %s; "
		    "serving on", (long)cred.pid, strerror(errno));
		goto fail;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->d = d;
	h->old = 1;
	h->peer = cred.pid;
	h->io.fd = fd;
	h->io.fn = old_read;
	if (set_blocking(fd, 0) == -1 || loop_io_add(d->loop, &h->io,
	    LOOP_READ, &e) == -1) {
		free(h);
		goto fail;
	}
	d->handover = h;
	sd_notify(0, "RELOADING=1");
	return;
fail:
	close(fd);
}

/* --- the new daemon ------------------------------------------------- */

struct receiving {
	int	fds[LISTENER_MAX_FDS + 1];
	int	nfds, used, lock;
};

/* Reads more bytes, keeping any descriptors that come with them. */
static int
recv_more(int fd, struct handover *h, struct receiving *r, struct err *e)
{
	int cap = (int)(sizeof(r->fds) / sizeof(r->fds[0]));
	int k, flags;
	ssize_t n;

	n = fdpass_recv(fd, h->buf + h->len, sizeof(h->buf) - h->len,
	    r->fds + r->nfds, cap - r->nfds, &k, &flags);
	if (n == -1)
		return err_sys(e, "cannot read from the running hsysd");
	r->nfds += k;
	if (flags & MSG_CTRUNC)
		return err_set(e, "the running hsysd sent more descriptors "
		    "than expected");
	if (n == 0)
		return err_set(e, "the running hsysd closed the handover");
	h->len += (size_t)n;
	return 0;
}

static int
take_fd(struct hsysd *d, struct receiving *r, const struct proto_frame *f,
    struct err *e)
{
	uint32_t kind;
	int fd;

	if (f->length < HO_FD_FIXED || r->used == r->nfds)
		return err_set(e, "the running hsysd sent a HANDOVER_FD "
		    "without its descriptor");
	fd = r->fds[r->used];
	r->fds[r->used++] = -1;
	kind = proto_get32(f->payload);
	if (kind == PROTO_HANDOVER_LOCK && d->lock_fd == -1) {
		d->lock_fd = fd;
		return 0;
	}
	if (kind == PROTO_HANDOVER_KEYS && d->keys == NULL)
		return keyproc_adopt(d, fd, (pid_t)proto_get32(f->payload + 4),
		    e);
	if (kind == PROTO_HANDOVER_LISTENER && listener_adopt(d, fd,
	    proto_get16(f->payload + 4), (proto_get16(f->payload + 6) &
	    PROTO_HANDOVER_F_TLS) != 0) == 0)
		return 0;
	close(fd);
	if (kind == PROTO_HANDOVER_LISTENER) {
		log_warn("handover: a listening socket of port %u cannot be "
		    "kept", proto_get16(f->payload + 4));
		return 0;
	}
	return err_set(e, "the running hsysd sent a descriptor of unknown "
	    "kind %u", kind);
}

/* Only the prefix is kept, to wait for it. The frame also names its
 * queue and owner, but the new daemon creates no queue from them: each
 * application creates its queues again, as the user it runs as, so a name
 * from an older hsysd (where names were global) lands in its creator's
 * namespace (docs/operations.md). */
static int
take_prefix(struct handover *h, const struct proto_frame *f, struct err *e)
{
	const unsigned char *t;
	struct ho_prefix *p;
	uint32_t n;

	if (f->length < HO_PREFIX_FIXED || proto_span_get(f, 16,
	    HO_PREFIX_FIXED, &t, &n) == -1 || n == 0 || n >= URL_PREFIX_MAX)
		return err_set(e, "the running hsysd sent a malformed "
		    "HANDOVER_PREFIX");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_set(e, "out of memory");
	memcpy(p->text, t, n);
	p->next = h->prefixes;
	h->prefixes = p;
	h->nprefixes++;
	return 0;
}

/* Frames until END; 1 when it came. */
static int
take_frames(struct hsysd *d, struct handover *h, struct receiving *r,
    struct err *e)
{
	struct proto_frame f;
	const unsigned char *s;
	uint32_t n;
	long used;
	int rc = 0;

	while (rc == 0 && (used = proto_frame_next(h->buf, h->len,
	    HO_MAX_PAYLOAD, &f)) > 0) {
		switch (f.type) {
		case PROTO_HANDOVER_FD:
			rc = take_fd(d, r, &f, e);
			break;
		case PROTO_HANDOVER_PREFIX:
			rc = take_prefix(h, &f, e);
			break;
		case PROTO_HANDOVER_END:
			if (f.id != (uint64_t)r->used)
				return err_set(e, "the running hsysd "
				    "announced %llu descriptors and sent %d",
				    (unsigned long long)f.id, r->used);
			rc = 1;
			break;
		case PROTO_ERROR:
			if (f.length < 16 || proto_span_get(&f, 8, 16, &s,
			    &n) == -1)
				n = 0;
			return err_set(e, "the running hsysd refuses the "
			    "handover: %.*s", (int)n, n ? (const char *)s : "");
		default:
			return err_set(e, "the running hsysd sent frame type "
			    "0x%04x during the handover", f.type);
		}
		memmove(h->buf, h->buf + used, h->len - (size_t)used);
		h->len -= (size_t)used;
	}
	if (rc == 0 && used == PROTO_MALFORMED)
		return err_set(e, "the running hsysd sent a malformed frame");
	return rc;
}

static int
dial_old(struct hsysd *d, struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char p[8] = { 0 };
	int fd;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    d->sock_path) >= sizeof(sun.sun_path))
		return err_set(e, "the socket path %s is too long",
		    d->sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_sys(e, "socket");
	if (set_timeouts(fd) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		err_sys(e, "no running hsysd to take over at %s; start hsysd "
		    "without --takeover", d->sock_path);
		close(fd);
		return -1;
	}
	proto_put32(p, PROTO_MAGIC);
	if (send_frame(fd, PROTO_HANDOVER, 0, p, sizeof(p), -1) == -1) {
		err_sys(e, "cannot ask the running hsysd to hand over");
		close(fd);
		return -1;
	}
	return fd;
}

int
handover_take(struct hsysd *d, struct err *e)
{
	struct receiving *r;
	struct handover *h;
	socklen_t clen = sizeof(struct ucred);
	struct ucred cred;
	int fd, rc = -1, i;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(h);
		return err_set(e, "out of memory");
	}
	h->d = d;
	h->io.fd = -1;
	d->handover = h;
	if ((fd = dial_old(d, e)) == -1)
		goto out;
	h->io.fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		h->peer = cred.pid;
	while ((rc = take_frames(d, h, r, e)) == 0)
		if (recv_more(fd, h, r, e) == -1) {
			if (errno == EAGAIN)
				err_set(e, "the running hsysd did not hand "
				    "over within %d s", HO_IO_TIMEOUT_S);
			rc = -1;
			break;
		}
	if (rc == 1 && d->lock_fd == -1) {
		err_set(e, "the running hsysd did not hand over its lock");
		rc = -1;
	}
	if (rc == 1) {
		lock_note_pid(d->lock_fd);
		log_notice("handover: took %d listening socket(s) and %zu "
		    "registration(s) from hsysd pid %ld", r->used - 1,
		    h->nprefixes, (long)h->peer);
		rc = 0;
	}
out:
	for (i = r->used; i < r->nfds; i++)
		close(r->fds[i]);
	free(r);
	if (rc == -1)
		ho_free(d);
	return rc;
}

static int
session_serves(struct hsysd *d, struct queue *q)
{
	struct session *s;
	int i;

	for (s = d->sessions; s != NULL; s = s->next) {
		if (s->channels != d->workers)
			continue;
		for (i = 0; i < s->nqueues; i++)
			if (s->queues[i] == q)
				return 1;
	}
	return 0;
}

static int
mark_back(const char *text, const struct url_prefix *up, struct queue *q,
    void *arg)
{
	struct handover *h = arg;
	struct ho_prefix *p;

	(void)up;
	if (q == NULL)
		return 0;
	for (p = h->prefixes; p != NULL; p = p->next)
		if (!p->back && strcmp(p->text, text) == 0 &&
		    session_serves(h->d, q))
			p->back = 1;
	return 0;
}

/* Accepts on the inherited sockets, and tells the old daemon. */
static void
new_go(struct hsysd *d, size_t back)
{
	struct handover *h = d->handover;

	if (back == h->nprefixes)
		log_notice("handover: all %zu registration(s) are back; "
		    "accepting", back);
	else
		log_warn("handover: %zu of %zu registration(s) came back "
		    "within %llu ms; accepting anyway", back, h->nprefixes,
		    (unsigned long long)d->takeover_ms);
	listeners_release_held(d);
	if (h->io.fd != -1 && send_frame(h->io.fd, PROTO_HANDOVER_DONE, 0,
	    NULL, 0, -1) == -1)
		log_info("handover: the old hsysd is gone already");
	ho_free(d);
}

static void
new_check(struct loop *l, struct loop_timer *t)
{
	struct handover *h = container_of(t, struct handover, timer);
	struct ho_prefix *p;
	size_t back = 0;

	registry_each(h->d, mark_back, h);
	for (p = h->prefixes; p != NULL; p = p->next)
		back += p->back;
	if (back == h->nprefixes || loop_now(l) >= h->deadline) {
		new_go(h->d, back);
		return;
	}
	loop_timer_set(l, t, HO_CHECK_MS);
}

/* The old daemon says nothing after END; EOF means it is gone, and the
 * applications come on their own (their sessions broke). */
static void
new_read(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct handover *h = container_of(io, struct handover, io);
	char b[64];
	ssize_t n;

	(void)rev;
	n = read(io->fd, b, sizeof(b));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		return;	/* nothing is expected; ignored */
	log_info("handover: the old hsysd (pid %ld) is gone", (long)h->peer);
	loop_io_remove(l, io);
	close(io->fd);
	io->fd = -1;
}

int
handover_ready(struct hsysd *d, struct err *e)
{
	struct handover *h = d->handover;

	if (h == NULL)
		return 0;
	if (send_frame(h->io.fd, PROTO_HANDOVER_READY, 0, NULL, 0, -1) ==
	    -1) {
		/* Not fatal: the applications come back when it exits. */
		log_warn("handover: cannot tell the old hsysd we are ready: "
		    "%s", strerror(errno));
	}
	h->io.fn = new_read;
	if (set_blocking(h->io.fd, 0) == -1 ||
	    loop_io_add(d->loop, &h->io, LOOP_READ, e) == -1)
		return -1;
	h->deadline = loop_now(d->loop) + d->takeover_ms;
	h->timer.fn = new_check;
	loop_timer_set(d->loop, &h->timer, HO_CHECK_MS);
	return 0;
}

/* SIGUSR2 ---------------------------------------------------------------- */

void
handover_spawn(struct hsysd *d)
{
	char *argv[64];
	sigset_t none;
	pid_t pid;
	int i, n = 0;

	if (d->handover != NULL || d->drain != NULL) {
		log_warn("SIGUSR2: a handover or a stop is under way already");
		return;
	}
	argv[n++] = d->exe;
	for (i = 1; d->argv[i] != NULL && n < 62; i++)
		if (strcmp(d->argv[i], "--takeover") != 0)
			argv[n++] = d->argv[i];
	argv[n++] = "--takeover";
	argv[n] = NULL;
	if ((pid = fork()) == -1) {
		log_warn("SIGUSR2: cannot start %s: %s", d->exe,
		    strerror(errno));
		return;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(d->exe, argv);
		_exit(127);
	}
	log_notice("SIGUSR2: started %s (pid %ld) to take over", d->exe,
	    (long)pid);
}
