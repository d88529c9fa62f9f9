/*
 * control — the daemon's Unix socket (docs/protocol.md): accepts
 * connections on the main thread and reads their frames. The first frame
 * decides what a connection is (dispatch.c): CONFIG_CHANGED (a poke from
 * hsys, then closed), HELLO (a session's control channel, kept), CHANNEL
 * (a data channel, handed to a worker), STATE (answered by state.c), or
 * HANDOVER (a new hsysd taking over, handed to handover.c).
 *
 * This file keeps the socket, its connections, their books and timers;
 * what a frame means is the layers above's, reached through
 * d->control_ops (set by hsysd_init).
 */
#ifndef HSYS_DAEMON_CONTROL_H
#define HSYS_DAEMON_CONTROL_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct hsysd;
struct control;
struct ctl_conn;
struct proto_frame;
struct session;
struct ucred;

/*
 * The layers above (hsysd_init sets d->control_ops):
 *
 *   first  the first frame on a connection: what it is (dispatch.c); -1
 *          closes the connection. A connection bound to a session by
 *          then (control_bind) must hold a queue from now on.
 *   frame  a frame on a session's connection; -1 ends the session
 *   end    the session's connection is gone or misbehaved: end it
 */
struct control_ops {
	int	(*first)(struct hsysd *, struct ctl_conn *,
		    const struct proto_frame *);
	int	(*frame)(struct session *, const struct proto_frame *);
	void	(*end)(struct session *, const char *why);
};

/* Out of descriptors, the socket is not watched for this long. */
#define CONTROL_PAUSE_MS		100
/* Defaults of hsysd's options (docs/operations.md, "Limits"). */
#define CONTROL_HELLO_MS		5000	/* --control-timeout */
#define CONTROL_NOQUEUE_MS		60000	/* --idle-session-timeout */
#define CONTROL_PER_UID			64	/* --control-per-uid */

int	control_open(struct control **, struct hsysd *, const char *path,
	    struct err *);
/* A new socket at path in place of the old one (a handover that was
 * aborted: the other hsysd's socket is there); connections stay. */
int	control_reopen(struct control *, const char *path, struct err *);
/* Stops listening; sessions go on, connections that are none yet close.
 * The object goes after the current batch of events. */
void	control_close(struct control *);
/* Removes the socket file, unless another hsysd's socket replaced it. */
void	control_unlink(struct control *, const char *path);

/* For sessions: send a frame (returns 0, or -1 when the peer does not take
 * it and the connection is being dropped), send ERROR (returns the same),
 * learn the peer, tie the connection to its session, drop it. Control
 * frames are small: a peer that leaves them unread until its socket buffer
 * is full is cut off rather than buffered for. */
int	control_send(struct ctl_conn *, uint16_t type, uint16_t flags,
	    uint64_t id, const void *payload, size_t len);
int	control_error(struct ctl_conn *, uint64_t id, int code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	control_peer(struct ctl_conn *, struct ucred *);
void	control_bind(struct ctl_conn *, struct session *);
void	control_drop(struct ctl_conn *);
/* The connection's socket leaves the control module (for the caller to
 * keep or close); the buffer, and the frame in it, stay valid until the
 * end of this batch of events. */
int	control_take(struct ctl_conn *);

#endif
