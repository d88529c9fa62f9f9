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
 *
 * What all channels buffer together is bounded too (hsysd --limit
 * app-buffer, 256 MiB by default; docs/operations.md, "Limits"). A
 * channel's share is a sixteenth of it (at least 64 KiB). A channel over
 * its share gets no new request while another channel of the queue is
 * not (route.c), and is cut off when it would grow while the bound is
 * reached, or when it has stayed over its share for CHANNEL_OVER_MS:
 * an application that does not read cannot hold the daemon's memory.
 */
#ifndef HSYS_DAEMON_CHANNEL_H
#define HSYS_DAEMON_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "daemon/loop.h"

struct hsysd;
struct proto_frame;
struct worker;

#define CHANNEL_MAX_BUFFERED	(16u << 20)
#define CHANNEL_MIN_SHARE	(64u << 10)
#define CHANNEL_OVER_MS		30000

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
	size_t			 counted;	/* in d->app_buffered */
	uint64_t		 over_since;	/* ms; 0: within its share */
	unsigned char		*in;
	size_t			 inlen, incap;
};

/*
 * What a channel reports to the layers above it, which set these once at
 * start-up (hsysd_init, d->channel_ops): channels sit below the exchange
 * and the sessions, and reach them only through here.
 *
 *   frame         worker: a frame from the application; -1 cuts the
 *                 channel off (malformed)
 *   closed        worker: the channel is closing; nothing may reach it
 *                 after this returns
 *   session_lost  main thread: a channel of the session closed, so the
 *                 session ends
 */
struct channel_ops {
	int	(*frame)(struct worker *, struct channel *,
		    const struct proto_frame *);
	void	(*closed)(struct worker *, struct channel *);
	void	(*session_lost)(struct hsysd *, uint64_t session,
		    const char *why);
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
/* Holds more than its share of the bytes buffered for applications: the
 * router gives it no new request if another channel can take it. */
int	channel_congested(const struct channel *);

#endif
