/*
 * diagnose — hsys diagnose URL [--json] [--request] [--queue NAME]: walks
 * every hop between a client and the application for a URL and gives one
 * verdict per hop, with the fix when it fails (docs/diagnose.md):
 *
 *   resolve       the host resolves to an address of this machine
 *   listener      hsysd listens on that address and port (not another
 *                 program; not left out by iplisten)
 *   binding       https: the sslcert binding a handshake gets (SNI rules)
 *   certificate   https: that binding's certificate can serve the name
 *   reservation   the urlacl covering the prefix, and whom it grants
 *   registration  the queue whose prefix takes the URL, and who shadows
 *   queue         processes attached, requests waiting, 503s served
 *   request       --request: a real GET through hsysd, and httperr's reason
 *
 * What it knows of hsysd comes from the STATE request (what `hsys http
 * show servicestate --json` prints); another user than root sees only its
 * own queues there, and only its own processes' sockets in /proc: the
 * verdicts say so. Exit 0 only when no hop fails and none is unknown.
 */
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/cli.h"
#include "cli/diagnose.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "http/http.h"
#include "store/store.h"
#include "url/url.h"

#define MAX_ADDRS	16
#define TEXT_MAX	4096

static const char usage_text[] =
"usage: hsys diagnose URL [--json] [--request] [--queue NAME]\n"
"\n"
"Walks every hop between a client and the application for URL and gives a\n"
"verdict for each, with the fix when it fails: name resolution, listener,\n"
"binding and certificate (https), reservation, registration, the queue,\n"
"and with --request a real GET through hsysd. --queue NAME: the queue that\n"
"should get the URL (a prefix of another queue that wins is a failure).\n"
"Exit status: 0 every hop is fine, 1 a hop fails, 2 usage.\n";

enum dg_status { DG_OK, DG_WARN, DG_FAIL, DG_UNKNOWN, DG_SKIP };
static const char *const status_name[] = {
	"ok", "warning", "fail", "unknown", "skipped"
};

enum { H_RESOLVE, H_LISTENER, H_BINDING, H_CERT, H_RESERVATION,
    H_REGISTRATION, H_QUEUE, H_REQUEST, H_COUNT };
static const char *const hop_name[H_COUNT] = {
	"resolve", "listener", "binding", "certificate", "reservation",
	"registration", "queue", "request"
};
static const char *const hop_title[H_COUNT] = {
	"name resolution", "listener", "binding", "certificate",
	"reservation", "registration", "queue", "request"
};

struct hop {
	enum dg_status	st;
	char		what[TEXT_MAX];
	char		fix[TEXT_MAX];
};

struct diag {
	/* the URL */
	const char	*url;
	int		 https;
	char		 host[URL_HOST_MAX];
	uint16_t	 port;
	char		 target[URL_PATH_MAX];	/* path and query, as sent */
	char		 path[URL_PATH_MAX];	/* cooked */
	const char	*want_queue;
	/* what was found */
	struct dg_addr	 addr;			/* the local address used */
	int		 have_addr;
	json_t		*state;			/* NULL: no hsysd */
	char		 state_err[ERR_MAX + 64];
	struct store	*store;
	char		 store_err[ERR_MAX + 64];
	json_t		*queue;			/* the winning queue */
	char		 prefix[URL_PREFIX_MAX];	/* its winning prefix */
	char		 binding[CONFIG_ENDPOINT_MAX + 16];	/* that answers */
	int		 http_status;		/* --request's, 0: none */
	char		 reason[128];		/* its httperr reason */
	struct hop	 h[H_COUNT];
};

