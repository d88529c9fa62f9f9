/*
 * conn_int — the HTTP/1.1 client connection's insides, shared by the
 * files that serve it: conn.c (the connection: accept, TLS, reading and
 * writing, buffers, timers, limits, the request heads), response.c (the
 * responses written on it) and tunnel.c (Upgrade tunnels). Nothing
 * outside those three includes it; the rest of hsysd uses conn.h, and
 * the request's exchange with its application is exchange.h's.
 */
#ifndef HSYS_DAEMON_CONN_INT_H
#define HSYS_DAEMON_CONN_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "common/util.h"
#include "daemon/exchange.h"
#include "daemon/loop.h"
#include "daemon/snapshot.h"
#include "daemon/worker.h"
#include "http/http.h"

/* The input buffer: more than the parser's head limit (MaxRequestBytes),
 * so that it can see a head is too long rather than wait for its end. */
#define CONN_IN_SIZE		(20u << 10)
#define CONN_IN_SLACK		(4u << 10)
#define CONN_IN_MAX		((64u << 10) + CONN_IN_SLACK)
#define CONN_MAX_HEADERS	EXCHANGE_FIELDS_MAX /* MaxHeaderCount's ceiling */
#define CONN_RELEASE_MS		1000	/* idle: the input buffer goes */
#define CONN_SEND_WINDOW_MS	4000	/* MinSendRate is measured over it */
#define CONN_BODY_WINDOW_MS	4000	/* and MinRequestBodyDataRate */
#define CONN_PIPELINE_BATCH	16	/* answered in a row; then the others */

enum conn_state {
	CONN_HEAD,		/* reading a request head */
	CONN_EXCHANGE,		/* a request is with an application */
	CONN_WAITING,		/* routed; waits for a process (waitlist.h) */
	CONN_CLOSING,		/* flushing the last bytes, then close */
	CONN_TUNNEL		/* after a 101: bytes relayed both ways */
};

struct conn {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct loop_defer	 flush;		/* conn_next's, once per batch */
	int			 flush_pending;
	struct loop_timer	 timer;
	struct worker		*w;
	struct conn		*next, **prevp;
	enum conn_state		 state;
	int			 dead;
	int			 tls;
	SSL			*ssl;
	int			 handshaken;
	int			 sigwait;	/* its handshake's job waits */
	struct loop_defer	 sigdone;	/* for its signature: resume */
	uint16_t		 port;
	uint64_t		 id;
	struct sockaddr_storage	 peer, local;

	char			*in;		/* NULL while idle */
	size_t			 inlen;
	size_t			 incap;
	char			*out;
	size_t			 outoff, outlen, outcap;

	/* The request in flight, and its exchange with an application. */
	struct http_request	 req;
	struct http_header	*hdrs;		/* after `in`'s bytes */
	size_t			 nhdrs;
	size_t			 head_len;
	struct exchange		 x;
	struct exchange_client	 client;	/* x's view of this conn */
	struct exchange_head	 head;		/* x's view of req */
	int			 keep_alive;
	int			 head_only;	/* HEAD: no response body */
	int64_t			 body_left;	/* request body; -1 chunked */
	struct http_chunked	 chunk;
	int			 body_done;
	int			 resp_started;
	int			 resp_chunked;
	int			 resp_close_delimited;
	int64_t			 resp_left;	/* -1: not counted */
	int			 resp_done;
	int			 broken;	/* out of memory: close */
	int			 unbound;	/* its TLS binding went: */
						/* no keep-alive (conns.c) */

	/* Upgrade tunnels (tunnel.c) and trailers. */
	int			 upgrade_ok;	/* REQUEST had the UPGRADE flag */
	int			 tun_eof;	/* the client ended its side */
	int			 tun_shut;	/* we ended the client's side */
	struct trailers		*tr;		/* chunked requests' trailers */

	/* For the request logs (httplog.h). */
	int			 status;	/* of the response */
	uint64_t		 t0;		/* the request's first bytes, µs */
	uint64_t		 sent, sent0;	/* bytes out; at its start */
	int			 err_logged;	/* its httperr line is out */
	/* Timeouts and limits. */
	uint64_t		 idle_until;	/* loop_now() deadline */
	struct loop_timer	 send_timer;	/* MinSendRate */
	uint64_t		 send_mark;	/* `sent` at the last rate check */
	uint64_t		 rx;		/* bytes read from the client */
	uint64_t		 body_mark;	/* `rx` when the window began */
	uint64_t		 body_mark_ms;	/* and its loop_now() */
	int			 served;	/* a request was dispatched */
	/* Pipelined requests (conn_serve). */
	int			 serving;	/* conn_serve is on the stack */
	int			 again;		/* one was answered: next one */
	int			 resume;	/* more wait for writability */
	int			 inrow;		/* answered since the last event */
	/* HTTP/2 (h2conn.c): set once ALPN or the preface chose it. */
	struct h2conn		*h2;
};

