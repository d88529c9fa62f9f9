/*
 * conn — a client connection on a worker: TLS (when the port serves
 * https) and HTTP/1.1. Its requests go to applications through the
 * exchange (exchange.h), which channels deliver the applications' frames
 * to.
 *
 * One request is in flight per connection; pipelined requests wait in the
 * input buffer and are answered in order.
 */
#ifndef HSYS_DAEMON_CONN_H
#define HSYS_DAEMON_CONN_H

#include <stdint.h>

#include <openssl/ssl.h>

struct worker;

void	conn_accept(struct worker *, int fd, uint16_t port, int tls);
void	conns_close_all(struct worker *);
/* Stops watching the worker's key channel (the worker ends). */
void	handshake_keys_unwatch(struct worker *);
/* The worker drains (w->draining is set): closes the connections idle
 * between requests; the others close after their response. */
void	conns_drain(struct worker *);
/* The worker's bindings changed (a new snapshot): an HTTP/2 connection
 * whose TLS binding is gone, or no longer offers h2, gets GOAWAY and
 * finishes its streams; its client reconnects to what is bound now. */
void	conns_rebind(struct worker *);
/* OpenSSL's client hello callback for a worker's TLS connections: picks
 * the binding (snapshot.h) and switches the connection to it. */
int	conn_tls_hello(SSL *, int *alert, void *worker);

#endif
