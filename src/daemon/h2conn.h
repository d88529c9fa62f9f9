/*
 * h2conn — HTTP/2 on a client connection: the second framing beside
 * HTTP/1.1 (conn.c), feeding the same exchange (exchange.h). A connection
 * turns to it when ALPN selected h2, or when a cleartext connection
 * starts with the client preface (h2c with prior knowledge).
 *
 * The session (src/h2) frames; this file maps each stream to one
 * request's exchange: the stream's head (synthesized by src/h2) is the
 * REQUEST's raw head, its DATA the request body within the application's
 * credit (the stream's window reopens only as bytes go on), the
 * application's RESPONSE and RESP_DATA become HEADERS and DATA, and a
 * daemon answer (answer.h) a response on its stream. Streams of one
 * connection may go to different applications; one that fails is reset
 * alone. conn.c keeps the socket, TLS, timers and the output buffer and
 * calls in at its hooks below.
 */
#ifndef HSYS_DAEMON_H2CONN_H
#define HSYS_DAEMON_H2CONN_H

struct conn;

/* Turns the connection to HTTP/2 (the bytes already in `in` are its
 * first). next: conn.c's "after output progress" (flush, go on or
 * close), which streams call as HTTP/1.1's responses do; a callback, so
 * that this file stays below conn.c. 0, or -1 out of memory (the
 * connection is to close). */
int	h2conn_start(struct conn *, void (*next)(struct conn *));
/* The connection is readable: reads once and feeds the session. 1: the
 * connection is to close now. */
int	h2conn_read(struct conn *);
/* Output progress: the session's frames into `out`, flushed. 1: the
 * connection is to close now. */
int	h2conn_next(struct conn *);
/* The connection's timer ran out: the reason to drop it, or NULL. */
const char *h2conn_timeout(struct conn *);
/* GOAWAY: streams under way finish, new ones are refused (drain). */
void	h2conn_goaway(struct conn *);
/* The connection closes: every stream's exchange ends. */
void	h2conn_free(struct conn *);

#endif