static inline struct conn *
conn_of(struct exchange *x)
{
	return container_of(x, struct conn, x);
}

/* The timeouts and limits in force (snapshot.h). */
static inline const struct snap_limits *
conn_limits(const struct conn *c)
{
	return snapshot_limits(c->w->snapshot);
}

/* --- output to the client: `out`, flushed by conn.c ---------------- */

static inline int
out_reserve(struct conn *c, size_t n)
{
	size_t cap;
	char *nb;

	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n <= c->outcap)
		return 0;
	cap = c->outcap ? c->outcap : 4096;
	while (cap < c->outlen + n)
		cap *= 2;
	if ((nb = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = nb;
	c->outcap = cap;
	return 0;
}

static inline int
out_append(struct conn *c, const void *p, size_t n)
{
	if (out_reserve(c, n) == -1) {
		c->broken = 1;	/* conn_next closes it */
		return -1;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

/* --- conn.c ------------------------------------------------------- */

/* After output progress: flush, credit, go on or close (HTTP/2's
 * streams call it as HTTP/1.1's response does). The work is deferred to
 * the end of the loop's batch of events, once however many times it was
 * asked for, so that everything queued for the client in one iteration
 * (a head and its body, many streams' frames) goes in one write. */
void	conn_next(struct conn *);
/* Ends the connection now (its exchange cancelled, its memory freed
 * after the loop's batch). */
void	conn_close(struct conn *);

/* --- handshake.c: TLS, and the signature from the key process ------- */

#define CONN_SIGN_WAIT_MS	10000	/* the key process's wait, and more */

/* The handshake signs without waiting when the key process serves (and
 * valgrind, which cannot follow OpenSSL's jobs, does not watch); its
 * signature's arrival defers resume (c->sigdone). */
void	handshake_setup(struct conn *, void (*resume)(struct loop_defer *));
/* A step of the handshake: 1 done, 0 in progress (waiting for the client
 * or for its signature, at most CONN_SIGN_WAIT_MS), -1 failed (counted
 * and logged; the caller closes the connection). */
int	handshake_step(struct conn *);
/* Counts and logs a failed handshake (httperr TLS_HandshakeFailed). */
void	handshake_failed(struct conn *, const char *why);

/* --- transport.c: the bytes, through TLS or not -------------------- */

/* A read from the client: -1 with errno EAGAIN when it would block. */
ssize_t	conn_recv(struct conn *, void *, size_t);
/* Writes what it can of `out`; 0 when all is out, 1 when some waits (the
 * MinSendRate watch starts), -1 on error. */
int	out_flush(struct conn *);
/* The first bytes of an idle connection, into a new input buffer: 1 when
 * they are in `in`, 0 when none came, -1 when the connection ended, -2
 * out of memory. */
int	in_first(struct conn *);
/* An idle connection gives its input buffer back. */
void	in_release(struct conn *);

/* --- reqlog.c: the request logs ------------------------------------- */

/* The httperr line of the connection's failure (once per connection). */
void	conn_httperr(struct conn *, const char *reason);
/* The access log's line, once a response is out. */
void	conn_log_done(struct conn *);

/* --- response.c: what the application's frames become on the wire -- */

/* exchange_ops' head, body and trailers for HTTP/1.1. */
int	response_head(struct exchange *, const struct exchange_resp *);
int	response_body(struct exchange *, const void *, size_t, int end);
int	response_trailers(struct exchange *, const struct http_header *,
	    size_t n);
/* An answer the daemon makes itself, into `out`; -1: out of memory. */
int	response_answer(struct conn *, const struct exchange_answer *);

/* --- tunnel.c: after a 101 ------------------------------------------ */

/* Starts relaying (the 101's head is in `out`). */
void	tunnel_start(struct conn *);
/* The client's bytes in `in` to the application, within credit. */
void	tunnel_pump(struct conn *);
/* After output progress (rc as out_flush's): 1 when the connection
 * is to close now, else 0 (interest and timer set). */
int	tunnel_next(struct conn *, int rc);
/* A read while reading is off: -1 close, 1 the client ended its side
 * (progress to make), 0 nothing. */
int	tunnel_hangup(struct conn *);

#endif
