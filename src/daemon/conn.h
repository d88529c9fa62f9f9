/*
 * conn — a client connection on a worker: TLS (when the port serves
 * https), the HTTP/1.1 exchange, and the request in flight between the
 * client and an application's data channel.
 *
 * One request is in flight per connection; pipelined requests wait in the
 * input buffer and are answered in order. Requests in flight are found by
 * id in the worker's exchange table, which channels use to deliver
 * RESPONSE, RESP_DATA, REQ_CREDIT and CANCEL.
 */
#ifndef HSYS_DAEMON_CONN_H
#define HSYS_DAEMON_CONN_H

#include <stdint.h>

#include <openssl/ssl.h>

struct channel;
struct proto_frame;
struct worker;

void	conn_accept(struct worker *, int fd, uint16_t port, int tls);
/* A frame from an application about request `f->id`. -1: the frame was
 * malformed (the channel is cut off). */
int	conn_from_app(struct worker *, struct channel *,
	    const struct proto_frame *);
/* A channel died: its requests in flight are answered 503 or reset. */
void	conn_channel_lost(struct worker *, struct channel *);
void	conns_close_all(struct worker *);
/* The worker drains (w->draining is set): closes the connections idle
 * between requests; the others close after their response. */
void	conns_drain(struct worker *);
/* OpenSSL's client hello callback for a worker's TLS connections: picks
 * the binding (snapshot.h) and switches the connection to it. */
int	conn_tls_hello(SSL *, int *alert, void *worker);

#endif
