/*
 * listener — listening sockets. The main thread opens them (so a port in
 * use is reported to whoever asked, at once), one per address and worker
 * with SO_REUSEPORT so the kernel spreads connections without an accept
 * lock, and mails each worker its own; workers accept and hand
 * connections to conn.c. Addresses are the iplisten list, else every
 * IPv4 and IPv6 address.
 */
#ifndef HSYS_DAEMON_LISTENER_H
#define HSYS_DAEMON_LISTENER_H

#include <stdint.h>

struct err;
struct hsysd;
struct worker;

/* Main thread: a registration needs (port, tls); counted per port.
 * e->code: EADDRINUSE, EACCES, ... from bind. */
int	listener_want(struct hsysd *, uint16_t port, int tls, struct err *);
void	listener_unwant(struct hsysd *, uint16_t port);
/* Main thread, at exit: forget every listener (workers close theirs). */
void	listeners_free(struct hsysd *);
/* Worker thread, at exit. */
void	listeners_close_all(struct worker *);

#endif
