/*
 * handover — one hsysd replacing another without refusing a connection
 * (docs/operations.md): the new daemon asks the running one over the
 * control socket (HANDOVER), receives its instance lock and listening
 * sockets (SCM_RIGHTS) and the list of its registrations, puts its own
 * control socket in place, and accepts from the inherited sockets once
 * the applications have registered again (or a bound passed); the old
 * one tells its applications to reconnect (GOAWAY), keeps serving until
 * then, and drains.
 */
#ifndef HSYS_DAEMON_HANDOVER_H
#define HSYS_DAEMON_HANDOVER_H

#include <stdint.h>

struct err;
struct hsysd;
struct proto_frame;

#define HANDOVER_WAIT_MS	10000	/* --takeover-wait default */

/* Old daemon, main thread: a HANDOVER first frame on control connection
 * fd (control.c gave it up). Takes fd in every case. */
void	handover_serve(struct hsysd *, int fd, const struct proto_frame *);

/* New daemon, before anything else is set up: takes the lock, the
 * listening sockets and the registrations from the running hsysd. */
int	handover_take(struct hsysd *, struct err *);
/* New daemon, once its workers run and its control socket is in place:
 * tells the old one, and waits for the applications. */
int	handover_ready(struct hsysd *, struct err *);

/* Old daemon, SIGUSR2: starts the binary it was started from, with
 * --takeover and its own options. */
void	handover_spawn(struct hsysd *);

/* At exit. */
void	handover_free(struct hsysd *);

#endif
