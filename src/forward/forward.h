/*
 * forward — hsys-forward: serves URL prefixes registered with hsysd by
 * passing each request to an HTTP/1.1 server that already exists (the
 * "upstream", on TCP or a Unix socket) and its answer back.
 *
 *   args.c      the command line (struct fwd_config)
 *   response.c  the upstream's response head: a strict, allocation-free
 *               parser over the caller's buffer (three-way return)
 *   upstream.c  connections to the upstream: connect, timed I/O, the pool
 *               of idle keep-alive connections
 *   outbound.c  the request head sent upstream (hop-by-hop fields out,
 *               Forwarded and X-Forwarded-* in, --strip-prefix)
 *   exchange.c  one request: head and body up, response head and body down;
 *               a request without a body is left in flight once sent
 *   tunnel.c    Upgrade (101) tunnels, relayed without blocking the worker
 *   worker.c    a thread with its own hsys session on the shared queue: an
 *               event loop over the session, the upstream connections of
 *               the requests in flight and the tunnels
 *   main.c      start, signals, the optional child command, draining
 *
 * docs/forward.md describes the behaviour; man/hsys-forward.1 the command.
 */
#ifndef HSYS_FORWARD_FORWARD_H
#define HSYS_FORWARD_FORWARD_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "http/http.h"

struct hsys;
struct hsys_queue;
struct hsys_request;

/* --- args.c ----------------------------------------------------------- */

#define FWD_MAX_URLS	64

struct fwd_config {
	const char	*urls[FWD_MAX_URLS];
	size_t		 nurls;
	const char	*to;		/* as given, for HSYS_FORWARD_TO */
	struct sockaddr_storage addr;	/* the upstream */
	socklen_t	 addrlen;
	char		 authority[300]; /* host[:port] for a Host fallback */
	const char	*queue;		/* NULL: one of our own */
	int		 timeout_ms;	/* connect and answer; default 60 s */
	int		 threads;	/* worker threads (sessions) */
	unsigned	 strip_prefix:1;
	unsigned	 forwarded:1;	/* add Forwarded */
	unsigned	 x_forwarded:1;	/* add X-Forwarded-* */
	char	       **command;	/* after "--", or NULL */
};

/* Fills cfg from argv. Returns 0, 1 when help was asked for (printed to
 * stdout), or -1 with a sentence for the user in err. */
int	fwd_args_parse(struct fwd_config *, int, char **, char *, size_t);

/* Parses "http://HOST:PORT", "http://[V6]:PORT" or "unix:/PATH" into
 * cfg->addr, addrlen and authority. 0, or -1 with a sentence in err. */
int	fwd_args_upstream(struct fwd_config *, const char *, char *, size_t);

/* --- response.c --------------------------------------------------------- */

/* How the response's body is framed (RFC 9112 §6.3). */
enum fwd_body {
	FWD_BODY_NONE,		/* 1xx but 101, 204, 304, a HEAD response */
	FWD_BODY_LENGTH,	/* Content-Length bytes */
	FWD_BODY_CHUNKED,	/* Transfer-Encoding: chunked */
	FWD_BODY_CLOSE,		/* until the upstream closes */
	FWD_BODY_TUNNEL,	/* 101: opaque bytes both ways */
};

struct fwd_response {
	/* In: set by fwd_response_init(), kept between calls. */
	struct http_header *headers;
	size_t		 header_cap;
	size_t		 scanned;	/* where the end-of-head scan resumes */
	size_t		 max_head;

	/* Out: valid when fwd_response_parse() returned > 0. */
	int		 version;	/* 10 or 11 */
	int		 status;	/* 100 .. 599 */
	const char	*reason;
	size_t		 reason_len;
	size_t		 nheaders;
	int64_t		 content_length; /* -1: none */
	unsigned	 chunked:1;	/* Transfer-Encoding: chunked */
	unsigned	 close:1;	/* Connection: close (or 1.0 without
					 * keep-alive): not reusable */
	unsigned	 upgrade:1;	/* an Upgrade field */
	unsigned	 keep_alive:1;	/* Connection: keep-alive */

	/* Out: valid when fwd_response_parse() returned HTTP_ERROR. */
	const char	*error;		/* static, for logs */
};

/* Prepares for a new head: the field array and its capacity, and the
 * largest head accepted (0: 64 KiB). Between HTTP_INCOMPLETE returns keep
 * resp and let buf grow (same start, more bytes). */
void	fwd_response_init(struct fwd_response *, struct http_header *,
	    size_t, size_t);

/* Parses one response head at the start of buf. Returns the head's length
 * (the body starts there), HTTP_INCOMPLETE, or HTTP_ERROR with
 * resp->error set; after an error the connection must be closed. */
int	fwd_response_parse(const char *, size_t, struct fwd_response *);

/* The framing of a parsed head, for a response to a HEAD request or not. */
enum fwd_body fwd_response_body(const struct fwd_response *, int head);

/* Whether a field of the response is hop-by-hop (RFC 9110 §7.6.1): the
 * fixed list, or a name the Connection field lists. */
int	fwd_hop_by_hop(const struct http_header *, size_t,
	    const char *, size_t);

/* --- upstream.c --------------------------------------------------------- */

struct fwd_pool {
	int		 fds[32];	/* idle keep-alive connections */
	size_t		 n;
};

