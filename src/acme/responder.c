/*
 * responder — the interim HTTP-01 responder: while an order runs in the
 * hsys CLI, a thread answers GET /.well-known/acme-challenge/TOKEN on one
 * port with the key authorization of a pending token, and 404 to anything
 * else. hsysd will answer these itself (docs/acme.md); until then this is
 * the smallest server that does: one request per connection, up to
 * CONNS_MAX at once, each read with a deadline, bounded in size, and
 * closed after the answer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "common/err.h"

#define TOKENS_MAX	64
#define REQUEST_MAX	4096
#define READ_MS		5000
#define CONNS_MAX	16
#define PREFIX		"GET /.well-known/acme-challenge/"

struct token {
	char	*token;
	char	*keyauth;
};

struct acme_responder {
	int		 fd;
	int		 stop;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	struct token	 tokens[TOKENS_MAX];
	int		 ntokens;
};

struct conn {
	int	 fd;
	size_t	 n;
	long	 deadline;		/* ms, CLOCK_MONOTONIC */
	char	 buf[REQUEST_MAX];
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reply(int fd, const char *status, const char *body)
{
	char out[REQUEST_MAX + 256];
	int n;

	/* One small write into an empty socket buffer: it does not block. */
	n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Type: "
	    "text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
	    "%s", status, strlen(body), body);
	if (n > 0 && (size_t)n < sizeof(out) && write(fd, out, (size_t)n) < 0)
		return;
}

/* Answers a complete request head in buf. */
static void
answer(struct acme_responder *r, int fd, char *buf)
{
	char *tok, *end;
	int i;

	if (strncmp(buf, PREFIX, strlen(PREFIX)) != 0) {
		reply(fd, "404 Not Found", "not found\n");
		return;
	}
	tok = buf + strlen(PREFIX);
	if ((end = strchr(tok, ' ')) == NULL) {
		reply(fd, "400 Bad Request", "bad request\n");
		return;
	}
	*end = '\0';
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->ntokens; i++)
		if (strcmp(r->tokens[i].token, tok) == 0)
			break;
	if (i < r->ntokens)
		reply(fd, "200 OK", r->tokens[i].keyauth);
	else
		reply(fd, "404 Not Found", "no such challenge\n");
	pthread_mutex_unlock(&r->lock);
}

/* Reads what c's peer sent; returns 1 when c is done with (answered,
 * closed by the peer, too large), 0 to wait for more. */
static int
conn_read(struct acme_responder *r, struct conn *c)
{
	ssize_t n;

	n = read(c->fd, c->buf + c->n, sizeof(c->buf) - 1 - c->n);
	if (n <= 0)
		return n == 0 || (errno != EAGAIN && errno != EINTR);
	c->n += (size_t)n;
	c->buf[c->n] = '\0';
	if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n")) {
		answer(r, c->fd, c->buf);
		return 1;
	}
	return c->n == sizeof(c->buf) - 1;
}

static void
conn_accept(struct acme_responder *r, struct conn *conns, int *nconns)
{
	int fd;

	if ((fd = accept4(r->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC))
	    == -1)
		return;
	conns[*nconns].fd = fd;
	conns[*nconns].n = 0;
	conns[*nconns].deadline = now_ms() + READ_MS;
	(*nconns)++;
}

/* Several connections at once, each with its own deadline, so that one
 * slow client cannot hold up the ACME server's (several) validations. */
static void *
serve(void *arg)
{
	struct acme_responder *r = arg;
	struct pollfd p[CONNS_MAX + 1];
	struct conn *conns;
	int i, n, nconns = 0;

	if ((conns = calloc(CONNS_MAX, sizeof(*conns))) == NULL)
		return NULL;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < nconns; i++)
			p[i] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		n = nconns;
		if (nconns < CONNS_MAX)
			p[n++] = (struct pollfd){ r->fd, POLLIN, 0 };
		if (poll(p, (nfds_t)n, 100) < 0)
			continue;
		for (i = nconns - 1; i >= 0; i--) {
			if ((p[i].revents == 0 && now_ms() < conns[i].deadline)
			    || (p[i].revents != 0 && !conn_read(r, &conns[i])))
				continue;
			close(conns[i].fd);
			conns[i] = conns[--nconns];
		}
		if (n > nconns && p[n - 1].fd == r->fd && p[n - 1].revents)
			conn_accept(r, conns, &nconns);
	}
	for (i = 0; i < nconns; i++)
		close(conns[i].fd);
	free(conns);
	return NULL;
}

/* Any address, IPv6 and IPv4 on one socket; IPv4 alone without IPv6. */
static int
listen_any(int port, struct err *e)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd, on = 1, off = 0;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0)
			goto bound;
		close(fd);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_sys(e, "cannot open a socket for HTTP-01");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)) == -1) {
		err_sys(e, "cannot listen on port %d for HTTP-01 (is hsysd or "
		    "another server using it? choose one with --http-port)",
		    port);
		close(fd);
		return -1;
	}
bound:
	if (listen(fd, 16) == -1) {
		err_sys(e, "cannot listen on port %d for HTTP-01", port);
		close(fd);
		return -1;
	}
	return fd;
}

int
acme_responder_start(struct acme_responder **rp, int port, struct err *e)
{
	struct acme_responder *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_sys(e, "cannot start the HTTP-01 responder");
	if ((r->fd = listen_any(port, e)) == -1) {
		free(r);
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	if (pthread_create(&r->thread, NULL, serve, r) != 0) {
		close(r->fd);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return err_set(e, "cannot start the HTTP-01 responder thread");
	}
	*rp = r;
	return 0;
}

int
acme_responder_add(struct acme_responder *r, const char *token,
    const char *keyauth, struct err *e)
{
	struct token *t;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (r->ntokens == TOKENS_MAX) {
		rc = err_set(e, "more than %d pending HTTP-01 challenges",
		    TOKENS_MAX);
		goto done;
	}
	t = &r->tokens[r->ntokens];
	t->token = strdup(token);
	t->keyauth = strdup(keyauth);
	if (t->token == NULL || t->keyauth == NULL) {
		free(t->token);
		free(t->keyauth);
		rc = err_sys(e, "cannot keep an HTTP-01 token");
		goto done;
	}
	r->ntokens++;
done:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void
acme_responder_stop(struct acme_responder *r)
{
	int i;

	if (r == NULL)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_join(r->thread, NULL);
	close(r->fd);
	for (i = 0; i < r->ntokens; i++) {
		free(r->tokens[i].token);
		free(r->tokens[i].keyauth);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}
