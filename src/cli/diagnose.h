/*
 * diagnose — hsys diagnose URL: one verdict per hop between a client and
 * the application. diagnose.c parses the URL, resolves it, looks at the
 * listener and the request, and prints; diagnose_tls.c judges the binding
 * and its certificate; diagnose_route.c the registration, reservation and
 * queue; diagnose_hop.c sets a hop's verdict; diagnose_net.c gathers the machine facts (addresses, who holds a
 * port, a real request, httperr lines).
 */
#ifndef HSYS_CLI_DIAGNOSE_H
#define HSYS_CLI_DIAGNOSE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/err.h"
#include "config/config.h"
#include "url/url.h"

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

/* --- the hops -------------------------------------------------------- */

#define TEXT_MAX	4096

enum dg_status { DG_OK, DG_WARN, DG_FAIL, DG_UNKNOWN, DG_SKIP };
enum { H_RESOLVE, H_LISTENER, H_BINDING, H_CERT, H_RESERVATION,
    H_REGISTRATION, H_QUEUE, H_REQUEST, H_COUNT };
struct hop {
	enum dg_status	st;
	char		what[TEXT_MAX];
	char		fix[TEXT_MAX];
};

struct diag {
	/* the URL */
	const char	*url;
	int		 https;
	char		 host[URL_HOST_MAX];
	uint16_t	 port;
	char		 target[URL_PATH_MAX];	/* path and query, as sent */
	char		 path[URL_PATH_MAX];	/* cooked */
	const char	*want_queue;
	/* what was found */
	struct dg_addr	 addr;			/* the local address used */
	int		 have_addr;
	json_t		*state;			/* NULL: no hsysd */
	char		 state_err[ERR_MAX + 64];
	struct store	*store;
	char		 store_err[ERR_MAX + 64];
	json_t		*queue;			/* the winning queue */
	char		 prefix[URL_PREFIX_MAX];	/* its winning prefix */
	char		 binding[CONFIG_ENDPOINT_MAX + 16];	/* that answers */
	int		 http_status;		/* --request's, 0: none */
	char		 reason[128];		/* its httperr reason */
	struct hop	 h[H_COUNT];
};

/* Sets a hop's verdict (printf-style) and its fix (NULL: none). */
void	dg_set(struct hop *, enum dg_status, const char *fix,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A queue's name from the state, "(unnamed)" for an anonymous one. */
const char *dg_qname(json_t *);

void	dg_hop_binding(struct diag *);		/* and certificate */
void	dg_hop_registration(struct diag *);	/* sets d->queue, d->prefix */
void	dg_hop_reservation(struct diag *);
void	dg_hop_queue(struct diag *);

#endif
