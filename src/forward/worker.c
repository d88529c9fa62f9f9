/*
 * worker — a thread of hsys-forward. Each has its own hsys session (libhsys
 * sessions are one thread's each) attached to the forwarder's named queue,
 * so hsysd spreads requests over the workers.
 *
 * A worker is an event loop: the requests hsysd hands it that have no
 * body are sent upstream at once, each on its own keep-alive connection,
 * and stay in flight (up to FWD_MAX_FLIGHTS) while one poll waits for the
 * session, their upstreams and the tunnels; an upstream that turns
 * readable has its answer relayed, one that passes --timeout gets 504.
 * So a batch of requests costs one wait and the upstream serves them
 * together, with no thread switch per request. A request with a body, and
 * the body of a large or streamed answer, is still served by blocking
 * calls (exchange.c), with the flights waiting meanwhile (their answers
 * wait in their sockets; a deadline passes only when poll saw nothing).
 *
 * Draining (fwd_stop): the worker detaches from the queue, so hsysd sends
 * it nothing more, answers what it had received, waits for its tunnels to
 * end (bounded), and closes its session.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hsys.h>

#include "forward/forward.h"

#define DRAIN_QUIET_MS	500	/* no request for this long: drained */
#define DRAIN_MAX_MS	30000	/* tunnels get this long to end */

void
fwd_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hsys-forward: %s\n", line);
}

long long
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
explain(struct fwd_worker *w, const char *what, const char *url, int rc)
{
	fwd_log("%s: %s", what, hsys_strerror(rc));
	if (w->h != NULL && hsys_last_error(w->h)[0] != '\0')
		fwd_log("%s", hsys_last_error(w->h));
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		fwd_log("is hsysd running? (it listens on "
		    "$HSYS_HOME/hsysd.sock or /run/hsys/hsysd.sock)");
	else if (rc == -EACCES && url != NULL)
		fwd_log("an administrator can allow it with:\n"
		    "    hsys http add urlacl url=%s user=$USER", url);
}

/* Worker 0 attaches to the queue or creates it, and adds the prefixes;
 * the others attach. */
static int
open_queue(struct fwd_worker *w)
{
	const struct fwd_config *cfg = w->cfg;
	size_t i;
	int rc, created = 0;

	rc = hsys_queue_attach(w->h, cfg->queue, &w->q);
	if (rc == -ENOENT && w->index == 0) {
		rc = hsys_queue_create(w->h, cfg->queue, 0, &w->q);
		created = 1;
	}
	if (rc < 0) {
		explain(w, "cannot open the request queue", NULL, rc);
		return -1;
	}
	for (i = 0; w->index == 0 && i < cfg->nurls; i++) {
		rc = hsys_prefix_add(w->q, cfg->urls[i]);
		if (rc == -EEXIST && !created)
			continue;	/* the queue we attached to has it */
		if (rc < 0) {
			explain(w, cfg->urls[i], cfg->urls[i], rc);
			return -1;
		}
	}
	return 0;
}

int
worker_open(struct fwd_worker *w)
{
	int rc;

	w->in = malloc(FWD_BUF);
	w->out = malloc(FWD_BUF);
	if (w->in == NULL || w->out == NULL) {
		fwd_log("out of memory");
		return -1;
	}
	if ((rc = hsys_open(&w->h, "hsys-forward")) < 0) {
		explain(w, "cannot reach hsysd", NULL, rc);
		return -1;
	}
	return open_queue(w);
}

/* Takes what has arrived (while there is room in flight). -1 when the
 * session is gone for good. */
static int
serve_ready(struct fwd_worker *w, long long *last)
{
	struct hsys_request *r;
	int rc = 0;

	w->lib_read = w->session_ready = 0;
	while (w->nflights < FWD_MAX_FLIGHTS &&
	    (rc = hsys_next_nowait(w->h, &r)) == 1) {
		exchange_start(w, r);
		*last = fwd_now_ms();
	}
	if (w->nflights == FWD_MAX_FLIGHTS)
		w->lib_read = 1;	/* more may wait there: ask again */
	if (rc < 0) {
		fwd_log("the session with hsysd ended: %s", hsys_strerror(rc));
		return -1;
	}
	return 0;
}

/* The flights started from index `from` on, before any poll: an upstream
 * usually answers a batch of requests together, so the first is given
 * its socket's grace (FWD_GRACE_MS) and the others are read if they are
 * there. What is not there yet waits for the poll. */
static void
try_flights(struct fwd_worker *w, size_t from)
{
	struct fwd_flight f;
	size_t i, k = from;

	for (i = from; i < w->nflights; i++) {
		f = w->flights[i];
		if (!exchange_try(w, &f, i == from))
			w->flights[k++] = f;
	}
	/* exchange_resume adds no flight: the array was only compacted. */
	w->nflights = k;
}

