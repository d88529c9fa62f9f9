/*
 * listenaddr — where hsysd listens: the iplisten list as socket addresses,
 * the listening sockets themselves (SO_REUSEPORT groups, and the probe that
 * keeps a port ours alone), and whether a binding's address is among them.
 * Main thread (listener.c). Reads the store; touches no listener state.
 */
#ifndef HSYS_DAEMON_LISTENADDR_H
#define HSYS_DAEMON_LISTENADDR_H

#include <stdint.h>
#include <sys/socket.h>

struct err;

#define LISTEN_BACKLOG	1024
#define MAX_ADDRS	16

struct addrs {
	int			n;
	struct sockaddr_storage	ss[MAX_ADDRS];
	socklen_t		len[MAX_ADDRS];
};

/* The iplisten list as it is: empty means every address. */
int	addrs_iplisten(struct addrs *, struct err *);
/* The iplisten list, or the two wildcard addresses, with the port set. */
int	addrs_listen(struct addrs *, uint16_t port, struct err *);
/* A listening socket in the port's SO_REUSEPORT group; without shared, a
 * socket that is only bound, alone on the address. */
int	addrs_socket(const struct sockaddr_storage *, socklen_t, int shared,
	    struct err *);
/* EADDRINUSE unless the port is ours alone on every address. */
int	addrs_probe_free(const struct addrs *, struct err *);
int	addrs_same(const struct addrs *, const struct addrs *);
/* Whether hsysd listens on an ipport binding's address (endpoint text). */
int	addrs_covered(const struct addrs *ipl, const char *endpoint);

#endif
