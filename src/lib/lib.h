/*
 * lib — libhsys's internal types, shared by its files.
 */
#ifndef HSYS_LIB_LIB_H
#define HSYS_LIB_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/exchange.h"
#include "proto/proto.h"

struct iovec;

#define LIB_LIVE_BUCKETS	64	/* requests in flight, hashed by id */
#define LIB_OLD_SESSIONS	4	/* replaced sessions kept draining */

/* Epoll tags beyond channel indexes (reconnect.c). */
#define LIB_TAG_CTL		0xFFFFFF00u
#define LIB_TAG_TIMER		0xFFFFFF01u
#define LIB_TAG_OLD		0xFFFFFF10u	/* + slot */

/* Frames queued for a channel beyond this are written at once. */
#define LIB_CORK_MAX		(32u << 10)

/* A data channel, its receive buffer (frames are decoded in place and
 * every complete one is handled after each recv) and its send queue
 * (frames corked until the application waits: channel.c). */
struct hsys_channel {
	int		 fd;
	unsigned char	*rbuf;		/* allocated on first read */
	size_t		 rcap, rlen;
	unsigned char	*wq;		/* corked frames */
	size_t		 wlen, wcap;
	int		 armed;		/* EPOLLOUT on: hsys_fd wakes up */
};

struct hsys {
	int			 ctl;		/* control channel */
	int			 epfd;		/* over the data channels */
	unsigned		 workers;
	uint32_t		 max_frame;
	uint32_t		 window;
	uint64_t		 session;
	unsigned char		 key[16];
	uint64_t		 last_op;
	struct hsys_channel	*chan;		/* [nchan] */
	size_t			 rlen, rused;
	unsigned char		 rbuf[PROTO_HEADER_SIZE + 4096];
	char			 last_error[512];
	int			 broken;	/* <0: session unusable */
	struct hsys_request	*live[LIB_LIVE_BUCKETS]; /* by id */
	struct hsys_request	*ready, **ready_tail; /* not yet returned */
	struct hsys_request	*free;		/* reusable objects */
	unsigned char		*wbuf;		/* response heads */
	size_t			 wcap;
	uint32_t		 features;	/* WELCOME's PROTO_FEATURE_* */
	int			 own_loop;	/* hsys_fd was asked for */

	/* Reconnecting (reconnect.c): the current session's channels are
	 * chan[chan_base .. chan_base + workers); those below belong to
	 * sessions replaced or lost, kept until their daemon closes them
	 * so that requests in flight there are answered there. */
	unsigned		 nchan, chan_base;
	int			 old_ctl[LIB_OLD_SESSIONS];
	int			 timer;		/* timerfd: next attempt */
	int			 rc_state;	/* LIB_RC_* */
	long			 rc_since, rc_delay;	/* ms */
	int			 rc_limit;	/* ms; 0: never reconnect */
	int			 goaway;	/* seen during an operation */
	struct lib_queue	*queues;	/* to create again */
	char			 name[64];
	/* Set by hsys_open to reconnect.c's lib_channel_lost: channel.c, a
	 * layer below the session, reports a channel's end through it. */
	int			(*channel_lost)(struct hsys *, unsigned chan,
				    int code);
};

#define LIB_RC_NONE	0
#define LIB_RC_SWITCH	1	/* GOAWAY: move to the new daemon */
#define LIB_RC_LOST	2	/* the session broke: retry with backoff */

struct lib_prefix {
	struct lib_prefix	*next;
	char			 text[];
};

/* What the application asked of a queue, to ask it again; owned by the
 * session (an application may free a handle without closing it). */
struct lib_queue {
	struct lib_queue	*next;		/* h->queues */
	uint32_t		 id;		/* in the current session */
	int			 attached;	/* by hsys_queue_attach */
	unsigned		 flags;
	struct lib_prefix	*prefixes;
	uint32_t		 allow[PROTO_QUEUE_ALLOW_MAX];	/* ids, */
	uint32_t		 allow_prop[PROTO_QUEUE_ALLOW_MAX]; /* kinds */
	unsigned		 nallow;
	char			 name[256];
};

struct hsys_queue {
	struct hsys		*h;
	uint32_t		 id;		/* when rec is NULL */
	struct lib_queue	*rec;
};

/* A header or trailer field, NUL-terminated. */
struct hsys_hdr {
	const char	*name, *value;
};

/* A request as the application holds it: what REQUEST said, copied, and
 * the state of its body and response. */
