/*
 * http — the `hsys http` command group: netsh http's grammar
 * ("hsys http add sslcert ipport=0.0.0.0:443 ..."), dispatch and help.
 * The helpers every http command shares are in http_ctx.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

static const char help_text[] =
"usage: hsys http <verb> <noun> [key=value ...]   (netsh http syntax)\n"
"\n"
"  hsys http add sslcert (ipport=IP:PORT | hostnameport=NAME:PORT)\n"
"        certhash=THUMBPRINT appid={GUID} [certstorename=MY|ROOT|CA|WEBHOSTING]\n"
"        [clientcertnegotiation=enable|disable]\n"
"        [verifyclientcertrevocation=enable|disable]\n"
"        [disablehttp2=enable|disable] [disablelegacytls=enable|disable]\n"
"        [disabletls12=enable|disable] [disabletls13=enable|disable]\n"
"        [enablesessionticket=enable|disable]\n"
"        [disableocspstapling=enable|disable]\n"
"  hsys http update sslcert (ipport=... | hostnameport=...) [key=value ...]\n"
"  hsys http delete sslcert (ipport=... | hostnameport=...)\n"
"  hsys http show sslcert [ipport=... | hostnameport=...] [--json]\n"
"\n"
"  hsys http add urlacl url=PREFIX user=USER|@GROUP|UID|@GID\n"
"        [listen=yes|no] [delegate=yes|no]\n"
"  hsys http delete urlacl url=PREFIX\n"
"  hsys http show urlacl [url=PREFIX] [--json]\n"
"\n"
"  hsys http add iplisten ipaddress=IP\n"
"  hsys http delete iplisten ipaddress=IP\n"
"  hsys http show iplisten [--json]\n"
"\n"
"  hsys http add timeout\n"
"        timeouttype=idleconnectiontimeout|headerwaittimeout|entitybodytimeout\n"
"        value=SECONDS\n"
"  hsys http delete timeout timeouttype=...\n"
"  hsys http show timeout [--json]\n"
"\n"
"  hsys http add metrics url=PREFIX\n"
"  hsys http delete metrics\n"
"  hsys http show metrics [--json]\n"
"\n"
"  hsys http show servicestate [view=all|server|listeners|queues] [--json]\n"
"  hsys http show cachestate [--json]\n"
"\n"
"  hsys http add setting name=NAME value=N [url=PREFIX]\n"
"  hsys http delete setting name=NAME [url=PREFIX]\n"
"  hsys http show setting [name=NAME] [--json]\n"
"        NAME: MaxConnections, MaxFieldLength, MaxRequestBytes,\n"
"        MaxHeaderCount, MaxUrlLength, MaxRequestBodySize (also per url=),\n"
"        MinSendRate, MinRequestBodyDataRate, UriEnableCache,\n"
"        UriMaxUriBytes, UriMaxCacheMegabyteCount\n"
"\n"
"  hsys http export              the whole configuration as batch lines\n"
"\n"
"PREFIX is a UrlPrefix such as http://+:80/app/ (the trailing '/' is\n"
"required). Keys are case-insensitive. Changes need write access to the\n"
"store (root, or the owner of $HSYS_HOME). 'hsys http show sslcert --help'\n"
"and the like describe one command; man hsys-http has it all.\n";

static const char export_help[] =
"usage: hsys http export\n"
"Prints the whole HTTP configuration (sslcert, urlacl, iplisten, timeout,\n"
"setting and metrics) as 'http add' lines that 'hsys -f FILE' applies on\n"
"another machine; the certificates that sslcert lines name must be\n"
"imported there first. Takes no parameters.\n";

static const struct {
	const char *noun;
	int (*fn)(const struct http_ctx *, const char *, int, char **);
	const char *help;
} nouns[] = {
	{ "sslcert", http_sslcert,
	    "  hsys http add sslcert (ipport=IP:PORT | hostnameport=NAME:PORT) "
	    "certhash=THUMBPRINT\n        appid={GUID} [certstorename=MY] "
	    "[OPTION=enable|disable ...]\n"
	    "  hsys http update sslcert (ipport=... | hostnameport=...) "
	    "[key=value ...]\n"
	    "  hsys http delete sslcert (ipport=... | hostnameport=...)\n"
	    "  hsys http show sslcert [ipport=... | hostnameport=...] "
	    "[--json]\n\n"
	    "Binds a certificate of the LocalMachine store (with its private "
	    "key) to an\naddress and port, or to a host name for SNI. "
	    "0.0.0.0:443 and [::]:443 are\nthe wildcard bindings of IPv4 and "
	    "IPv6. OPTIONs: clientcertnegotiation,\n"
	    "verifyclientcertrevocation, disablehttp2, disablelegacytls, "
	    "disabletls12,\ndisabletls13, enablesessionticket, "
	    "disableocspstapling. verifyclientcertrevocation,\n"
	    "disablelegacytls and disableocspstapling are stored but not acted "
	    "on yet\n(hsysd never offers TLS below 1.2).\n" },
	{ "urlacl", http_urlacl,
	    "  hsys http add urlacl url=PREFIX user=USER|@GROUP|UID|@GID "
	    "[listen=yes|no]\n        [delegate=yes|no]\n"
	    "  hsys http delete urlacl url=PREFIX\n"
	    "  hsys http show urlacl [url=PREFIX] [--json]\n\n"
	    "Reserves a URL prefix for a user (or a group: @NAME, or a name "
	    "that is no\nuser's) so that its programs may register it with "
	    "hsysd. listen defaults to\nyes, delegate to no.\n" },
	{ "iplisten", http_iplisten,
	    "  hsys http add iplisten ipaddress=IP\n"
	    "  hsys http delete iplisten ipaddress=IP\n"
	    "  hsys http show iplisten [--json]\n\n"
	    "The addresses hsysd listens on; an empty list means every "
	    "address.\n" },
	{ "timeout", http_timeout,
	    "  hsys http add timeout timeouttype=idleconnectiontimeout|"
	    "headerwaittimeout|\n        entitybodytimeout value=SECONDS\n"
	    "  hsys http delete timeout timeouttype=...\n"
	    "  hsys http show timeout [--json]\n\n"
	    "Service-wide timeouts, 120 s each by default; delete goes back "
	    "to the default.\nhsysd applies a change to new connections and "
	    "to the next wait of others.\n" },
		{ "metrics", http_metrics,
	    "  hsys http add metrics url=PREFIX\n"
	    "  hsys http delete metrics\n"
	    "  hsys http show metrics [--json]\n\n"
	    "hsysd serves its counters in Prometheus's text format at PREFIX "
	    "(such as\nhttp://127.0.0.1:9100/metrics/), answered by the "
	    "daemon itself. The prefix\nconflicts with applications' "
	    "registrations like any other.\n" },
	{ "servicestate", http_servicestate,
	    "  hsys http show servicestate [view=all|server|listeners|queues] "
	    "[--json]\n\n"
	    "What the running hsysd serves: the server's totals, its "
	    "listeners, and the\nrequest queues with their processes and "
	    "prefixes (root sees every queue,\nother users their own). Exit "
	    "status 3 when hsysd is not running.\n" },
	{ "cachestate", http_cachestate,
	    "  hsys http show cachestate [--json]\n\n"
	    "The running hsysd's response cache: its hits, misses and "
	    "evictions, and each\ncached response with its size, hits, age "
	    "and time to live (root sees every\nqueue's, other users their "
	    "own). Exit status 3 when hsysd is not running.\n" },
	{ "setting", http_setting,
	    "  hsys http add setting name=NAME value=N [url=PREFIX]\n"
	    "  hsys http delete setting name=NAME [url=PREFIX]\n"
	    "  hsys http show setting [name=NAME] [--json]\n\n"
	    "Limits by HTTP.sys's names (any case), defaults in brackets:\n"
	    "  MaxConnections      connections at once (3/4 of open files)\n"
	    "  MaxFieldLength      bytes of a header line or request line "
	    "(16384)\n"
	    "  MaxRequestBytes     bytes of a request head (16384)\n"
	    "  MaxHeaderCount      header fields of a request (100)\n"
	    "  MaxUrlLength        bytes of a request target (16384)\n"
	    "  MaxRequestBodySize  bytes of a request body (unlimited); "
	    "url=PREFIX\n"
	    "                      scopes it, the longest matching prefix "
	    "wins\n"
	    "  MinSendRate         bytes/s a client must read a response at "
	    "(150)\n"
	    "  MinRequestBodyDataRate\n"
	    "                      bytes/s a client must send a request body "
	    "at (240; 0: off)\n"
	    "Delete goes back to the default. man hsys-http has the status "
	    "codes.\n" },
};
#define NNOUNS (sizeof(nouns) / sizeof(nouns[0]))

static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 ||
	    strcmp(s, "help") == 0 || strcmp(s, "?") == 0 ||
	    strcmp(s, "/?") == 0;
}

static int usage(const struct http_ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage(const struct http_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fputs("hsys: ", stderr);
	if (c->line > 0)
		fprintf(stderr, "line %d: ", c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(". See 'hsys http --help'.\n", stderr);
	return EXIT_USAGE;
}

int
cli_http_run(struct store *tx, int line, int argc, char **argv)
{
	struct http_ctx c = { tx, line, NULL };
	const char *verb;
	size_t i;

	if (argc < 2) {
		if (line > 0)
			return usage(&c, "'http' needs a verb and a noun");
		fputs(help_text, stderr);
		return EXIT_USAGE;
	}
	verb = argv[1];
	if (is_help(verb)) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	if (strcasecmp(verb, "export") == 0 && argc > 2 && is_help(argv[2])) {
		fputs(export_help, stdout);
		return EXIT_OK;
	}
	if (strcasecmp(verb, "export") == 0)
		return http_export(&c, argc - 2, argv + 2);
	if (strcasecmp(verb, "add") != 0 && strcasecmp(verb, "update") != 0 &&
	    strcasecmp(verb, "delete") != 0 && strcasecmp(verb, "show") != 0)
		return usage(&c, "unknown command 'http %s'", verb);
	if (argc > 2 && is_help(argv[2])) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	if (argc < 3)
		return usage(&c, "'http %s' needs a noun: sslcert, urlacl, "
		    "iplisten, timeout, setting, metrics, servicestate or cachestate",
		    verb);
	for (i = 0; i < NNOUNS; i++) {
		if (strcasecmp(argv[2], nouns[i].noun) != 0)
			continue;
		if (argc > 3 && is_help(argv[3])) {
			fputs(nouns[i].help, stdout);
			return EXIT_OK;
		}
		if (strcasecmp(verb, "update") == 0 &&
		    nouns[i].fn != http_sslcert)
			return usage(&c, "'http update %s' does not exist; "
			    "delete and add it again", nouns[i].noun);
		return nouns[i].fn(&c, verb, argc - 3, argv + 3);
	}
	return usage(&c, "unknown noun 'http %s %s'", verb, argv[2]);
}

int
cli_http(int argc, char **argv)
{
	return cli_http_run(NULL, 0, argc, argv);
}
