/*
 * hsysd — the daemon's context as a whole (hsysd.h): how it stops. One
 * teardown for main() and for the in-process harness (tests/fuzz), so
 * that every object's end is the one the daemon runs.
 */
#include <unistd.h>

#include "daemon/acl.h"
#include "daemon/control.h"
#include "daemon/drain.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/httplog.h"
#include "daemon/listener.h"
#include "daemon/metrics.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/reload.h"
#include "daemon/session.h"
#include "daemon/worker.h"

void
hsysd_stop(struct hsysd *d)
{
	while (d->sessions != NULL)
		session_end(d->sessions, "hsysd is stopping");
	metrics_stop(d);
	queues_free(d);
	registry_free(d);
	acl_cache_free(d);
	workers_stop(d);
	httplog_close(d->httplog);
	d->httplog = NULL;
	drain_free(d);
	handover_free(d);
	listeners_free(d);
	if (d->mailbox_open)
		mailbox_close(&d->mailbox, d->loop);
	d->mailbox_open = 0;
	control_unlink(d->control, d->sock_path);
	control_close(d->control);
	d->control = NULL;
	reload_free(d);
	loop_free(d->loop);
	d->loop = NULL;
	quota_free(d);		/* a STATE reply cut off holds its count */
}
