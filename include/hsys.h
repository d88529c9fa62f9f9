/*
 * hsys.h — libhsys, the application API of hsys.
 *
 * An application asks hsysd to listen on URL prefixes and answers the
 * requests it is given; it never holds a TLS key and never parses HTTP.
 * See docs/api.md for the whole design and its threading rules: a session
 * and everything obtained from it is used by one thread at a time.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno value on failure; hsys_strerror() names it, and
 * hsys_last_error() gives the daemon's sentence for a refused operation.
 *
 * Strings returned by the request accessors are NUL-terminated and stay
 * valid until the request is answered (hsys_response_end, hsys_respond,
 * hsys_request_cancel).
 */
#ifndef HSYS_H
#define HSYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HSYS_API_VERSION	1

struct hsys;		/* a session with hsysd */
struct hsys_queue;	/* a request queue in the daemon */
struct hsys_request;	/* one request, until it is answered */

/* Connects to hsysd ($HSYS_SOCKET, else $HSYS_HOME/hsysd.sock, else
 * /run/hsys/hsysd.sock) and opens the session's data channels.
 * -ENOENT or -ECONNREFUSED: no daemon; -EPROTONOSUPPORT: no common
 * protocol version. */
int		 hsys_open(struct hsys **, const char *app_name);
void		 hsys_close(struct hsys *);

/* A file descriptor that becomes readable when the session has work; for
 * programs with their own event loop. Once it was asked for, frames that
 * wait to be written (below) count as work: the program's next
 * hsys_next_nowait writes them. */
int		 hsys_fd(const struct hsys *);
/* Output is corked: responses, body bytes, credits and cancels are queued
 * and leave, many to a system call, when the application waits in
 * libhsys (hsys_next and hsys_next_nowait before they look for events, a
 * read or write that waits for the daemon or a read_nowait that returns
 * -EAGAIN, a queue operation, hsys_close), when 32 KiB wait, or here. A
 * program that answers outside hsys_next's loop and then waits elsewhere,
 * without hsys_fd, calls it (docs/api.md, "Batching"). 0, or a negative
 * errno. */
int		 hsys_flush(struct hsys *);

#define HSYS_QUEUE_OPEN	0x2	/* users it allows may attach */

/* name NULL: an anonymous queue that only this session uses. A name is
 * the creating user's own (no '/'): another user's queue of the same name
 * is another queue. -EEXIST: this user has a queue of that name; -EACCES
 * (HSYS_QUEUE_OPEN): no reservation grants this user delegate=yes. */
int		 hsys_queue_create(struct hsys *, const char *name,
		    unsigned flags, struct hsys_queue **);
/* "name": this user's queue; "owner/name": another user's, owner a user
 * name or a uid ("alice/jobs", "1000/jobs"), which it must have created
 * with HSYS_QUEUE_OPEN and allowed this user (hsys_queue_allow). -ENOENT:
 * no such queue; -EACCES: not allowed; -EOPNOTSUPP: "owner/name" to a
 * daemon too old to scope names. */
int		 hsys_queue_attach(struct hsys *, const char *name,
		    struct hsys_queue **);
/* Consent (HTTP.sys's request queue security descriptor): lets processes
 * of that uid, or of members of that group, attach to this open queue.
 * Nobody but its owner (and root) attaches otherwise, whatever the URL
 * reservations say. Only the owner's processes may allow; kept for the
 * queue's life, and given again after a reconnection. At most 64 entries.
 * -EINVAL: the queue is not open; -EPERM: not the owner; -ENOSPC: full;
 * -EOPNOTSUPP: the daemon is too old to restrict who attaches (it lets
 * every user attach an open queue: close it if that is not acceptable). */
int		 hsys_queue_allow(struct hsys_queue *, uid_t uid);
int		 hsys_queue_allow_group(struct hsys_queue *, gid_t gid);
uint32_t	 hsys_queue_id(const struct hsys_queue *);
/* Detaches from the queue and frees the handle. */
int		 hsys_queue_close(struct hsys_queue *);

/* A queue's length (HTTP.sys's HttpServerQueueLengthProperty): at most
 * this many of its requests wait, routed to it and not yet answered (no
 * response started); beyond it clients get 503. 1 to 65535, default 1000.
 * Applies to the whole queue, whichever attached process sets it.
 * -EINVAL: out of bounds; -EOPNOTSUPP: the daemon is too old. */
