/*
 * control — the daemon's Unix socket. See control.h.
 *
 * The socket is mode 0666: anyone may connect, and what a peer may do is
 * decided later from SO_PEERCRED, never from what it claims.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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
#include "proto/proto.h"

/* Until application sessions exist, a connection only ever carries small
 * frames; anything larger is a protocol error. */
#define CONTROL_MAX_PAYLOAD	4096

struct control {
	struct loop_io	 io;
	struct hsysd	*d;
};

struct ctl_conn {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct hsysd		*d;
	size_t			 len;
	unsigned char		 buf[PROTO_HEADER_SIZE + CONTROL_MAX_PAYLOAD];
};

static void
conn_free(struct loop_defer *df)
{
	struct ctl_conn *c = container_of(df, struct ctl_conn, free);

	close(c->io.fd);
	free(c);
}

static void
conn_close(struct ctl_conn *c)
{
	loop_io_remove(c->d->loop, &c->io);
	loop_defer(c->d->loop, &c->free);
}

static void
send_error(int fd, uint64_t id, int code, const char *msg)
{
	unsigned char buf[256] = { 0 };
	size_t n = strlen(msg);

	if (n > sizeof(buf) - PROTO_HEADER_SIZE - 16)
		n = sizeof(buf) - PROTO_HEADER_SIZE - 16;
	proto_header_put(buf, (uint32_t)(16 + n), PROTO_ERROR, 0, id);
	proto_put32(buf + 16, (uint32_t)code);
	proto_span_put(buf + 24, 0, (uint32_t)n);
	memcpy(buf + 32, msg, n);
	/* Best effort: the peer is being turned away anyway. */
	if (send(fd, buf, proto_frame_size((uint32_t)(16 + n)),
	    MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
		return;
}

/* Handles one frame; returns 0 to go on, -1 to close the connection. */
static int
conn_frame(struct ctl_conn *c, const struct proto_frame *f)
{
	switch (f->type) {
	case PROTO_CONFIG_CHANGED:
		log_debug("control: configuration generation %llu announced",
		    (unsigned long long)f->id);
		hsysd_reload(c->d);
		return -1;	/* one frame per notification */
	case PROTO_HELLO:
		send_error(c->io.fd, 0, EPROTONOSUPPORT, "application "
		    "sessions are not available in this build of hsysd");
		return -1;
	default:
		log_info("control: unexpected frame type 0x%04x; closing",
		    f->type);
		send_error(c->io.fd, 0, EPROTO, "unexpected frame type");
		return -1;
	}
}

static void
conn_read(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct ctl_conn *c = container_of(io, struct ctl_conn, io);
	struct proto_frame f;
	ssize_t n;
	long used;

	(void)l;
	(void)rev;
	n = read(io->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	used = proto_frame_next(c->buf, c->len, CONTROL_MAX_PAYLOAD, &f);
	if (used == PROTO_INCOMPLETE)
		return;
	if (used == PROTO_MALFORMED) {
		send_error(io->fd, 0, EMSGSIZE, "frame too large");
		conn_close(c);
		return;
	}
	if (conn_frame(c, &f) == -1)
		conn_close(c);
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
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, "the socket path %s is too long; use a "
		    "shorter HSYS_HOME", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return err_sys(e, "socket");
	/* The caller holds the instance lock: a socket file left here is a
	 * dead daemon's. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1 || listen(fd, 128) == -1) {
		err_sys(e, "cannot listen on %s", path);
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
	if (loop_io_add(d->loop, &ctl->io, LOOP_READ, e) == -1) {
		close(fd);
		free(ctl);
		return -1;
	}
	*cp = ctl;
	return 0;
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