static void
set(struct hop *h, enum dg_status st, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
set(struct hop *h, enum dg_status st, const char *fix, const char *fmt, ...)
{
	va_list ap;

	h->st = st;
	va_start(ap, fmt);
	vsnprintf(h->what, sizeof(h->what), fmt, ap);
	va_end(ap);
	snprintf(h->fix, sizeof(h->fix), "%s", fix ? fix : "");
}

/* --- the URL ------------------------------------------------------------ */

static int
parse_url(struct diag *d, struct err *e)
{
	const char *s = d->url, *h, *end, *colon;
	struct http_cooked ck;
	size_t n;
	long port;

	if (strncasecmp(s, "https://", 8) == 0)
		d->https = 1, h = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		h = s + 7;
	else
		return err_set(e, "%s: give an http:// or https:// URL", s);
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		if ((colon = memchr(h, ']', (size_t)(end - h))) == NULL)
			return err_set(e, "%s: an IPv6 address needs its ']'",
			    s);
		n = (size_t)(colon - h - 1);
		h++;
		colon++;
		if (colon == end)
			colon = NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon ? colon : end) - h);
	}
	if (n == 0 || n >= sizeof(d->host))
		return err_set(e, "%s: the host is empty or too long", s);
	memcpy(d->host, h, n);
	d->host[n] = '\0';
	port = d->https ? 443 : 80;
	if (colon != NULL) {
		if (*colon != ':' || (port = strtol(colon + 1, NULL, 10)) < 1 ||
		    port > 65535 || (size_t)(end - colon - 1) !=
		    strspn(colon + 1, "0123456789"))
			return err_set(e, "%s: the port is not 1..65535", s);
	}
	d->port = (uint16_t)port;
	snprintf(d->target, sizeof(d->target), "%s", *end == '/' ? end : "/");
	d->target[strcspn(d->target, "#")] = '\0';
	if (http_path_cook(d->target, strlen(d->target), d->path,
	    sizeof(d->path), &ck) < 0)
		return err_set(e, "%s: hsysd would refuse this path (%s)", s,
		    ck.error ? ck.error : "bad path");
	d->path[ck.path_len] = '\0';
	return 0;
}

/* --- name resolution ---------------------------------------------------- */

static void
hop_resolve(struct diag *d)
{
	struct dg_addr a[MAX_ADDRS];
	char why[256], ifname[64], list[512] = "", fix[TEXT_MAX];
	size_t n, i;

	if (dg_resolve(d->host, a, MAX_ADDRS, &n, why, sizeof(why)) == -1 ||
	    n == 0) {
		snprintf(fix, sizeof(fix), "Make %s resolve to an address of "
		    "this machine (DNS, or /etc/hosts), or use a name that "
		    "does", d->host);
		set(&d->h[H_RESOLVE], DG_FAIL, fix, "%s does not resolve: %s",
		    d->host, n == 0 ? "no address" : why);
		return;
	}
	for (i = 0; i < n; i++) {
		if (dg_is_local(&a[i], ifname, sizeof(ifname))) {
			d->addr = a[i];
			d->have_addr = 1;
			set(&d->h[H_RESOLVE], DG_OK, NULL, "%s%s%s%s "
			    "address of this machine (%s)", d->host,
			    strcmp(d->host, a[i].text) ? " resolves to " : "",
			    strcmp(d->host, a[i].text) ? a[i].text : "",
			    strcmp(d->host, a[i].text) ? ", an" : " is an",
			    ifname);
			return;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i ? ", " : "", a[i].text);
	}
	snprintf(fix, sizeof(fix), "Point %s at an address of this machine "
	    "(DNS, or /etc/hosts), or diagnose the machine that has %s",
	    d->host, a[0].text);
	set(&d->h[H_RESOLVE], DG_FAIL, fix, "%s resolves to %s, not an "
	    "address of this machine: clients reach another host", d->host,
	    list);
}

/* --- the listener ------------------------------------------------------- */

static json_t *
state_listener(struct diag *d)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(d->state, "listeners"), i, l)
		if (json_integer_value(json_object_get(l, "port")) == d->port)
			return l;
	return NULL;
}