int		 hsys_queue_set_length(struct hsys_queue *, uint32_t length);
/* How long the queue outlives its last process (ms, 0 to 300000, default
 * 5000): its prefixes stay and its requests wait for a process to attach
 * again (docs/api.md, "Grace period"). 0: the queue and its prefixes go
 * with the last process, and requests without a process get 503 at once.
 * -EINVAL, -EOPNOTSUPP as above. */
int		 hsys_queue_set_grace(struct hsys_queue *, uint32_t ms);

/* Registers an HTTP.sys URL prefix ("https://+:443/api/") on a queue.
 * -EACCES: no URL reservation lets this user listen there; -EEXIST:
 * another queue has it; -EINVAL: not a valid prefix; -EPROTO: the port
 * serves the other scheme. */
int		 hsys_prefix_add(struct hsys_queue *, const char *prefix);
int		 hsys_prefix_remove(struct hsys_queue *, const char *prefix);

/* Receiving requests. 1: *r is a request; 0: timeout; <0: error
 * (-ECONNRESET: the daemon closed the session; -EPROTO: it sent something
 * malformed). timeout_ms -1 waits; 0 never blocks (as hsys_next_nowait). */
int		 hsys_next(struct hsys *, struct hsys_request **, int timeout_ms);
int		 hsys_next_nowait(struct hsys *, struct hsys_request **);

/* When hsysd hands over to a new hsysd (GOAWAY) or the session breaks,
 * libhsys opens a new session and creates the queues and registers the
 * prefixes again by itself (docs/api.md, "Reconnecting"); hsys_next goes
 * on. It retries for up to timeout_ms (default 30000) before hsys_next
 * returns the error; 0 turns reconnecting off. */
int		 hsys_set_reconnect(struct hsys *, int timeout_ms);

const char	*hsys_request_method(const struct hsys_request *);
const char	*hsys_request_raw_url(const struct hsys_request *);
const char	*hsys_request_path(const struct hsys_request *);	/* decoded */
const char	*hsys_request_query(const struct hsys_request *);	/* "" none */
const char	*hsys_request_host(const struct hsys_request *);
const char	*hsys_request_prefix(const struct hsys_request *);
int		 hsys_request_version(const struct hsys_request *); /* 10, 11 */
uint64_t	 hsys_request_id(const struct hsys_request *);
/* The first header of that name (case-insensitive), or NULL. */
const char	*hsys_request_header(const struct hsys_request *,
		    const char *name);
size_t		 hsys_request_header_count(const struct hsys_request *);
/* -ERANGE past the last header. */
int		 hsys_request_header_at(const struct hsys_request *, size_t i,
		    const char **name, const char **value);
/* -EAFNOSUPPORT when the daemon gave no IPv4/IPv6 address. */
int		 hsys_request_peer(const struct hsys_request *,
		    struct sockaddr_storage *);
int		 hsys_request_local(const struct hsys_request *,
		    struct sockaddr_storage *);
const char	*hsys_request_tls(const struct hsys_request *); /* NULL: clear */
const char	*hsys_request_sni(const struct hsys_request *); /* NULL: none */
/* The client certificate (DER), or NULL and *len 0. */
const unsigned char *hsys_request_client_cert(const struct hsys_request *,
		    size_t *len);
/* 0 without a body, -1 when unknown (chunked). */
int64_t		 hsys_request_content_length(const struct hsys_request *);
uint64_t	 hsys_request_connection_id(const struct hsys_request *);

/* Body bytes (or, after a 101, the client's tunnel bytes); 0 at the end.
 * Blocks; the _nowait form returns -EAGAIN instead. -ECANCELED once the
 * daemon cancelled the request. */
ssize_t		 hsys_request_read(struct hsys_request *, void *, size_t);
ssize_t		 hsys_request_read_nowait(struct hsys_request *, void *,
		    size_t);

/* Trailer fields of a chunked request body, complete once
 * hsys_request_read() returned 0 (none before, nor without trailers).
 * Fields that may not be trailers (Content-Length, Host, …) never appear:
 * docs/protocol.md lists them. As the header accessors otherwise. */
const char	*hsys_request_trailer(const struct hsys_request *,
		    const char *name);
size_t		 hsys_request_trailer_count(const struct hsys_request *);
int		 hsys_request_trailer_at(const struct hsys_request *, size_t i,
		    const char **name, const char **value);

struct hsys_header {
	const char	*name, *value;
};

