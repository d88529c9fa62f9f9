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

#include "daemon/loop.h"
#include "daemon/mailbox.h"

struct err;
struct hsysd;

struct worker {
	int		 index;
	struct hsysd	*d;
	struct loop	*loop;
	struct mailbox	 mailbox;
	pthread_t	 thread;
	int		 started;
	struct channel	*channels;	/* data channels it owns */
};

int	workers_start(struct hsysd *, struct err *);
/* Stops every worker and waits for its thread. */
void	workers_stop(struct hsysd *);

#endif
