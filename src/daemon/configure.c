/*
 * configure — serving the configuration the store holds: when its
 * generation moved, the certificate bindings and limits (a new snapshot)
 * go to every worker, then the metrics page and the listeners follow.
 * Main thread. Called at start, on SIGHUP, by the store poll timer
 * (main.c) and for CONFIG_CHANGED (reload.c).
 */
#include "common/err.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/snapshot.h"
#include "store/store.h"

/* New bindings reach workers for new handshakes; connections keep the
 * context they were made with. */
static void
publish_snapshot(struct hsysd *d)
{
	struct snapshot *snap;
	struct err e;

	if (snapshot_build(&snap, d->tickets, &e) == -1) {
		log_warn("cannot load the bindings: %s; serving the previous "
		    "ones", e.msg);
		return;
	}
	log_info("%zu certificate binding(s) in force", snap->n);
	snapshot_publish(d, snap);
}

void
hsysd_reload(struct hsysd *d)
{
	struct store *s;
	struct err e;
	int64_t gen;

	if (store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1) {
		log_warn("cannot read the store: %s", e.msg);
		return;
	}
	if (store_generation(s, &gen, &e) == -1) {
		log_warn("cannot read the store: %s", e.msg);
		store_close(s);
		return;		/* gen is unset: try again at the next poll */
	}
	store_close(s);
	if (gen == d->generation || d->worker == NULL)
		return;
	log_info("configuration generation %lld (was %lld)", (long long)gen,
	    (long long)d->generation);
	d->generation = gen;
	publish_snapshot(d);
	metrics_configure(d);
	listener_sync(d);	/* after the snapshot: workers get it first */
}