/* Does hsysd's listener list take our address? */
static int
hsysd_listens(struct diag *d, json_t *l)
{
	const char *wild = d->addr.family == AF_INET ? "0.0.0.0" : "::";
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(l, "addresses"), i, a)
		if (strcmp(json_string_value(a) ? json_string_value(a) : "",
		    wild) == 0 || strcmp(json_string_value(a) ?
		    json_string_value(a) : "", d->addr.text) == 0)
			return 1;
	return 0;
}

struct iplist {
	char	text[512];
	int	n, takes;
	const struct dg_addr *a;
};

static int
add_ip(const char *ip, void *arg)
{
	struct iplist *l = arg;
	unsigned char b[16];
	const char *wild = l->a->family == AF_INET ? "0.0.0.0" : "::";

	snprintf(l->text + strlen(l->text), sizeof(l->text) - strlen(l->text),
	    "%s%s", l->n++ ? ", " : "", ip);
	if (strcmp(ip, wild) == 0 || (inet_pton(l->a->family, ip, b) == 1 &&
	    memcmp(b, l->a->addr, l->a->family == AF_INET ? 4 : 16) == 0))
		l->takes = 1;
	return 0;
}

static void
nothing_listens(struct diag *d)
{
	struct iplist l = { "", 0, 0, &d->addr };
	char fix[TEXT_MAX];
	struct err e;

	if (d->store != NULL &&
	    config_iplisten_list(d->store, add_ip, &l, &e) == 0 &&
	    l.n > 0 && !l.takes) {
		snprintf(fix, sizeof(fix), "hsys http add iplisten "
		    "ipaddress=%s (then hsysd listens there too)", d->addr.text);
		set(&d->h[H_LISTENER], DG_FAIL, fix, "nothing listens on %s "
		    "port %u: the iplisten list (%s) leaves %s out", d->addr.text,
		    d->port, l.text, d->addr.text);
		return;
	}
	snprintf(fix, sizeof(fix), d->https ? "hsysd opens a port when an "
	    "application registers a prefix on it or a binding names it: "
	    "start the application, or hsys http add sslcert ipport=0.0.0.0:%u "
	    "certhash=..." : "hsysd opens a port when an application "
	    "registers a prefix on it: start the application (its prefix "
	    "must name port %u)", d->port);
	set(&d->h[H_LISTENER], DG_FAIL, fix, "nothing listens on %s port %u",
	    d->addr.text, d->port);
}

static void
hop_listener(struct diag *d)
{
	struct hop *h = &d->h[H_LISTENER];
	struct dg_holder who;
	json_t *l;
	long dpid;
	int ours;
	char fix[TEXT_MAX];

	if (!d->have_addr) {
		set(h, DG_SKIP, NULL, "no address of this machine to look at");
		return;
	}
	dg_port_holder(&d->addr, d->port, &who);
	if (d->state == NULL) {
		set(h, DG_FAIL, "Start hsysd (systemctl start hsysd, or hsysd)",
		    "hsysd is not running (%s)%s%s%s", d->state_err,
		    who.found ? "; " : "", who.found ? (who.pid ? who.comm :
		    "another program") : "", who.found ? " listens on the port"
		    : "");
		return;
	}
	dpid = (long)json_integer_value(json_object_get(json_object_get(
	    d->state, "server"), "pid"));
	l = state_listener(d);
	ours = l != NULL && hsysd_listens(d, l);
	if (who.found && who.pid != 0 && who.pid != dpid) {
		snprintf(fix, sizeof(fix), "Stop %s (pid %d) or move it to "
		    "another port; hsysd tries the port again every 5 s",
		    who.comm, (int)who.pid);
		set(h, DG_FAIL, fix, "port %u on %s is held by another "
		    "program: %s (pid %d), not hsysd (pid %ld)", d->port,
		    who.bound, who.comm, (int)who.pid, dpid);
		return;
	}
	if (who.found && who.pid == 0 && !ours) {
		set(h, DG_FAIL, "Find it as root (ss -ltnp) and stop it or move "
		    "it to another port", "another program listens on %s port "
		    "%u (run as root to see which)", who.bound, d->port);
		return;
	}
	if (ours || (who.found && who.pid == dpid)) {
		set(h, DG_OK, NULL, "hsysd (pid %ld) listens on %s port %u%s%s"
		    "%s", dpid, d->addr.text, d->port, l ? " (" : "", l ?
		    json_string_value(json_object_get(l, "scheme")) : "",
		    l ? ")" : "");
		if (l != NULL && json_string_value(json_object_get(l, "scheme"))
		    && (strcmp(json_string_value(json_object_get(l, "scheme")),
		    "https") == 0) != d->https)
			set(h, DG_FAIL, d->https ? "Use http:// for this port, or "
			    "move the application's prefixes to a port with a "
			    "binding" : "Use https:// for this port (a binding "
			    "makes it TLS)", "hsysd serves port %u in %s, not "
			    "%s", d->port, json_string_value(json_object_get(l,
			    "scheme")), d->https ? "https" : "http");
		return;
	}
	nothing_listens(d);
}

