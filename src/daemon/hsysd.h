/*
 * hsysd — the daemon's context: everything the main thread owns. Workers
 * get read-only pointers into it (and their own loops); no other global
 * mutable state exists in the daemon.
 *
 * Which thread runs what. Threads talk by mail (mailbox.h) and by the
 * atomics of qgate.h, stats.h and quota.h's app-buffer count; nothing
 * else is shared while it changes.
 *
 *   main thread   main.c (options, signals, the main loop), privdrop.c
 *                 (--user), sandbox.c (seccomp), hsysd.c
 *                 (wiring, teardown), configure.c (a new store
 *                 generation), reload.c (CONFIG_CHANGED), control.c (the
 *                 control socket), dispatch.c (a connection's first
 *                 frame), session.c, queue.c, registry.c, acl.c,
 *                 state.c (servicestate), handover.c, drain.c,
 *                 keyproc.c (the key process: start, watch, restart)
 *   workers       worker.c (the threads), conn.c and the files split
 *                 from it (client connections, requests, responses,
 *                 tunnels), channel.c (data channels), route.c (the
 *                 route table, picking a channel), waitlist.c,
 *                 trailers.c, cacheserve.c (the response cache on a
 *                 request's way)
 *   both          built on the main thread, used by workers: snapshot.c
 *                 (bindings, limits), tls.c (contexts), listener.c (the
 *                 main thread opens, workers accept), metrics.c (set up
 *                 on the main thread, rendered on a worker), shared.c
 *                 (objects every worker holds a reference to);
 *                 thread-safe: loop.c and mailbox.c (one loop per
 *                 thread), log.c, logline.c, httplog.c (workers format,
 *                 a writer thread writes), stats.c, qgate.c, quota.c,
 *                 ratelimit.c (one instance per thread), cache.c (a
 *                 worker's own, listed by state.c under its lock)
 *
 * Layers: a file calls only files below it. Upward calls go through the
 * callbacks hsysd_init() sets below (a channel's frames to the exchange,
 * a listener's connections to conn.c, a control connection's frames to
 * the sessions): bottom to top, loop/mailbox/log, then the shared pieces,
 * channel, route, listener, conn, worker on the workers' side; control,
 * registry, queue, session, handover, dispatch, configure, hsysd, main on
 * the main thread's.
 */
#ifndef HSYS_DAEMON_HSYSD_H
#define HSYS_DAEMON_HSYSD_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "daemon/loop.h"
#include "daemon/mailbox.h"

struct acl_cache;
struct channel_ops;
struct control;
struct control_ops;
struct httplog;
struct keyproc;
struct keys_client;
struct drain;
struct handover;
struct listener;
struct queue;
struct quota;
struct regindex;
struct reload;
struct registration;
struct renew;
struct session;
struct tls_tickets;
struct worker;

struct hsysd {
	struct loop		*loop;		/* main thread: control, signals */
	struct mailbox		 mailbox;	/* mail for the main thread */
	int			 mailbox_open;
	struct control		*control;
	struct worker		*worker;	/* [workers] */
	int			 workers;
	struct session		*sessions;	/* main thread only */
	struct queue		*queues;	/* main thread only */
	struct registration	*registrations;	/* main thread only */
	struct regindex		*regindex;	/* registrations by prefix */
	struct acl_cache	*acl;		/* reservations (acl.c) */
	struct listener		*listeners;	/* main thread only */
	pthread_mutex_t		 listen_lock;	/* guards listen_metrics */
	char			*listen_metrics; /* their lines, for workers */
	char			*acme_metrics;	/* renew.c's, under listen_lock */
	struct renew		*renew;		/* ACME renewal (renew.h) */
	uint64_t		 last_session_id;
	uint32_t		 last_queue_id;
	int			 lock_fd;
	int64_t			 generation;	/* of the configuration served */
	atomic_long		 conns;		/* client connections, all
						 * workers (MaxConnections) */
	struct loop_io		 signals;	/* signalfd */
	struct loop_timer	 poll_store;	/* generation check */
	struct loop_timer	 rotate;	/* session ticket keys */
	struct tls_tickets	*tickets;
	struct keys_client	*keys;		/* signatures (src/keys) */
	struct keyproc		*keyproc;	/* keyproc.h */
	struct httplog		*httplog;	/* access, httperr */
	struct handover		*handover;	/* taking over, or handing */
	struct reload		*reload;	/* CONFIG_CHANGED (reload.h) */
	struct quota		*quota;		/* per-user limits (quota.h) */
	atomic_size_t		 app_buffered;	/* bytes, all data channels */
	struct drain		*drain;		/* stopping: see drain.h */
	uint64_t		 drain_ms;	/* --drain-timeout */
	uint64_t		 takeover_ms;	/* --takeover-wait */
	uint64_t		 ctl_hello_ms;	/* --control-timeout; 0 off */
	uint64_t		 ctl_noqueue_ms; /* --idle-session-timeout */
	int			 ctl_per_uid;	/* --control-per-uid; 0 off */
	char			**argv;		/* to start a successor */
	char			 exe[PATH_MAX];
	char			 runtime[PATH_MAX];
	char			 sock_path[PATH_MAX + 16];
	char			 lock_path[PATH_MAX + 16];
	int64_t			 started;	/* time() at start, for uptime */
	char			 metrics_url[1300];	/* served; "" if off */
	char			 metrics_error[1024];	/* why it is not */
	char			 store_error[1024];	/* why the store cannot
							 * be read; "" if it can */

	/* How lower layers reach upper ones (hsysd_init sets them). */
	const struct channel_ops *channel_ops;	/* channel.h */
	const struct control_ops *control_ops;	/* control.h */
	void			(*accept)(struct worker *, int fd,
				    uint16_t port, int tls); /* listener.c */
	void			(*rebind)(struct worker *); /* snapshot.c:
							 * new bindings */
};

/* Re-reads the store when its generation moved (configure.c; reload.c
 * calls it on CONFIG_CHANGED, a timer in main.c too, in case a
 * notification was lost). */
void	hsysd_reload(struct hsysd *);

/* Ties the layers together before anything starts: a data channel's
 * frames and end go to the exchange and the sessions, a listener's
 * connections to conn.c, a control connection's frames to the sessions
 * (hsysd.c). main() and in-process harnesses call it first. */
void	hsysd_init(struct hsysd *);
/* Ends what the context holds, in the order that lets each part go:
 * sessions, queues and prefixes, the workers (and their connections),
 * the listeners, the control socket, the loop (hsysd.c). What the
 * process itself holds (the lock, signals, TLS ticket keys) stays for
 * the caller. */
void	hsysd_stop(struct hsysd *);

#endif
