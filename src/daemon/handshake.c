/*
 * handshake — a connection's TLS handshake, and its signature from the
 * key process without holding up the worker (docs/keys.md, "Handshakes
 * in flight"). Part of the connection (conn_int.h); conn.c closes what
 * fails here.
 *
 * With the key process, a TLS handshake runs in SSL_MODE_ASYNC (only the
 * handshake: async mode costs every SSL_read and SSL_write): its signature
 * is asked for without waiting, and the handshake returns
 * SSL_ERROR_WANT_ASYNC. The connection then watches nothing; the worker
 * watches its key channel, and when the answers come (several at once
 * when several handshakes waited: one wake-up of each side for all),
 * each connection's async callback queues it, and its handshake goes on.
 * A connection closed while it waits resumes its job first (conn.c: the
 * signature fails, the job ends); one waiting longer than
 * CONN_SIGN_WAIT_MS fails its handshake.
 */
#include <fcntl.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/conn.h"
#include "daemon/conn_int.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/stats.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "keys/keys.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

/* valgrind cannot follow OpenSSL's ASYNC jobs onto their own stacks:
 * each access to the thread's storage from a job looks invalid to it. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

static void keys_watch(struct worker *);

static void
keys_readable(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct worker *w = container_of(io, struct worker, keys_io);

	(void)l;
	(void)rev;
	keys_client_receive(w->d->keys);
	keys_watch(w);
}

void
handshake_keys_unwatch(struct worker *w)
{
	if (w->keys_io.fn == NULL || w->keys_io.fd == -1)
		return;
	loop_io_remove(w->loop, &w->keys_io);
	close(w->keys_io.fd);
	w->keys_io.fd = -1;
}

/* The worker watches its thread's current key channel, through a
 * duplicate: the client closes its channel when it ends, and the
 * duplicate keeps the descriptor's number from being reused under the
 * loop's feet until it is removed here. */
static void
keys_watch(struct worker *w)
{
	unsigned serial;
	struct err e;
	int fd;

	fd = keys_client_async_fd(w->d->keys, &serial);
	if (w->keys_io.fn != NULL && w->keys_io.fd != -1 && fd != -1 &&
	    serial == w->keys_serial)
		return;
	handshake_keys_unwatch(w);
	w->keys_io.fn = keys_readable;
	w->keys_io.fd = -1;
	if (fd == -1)
		return;
	if ((w->keys_io.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return;
	if (loop_io_add(w->loop, &w->keys_io, LOOP_READ, &e) == -1) {
		close(w->keys_io.fd);
		w->keys_io.fd = -1;
		return;
	}
	w->keys_serial = serial;
}

/* The async callback: its answer came (or its channel ended); the
 * handshake goes on once this batch of events is handled. */
static int
sig_ready(SSL *ssl, void *arg)
{
	struct conn *c = arg;

	(void)ssl;
	loop_defer(c->w->loop, &c->sigdone);
	return 1;
}

void
handshake_setup(struct conn *c, void (*resume)(struct loop_defer *))
{
	if (c->w->d->keys == NULL || keys_client_pid(c->w->d->keys) == 0 ||
	    RUNNING_ON_VALGRIND)
		return;
	if (!SSL_set_async_callback(c->ssl, sig_ready) ||
	    !SSL_set_async_callback_arg(c->ssl, c))
		return;
	c->sigdone.fn = resume;
	SSL_set_mode(c->ssl, SSL_MODE_ASYNC);
}

int
handshake_step(struct conn *c)
{
	unsigned long e;
	int rc;

	c->sigwait = 0;
	if ((rc = SSL_do_handshake(c->ssl)) == 1) {
		c->handshaken = 1;
		SSL_clear_mode(c->ssl, SSL_MODE_ASYNC);
		tls_describe(c->ssl, c->client.tls_desc,
		    sizeof(c->client.tls_desc));
		loop_io_change(c->w->loop, &c->io, LOOP_READ);
		return 1;
	}
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		loop_io_change(c->w->loop, &c->io, LOOP_READ);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		loop_io_change(c->w->loop, &c->io, LOOP_READ | LOOP_WRITE);
		return 0;
	case SSL_ERROR_WANT_ASYNC:
		c->sigwait = 1;
		loop_io_change(c->w->loop, &c->io, 0);
		loop_timer_set(c->w->loop, &c->timer, CONN_SIGN_WAIT_MS);
		keys_watch(c->w);
		return 0;
	default:
		e = ERR_peek_last_error();
		if (e == 0) {	/* the client went away: no httperr line */
			stats_add(&c->w->stats->handshake_failures, 1);
			log_debug("worker %d: TLS_HandshakeFailed: connection "
			    "closed", c->w->index);
		} else
			handshake_failed(c, ERR_reason_error_string(e));
		ERR_clear_error();
		return -1;
	}
}

void
handshake_failed(struct conn *c, const char *why)
{
	conn_httperr(c, "TLS_HandshakeFailed");
	stats_add(&c->w->stats->handshake_failures, 1);
	log_debug("worker %d: TLS_HandshakeFailed: %s", c->w->index,
	    why != NULL ? why : "?");
}