#define HSYS_RESPONSE_END	0x1	/* no body follows */

/* Sends the status and headers. -EINVAL: a name not a token, a value with
 * CR or LF, or a status outside 100..999; -EALREADY: already started;
 * -ECANCELED: the daemon cancelled the request.
 * A 1xx status other than 101 is an interim response (103 Early Hints):
 * the final status is still to be started. 101 (only to a request with
 * an Upgrade header, else the client gets 502) turns the request into a
 * tunnel: hsys_request_read() gives the client's bytes until it
 * half-closes, hsys_response_write() sends bytes to it. */
int		 hsys_response_start(struct hsys_request *, int status,
		    const struct hsys_header *, size_t n, unsigned flags);
/*
 * The response cache (HTTP.sys's HTTP_CACHE_POLICY; docs/cache.md): lets
 * hsysd keep the response r is about to get and answer later GET and
 * HEAD requests for the same scheme, host, port, path and query from
 * memory, without this application, for ttl_seconds
 * (HSYS_CACHE_UNTIL_FLUSHED: until hsys_cache_flush, the prefix's
 * removal or the queue's end). hsysd keeps only a whole 200 to a GET
 * without a body or Authorization, with no Set-Cookie or Vary, within
 * UriMaxUriBytes; anything else is sent as usual and not kept. Call
 * before hsys_response_start or hsys_respond. -EOPNOTSUPP: the daemon
 * has no response cache; -EALREADY: the response started.
 */
#define HSYS_CACHE_UNTIL_FLUSHED	0
int		 hsys_response_cache(struct hsys_request *, uint32_t ttl_seconds);
/* Drops the queue's cached responses under prefix (a URL such as
 * "http://+:8080/docs/"; NULL: all of them): recursive, the whole tree
 * below it, else only the URL it names (HttpFlushResponseCache). It
 * returns once every worker of hsysd has dropped them: a request that
 * arrives after it is not answered from them. */
int		 hsys_cache_flush(struct hsys_queue *, const char *prefix,
		    int recursive);
/* Sends body bytes (after a 101, tunnel bytes); blocks until the daemon
 * credits them. Returns len, or a negative errno. */
ssize_t		 hsys_response_write(struct hsys_request *, const void *,
		    size_t);
/* As hsys_response_write, without waiting: writes what the daemon's
 * credit allows and returns that count (less than len when the credit ran
 * out), or -EAGAIN when it allows nothing. Credit arrives on the session's
 * channels: hsys_fd turns readable, and after the program's next
 * hsys_next_nowait (or read_nowait) the write can go on. For programs with
 * their own event loop, which must not block on one slow client. */
ssize_t		 hsys_response_write_nowait(struct hsys_request *,
		    const void *, size_t);
/* Ends the response (after a 101: half-closes the tunnel towards the
 * client) without freeing r, so that reading can go on. */
int		 hsys_response_shutdown(struct hsys_request *);
/* Ends the response with trailer fields (gRPC's grpc-status), without
 * freeing r, as hsys_response_shutdown does. HTTP/2 clients get them in a
 * HEADERS frame after the body; HTTP/1.1 clients in the last chunk when
 * the response is chunked (no Content-Length), else not at all. Fields a
 * trailer may not carry (Content-Length, Content-Type, …: docs/protocol.md)
 * are left out by the daemon. n 0: as hsys_response_shutdown. -EINVAL: not
 * started, ended, after a 101, over 100 fields, or a name or value as
 * hsys_response_start refuses; -EMSGSIZE: over 16 KiB; -EOPNOTSUPP: the
 * daemon is older than response trailers. */
int		 hsys_response_trailers(struct hsys_request *,
		    const struct hsys_header *, size_t n);
/* Ends the response (sends 500 when none was started) and frees r. */
int		 hsys_response_end(struct hsys_request *);
/* Status, Content-Type, Content-Length and body in one send; frees r.
 * -EINVAL for an interim (1xx but 101) status. */
int		 hsys_respond(struct hsys_request *, int status,
		    const char *content_type, const void *body, size_t len);
/* Aborts the request (the daemon answers 500 or resets); frees r. */
void		 hsys_request_cancel(struct hsys_request *);

const char	*hsys_strerror(int code);
/* The daemon's explanation of the last refused operation, or "". */
const char	*hsys_last_error(const struct hsys *);

#ifdef __cplusplus
}
#endif

#endif
