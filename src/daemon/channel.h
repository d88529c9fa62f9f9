/*
 * channel — a data channel: the connection between one worker and one
 * application session (docs/protocol.md, "Sessions and channels"). The
 * main thread validates a CHANNEL frame and hands the socket over; from
 * then on only the worker reads and writes it.
 *
 * Output is batched: frames are appended to the channel's buffer and
 * written once per loop iteration (a deferred flush), so a burst of
 * requests costs one write. A session that lets its buffer grow past
 * CHANNEL_MAX_BUFFERED is cut off alone.
 */
#ifndef HSYS_DAEMON_CHANNEL_H
#define HSYS_DAEMON_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "daemon/loop.h"

struct hsysd;
struct worker;

#define CHANNEL_MAX_BUFFERED	(16u << 20)

struct channel {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct loop_defer	 flush;
	struct worker		*w;
	uint64_t		 session;
	struct channel		*next, **prevp;
	int			 dead;
	int			 flush_pending;
	unsigned char		*out;
	size_t			 outoff, outlen, outcap;
	unsigned char		*in;
	size_t			 inlen, incap;
};

/* Main thread: gives fd to worker `index` for session `session`. */
int	channel_adopt(struct hsysd *, int index, int fd, uint64_t session);
/* Main thread: every worker closes its channel of the session. */
void	channels_close_session(struct hsysd *, uint64_t session);

/* Worker thread. */
struct channel *channel_of_session(struct worker *, uint64_t session);
/* Queues bytes (gathered from iov) for the next flush; -1 if the channel
 * is dead or over its bound (it is then being closed). */
int	channel_writev(struct channel *, const struct iovec *, int n);
int	channel_frame(struct channel *, uint16_t type, uint16_t flags,
	    uint64_t id, const void *payload, size_t len);
void	channels_close_all(struct worker *);

#endif