/* How long the upstream may take to answer before what libhsys corked
 * for the client leaves anyway (exchange.c): a connection's receive
 * timeout while it is idle or pooled. */
#define FWD_GRACE_MS	2

/* A new connection within --timeout: a blocking fd with --timeout as its
 * send timeout and FWD_GRACE_MS as its receive timeout, or -errno. */
int	upstream_connect(const struct fwd_config *);
/* Sets the receive timeout: 0 or -errno. */
int	upstream_recv_timeout(int, int);
/* An idle connection, or -1; with check, only one still open (not
 * readable: a readable idle connection was closed or sent garbage). */
int	upstream_pool_get(struct fwd_pool *, int);
void	upstream_pool_put(struct fwd_pool *, int);
void	upstream_pool_clear(struct fwd_pool *);
/* Writes all of buf (--timeout per wait, the socket's): 0, -ETIMEDOUT or
 * -errno. timeout_ms is the socket's already. */
int	upstream_write(int, const void *, size_t, int);
/* Reads what is there, waiting up to the socket's receive timeout:
 * bytes, 0 at EOF, -ETIMEDOUT or -errno. */
ssize_t	upstream_read(int, void *, size_t, int);

/* --- outbound.c ---------------------------------------------------------- */

/* Writes the request head for the upstream into buf. Returns its length,
 * or -1 if it does not fit. */
int	outbound_head(const struct fwd_config *, struct hsys_request *,
	    char *, size_t);

/* --- worker.c, exchange.c, tunnel.c --------------------------------------- */

#define FWD_BUF		(64 * 1024)
#define FWD_MAX_TUNNELS	256
#define FWD_MAX_FLIGHTS	32	/* requests in flight per worker */

/* A request without a body, sent upstream, whose answer is awaited by the
 * worker's loop (poll) rather than by a blocking read. */
struct fwd_flight {
	struct hsys_request *r;
	int		 fd;		/* the upstream, readable: answered */
	unsigned	 reused:1;	/* fd came from the pool */
	unsigned	 head:1;	/* a HEAD request */
	long long	 deadline;	/* ms (fwd_now_ms): 504 after it */
};

struct fwd_tunnel {
	struct hsys_request *r;
	int		 fd;		/* the upstream */
	unsigned	 client_done:1;	/* the client half-closed */
	unsigned	 upstream_done:1; /* the upstream half-closed */
};

struct fwd_worker {
	const struct fwd_config *cfg;
	int		 index;
	struct hsys	*h;
	struct hsys_queue *q;
	struct fwd_pool	 pool;
	struct fwd_tunnel tunnels[FWD_MAX_TUNNELS];
	size_t		 ntunnels;
	struct fwd_flight flights[FWD_MAX_FLIGHTS];
	size_t		 nflights;
	char		*in;		/* FWD_BUF: upstream bytes */
	char		*out;		/* FWD_BUF: head and body to upstream */
	int		 ready;		/* 1 once its queue and prefixes are in */
	/* libhsys may hold requests the session's descriptor does not show:
	 * a call that waited in it (a write without credit, a body read)
	 * read its channel and queued what came (worker.c asks then). */
	int		 lib_read;
	int		 session_ready;	/* poll saw the session readable */
	int		 failed;
};

/* Set by main on SIGTERM/SIGINT: stop taking requests, finish, exit. */
extern volatile sig_atomic_t fwd_stop;

/* Serves one request to its end (or hands it to the worker's tunnels). */
void	exchange_run(struct fwd_worker *, struct hsys_request *);
/* Starts a request: one without a body (with room in w->flights) is sent
 * upstream and left in flight; another is served to its end. */
void	exchange_start(struct fwd_worker *, struct hsys_request *);
/* A request in flight whose upstream turned readable: its answer is read
 * and relayed (blocking for what is not there yet, as exchange_run).
 * have: bytes already read into w->in; err: an errno a read took. */
void	exchange_resume(struct fwd_worker *, const struct fwd_flight *,
	    size_t have, int err);
/* Reads what the flight's upstream has (waiting up to its receive
 * timeout, the grace, when wait; else not at all) and, if anything came,
 * resumes it: 1. 0: nothing yet, still in flight. */
int	exchange_try(struct fwd_worker *, const struct fwd_flight *, int);
/* A request in flight whose upstream did not answer by its deadline. */
void	exchange_expire(struct fwd_worker *, const struct fwd_flight *);

/* Adds a tunnel; with the upstream's first bytes already read. */
void	tunnel_add(struct fwd_worker *, struct hsys_request *, int,
	    const char *, size_t);
/* The fds to poll for the tunnels (after index 0, the session's). */
size_t	tunnel_pollfds(struct fwd_worker *, struct pollfd *, size_t);
/* Moves bytes where they are ready; ends tunnels that are done. */
void	tunnel_pump(struct fwd_worker *);
/* Ends every tunnel (at the end of a drain). */
void	tunnel_close_all(struct fwd_worker *);

/* Opens the worker's session and queue (and, for worker 0, the prefixes).
 * 0, or -1 after saying why on stderr. */
int	worker_open(struct fwd_worker *);
/* The thread's body. */
void   *worker_main(void *);

/* CLOCK_MONOTONIC in ms. */
long long fwd_now_ms(void);

/* Logs a line to stderr with the program's name. */
void	fwd_log(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