/* The flights after a poll (p: their entries): answered where readable,
 * 504 where the deadline passed with nothing to read, else kept. */
static void
serve_flights(struct fwd_worker *w, const struct pollfd *p, size_t nf)
{
	long long t = fwd_now_ms();
	struct fwd_flight f;
	size_t i, k = 0;

	for (i = 0; i < nf; i++) {
		f = w->flights[i];
		if (p[i].revents != 0)
			exchange_resume(w, &f, 0, 0);
		else if (f.deadline <= t)
			exchange_expire(w, &f);
		else
			w->flights[k++] = f;
	}
	/* exchange_resume adds no flight: the array was only compacted. */
	w->nflights = k;
}

/* Waits up to ms for the session, a flight's upstream or a tunnel (what
 * libhsys corked leaves first), then serves the flights and moves tunnel
 * bytes. */
static void
wait_and_pump(struct fwd_worker *w, int ms)
{
	struct pollfd p[1 + FWD_MAX_FLIGHTS + FWD_MAX_TUNNELS];
	long long t = fwd_now_ms();
	size_t i, n, nf = w->nflights;

	p[0].fd = hsys_fd(w->h);
	p[0].events = POLLIN;
	p[0].revents = 0;
	for (i = 0; i < nf; i++) {
		p[1 + i].fd = w->flights[i].fd;
		p[1 + i].events = POLLIN;
		p[1 + i].revents = 0;
		if (w->flights[i].deadline - t < ms)
			ms = w->flights[i].deadline > t ?
			    (int)(w->flights[i].deadline - t) : 0;
	}
	n = 1 + nf + tunnel_pollfds(w, p + 1 + nf, FWD_MAX_TUNNELS);
	hsys_flush(w->h);
	poll(p, n, ms);
	w->session_ready = p[0].revents != 0;
	if (nf > 0)
		serve_flights(w, p + 1, nf);
	if (w->ntunnels > 0) {
		tunnel_pump(w);
		w->lib_read = 1;
	}
}

/* The session is gone: nobody to answer the flights to. */
static void
flights_cancel(struct fwd_worker *w)
{
	while (w->nflights > 0) {
		w->nflights--;
		hsys_request_cancel(w->flights[w->nflights].r);
		close(w->flights[w->nflights].fd);
	}
}

/* Every flight answered or expired (at the end of a drain, bounded by
 * their deadlines). */
static void
land_all(struct fwd_worker *w)
{
	while (w->nflights > 0)
		wait_and_pump(w, 1000);
}

static void
drain(struct fwd_worker *w)
{
	long long start = fwd_now_ms(), last, t;

	if (w->q != NULL)
		hsys_queue_close(w->q);
	w->q = NULL;
	last = fwd_now_ms();
	for (;;) {
		if (serve_ready(w, &last) < 0)
			break;
		t = fwd_now_ms();
		if (t - start > DRAIN_MAX_MS)
			break;
		if (w->ntunnels == 0 && w->nflights == 0 &&
		    t - last > DRAIN_QUIET_MS)
			break;
		wait_and_pump(w, 100);
	}
	land_all(w);
	tunnel_close_all(w);
}

void *
worker_main(void *arg)
{
	struct fwd_worker *w = arg;
	struct hsys_request *r;
	long long last = 0;
	size_t from;
	int rc;

	while (!fwd_stop) {
		from = w->nflights;
		if (w->ntunnels == 0 && w->nflights == 0) {
			/* Idle: one call waits and receives. */
			if ((rc = hsys_next(w->h, &r, 250)) == 1) {
				exchange_start(w, r);
				rc = serve_ready(w, &last);
				if (rc == 0)
					try_flights(w, from);
			} else if (rc < 0)
				fwd_log("the session with hsysd ended: %s",
				    hsys_strerror(rc));
		} else if (!w->session_ready && !w->lib_read &&
		    w->nflights > 0) {
			/* Nothing new in libhsys: the poll shows what comes
			 * (no epoll_wait of its own per round). */
			wait_and_pump(w, 250);
			rc = 0;
		} else if ((rc = serve_ready(w, &last)) == 0) {
			try_flights(w, from);
			if (w->nflights > 0 || w->ntunnels > 0)
				wait_and_pump(w, 250);
		}
		if (rc < 0) {
			w->failed = 1;
			kill(getpid(), SIGUSR1);
			break;
		}
	}
	if (!w->failed)
		drain(w);
	flights_cancel(w);
	tunnel_close_all(w);
	upstream_pool_clear(&w->pool);
	hsys_close(w->h);
	w->h = NULL;
	free(w->in);
	free(w->out);
	return NULL;
}
