/*
 * worker — the threads that serve connections. Each worker owns one event
 * loop, its listening sockets (SO_REUSEPORT, one per address and worker),
 * its client connections, and its data channel to every application
 * process (docs/protocol.md): nothing a worker touches while serving a
 * request is shared with another thread.
 *
 * The main thread reaches a worker only by mail (mailbox.h).
 */
#ifndef HSYS_DAEMON_WORKER_H
#define HSYS_DAEMON_WORKER_H

#include <pthread.h>

#include <openssl/ssl.h>

#include "daemon/loop.h"
#include "daemon/mailbox.h"
#include "daemon/ratelimit.h"

struct cache;
struct conn;
struct exchange;
struct err;
struct hsysd;
struct rtable;
struct snapshot;
struct wlistener;
struct worker_stats;
struct wqueue;
struct wlog;

struct worker {
	int		 index;
	struct hsysd	*d;
	struct loop	*loop;
	struct mailbox	 mailbox;
	pthread_t	 thread;
	int		 started;
	struct channel	*channels;	/* data channels it owns */
	struct wlistener *listeners;
	struct rtable	*rtable;	/* its routes (route.h) */
	struct snapshot	*snapshot;	/* bindings; shared, immutable */
	SSL_CTX		*tls_ctx;	/* what TLS connections start with */
	struct wqueue	*wqueues;	/* queue -> its channels here */
	size_t		 nwqueues, capwqueues;
	struct conn	*conns;		/* client connections */
	struct loop_io	 keys_io;	/* its key channel (a dup); -1: none */
	unsigned	 keys_serial;	/* the channel's (keys.h) */
	uint64_t	 last_conn_id;
	struct exchange **xslot;	/* requests in flight, by slot */
	uint32_t	*xgen;		/* generation of each slot */
	uint32_t	*xfree;		/* free slots */
	uint32_t	 nxslot, nxfree;
	struct wlog	*log;		/* request logs; NULL: off */
	int		 draining;	/* no keep-alive (drain.c) */
	int64_t		 date_sec;	/* Date header cache */
	struct worker_stats *stats;	/* written by this worker only */
	char		*cook;		/* a request's cooked path (exchange.c) */
	struct cache	*cache;		/* its response cache (cache.h) */
	struct ratelimit accept_warn;	/* accept failing: listener.c */
	char		 date[40];
};

int	workers_start(struct hsysd *, struct err *);
/* Stops every worker and waits for its thread. */
void	workers_stop(struct hsysd *);

#endif
