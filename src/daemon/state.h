/*
 * state — the STATE request on the control socket (docs/protocol.md):
 * what `hsys http show servicestate` prints. The main thread answers it
 * from what it owns (queues, sessions, registrations) and relaxed reads of
 * the workers' counters (stats.h), as JSON or as a readable tree, then
 * writes the reply without blocking and closes the connection.
 *
 * Who asks is learnt from SO_PEERCRED: root sees every queue; another
 * user sees the queues they own or are attached to. The server's totals
 * and the listeners are shown to everyone: they name no application.
 */
#ifndef HSYS_DAEMON_STATE_H
#define HSYS_DAEMON_STATE_H

struct hsysd;
struct proto_frame;

/* Takes over fd (the connection the STATE frame came on). */
void	state_answer(struct hsysd *, int fd, const struct proto_frame *);

#endif
