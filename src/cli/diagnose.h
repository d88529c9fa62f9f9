/*
 * diagnose — hsys diagnose URL: one verdict per hop between a client and
 * the application (diagnose.c), and the machine facts it needs
 * (diagnose_net.c): addresses, who holds a port, a real request.
 */
#ifndef HSYS_CLI_DIAGNOSE_H
#define HSYS_CLI_DIAGNOSE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct dg_addr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	char		text[INET6_ADDRSTRLEN];
};

/* The addresses a host resolves to (at most max); 0, or -1 with why. */
int	dg_resolve(const char *host, struct dg_addr *, size_t max, size_t *n,
	    char *why, size_t);
/* Is it an address of this machine (an interface's, or loopback)? ifname
 * gets the interface's name. */
int	dg_is_local(const struct dg_addr *, char *ifname, size_t);

/* Who listens on addr:port (that address or its family's wildcard), from
 * /proc/net/tcp{,6}; the owner from /proc/PID/fd (all of them only as
 * root). */
struct dg_holder {
	int	found;		/* a listening socket */
	pid_t	pid;		/* 0: owner not visible */
	char	comm[64];
	char	bound[INET6_ADDRSTRLEN];	/* the address it is bound to */
};
void	dg_port_holder(const struct dg_addr *, uint16_t port,
	    struct dg_holder *);

/* GET target with Host: host through addr:port (TLS with SNI host when
 * https); *status the response's status (0: none), *lport the client's
 * port (to find the httperr line); 0, or -1 with why. */
int	dg_request(const struct dg_addr *, uint16_t port, int https,
	    const char *host, const char *target, int *status, uint16_t *lport,
	    char *why, size_t);
/* The s-reason of the httperr line for client port lport and server port
 * port written since offset (waits up to 3 s for the log's writer); 1 with
 * reason, 0 when none, -1 when the log cannot be read (why says so). */
int	dg_httperr_reason(const char *path, long offset, uint16_t lport,
	    uint16_t port, char *reason, size_t, char *why, size_t);
/* The httperr log's path ($HSYS_HOME/log, else /var/log/hsys) and size. */
long	dg_httperr_size(char *path, size_t);

#endif