/* --- binding and certificate -------------------------------------------- */

struct bindings {
	struct config_sslcert	*b;
	size_t			 n;
};

static int
add_binding(const struct config_sslcert *c, void *arg)
{
	struct bindings *l = arg;
	struct config_sslcert *nb;

	if ((nb = realloc(l->b, (l->n + 1) * sizeof(*nb))) == NULL)
		return 1;
	l->b = nb;
	l->b[l->n++] = *c;
	return 0;
}

struct findings {
	char	text[TEXT_MAX];
	int	warnings;
};

static void
finding(void *arg, int warning, const char *msg)
{
	struct findings *f = arg;

	snprintf(f->text + strlen(f->text), sizeof(f->text) - strlen(f->text),
	    "%s%s%s", f->text[0] ? "; " : "", warning ? "warning: " : "", msg);
	f->warnings += warning;
}

static void
hop_cert(struct diag *d, const struct config_sslcert *b)
{
	struct hop *h = &d->h[H_CERT];
	struct cert_store_name sn;
	struct cert_entry c;
	struct cert_verify v;
	struct findings f = { "", 0 };
	STACK_OF(X509) *ca = NULL, *root = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	char fix[TEXT_MAX];
	int problems;
	struct err e;

	snprintf(fix, sizeof(fix), "Import a certificate for %s with its key "
	    "(hsys cert import, or hsys cert new-selfsigned), then hsys http "
	    "update sslcert %s=%s certhash=NEW", d->host, b->kind ==
	    CONFIG_IPPORT ? "ipport" : "hostnameport", b->endpoint);
	if (cert_store_name_parse(b->storename, &sn, &e) == -1 ||
	    certstore_find(d->store, sn.name, b->certhash, &c, &e) == -1) {
		set(h, DG_FAIL, fix, "the binding's certificate %s: %s",
		    b->certhash, e.msg);
		return;
	}
	if (certstore_load(d->store, c.id, &x, &key, &e) == -1 ||
	    certstore_stack(d->store, CERT_STORE_CA, &ca, &e) == -1 ||
	    certstore_stack(d->store, CERT_STORE_ROOT, &root, &e) == -1) {
		set(h, geteuid() == 0 ? DG_FAIL : DG_UNKNOWN, geteuid() == 0 ?
		    fix : "Run hsys diagnose as root to check the certificate",
		    "cannot read certificate %s: %s", b->certhash, e.msg);
		goto done;
	}
	memset(&v, 0, sizeof(v));
	v.cert = x;
	v.key = key;
	v.untrusted = ca;
	v.anchors = root;
	v.system_trust = 1;
	v.dns_name = d->host;
	v.report = finding;
	v.arg = &f;
	if (cert_verify_https(&v, &problems, &e) == -1) {
		set(h, DG_UNKNOWN, NULL, "cannot check %s: %s", b->certhash,
		    e.msg);
		goto done;
	}
	if (problems > 0)
		set(h, DG_FAIL, fix, "%s (%s) cannot serve %s: %s",
		    c.thumbprint, c.subject, d->host, f.text);
	else
		set(h, f.warnings ? DG_WARN : DG_OK, f.warnings ? fix : NULL,
		    "%s (%s) serves %s%s%s", c.thumbprint, c.subject, d->host,
		    f.text[0] ? ": " : "", f.text);
done:
	sk_X509_pop_free(root, X509_free);
	sk_X509_pop_free(ca, X509_free);
	EVP_PKEY_free(key);
	X509_free(x);
}

