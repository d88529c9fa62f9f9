/*
 * snapshot — the TLS side of the configuration as the daemon serves it:
 * every SSL certificate binding with its ready SSL context. Built on the
 * main thread whenever the store's generation moves, then shared by
 * reference with the workers (swapped by mail), immutable while shared.
 * A connection's SSL object holds its own reference to its context, so an
 * old snapshot can go while connections made under it go on.
 */
#ifndef HSYS_DAEMON_SNAPSHOT_H
#define HSYS_DAEMON_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct err;
struct tls_tickets;
struct worker;

struct tls_binding {
	int		 sni;		/* hostnameport=, else ipport= */
	char		 host[256];	/* hostnameport: name or *.suffix */
	int		 family;	/* ipport: AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 any;		/* ipport 0.0.0.0 or [::] */
	uint16_t	 port;
	unsigned	 flags;		/* TLS_* of tls.h */
	SSL_CTX		*ctx;
	char		 endpoint[300];	/* for logs */
};

struct snapshot {
	atomic_int		 refs;
	int64_t			 generation;
	size_t			 n;
	struct tls_binding	*b;
};

/* Reads the bindings; a binding whose certificate cannot be used is left
 * out with a warning (the others still serve). */
int	snapshot_build(struct snapshot **, struct tls_tickets *, struct err *);
void	snapshot_release(struct snapshot *);
/* Main thread: mail a snapshot to a worker (it takes one reference). */
void	snapshot_post(struct worker *, struct snapshot *);

/* The binding for a handshake: a hostnameport binding for the SNI name on
 * that port (exact, then wildcard), else the ipport binding of the local
 * address, else the port's 0.0.0.0 or [::] binding; NULL if none. */
const struct tls_binding *snapshot_pick(const struct snapshot *,
	    const unsigned char *sni, size_t snilen,
	    const struct sockaddr_storage *local, uint16_t port);

#endif