struct hsys_request {
	struct hsys		*h;
	struct hsys_request	*next;		/* live list or free list */
	struct hsys_request	*rnext;		/* ready queue */
	uint64_t		 id;
	unsigned		 chan;
	unsigned		 returned:1, cancelled:1, body_end:1,
				 started:1, ended:1, credited:1, tunnel:1,
				 cache:1;	/* hsys_response_cache */
	uint32_t		 cache_ttl;
	int			 error;		/* daemon's ERROR, <0 */
	uint16_t		 method_code, flags;
	int			 version;
	uint64_t		 content_length;
	uint64_t		 connection_id;
	unsigned char		 peer[20], local[20];
	const char		*str[PROTO_RS_COUNT]; /* NUL-terminated */
	uint32_t		 cert_len;
	struct hsys_hdr		*hdr;
	size_t			 nhdr, hdrcap;
	char			*sbuf;		/* NUL-terminated strings */
	size_t			 scap;
	struct hsys_hdr		*tr;		/* trailers, like hdr */
	size_t			 ntr, trcap;
	char			*tbuf;
	size_t			 tcap;
	unsigned char		*body;		/* queued REQ_DATA bytes */
	size_t			 bcap, blen, boff;
	uint32_t		 unacked;	/* consumed, not yet credited */
	uint64_t		 resp_credit;	/* RESP_DATA bytes we may send */
};

/* request.c: request objects. A request is live (found by id) from its
 * REQUEST until the application ends it; ready ones wait for hsys_next. */
struct hsys_request *lib_req_get(struct hsys *);
struct hsys_request *lib_req_find(struct hsys *, uint64_t id);
/* Live and ready; the next ready one (NULL: none), marked returned. */
void	lib_req_ready(struct hsys_request *);
struct hsys_request *lib_req_next_ready(struct hsys *);
/* Forgets a live request; or one that never was (decoding failed). */
void	lib_req_release(struct hsys_request *);
void	lib_req_put_back(struct hsys_request *);
/* Frees every request object of a session (hsys_close). */
void	lib_requests_free(struct hsys *);
/* Channel `chan` is gone: its requests are cancelled. */
void	lib_requests_lost(struct hsys *, unsigned chan);

/* inbound.c: a frame from the daemon on data channel `chan`; <0 breaks
 * the session. */
int	lib_frame(struct hsys *, unsigned chan, const struct proto_frame *);
/* channel.c: reads what data channel `chan` has, waiting up to timeout_ms
 * (-1: for ever) for something, and handles every complete frame. 1 when
 * bytes came, 0 on timeout, or a negative errno, which breaks the
 * session. */
int	lib_chan_read(struct hsys *, unsigned chan, int timeout_ms);
/* channel.c: writes all of iov to a descriptor, waiting while it is
 * full. */
int	lib_send_iov(int fd, struct iovec *, int n);
/* channel.c: frames for data channel `chan`, corked: queued, and written
 * when the application would wait (lib_flush) or the queue passes
 * LIB_CORK_MAX. */
int	lib_chan_send(struct hsys *, unsigned chan, struct iovec *, int n);
/* channel.c: every channel's queue written out (hsys_flush). 0, or the
 * first error (the queue that failed is dropped: its channel's end is
 * noticed by reading). */
int	lib_flush(struct hsys *);
/* channel.c: one frame for request r, down its channel. */
int	lib_send_small(struct hsys_request *, uint16_t type, uint16_t flags,
	    const void *payload, uint32_t len);
/* request.c: 0 when r may still be written to, else why not. */
int	lib_req_writable(const struct hsys_request *);

/* control.c: the control channel. A connection to hsysd's socket, or a
 * negative errno. */
int	lib_dial(void);
/* HELLO with the application's name, and WELCOME's values into h. */
int	lib_hello(struct hsys *, const char *name);
/* Opens and announces the session's data channels, after those of the
 * sessions it replaced. */
int	lib_open_channels(struct hsys *);
/* The next frame on the control channel, in h->rbuf. */
int	lib_recv_frame(struct hsys *, struct proto_frame *);
/* Operation `type` with `op`'s fields, and its reply: 0 or -errno (the
 * sentence in h->last_error); when `queue` is not NULL, OK's queue id. */
int	lib_queue_op(struct hsys *, uint16_t type,
	    const struct proto_queue_op *, uint32_t *queue);
/* The session's timer (a timerfd in its epoll set) fires in ms. */
void	lib_timer_arm(struct hsys *, long ms);

/* queue.c: a queue the application made or attached to, made or
 * attached again (with what it allowed and its prefixes) in a new
 * session; and forgotten. */
int	lib_queue_again(struct hsys *, struct lib_queue *);
void	lib_queue_forget(struct hsys *, struct lib_queue *);

/* reconnect.c: channel `chan` reached EOF or failed with `code`; returns
 * 0 when the session goes on (a replaced session's channel, or one that
 * reconnects), else the error, which breaks it. h->channel_lost. */
int	lib_channel_lost(struct hsys *, unsigned chan, int code);
/* reconnect.c: an epoll event with one of the LIB_TAG_* tags. */
int	lib_session_event(struct hsys *, uint32_t tag);
/* reconnect.c: the session's control channel and timer in its epoll
 * set. */
int	lib_watch_session(struct hsys *);
/* reconnect.c: CLOCK_MONOTONIC in ms. */
long	lib_mono_ms(void);

#endif
