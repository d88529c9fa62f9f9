/*
 * drain — ending a daemon without failing a request: once its listeners
 * are closed (SIGTERM) or handed to another hsysd (handover.c), every
 * worker stops keeping connections alive (responses say Connection:
 * close), closes the connections idle between requests, and lets the
 * requests in flight finish. The main loop stops when no connection is
 * left, or when the bound passes, whichever comes first.
 */
#ifndef HSYS_DAEMON_DRAIN_H
#define HSYS_DAEMON_DRAIN_H

#include <stdint.h>

struct hsysd;

#define DRAIN_DEFAULT_MS	10000

/* Main thread. -1: out of memory (the caller stops at once). */
int	drain_start(struct hsysd *, uint64_t bound_ms);
/* Main thread, after the workers stopped. */
void	drain_free(struct hsysd *);

#endif