static void
hop_binding(struct diag *d)
{
	struct hop *h = &d->h[H_BINDING];
	struct bindings l = { NULL, 0 };
	unsigned char ip[16];
	char fix[TEXT_MAX];
	int sni;
	long i;
	struct err e;

	if (!d->https) {
		set(h, DG_SKIP, NULL, "http: no TLS");
		set(&d->h[H_CERT], DG_SKIP, NULL, "http: no TLS");
		return;
	}
	set(&d->h[H_CERT], DG_SKIP, NULL, "no binding to look at");
	if (!d->have_addr) {
		set(h, DG_SKIP, NULL, "no address of this machine to look at");
		return;
	}
	if (d->store == NULL || config_sslcert_list(d->store, add_binding, &l,
	    &e) == -1) {
		set(h, DG_UNKNOWN, "Run hsys diagnose as root",
		    "cannot read the bindings: %s", d->store ? e.msg :
		    d->store_err);
		goto done;
	}
	/* Clients send no server name for an IP address (RFC 6066). */
	sni = inet_pton(AF_INET, d->host, ip) != 1 &&
	    inet_pton(AF_INET6, d->host, ip) != 1;
	i = config_sslcert_pick(l.b, l.n, sni ? d->host : NULL,
	    d->addr.family, d->addr.addr, d->port);
	if (i < 0) {
		snprintf(fix, sizeof(fix), "hsys http add sslcert "
		    "hostnameport=%s:%u certhash=THUMBPRINT (or ipport=%s:%u "
		    "for every name on the port)", sni ? d->host : "NAME",
		    d->port, d->addr.family == AF_INET ? "0.0.0.0" : "[::]",
		    d->port);
		set(h, DG_FAIL, fix, "no binding answers %s%s on %s port %u: "
		    "hsysd refuses the handshake (TLS_NoBinding)", sni ?
		    "server name " : "a client without server name",
		    sni ? d->host : "", d->addr.text, d->port);
		goto done;
	}
	set(h, DG_OK, NULL, "%s=%s answers (certificate %s in %s)",
	    l.b[i].kind == CONFIG_IPPORT ? "ipport" : "hostnameport",
	    l.b[i].endpoint, l.b[i].certhash, l.b[i].storename);
	snprintf(d->binding, sizeof(d->binding), "%s=%s", l.b[i].kind ==
	    CONFIG_IPPORT ? "ipport" : "hostnameport", l.b[i].endpoint);
	hop_cert(d, &l.b[i]);
done:
	free(l.b);
}

/* --- registration, reservation, queue ----------------------------------- */

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

static const char *
qname(json_t *q)
{
	const char *s = json_string_value(json_object_get(q, "name"));

	return s != NULL && *s ? s : "(unnamed)";
}

