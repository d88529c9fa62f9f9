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
 * This version covers sessions, queues and URL prefixes; receiving and
 * answering requests is being added (docs/api.md has the planned calls).
 */
#ifndef HSYS_H
#define HSYS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HSYS_API_VERSION	1

struct hsys;		/* a session with hsysd */
struct hsys_queue;	/* a request queue in the daemon */

/* Connects to hsysd ($HSYS_SOCKET, else $HSYS_HOME/hsysd.sock, else
 * /run/hsys/hsysd.sock) and opens the session's data channels.
 * -ENOENT or -ECONNREFUSED: no daemon; -EPROTONOSUPPORT: no common
 * protocol version. */
int		 hsys_open(struct hsys **, const char *app_name);
void		 hsys_close(struct hsys *);

/* A file descriptor that becomes readable when the session has work; for
 * programs with their own event loop. */
int		 hsys_fd(const struct hsys *);

#define HSYS_QUEUE_OPEN	0x2	/* other users' processes may attach */

/* name NULL: an anonymous queue that only this session uses. */
int		 hsys_queue_create(struct hsys *, const char *name,
		    unsigned flags, struct hsys_queue **);
int		 hsys_queue_attach(struct hsys *, const char *name,
		    struct hsys_queue **);
uint32_t	 hsys_queue_id(const struct hsys_queue *);
/* Detaches from the queue and frees the handle. */
int		 hsys_queue_close(struct hsys_queue *);

/* Registers an HTTP.sys URL prefix ("https://+:443/api/") on a queue.
 * -EACCES: no URL reservation lets this user listen there; -EEXIST:
 * another queue has it; -EINVAL: not a valid prefix; -EPROTO: the port
 * serves the other scheme. */
int		 hsys_prefix_add(struct hsys_queue *, const char *prefix);
int		 hsys_prefix_remove(struct hsys_queue *, const char *prefix);

const char	*hsys_strerror(int code);
/* The daemon's explanation of the last refused operation, or "". */
const char	*hsys_last_error(const struct hsys *);

#ifdef __cplusplus
}
#endif

#endif
