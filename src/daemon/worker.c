/*
 * worker — worker threads and their loops. See worker.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/cache.h"
#include "daemon/channel.h"
#include "daemon/conn.h"
#include "daemon/httplog.h"
#include "daemon/listener.h"
#include "daemon/route.h"
#include "daemon/snapshot.h"
#include "daemon/stats.h"
#include "daemon/tls.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/worker.h"

struct stop_mail {
	struct mail	 mail;
	struct worker	*w;
};

static void
stop_fn(struct mail *m)
{
	struct stop_mail *sm = container_of(m, struct stop_mail, mail);

	loop_stop(sm->w->loop);
	free(sm);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct err e;

	if (loop_run(w->loop, &e) == -1)
		log_err("worker %d: %s", w->index, e.msg);
	listeners_close_all(w);
	conns_close_all(w);
	handshake_keys_unwatch(w);
	channels_close_all(w);
	httplog_worker_flush(w);
	return NULL;
}

int
workers_start(struct hsysd *d, struct err *e)
{
	struct worker *w;
	int i, rc;

	if ((d->worker = calloc((size_t)d->workers, sizeof(*d->worker))) ==
	    NULL)
		return err_sys(e, "out of memory");
	/* Every worker reads every worker's counters (the metrics page):
	 * all exist before the first thread starts, and go after the last
	 * one stopped. */
	for (i = 0; i < d->workers; i++)
		if ((d->worker[i].stats = stats_new()) == NULL ||
		    (d->worker[i].cache = cache_new()) == NULL)
			return err_sys(e, "out of memory");
	for (i = 0; i < d->workers; i++) {
		w = &d->worker[i];
		w->index = i;
		w->d = d;
		w->log = httplog_worker(d->httplog, w);
		if (loop_new(&w->loop, e) == -1 ||
		    mailbox_open(&w->mailbox, w->loop, e) == -1 ||
		    tls_listen_ctx_new(&w->tls_ctx, d->tickets, conn_tls_hello,
		    w, e) == -1)
			return -1;
		/* Signals are blocked in the main thread before this, so
		 * the worker inherits a mask with them blocked. */
		if ((rc = pthread_create(&w->thread, NULL, worker_main, w))
		    != 0) {
			errno = rc;
			return err_sys(e, "cannot start worker %d", i);
		}
		w->started = 1;
	}
	return 0;
}

void
workers_stop(struct hsysd *d)
{
	struct stop_mail *sm;
	struct worker *w;
	int i;

	if (d->worker == NULL)
		return;
	for (i = 0; i < d->workers; i++) {
		w = &d->worker[i];
		if (!w->started)
			continue;
		if ((sm = calloc(1, sizeof(*sm))) == NULL)
			abort();	/* cannot stop a thread without it */
		sm->mail.fn = stop_fn;
		sm->w = w;
		mailbox_post(&w->mailbox, &sm->mail);
	}
	for (i = 0; i < d->workers; i++) {
		w = &d->worker[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->loop != NULL) {
			mailbox_close(&w->mailbox, w->loop);
			loop_free(w->loop);
		}
		route_free(w);
		snapshot_release(w->snapshot);
		SSL_CTX_free(w->tls_ctx);
		free(w->xslot);
		free(w->xgen);
		free(w->xfree);
		free(w->cook);
	}
	for (i = 0; i < d->workers; i++) {
		stats_free(d->worker[i].stats);
		cache_free(d->worker[i].cache);
	}
	free(d->worker);
	d->worker = NULL;
}