static void
hop_registration(struct diag *d)
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
		set(h, DG_UNKNOWN, "Start hsysd", "hsysd is not running");
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
		    "%s; if it runs and is refused, see the reservation", d->url);
		set(h, all ? DG_FAIL : DG_UNKNOWN, all ? fix : "Run hsys "
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
			    strlen(others), "%s%s (queue %s)", others[0] ? ", " :
			    "", r[i].text, qname(r[i].queue));
	if (d->want_queue != NULL && strcmp(d->want_queue,
	    qname(d->queue)) != 0) {
		snprintf(fix, sizeof(fix), "Remove or narrow %s of queue %s, "
		    "or register a longer or stronger prefix on queue %s",
		    r[best].text, qname(d->queue), d->want_queue);
		set(h, DG_FAIL, fix, "queue %s's %s (%s, path %zu bytes) takes "
		    "the URL, not queue %s%s%s", qname(d->queue), r[best].text,
		    class_name(r[best].p.host_kind), strlen(r[best].p.path),
		    d->want_queue, others[0] ? "; also matching: " : "",
		    others);
		goto done;
	}
	set(h, others[0] ? DG_WARN : DG_OK, others[0] ? "If the URL belongs "
	    "to another queue, remove or narrow the winning prefix (or use "
	    "--queue NAME to check)" : NULL, "queue %s takes it with %s (%s, "
	    "path %zu bytes)%s%s", qname(d->queue), r[best].text,
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
		set(h, DG_UNKNOWN, NULL, "cannot read the reservations: %s",
		    e.msg);
		return;
	}
	if (b.found) {
		config_principal_name(b.best.kind, b.best.id, who, sizeof(who));
		set(h, DG_OK, NULL, "%s is reserved for %s (listen=%s): an "
		    "application running as %s may register it", b.best.url,
		    who, b.best.listen ? "yes" : "no", who);
		return;
	}
	/* The prefix an application would register: the URL's directory. */
	snprintf(fix, sizeof(fix), "hsys http add urlacl url=%s://+:%u%.*s "
	    "user=USER (the user the application runs as)", d->https ?
	    "https" : "http", d->port, (int)(strrchr(d->path, '/') + 1 -
	    d->path), d->path);
	set(h, DG_FAIL, fix, "no reservation covers %s: only root may "
	    "register a prefix there; an application running as another "
	    "user is refused (EACCES)", d->url);
}

static void
hop_reservation(struct diag *d)
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
		set(h, DG_UNKNOWN, NULL, "cannot read the store: %s",
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
		set(h, DG_UNKNOWN, NULL, "cannot check %s: %s", d->prefix,
		    e.msg);
		return;
	}
	if (rc == 0) {
		snprintf(fix, sizeof(fix), "hsys http add urlacl url=%s user=%s",
		    d->prefix, owner ? owner : "USER");
		set(h, uid == 0 ? DG_OK : DG_WARN, uid == 0 ? NULL : fix,
		    "no reservation covers %s%s", d->prefix, uid == 0 ?
		    "; none is needed: the queue's owner is root" : "");
		return;
	}
	config_principal_name(a.kind, a.id, who, sizeof(who));
	pw = getpwuid(uid);
	if (uid == 0 || (a.listen && config_principal_grants(a.kind, a.id,
	    uid, pw ? pw->pw_gid : (gid_t)-1, in_group))) {
		set(h, DG_OK, NULL, "%s covers %s and grants %s (listen=%s, "
		    "delegate=%s)", a.url, d->prefix, who, a.listen ? "yes" :
		    "no", a.delegate ? "yes" : "no");
		return;
	}
	snprintf(fix, sizeof(fix), "hsys http delete urlacl url=%s, then hsys "
	    "http add urlacl url=%s user=%s", a.url, a.url, owner ? owner :
	    "USER");
	set(h, DG_WARN, fix, "%s covers %s but grants %s, not the queue's "
	    "owner %s: the registration will be refused when it is made "
	    "again", a.url, d->prefix, who, owner ? owner : "?");
}

