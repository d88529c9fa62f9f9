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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/diagnose.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "http/http.h"
#include "store/store.h"
#include "url/url.h"

#define MAX_ADDRS	16

static const char usage_text[] =
"usage: hsys diagnose URL [--json] [--request] [--queue NAME]\n"
"\n"
"Walks every hop between a client and the application for URL and gives a\n"
"verdict for each, with the fix when it fails: name resolution, listener,\n"
"binding and certificate (https), reservation, registration, the queue,\n"
"and with --request a real GET through hsysd. --queue NAME: the queue that\n"
"should get the URL (a prefix of another queue that wins is a failure).\n"
"Exit status: 0 every hop is fine, 1 a hop fails or could not be checked,\n"
"2 usage.\n";

static const char *const status_name[] = {
	"ok", "warning", "fail", "unknown", "skipped"
};

static const char *const hop_name[H_COUNT] = {
	"resolve", "listener", "binding", "certificate", "reservation",
	"registration", "queue", "request"
};
static const char *const hop_title[H_COUNT] = {
	"name resolution", "listener", "binding", "certificate",
	"reservation", "registration", "queue", "request"
};

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
	char why[256] = "no address", ifname[64], ifn[64], list[512] = "",
	    fix[TEXT_MAX];
	size_t n, i;
	int rc;

	rc = dg_resolve(d->host, a, MAX_ADDRS, &n, why, sizeof(why));
	if (rc == -1 || n == 0) {
		snprintf(fix, sizeof(fix), "Make %s resolve to an address of "
		    "this machine (DNS, or /etc/hosts), or use a name that "
		    "does", d->host);
		dg_set(&d->h[H_RESOLVE], DG_FAIL, fix, "%s does not "
		    "resolve: %s", d->host, why);
		return;
	}
	/* The first local address is the one the other hops look at; the
	 * others that are not local are where some clients go instead. */
	for (i = 0; i < n; i++) {
		if (!dg_is_local(&a[i], ifn, sizeof(ifn)))
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", list[0] ? ", " : "",
			    a[i].text);
		else if (!d->have_addr) {
			d->addr = a[i];
			d->have_addr = 1;
			snprintf(ifname, sizeof(ifname), "%s", ifn);
		}
	}
	if (!d->have_addr) {
		snprintf(fix, sizeof(fix), "Point %s at an address of this "
		    "machine (DNS, or /etc/hosts), or diagnose the machine "
		    "that has %s", d->host, a[0].text);
		dg_set(&d->h[H_RESOLVE], DG_FAIL, fix, "%s resolves to %s, "
		    "not an address of this machine: clients reach another "
		    "host", d->host, list);
		return;
	}
	if (list[0] != '\0') {
		snprintf(fix, sizeof(fix), "Remove %s from %s's addresses, "
		    "or make sure those machines serve it too", list, d->host);
		dg_set(&d->h[H_RESOLVE], DG_WARN, fix, "%s resolves to %s "
		    "(%s) but also to %s, not this machine: some clients go "
		    "there", d->host, d->addr.text, ifname, list);
		return;
	}
	dg_set(&d->h[H_RESOLVE], DG_OK, NULL, "%s%s%s%s address of this "
	    "machine (%s)", d->host, strcmp(d->host, d->addr.text) ?
	    " resolves to " : "", strcmp(d->host, d->addr.text) ?
	    d->addr.text : "", strcmp(d->host, d->addr.text) ? ", an" :
	    " is an", ifname);
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
	const char *state = json_string_value(json_object_get(l, "state"));
	json_t *a;
	size_t i;

	/* An older hsysd says no state: it lists only open ports. */
	if (state != NULL && strcmp(state, "failed") == 0)
		return 0;
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
		    "ipaddress=%s (then hsysd listens there too)",
		    d->addr.text);
		dg_set(&d->h[H_LISTENER], DG_FAIL, fix, "nothing listens on %s "
		    "port %u: the iplisten list (%s) leaves %s out",
		    d->addr.text, d->port, l.text, d->addr.text);
		return;
	}
	snprintf(fix, sizeof(fix), d->https ? "hsysd opens a port when an "
	    "application registers a prefix on it or a binding names it: "
	    "start the application, or hsys http add sslcert ipport=0.0.0.0:%u "
	    "certhash=..." : "hsysd opens a port when an application "
	    "registers a prefix on it: start the application (its prefix "
	    "must name port %u)", d->port);
	dg_set(&d->h[H_LISTENER], DG_FAIL, fix, "nothing listens on %s port %u",
	    d->addr.text, d->port);
}

struct port_binding {
	uint16_t	port;
	char		ep[CONFIG_ENDPOINT_MAX + 16];
};

