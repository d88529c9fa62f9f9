/*
 * diagnose_route — the routing hops of hsys diagnose, from hsysd's state
 * (STATE) and the store: which queue's prefix takes the URL and which other
 * prefixes it shadows (url_prefix_best, the router's rule), the urlacl
 * covering it and whom it grants, and the queue's processes.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/diagnose.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "url/url.h"

static const char *
class_name(enum url_host k)
{
	switch (k) {
	case URL_HOST_STRONG:	return "strong wildcard +";
	case URL_HOST_NAME:	return "host name";
	case URL_HOST_IP:	return "IP-bound";
	default:		return "weak wildcard *";
	}
}

struct reg {
	struct url_prefix	 p;
	json_t			*queue;
	const char		*text;
};

static void
collect(struct diag *d, struct reg **out, size_t *n)
{
	json_t *q, *p;
	size_t i, j;
	struct reg *r = NULL, *nr;
	struct err e;
	const char *s;

	*n = 0;
	json_array_foreach(json_object_get(d->state, "queues"), i, q)
		json_array_foreach(json_object_get(q, "prefixes"), j, p) {
			if ((s = json_string_value(p)) == NULL ||
			    (nr = realloc(r, (*n + 1) * sizeof(*r))) == NULL)
				continue;
			r = nr;
			if (url_prefix_parse(s, strlen(s), &r[*n].p, &e) == -1)
				continue;
			r[*n].queue = q;
			r[(*n)++].text = s;
		}
	*out = r;
}

const char *
dg_qname(json_t *q)
{
	const char *s = json_string_value(json_object_get(q, "name"));

	return s != NULL && *s ? s : "(unnamed)";
}

void
dg_hop_registration(struct diag *d)
{
	struct hop *h = &d->h[H_REGISTRATION];
	struct url_request rq = { 0 };
	struct url_prefix *ps = NULL;
	struct reg *r = NULL;
	char others[TEXT_MAX] = "", fix[TEXT_MAX];
	size_t n, i;
	long best;
	int all;

	if (d->state == NULL) {
		dg_set(h, DG_UNKNOWN, "Start hsysd", "hsysd is not running");
		return;
	}
	all = json_is_true(json_object_get(d->state, "all_queues"));
	collect(d, &r, &n);
	if (n > 0 && (ps = calloc(n, sizeof(*ps))) == NULL)
		n = 0;
	for (i = 0; i < n; i++)
		ps[i] = r[i].p;
	rq.https = d->https;
	rq.host = d->host;
	rq.hostlen = strlen(d->host);
	rq.local_family = d->have_addr ? d->addr.family : AF_INET;
	rq.local_addr = d->addr.addr;
	rq.port = d->port;
	rq.path = d->path;
	rq.pathlen = strlen(d->path);
	best = url_prefix_best(ps, n, &rq);
	if (best < 0) {
		snprintf(fix, sizeof(fix), "Start the application that serves "
		    "%s; if it runs and is refused, see the reservation",
		    d->url);
		dg_set(h, all ? DG_FAIL : DG_UNKNOWN, all ? fix : "Run hsys "
		    "diagnose as root to see every queue", "no registered "
		    "prefix takes %s%s", d->url, all ? "" : " among your own "
		    "queues (other users' are hidden)");
		goto done;
	}
	d->queue = r[best].queue;
	snprintf(d->prefix, sizeof(d->prefix), "%s", r[best].text);
	for (i = 0; i < n; i++)
		if ((long)i != best && r[i].queue != d->queue &&
		    url_prefix_matches(&r[i].p, &rq))
			snprintf(others + strlen(others), sizeof(others) -
			    strlen(others), "%s%s (queue %s)",
			    others[0] ? ", " : "", r[i].text,
			    dg_qname(r[i].queue));
	if (d->want_queue != NULL && strcmp(d->want_queue,
	    dg_qname(d->queue)) != 0) {
		snprintf(fix, sizeof(fix), "Remove or narrow %s of queue %s, "
		    "or register a longer or stronger prefix on queue %s",
		    r[best].text, dg_qname(d->queue), d->want_queue);
		dg_set(h, DG_FAIL, fix, "queue %s's %s (%s, path %zu bytes) "
		    "takes the URL, not queue %s%s%s", dg_qname(d->queue),
		    r[best].text, class_name(r[best].p.host_kind),
		    strlen(r[best].p.path), d->want_queue, others[0] ?
		    "; also matching: " : "", others);
		goto done;
	}
	dg_set(h, others[0] ? DG_WARN : DG_OK, others[0] ? "If the URL belongs "
	    "to another queue, remove or narrow the winning prefix (or use "
	    "--queue NAME to check)" : NULL, "queue %s takes it with %s (%s, "
	    "path %zu bytes)%s%s", dg_qname(d->queue), r[best].text,
	    class_name(r[best].p.host_kind), strlen(r[best].p.path),
	    others[0] ? "; it shadows " : "", others);
done:
	free(ps);
	free(r);
}

static int
in_group(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd *pw = getpwuid(uid);
	gid_t groups[256];
	int n = (int)nitems(groups), i;

	if (gid == want)
		return 1;
	if (pw == NULL || getgrouplist(pw->pw_name, gid, groups, &n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

/* The reservations matching the URL itself, when nothing is registered:
 * the one an application registering there would need. */
