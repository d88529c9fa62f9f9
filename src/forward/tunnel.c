/*
 * tunnel — the 101 (Upgrade, e.g. WebSocket) exchanges of a worker: opaque
 * bytes both ways between the client (through hsysd) and the upstream,
 * until both sides have half-closed. Tunnels live long, so they are not
 * served by a blocking loop: the worker polls their upstream sockets with
 * its session's descriptor and calls tunnel_pump(), which moves what is
 * ready without waiting for what is not (the only wait is the one of
 * hsys_response_write for the client's credit: back-pressure).
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hsys.h>

#include "forward/forward.h"

static void
tunnel_end(struct fwd_worker *w, size_t i, int ok)
{
	struct fwd_tunnel *t = &w->tunnels[i];

	if (ok)
		hsys_response_end(t->r);
	else
		hsys_request_cancel(t->r);
	close(t->fd);
	w->tunnels[i] = w->tunnels[--w->ntunnels];
}

void
tunnel_add(struct fwd_worker *w, struct hsys_request *r, int fd,
    const char *first, size_t n)
{
	struct fwd_tunnel *t;

	if (w->ntunnels == FWD_MAX_TUNNELS) {
		fwd_log("too many tunnels in one worker (%d); closing one",
		    FWD_MAX_TUNNELS);
		hsys_request_cancel(r);
		close(fd);
		return;
	}
	if (n > 0 && hsys_response_write(r, first, n) != (ssize_t)n) {
		hsys_request_cancel(r);
		close(fd);
		return;
	}
	t = &w->tunnels[w->ntunnels++];
	t->r = r;
	t->fd = fd;
	t->client_done = t->upstream_done = 0;
}

size_t
tunnel_pollfds(struct fwd_worker *w, struct pollfd *p, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < w->ntunnels && n < cap; i++) {
		if (w->tunnels[i].upstream_done)
			continue;
		p[n].fd = w->tunnels[i].fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	return n;
}

/* Upstream to client. 0 while open, 1 done, -1 broken. */
static int
pump_down(struct fwd_worker *w, struct fwd_tunnel *t)
{
	ssize_t n;

	while (!t->upstream_done) {
		n = recv(t->fd, w->in, FWD_BUF, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (n == 0) {
			t->upstream_done = 1;
			return hsys_response_shutdown(t->r) < 0 ? -1 : 1;
		}
		if (hsys_response_write(t->r, w->in, (size_t)n) != n)
			return -1;
	}
	return 1;
}

/* Client to upstream, as above. */
static int
pump_up(struct fwd_worker *w, struct fwd_tunnel *t)
{
	ssize_t n;

	while (!t->client_done) {
		n = hsys_request_read_nowait(t->r, w->out, FWD_BUF);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0) {
			t->client_done = 1;
			shutdown(t->fd, SHUT_WR);
			return 1;
		}
		if (upstream_write(t->fd, w->out, (size_t)n,
		    w->cfg->timeout_ms) < 0)
			return -1;
	}
	return 1;
}

void
tunnel_pump(struct fwd_worker *w)
{
	struct fwd_tunnel *t;
	size_t i = 0;

	while (i < w->ntunnels) {
		t = &w->tunnels[i];
		if (pump_down(w, t) < 0 || pump_up(w, t) < 0) {
			tunnel_end(w, i, 0);
			continue;
		}
		if (t->client_done && t->upstream_done) {
			tunnel_end(w, i, 1);
			continue;
		}
		i++;
	}
}

void
tunnel_close_all(struct fwd_worker *w)
{
	while (w->ntunnels > 0)
		tunnel_end(w, w->ntunnels - 1, 0);
}