static int
find_port_binding(const struct config_sslcert *c, void *arg)
{
	struct port_binding *pb = arg;
	const char *colon = strrchr(c->endpoint, ':');

	if (colon == NULL || atoi(colon + 1) != pb->port)
		return 0;
	snprintf(pb->ep, sizeof(pb->ep), "%s=%s", c->kind == CONFIG_IPPORT ?
	    "ipport" : "hostnameport", c->endpoint);
	return 1;
}

/* hsysd listens there: does the port speak the URL's scheme? Its
 * listener says; a port that only a binding opens serves TLS
 * (docs/config.md), and the binding is named (an older hsysd lists no
 * such port). */
static void
listening(struct diag *d, long dpid, json_t *l)
{
	struct port_binding pb = { d->port, "" };
	const char *scheme = json_string_value(json_object_get(l, "scheme"));
	struct err e;

	if ((scheme == NULL || json_integer_value(json_object_get(l,
	    "prefixes")) == 0) && d->store != NULL &&
	    config_sslcert_list(d->store, find_port_binding, &pb, &e) != -1 &&
	    pb.ep[0] != '\0')
		scheme = "https";
	if (scheme != NULL && (strcmp(scheme, "https") == 0) != d->https) {
		dg_set(&d->h[H_LISTENER], DG_FAIL, d->https ? "Use http:// for "
		    "this port, or register the application on a port that a "
		    "binding makes TLS" : "Use https:// for this port (a "
		    "binding makes it TLS)", "hsysd serves port %u in "
		    "%s%s%s%s, not %s", d->port, scheme, pb.ep[0] ? " (" : "",
		    pb.ep, pb.ep[0] ? " opens it)" : "", d->https ? "https" :
		    "http");
		return;
	}
	dg_set(&d->h[H_LISTENER], DG_OK, NULL, "hsysd (pid %ld) listens on %s "
	    "port %u%s%s%s", dpid, d->addr.text, d->port, scheme ? " (" : "",
	    scheme ? scheme : "", scheme ? ")" : "");
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
		dg_set(h, DG_SKIP, NULL, "no address of this machine to look "
		    "at");
		return;
	}
	dg_port_holder(&d->addr, d->port, &who);
	if (d->state == NULL) {
		dg_set(h, DG_FAIL, "Start hsysd (systemctl start hsysd, or "
		    "hsysd)", "hsysd is not running (%s)%s%s%s", d->state_err,
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
		dg_set(h, DG_FAIL, fix, "port %u on %s is held by another "
		    "program: %s (pid %d), not hsysd (pid %ld)", d->port,
		    who.bound, who.comm, (int)who.pid, dpid);
		return;
	}
	if (who.found && who.pid == 0 && !ours) {
		dg_set(h, DG_FAIL, "Find it as root (ss -ltnp) and stop it "
		    "or move it to another port", "another program listens "
		    "on %s port %u (run as root to see which)", who.bound,
		    d->port);
		return;
	}
	if (ours || (who.found && who.pid == dpid)) {
		listening(d, dpid, l);
		return;
	}
	if (l != NULL && !ours && json_string_value(json_object_get(l,
	    "last_error")) != NULL && *json_string_value(json_object_get(l,
	    "last_error")) != '\0') {
		dg_set(h, DG_FAIL, "Free the port (ss -ltnp names who holds "
		    "it); hsysd tries it again at each change and every 5 s",
		    "hsysd wants port %u but cannot open it: %s", d->port,
		    json_string_value(json_object_get(l, "last_error")));
		return;
	}
	nothing_listens(d);
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
		dg_set(h, DG_OK, NULL, "GET %s through %s port %u: %d",
		    d->target, a->text, d->port, status);
		return;
	}
	if (lport == 0) {
		dg_set(h, DG_FAIL, NULL, "GET %s: %s", d->target, why);
		return;
	}
	rc = dg_httperr_reason(logpath, off, lport, d->port, reason,
	    sizeof(reason), lwhy, sizeof(lwhy));
	if (rc == 1)
		snprintf(d->reason, sizeof(d->reason), "%s", reason);
	if (status != 0)
		snprintf(why, sizeof(why), "status %d", status);
	dg_set(h, DG_FAIL, NULL, "GET %s through %s port %u: %s; httperr: %s",
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
	json_fact(", \"queue\": ", d->queue ? dg_qname(d->queue) : NULL);
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
	dg_hop_binding(&d);
	dg_hop_registration(&d);
	dg_hop_reservation(&d);
	dg_hop_queue(&d);
	if (request)
		hop_request(&d);
	else
		dg_set(&d.h[H_REQUEST], DG_SKIP, NULL, "not asked (--request)");
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
