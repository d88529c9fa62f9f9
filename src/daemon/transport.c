/*
 * transport — a client connection's bytes: sending and receiving through
 * TLS or not, the output buffer's flush (with the MinSendRate watch it
 * starts when the client stops reading), and the input buffer, which an
 * idle connection does not hold. Buffers fill in conn.c, response.c and
 * tunnel.c (conn_int.h). And the TLS ClientHello callback, which picks a
 * connection's binding (its certificate) by SNI, address and port.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "daemon/acmechal.h"
#include "daemon/conn.h"
#include "daemon/conn_int.h"
#include "daemon/exchange.h"
#include "daemon/log.h"
#include "daemon/snapshot.h"
#include "daemon/stats.h"
#include "daemon/tls.h"

/* I/O through TLS or not: -1 with errno EAGAIN when it would block. */
static ssize_t
conn_send(struct conn *c, const void *p, size_t n)
{
	ssize_t r;
	int rc;

	if (c->ssl == NULL) {
		do
			r = send(c->io.fd, p, n, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		return r;
	}
	if ((rc = SSL_write(c->ssl, p, (int)(n > INT_MAX ? INT_MAX : n))) > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	default:
		ERR_clear_error();
		errno = EPIPE;
		return -1;
	}
}

ssize_t
conn_recv(struct conn *c, void *p, size_t n)
{
	ssize_t r;
	int rc;

	if (c->ssl == NULL) {
		do
			r = recv(c->io.fd, p, n, 0);
		while (r == -1 && errno == EINTR);
		return r;
	}
	if ((rc = SSL_read(c->ssl, p, (int)n)) > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		errno = ECONNRESET;
		return -1;
	}
}

/* Output waits on the client: MinSendRate is checked every window. */
static void
send_watch(struct conn *c)
{
	if (c->send_timer.deadline != 0)
		return;
	c->send_mark = c->sent;
	loop_timer_set(c->w->loop, &c->send_timer, CONN_SEND_WINDOW_MS);
}
/* Writes what it can; 0 when all is out, 1 when some waits, -1 on error. */
int
out_flush(struct conn *c)
{
	size_t before = c->outoff;
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = conn_send(c, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1)
			return -1;
		c->outoff += (size_t)n;
		c->sent += (size_t)n;
	}
	stats_add(&c->w->stats->bytes_out, c->outoff - before);
	exchange_sent(&c->x, c->outoff - before);
	if (c->outoff < c->outlen) {
		send_watch(c);
		return 1;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* The input buffer and the header table, sized by the limits in force. */
static int
in_alloc(struct conn *c)
{
	const struct snap_limits *l = conn_limits(c);
	size_t cap = l->http.max_head + CONN_IN_SLACK, nh = l->http.max_headers;

	if (cap < CONN_IN_SIZE)
		cap = CONN_IN_SIZE;
	if (cap > CONN_IN_MAX)
		cap = CONN_IN_MAX;
	cap = (cap + 15) & ~(size_t)15;
	if (nh > CONN_MAX_HEADERS)
		nh = CONN_MAX_HEADERS;
	if ((c->in = malloc(cap + nh * sizeof(*c->hdrs))) == NULL)
		return -1;
	c->incap = cap;
	c->hdrs = (struct http_header *)(void *)(c->in + cap);
	c->nhdrs = nh;
	http_request_init(&c->req, c->hdrs, c->nhdrs);
	/* A busy connection keeps OpenSSL's record buffers too: released
	 * after every record (the context's SSL_MODE_RELEASE_BUFFERS, for
	 * idle connections) they cost a malloc and a free each way, some
	 * 1,000 instructions a request (bench/callgrind). in_release gives
	 * them back with ours. */
	if (c->ssl != NULL)
		SSL_clear_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

void
in_release(struct conn *c)
{
	free(c->in);
	c->in = NULL;
	c->hdrs = NULL;
	c->inlen = c->incap = c->nhdrs = 0;
	if (c->ssl == NULL)
		return;
	SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	/* 0 while OpenSSL holds bytes: those buffers go when they empty. */
	if (!SSL_free_buffers(c->ssl))
		ERR_clear_error();
}

/*
 * The first read of an idle connection: into the stack, so that a wakeup
 * without data (or a TLS record that is not application data) costs no
 * buffer. Returns 1 when bytes are in `in`, 0 when none came, -1 when
 * the connection ended, -2 when there is no memory for the buffer.
 */
int
in_first(struct conn *c)
{
	char first[2048];
	ssize_t n, m;

	n = conn_recv(c, first, sizeof(first));
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	if (in_alloc(c) == -1)
		return -2;
	memcpy(c->in, first, (size_t)n);
	c->inlen = (size_t)n;
	/* TLS may hold more that epoll will not report. */
	if ((size_t)n == sizeof(first) && (m = conn_recv(c, c->in + n,
	    c->incap - (size_t)n)) > 0)
		c->inlen += (size_t)m;
	return 1;
}

int
conn_tls_hello(SSL *ssl, int *alert, void *arg)
{
	struct worker *w = arg;
	struct conn *c = SSL_get_app_data(ssl);
	const struct tls_binding *b;
	const unsigned char *sni = NULL;
	size_t snilen = 0;
	SSL_CTX *actx;

	if (!tls_hello_sni(ssl, &sni, &snilen))
		sni = NULL;
	/* A TLS-ALPN-01 validation for a pending name: its challenge
	 * certificate, binding or not (acmechal.h). */
	if (w->snapshot != NULL && (actx = acmechal_hello(&w->snapshot->acme,
	    ssl, sni, snilen)) != NULL) {
		log_info("worker %d: acme: tls-alpn-01 validation for %.*s on "
		    "port %u", w->index, (int)snilen, (const char *)sni,
		    c->port);
		tls_use_binding(ssl, actx, TLS_NO_TICKETS);
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	b = snapshot_pick(w->snapshot, sni, snilen, &c->local, c->port);
	if (b == NULL) {
		log_info("worker %d: TLS_NoBinding: no certificate bound for "
		    "port %u%s%.*s", w->index, c->port, sni ? ", name " : "",
		    sni ? (int)snilen : 0, sni ? (const char *)sni : "");
		conn_httperr(c, "TLS_NoBinding");
		*alert = sni ? SSL_AD_UNRECOGNIZED_NAME :
		    SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	tls_use_binding(ssl, b->ctx, b->flags);
	return SSL_CLIENT_HELLO_SUCCESS;
}
