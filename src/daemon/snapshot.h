/*
 * snapshot — the configuration as the daemon's workers serve it: every SSL
 * certificate binding with its ready SSL context, and the timeouts and
 * limits (struct snap_limits) connections live by. Built on the
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

#include "daemon/acmechal.h"
#include "daemon/shared.h"
#include "http/http.h"

struct err;
struct hsysd;
struct url_prefix;
struct url_request;
struct keys_client;
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

/*
 * Timeouts and limits (hsys http add timeout / add setting). Workers read
 * them when they arm a connection's timer or take a new connection, so a
 * change reaches new connections and the next wait of existing ones.
 */
struct snap_limits {
	uint32_t		 idle_ms;	/* idleconnectiontimeout */
	uint32_t		 headerwait_ms;	/* headerwaittimeout */
	uint32_t		 entitybody_ms;	/* entitybodytimeout */
	uint32_t		 min_send_rate;	/* MinSendRate, bytes/s */
	uint32_t		 min_body_rate;	/* MinRequestBodyDataRate */
	uint32_t		 h2_streams;	/* Http2MaxConcurrentStreams */
	int			 h2c;		/* EnableHttp2Cleartext */
	int64_t			 max_connections; /* -1: unlimited */
	struct http_limits	 http;		/* MaxFieldLength, ... */
	int64_t			 max_body;	/* service-wide; -1 unlimited */
	size_t			 cache_entry;	/* UriMaxUriBytes; 0: off */
	size_t			 cache_total;	/* bytes, all workers; 0: off */
	size_t			 nbody;		/* per-prefix body limits */
	struct url_prefix	*body_prefix;	/* [nbody] */
	int64_t			*body_max;	/* [nbody] */
};

struct snapshot {
	struct shared		 ref;		/* workers holding it */
	int64_t			 generation;
	size_t			 n;
	struct tls_binding	*b;
	struct snap_limits	 lim;
	struct acmechal		 acme;		/* challenges answered */
};

/* MaxConnections when it is not set: three quarters of the open-files
 * limit, so that client connections alone never take the descriptors the
 * control plane (applications, channels, logs, the store) needs. */
#define SNAPSHOT_CONN_SHARE	3	/* quarters */
int64_t	snapshot_default_max_connections(void);

/* The limits in force: the snapshot's, or the defaults before the first
 * snapshot arrives. */
const struct snap_limits *snapshot_limits(const struct snapshot *);
/* MaxRequestBodySize for a request: the longest matching prefix's value,
 * else the service-wide one; -1 when unlimited. */
int64_t	snapshot_body_max(const struct snap_limits *,
	    const struct url_request *);

/* Reads the bindings; a binding whose certificate cannot be used is left
 * out with a warning (the others still serve). */
int	snapshot_build(struct snapshot **, struct tls_tickets *,
	    struct keys_client *, struct err *);
void	snapshot_release(struct snapshot *);
/* Main thread: every worker serves with s from its next mail on, and
 * releases the one it had (shared.h). */
void	snapshot_publish(struct hsysd *, struct snapshot *s);

/* The binding for a handshake: a hostnameport binding for the SNI name on
 * that port (exact, then wildcard), else the ipport binding of the local
 * address, else the port's 0.0.0.0 or [::] binding; NULL if none. */
const struct tls_binding *snapshot_pick(const struct snapshot *,
	    const unsigned char *sni, size_t snilen,
	    const struct sockaddr_storage *local, uint16_t port);

#endif
