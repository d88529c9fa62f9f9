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

/* Sockets per port a daemon keeps track of (workers x addresses). */
#define LISTENER_MAX_FDS	1024

/* Main thread, handover (handover.c): every listening socket with its
 * port; adopting an inherited socket, held unaccepted until
 * listeners_release_held() hands the ports someone registered again to
 * the workers (and closes the others); and closing every listener (the
 * handed-over daemon and SIGTERM stop accepting). */
int	listeners_each_fd(struct hsysd *, int (*)(int fd, uint16_t port,
	    int tls, void *), void *);
int	listener_adopt(struct hsysd *, int fd, uint16_t port, int tls);
void	listeners_release_held(struct hsysd *);
void	listeners_stop(struct hsysd *);

#endif
