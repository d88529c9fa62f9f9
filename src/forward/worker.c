/*
 * worker — a thread of hsys-forward. Each has its own hsys session (libhsys
 * sessions are one thread's each) attached to the forwarder's named queue,
 * so hsysd spreads requests over the workers. A worker serves one ordinary
 * exchange at a time, blocking, and keeps its tunnels going between them;
 * --threads sets how many exchanges are forwarded at once.
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

static long long
now_ms(void)
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

/* Serves what has arrived. -1 when the session is gone for good. */
static int
serve_ready(struct fwd_worker *w, long long *last)
{
	struct hsys_request *r;
	int rc;

	while ((rc = hsys_next_nowait(w->h, &r)) == 1) {
		exchange_run(w, r);
		*last = now_ms();
	}
	if (rc < 0) {
		fwd_log("the session with hsysd ended: %s", hsys_strerror(rc));
		return -1;
	}
	return 0;
}

/* Waits for the session or a tunnel, up to ms, then moves tunnel bytes. */
static void
wait_and_pump(struct fwd_worker *w, int ms)
{
	struct pollfd p[1 + FWD_MAX_TUNNELS];
	size_t n;

	p[0].fd = hsys_fd(w->h);
	p[0].events = POLLIN;
	p[0].revents = 0;
	n = 1 + tunnel_pollfds(w, p + 1, FWD_MAX_TUNNELS);
	poll(p, n, ms);
	if (w->ntunnels > 0)
		tunnel_pump(w);
}

static void
drain(struct fwd_worker *w)
{
	long long start = now_ms(), last, t;

	if (w->q != NULL)
		hsys_queue_close(w->q);
	w->q = NULL;
	last = now_ms();
	for (;;) {
		if (serve_ready(w, &last) < 0)
			break;
		t = now_ms();
		if (t - start > DRAIN_MAX_MS)
			break;
		if (w->ntunnels == 0 && t - last > DRAIN_QUIET_MS)
			break;
		wait_and_pump(w, 100);
	}
	tunnel_close_all(w);
}

void *
worker_main(void *arg)
{
	struct fwd_worker *w = arg;
	struct hsys_request *r;
	long long last = 0;
	int rc;

	while (!fwd_stop) {
		if (w->ntunnels == 0) {
			/* The common case: one call waits and receives. */
			if ((rc = hsys_next(w->h, &r, 250)) == 1) {
				exchange_run(w, r);
				continue;
			}
		} else if ((rc = serve_ready(w, &last)) == 0)
			wait_and_pump(w, 250);
		if (rc < 0) {
			if (w->ntunnels == 0)
				fwd_log("the session with hsysd ended: %s",
				    hsys_strerror(rc));
			w->failed = 1;
			kill(getpid(), SIGUSR1);
			break;
		}
	}
	if (!w->failed)
		drain(w);
	tunnel_close_all(w);
	upstream_pool_clear(&w->pool);
	hsys_close(w->h);
	w->h = NULL;
	free(w->in);
	free(w->out);
	return NULL;
}