static void
hop_queue(struct diag *d)
{
	struct hop *h = &d->h[H_QUEUE];
	json_t *q = d->queue;
	long procs, waiting, max, s503, grace;
	char fix[TEXT_MAX];

	if (q == NULL) {
		set(h, d->state ? DG_SKIP : DG_UNKNOWN, NULL, "no queue takes "
		    "the URL");
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
		    "again: it attaches by the queue's name", qname(q));
		set(h, DG_FAIL, fix, "queue %s has no process attached: its "
		    "application exited; the queue %s, and requests get 503 "
		    "(AppOffline) when none comes back in time; %ld waiting, "
		    "%ld 503s served", qname(q),
		    json_is_true(json_object_get(q, "lingering")) ?
		    "lingers for its grace period" : "waits", waiting, s503);
		(void)grace;
		return;
	}
	if (max > 0 && waiting >= max) {
		set(h, DG_WARN, "The application is not keeping up: add "
		    "processes to the queue, or raise its length", "queue %s "
		    "is full: %ld of %ld requests waiting (503 QueueFull), "
		    "%ld processes attached", qname(q), waiting, max, procs);
		return;
	}
	set(h, DG_OK, NULL, "queue %s: %ld process%s attached, %ld of %ld "
	    "requests waiting, %ld 503s served", qname(q), procs,
	    procs == 1 ? "" : "es", waiting, max, s503);
}

/* --- the request ------------------------------------------------------- */

static void
hop_request(struct diag *d)
{
	struct hop *h = &d->h[H_REQUEST];
	struct dg_addr lo = { .family = AF_INET, .addr = { 127, 0, 0, 1 },
	    .text = "127.0.0.1" };
	const struct dg_addr *a = d->have_addr ? &d->addr : &lo;
	char why[512], logpath[600], reason[128], lwhy[700];
	uint16_t lport = 0;
	long off;
	int status, rc;

	off = dg_httperr_size(logpath, sizeof(logpath));
	if (dg_request(a, d->port, d->https, d->host, d->target, &status,
	    &lport, why, sizeof(why)) == 0 && (d->http_status = status) <
	    400) {
		set(h, DG_OK, NULL, "GET %s through %s port %u: %d", d->target,
		    a->text, d->port, status);
		return;
	}
	if (lport == 0) {
		set(h, DG_FAIL, NULL, "GET %s: %s", d->target, why);
		return;
	}
	rc = dg_httperr_reason(logpath, off, lport, d->port, reason,
	    sizeof(reason), lwhy, sizeof(lwhy));
	if (rc == 1)
		snprintf(d->reason, sizeof(d->reason), "%s", reason);
	if (status != 0)
		snprintf(why, sizeof(why), "status %d", status);
	set(h, DG_FAIL, NULL, "GET %s through %s port %u: %s; httperr: %s",
	    d->target, a->text, d->port, why, rc == 1 ? reason : rc == 0 ?
	    "no line (the application answered so, or the log is off)" :
	    lwhy);
}

/* --- output ------------------------------------------------------------ */

static void
print_text(const struct diag *d, int fails)
{
	int i;

	printf("Diagnosis of %s\n", d->url);
	for (i = 0; i < H_COUNT; i++) {
		printf("  %-8s %-15s %s\n", d->h[i].st == DG_FAIL ? "FAIL" :
		    status_name[d->h[i].st], hop_title[i], d->h[i].what);
		if (d->h[i].fix[0] && d->h[i].st != DG_OK)
			printf("  %-8s %-15s fix: %s\n", "", "", d->h[i].fix);
	}
	if (geteuid() != 0)
		printf("Note: not root; other users' queues and processes "
		    "are hidden, and keys may not be readable.\n");
	printf("%s\n", fails ? "Verdict: a hop fails or could not be "
	    "checked (see above)." : "Verdict: every hop is fine.");
}

/* key then a JSON string, or null. */
static void
json_fact(const char *key, const char *value)
{
	fputs(key, stdout);
	if (value != NULL)
		cli_json_str(stdout, value);
	else
		fputs("null", stdout);
}