struct acl_best {
	struct url_request	*rq;
	struct config_urlacl	 best;
	int			 found;
	size_t			 bestlen;
};

static int
acl_match(const struct config_urlacl *a, void *arg)
{
	struct acl_best *b = arg;

	if (!url_prefix_matches(&a->prefix, b->rq) ||
	    (b->found && strlen(a->prefix.path) <= b->bestlen))
		return 0;
	b->best = *a;
	b->found = 1;
	b->bestlen = strlen(a->prefix.path);
	return 0;
}

static void
reservation_unregistered(struct diag *d)
{
	struct hop *h = &d->h[H_RESERVATION];
	struct url_request rq = { 0 };
	struct acl_best b;
	char who[64], fix[TEXT_MAX];
	struct err e;

	memset(&b, 0, sizeof(b));
	b.rq = &rq;
	rq.https = d->https;
	rq.host = d->host;
	rq.hostlen = strlen(d->host);
	rq.local_family = d->addr.family ? d->addr.family : AF_INET;
	rq.local_addr = d->addr.addr;
	rq.port = d->port;
	rq.path = d->path;
	rq.pathlen = strlen(d->path);
	if (config_urlacl_list(d->store, acl_match, &b, &e) == -1) {
		dg_set(h, DG_UNKNOWN, NULL, "cannot read the reservations: %s",
		    e.msg);
		return;
	}
	if (b.found) {
		config_principal_name(b.best.kind, b.best.id, who, sizeof(who));
		dg_set(h, DG_OK, NULL, "%s is reserved for %s (listen=%s): an "
		    "application running as %s may register it", b.best.url,
		    who, b.best.listen ? "yes" : "no", who);
		return;
	}
	/* The prefix an application would register: the URL's directory. */
	snprintf(fix, sizeof(fix), "hsys http add urlacl url=%s://+:%u%.*s "
	    "user=USER (the user the application runs as)", d->https ?
	    "https" : "http", d->port, (int)(strrchr(d->path, '/') + 1 -
	    d->path), d->path);
	dg_set(h, DG_FAIL, fix, "no reservation covers %s: only root may "
	    "register a prefix there; an application running as another "
	    "user is refused (EACCES)", d->url);
}

