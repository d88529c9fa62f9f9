/*
 * configure — serving the configuration the store holds: when its
 * generation moved, the certificate bindings and limits (a new snapshot)
 * go to every worker, then the metrics page and the listeners follow.
 * Main thread. Called at start, on SIGHUP, by the store poll timer
 * (main.c) and for CONFIG_CHANGED (reload.c).
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "daemon/hsysd.h"
#include "daemon/keyproc.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/renew.h"
#include "daemon/snapshot.h"
#include "store/store.h"

/* New bindings reach workers for new handshakes; connections keep the
 * context they were made with. */
static int
publish_snapshot(struct hsysd *d, struct err *e)
{
	struct snapshot *snap;

	/* The keys the new bindings use, read by the key process first. */
	keyproc_reload(d);
	if (snapshot_build(&snap, d->tickets, d->keys, e) == -1)
		return -1;
	log_info("%zu certificate binding(s) in force", snap->n);
	snapshot_publish(d, snap);
	return 0;
}

/*
 * A store that cannot be read (damaged, unreadable, a disk error) after
 * hsysd started: it keeps serving the configuration it has, says so once
 * per cause (not at every poll), and servicestate shows why (state.c).
 */
static void
store_unreadable(struct hsysd *d, const struct err *e)
{
	if (strcmp(d->store_error, e->msg) == 0)
		return;
	log_warn("cannot read the store: %s; serving the configuration of "
	    "generation %lld", e->msg, (long long)d->generation);
	snprintf(d->store_error, sizeof(d->store_error), "%s", e->msg);
}

static void
store_readable(struct hsysd *d)
{
	if (d->store_error[0] == '\0')
		return;
	log_notice("the store can be read again");
	d->store_error[0] = '\0';
}

void
hsysd_reload(struct hsysd *d)
{
	struct store *s;
	struct err e;
	int64_t gen;

	if (store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1 ||
	    store_generation(s, &gen, &e) == -1) {
		store_close(s);
		store_unreadable(d, &e);
		return;		/* gen is unset: try again at the next poll */
	}
	store_close(s);
	if (gen == d->generation || d->worker == NULL) {
		store_readable(d);
		return;
	}
	/* Before the generation moves: a failure is tried again. */
	if (publish_snapshot(d, &e) == -1) {
		store_unreadable(d, &e);
		return;
	}
	store_readable(d);
	log_info("configuration generation %lld (was %lld)", (long long)gen,
	    (long long)d->generation);
	d->generation = gen;
	metrics_configure(d);
	listener_sync(d);	/* after the snapshot: workers get it first */
	renew_sync(d);
}