static void
print_json(const struct diag *d, int fails)
{
	int i;

	fputs("{\"url\": ", stdout);
	cli_json_str(stdout, d->url);
	printf(", \"ok\": %s, \"root\": %s, \"hops\": [", fails ? "false" :
	    "true", geteuid() == 0 ? "true" : "false");
	for (i = 0; i < H_COUNT; i++) {
		printf("%s\n  {\"hop\": \"%s\", \"status\": \"%s\", "
		    "\"verdict\": ", i ? "," : "", hop_name[i],
		    status_name[d->h[i].st]);
		cli_json_str(stdout, d->h[i].what);
		fputs(", \"fix\": ", stdout);
		if (d->h[i].fix[0] && d->h[i].st != DG_OK)
			cli_json_str(stdout, d->h[i].fix);
		else
			fputs("null", stdout);
		fputc('}', stdout);
	}
	fputs("\n]", stdout);
	json_fact(", \"address\": ", d->have_addr ? d->addr.text : NULL);
	json_fact(", \"binding\": ", d->binding[0] ? d->binding : NULL);
	json_fact(", \"queue\": ", d->queue ? qname(d->queue) : NULL);
	json_fact(", \"prefix\": ", d->prefix[0] ? d->prefix : NULL);
	if (d->http_status)
		printf(", \"http_status\": %d", d->http_status);
	else
		fputs(", \"http_status\": null", stdout);
	json_fact(", \"httperr_reason\": ", d->reason[0] ? d->reason : NULL);
	fputs("}\n", stdout);
}

static void
load_facts(struct diag *d)
{
	char path[128], *out = NULL;
	size_t len = 0;
	json_error_t je;
	struct err e;
	int rc;

	rc = cli_state_fetch(0, &out, &len, path, sizeof(path), &e);
	if (rc == 1)
		snprintf(d->state_err, sizeof(d->state_err), "nothing listens "
		    "on %s", path);
	else if (rc == -1)
		snprintf(d->state_err, sizeof(d->state_err), "%s", e.msg);
	else if ((d->state = json_loadb(out, len, 0, &je)) == NULL)
		snprintf(d->state_err, sizeof(d->state_err), "its state does "
		    "not parse: %s", je.text);
	free(out);
	if (store_open(&d->store, STORE_MACHINE, STORE_READ, &e) == -1) {
		d->store = NULL;
		snprintf(d->store_err, sizeof(d->store_err), "%s", e.msg);
	}
}

int
cli_diagnose(int argc, char **argv)
{
	struct diag d;
	int i, json = 0, request = 0, fails = 0;
	struct err e;

	memset(&d, 0, sizeof(d));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--request") == 0)
			request = 1;
		else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
			d.want_queue = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage("diagnose", "unknown option '%s'",
			    argv[i]);
		else if (d.url != NULL)
			return cli_usage("diagnose", "unexpected '%s'",
			    argv[i]);
		else
			d.url = argv[i];
	}
	if (d.url == NULL)
		return cli_usage("diagnose", "which URL? Give one, as "
		    "http://host:port/path");
	if (parse_url(&d, &e) == -1) {
		fprintf(stderr, "hsys: %s. See 'hsys diagnose --help'.\n",
		    e.msg);
		return EXIT_USAGE;
	}
	load_facts(&d);
	hop_resolve(&d);
	hop_listener(&d);
	hop_binding(&d);
	hop_registration(&d);
	hop_reservation(&d);
	hop_queue(&d);
	if (request)
		hop_request(&d);
	else
		set(&d.h[H_REQUEST], DG_SKIP, NULL, "not asked (--request)");
	/* A hop that could not be seen is not known to be fine. */
	for (i = 0; i < H_COUNT; i++)
		fails += d.h[i].st == DG_FAIL || d.h[i].st == DG_UNKNOWN;
	if (json)
		print_json(&d, fails);
	else
		print_text(&d, fails);
	json_decref(d.state);
	if (d.store != NULL)
		store_close(d.store);
	return fails ? EXIT_FAIL : EXIT_OK;
}