void
dg_hop_reservation(struct diag *d)
{
	struct hop *h = &d->h[H_RESERVATION];
	struct config_urlacl a;
	struct url_prefix p;
	struct passwd *pw;
	char who[64], fix[TEXT_MAX];
	const char *owner;
	uid_t uid;
	int rc;
	struct err e;

	if (d->store == NULL) {
		dg_set(h, DG_UNKNOWN, NULL, "cannot read the store: %s",
		    d->store_err);
		return;
	}
	if (d->queue == NULL) {
		reservation_unregistered(d);
		return;
	}
	uid = (uid_t)json_integer_value(json_object_get(d->queue,
	    "owner_uid"));
	owner = json_string_value(json_object_get(d->queue, "owner"));
	if (url_prefix_parse(d->prefix, strlen(d->prefix), &p, &e) == -1 ||
	    (rc = config_urlacl_covering(d->store, &p, &a, &e)) == -1) {
		dg_set(h, DG_UNKNOWN, NULL, "cannot check %s: %s", d->prefix,
		    e.msg);
		return;
	}
	if (rc == 0) {
		snprintf(fix, sizeof(fix), "hsys http add urlacl url=%s "
		    "user=%s", d->prefix, owner ? owner : "USER");
		dg_set(h, uid == 0 ? DG_OK : DG_WARN, uid == 0 ? NULL : fix,
		    "no reservation covers %s%s", d->prefix, uid == 0 ?
		    "; none is needed: the queue's owner is root" : "");
		return;
	}
	config_principal_name(a.kind, a.id, who, sizeof(who));
	pw = getpwuid(uid);
	if (uid == 0 || (a.listen && config_principal_grants(a.kind, a.id,
	    uid, pw ? pw->pw_gid : (gid_t)-1, in_group))) {
		dg_set(h, DG_OK, NULL, "%s covers %s and grants %s (listen=%s, "
		    "delegate=%s)", a.url, d->prefix, who, a.listen ? "yes" :
		    "no", a.delegate ? "yes" : "no");
		return;
	}
	snprintf(fix, sizeof(fix), "hsys http delete urlacl url=%s, then hsys "
	    "http add urlacl url=%s user=%s", a.url, a.url, owner ? owner :
	    "USER");
	dg_set(h, DG_WARN, fix, "%s covers %s but grants %s, not the queue's "
	    "owner %s: the registration will be refused when it is made "
	    "again", a.url, d->prefix, who, owner ? owner : "?");
}

void
dg_hop_queue(struct diag *d)
{
	struct hop *h = &d->h[H_QUEUE];
	json_t *q = d->queue;
	long procs, waiting, max, s503, grace;
	char fix[TEXT_MAX];

	if (q == NULL) {
		dg_set(h, d->state ? DG_SKIP : DG_UNKNOWN, NULL, "no queue "
		    "takes the URL");
		return;
	}
	procs = (long)json_array_size(json_object_get(q, "processes"));
	waiting = (long)json_integer_value(json_object_get(q, "waiting"));
	max = (long)json_integer_value(json_object_get(q, "max_waiting"));
	s503 = (long)json_integer_value(json_object_get(q,
	    "unavailable_503"));
	grace = (long)json_integer_value(json_object_get(q, "grace_ms"));
	if (procs == 0) {
		snprintf(fix, sizeof(fix), "Start the application of queue %s "
		    "again: it attaches by the queue's name", dg_qname(q));
		dg_set(h, DG_FAIL, fix, "queue %s has no process attached: its "
		    "application exited; the queue %s, and requests get 503 "
		    "(AppOffline) when none comes back in time; %ld waiting, "
		    "%ld 503s served", dg_qname(q),
		    json_is_true(json_object_get(q, "lingering")) ?
		    "lingers for its grace period" : "waits", waiting, s503);
		(void)grace;
		return;
	}
	if (max > 0 && waiting >= max) {
		dg_set(h, DG_WARN, "The application is not keeping up: add "
		    "processes to the queue, or raise its length", "queue %s "
		    "is full: %ld of %ld requests waiting (503 QueueFull), "
		    "%ld processes attached", dg_qname(q), waiting, max, procs);
		return;
	}
	dg_set(h, DG_OK, NULL, "queue %s: %ld process%s attached, %ld of %ld "
	    "requests waiting, %ld 503s served", dg_qname(q), procs,
	    procs == 1 ? "" : "es", waiting, max, s503);
}

