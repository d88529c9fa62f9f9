/*
 * listener — listening sockets. The main thread opens them (so a port in
 * use is reported to whoever asked, at once), one per address and worker
 * with SO_REUSEPORT so the kernel spreads connections without an accept
 * lock, and mails each worker its own; workers accept and hand
 * connections on through d->accept (set at start-up by hsysd_init: the
 * connection layer sits above this one). Addresses are the iplisten list, else every
 * IPv4 and IPv6 address; when the list changes, open ports move.
 *
 * A port is listened on while a registered prefix names it (in that
 * prefix's scheme) or an SSL binding does (ipport= whose address hsysd
 * listens on, or hostnameport=; then TLS). A port serves one scheme: an
 * http registration on a port a binding names is refused; a binding added
 * under http registrations waits until they go (logged). A port someone
 * else listens on, even with SO_REUSEPORT, is refused, never shared.
 */
#ifndef HSYS_DAEMON_LISTENER_H
#define HSYS_DAEMON_LISTENER_H

#include <stdint.h>

struct err;
struct hsysd;
struct strbuf;
struct worker;

/* Main thread: a registration needs (port, tls); counted per port.
 * e->code: EPROTO (the port serves the other scheme, or a binding names
 * it and tls is 0), EADDRINUSE, EACCES, ... from bind. */
int	listener_want(struct hsysd *, uint16_t port, int tls, struct err *);
/* 1 when the iplisten list is empty: a port opens on every address. */
int	listener_every_address(void);
void	listener_unwant(struct hsysd *, uint16_t port);
/* Main thread, when the store's generation moved: opens and closes the
 * ports of the bindings and moves open ports to a changed iplisten list.
 * A port that cannot be opened is logged once. */
void	listener_sync(struct hsysd *);
/* Main thread, every few seconds: tries those ports again. */
void	listener_retry(struct hsysd *);
/* Main thread, at exit: forget every listener (workers close theirs). */
void	listeners_free(struct hsysd *);
/* Worker thread, at exit. */
void	listeners_close_all(struct worker *);

/* A port hsysd wants, for STATE (state.c) and the reply to CONFIG_CHANGED
 * (reload.c). state: "listening", "failed" (it cannot be opened; error
 * says why, and hsysd retries at each change and every few seconds),
 * "inherited" (held from the previous hsysd) or "closing". */
#define LISTENER_ERROR_MAX	256
struct listener_info {
	uint16_t	 port;
	int		 tls;		/* what it serves, or would */
	int		 up;
	const char	*state;
	const char	*error;		/* the last; "" when it opened since */
	unsigned long	 errors;	/* attempts that failed */
	const char	*binding;	/* the first naming it; "" if none */
	int		 registrations;
};
void	listeners_each(struct hsysd *, void (*)(const struct listener_info *,
	    void *), void *);
/* Any thread: the metrics page's lines about the listeners. */
void	listeners_metrics(struct hsysd *, struct strbuf *);

/* Out of descriptors (EMFILE, ENFILE), a worker stops accepting on the
 * socket for this long instead of being woken for it again at once. */
#define LISTENER_PAUSE_MS	100

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
