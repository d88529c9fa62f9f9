/*
 * hsysd — the daemon's context as a whole (hsysd.h): how its layers are
 * tied together, and how it stops. The files below reach the ones above
 * them only through the callbacks set here (as Redis's ae file procs or
 * NGINX Unit's callbacks do), so each reads as a layer. One teardown for
 * main() and for the in-process harness (tests/fuzz), so that every
 * object's end is the one the daemon runs.
 */
#include <unistd.h>

#include "daemon/acl.h"
#include "daemon/channel.h"
#include "daemon/conn.h"
#include "daemon/exchange.h"
#include "daemon/control.h"
#include "daemon/dispatch.h"
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
#include "daemon/renew.h"
#include "daemon/route.h"
#include "daemon/session.h"
#include "daemon/worker.h"

/* A channel closing serves no queue any more, and its requests in
 * flight are answered. */
static void
channel_closed(struct worker *w, struct channel *c)
{
	route_forget_channel(w, c);
	exchange_channel_lost(w, c);
}

static const struct channel_ops channel_ops = {
	.frame = exchange_from_app,
	.closed = channel_closed,
	.session_lost = session_end_by_id,
};

static const struct control_ops control_ops = {
	.first = dispatch_first,
	.frame = session_frame,
	.end = session_end,
};

void
hsysd_init(struct hsysd *d)
{
	d->control_ops = &control_ops;
	d->channel_ops = &channel_ops;
	d->accept = conn_accept;
	d->rebind = conns_rebind;
}

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
	renew_free(d);
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
