/*
 * control — the daemon's Unix socket. See control.h.
 *
 * The socket is mode 0666: anyone may connect, and what a peer may do is
 * decided from SO_PEERCRED, never from what it claims.
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
#include "daemon/channel.h"
#include "daemon/control.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/reload.h"
#include "daemon/session.h"
#include "daemon/state.h"
#include "proto/proto.h"

/* Control frames name queues and prefixes: small. */
#define CONTROL_MAX_PAYLOAD	4096

struct control {
	struct loop_io	 io;
	struct hsysd	*d;
	dev_t		 dev;	/* the socket file we put in place */
	ino_t		 ino;
};

struct ctl_conn {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct hsysd		*d;
	struct session		*session;
	int			 dead;
	size_t			 len;
	unsigned char		 buf[2 * (PROTO_HEADER_SIZE +
				    CONTROL_MAX_PAYLOAD)];
};

static void
conn_free(struct loop_defer *df)
{
	struct ctl_conn *c = container_of(df, struct ctl_conn, free);

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
			session_end(c->session, "does not read its replies");
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

/* The connection's socket leaves the control module; the buffer (and
 * the frame in it) stays valid until the end of this batch of events. */
static int
conn_take(struct ctl_conn *c)
{
	int fd = c->io.fd;

	loop_io_remove(c->d->loop, &c->io);
	c->io.fd = -1;
	c->dead = 1;
	loop_defer(c->d->loop, &c->free);
	return fd;
}

/* The socket of a validated CHANNEL goes to its worker. */
static void
conn_hand_over(struct ctl_conn *c, int index, uint64_t session)
{
	int fd = conn_take(c);

	if (channel_adopt(c->d, index, fd, session) == -1) {
		close(fd);
		session_end_by_id(c->d, session, "out of memory");
		return;
	}
	session_channel_ready(c->d, session);
}

/* The first frame on a connection; returns -1 to close it. */
static int
conn_first(struct ctl_conn *c, const struct proto_frame *f)
{
	uint64_t session;
	int index;

	switch (f->type) {
	case PROTO_CONFIG_CHANGED:
		reload_request(c->d, conn_take(c), f);
		return 0;
	case PROTO_HELLO:
		return session_hello(c->d, c, f);
	case PROTO_STATE:
		state_answer(c->d, conn_take(c), f);
		return 0;
	case PROTO_CHANNEL:
		if (session_channel(c->d, c, f, &index, &session) == -1)
			return -1;
		conn_hand_over(c, index, session);
		return 0;
	case PROTO_HANDOVER:
		handover_serve(c->d, conn_take(c), f);
		return 0;
	default:
		log_info("control: unexpected frame type 0x%04x; closing",
		    f->type);
		control_error(c, 0, EPROTO, "unexpected frame type 0x%04x",
		    f->type);
		return -1;
	}
}

static void
conn_end(struct ctl_conn *c, const char *why)
{
	if (c->dead)
		return;		/* ended already, e.g. by a failed send */
	if (c->session != NULL)
		session_end(c->session, why);
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
		if ((c->session ? session_frame(c->session, &f) :
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

static void
control_accept(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct control *ctl = container_of(io, struct control, io);
	struct ctl_conn *c;
	struct err e;
	int fd;

	(void)rev;
	while ((fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->d = ctl->d;
		c->io.fd = fd;
		c->io.fn = conn_read;
		c->free.fn = conn_free;
		if (loop_io_add(l, &c->io, LOOP_READ, &e) == -1) {
			log_warn("control: %s", e.msg);
			close(fd);
			free(c);
		}
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		log_warn("control: accept: %s", strerror(errno));
}

int
control_open(struct control **cp, struct hsysd *d, const char *path,
    struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	struct stat st;
	int fd;

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
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sun.sun_path, 0666) == -1 || listen(fd, 128) == -1 ||
	    rename(sun.sun_path, path) == -1) {
		err_sys(e, "cannot listen on %s", path);
		unlink(sun.sun_path);
		close(fd);
		return -1;
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		close(fd);
		return err_sys(e, "out of memory");
	}
	ctl->d = d;
	ctl->io.fd = fd;
	ctl->io.fn = control_accept;
	if (stat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if (loop_io_add(d->loop, &ctl->io, LOOP_READ, e) == -1) {
		close(fd);
		free(ctl);
		return -1;
	}
	*cp = ctl;
	return 0;
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

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	loop_io_remove(ctl->d->loop, &ctl->io);
	close(ctl->io.fd);
	free(ctl);
}
