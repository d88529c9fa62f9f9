/*
 * args — hsys-forward's command line, into struct fwd_config. Every refusal
 * is a sentence the user can act on; nothing here touches the network but
 * resolving the upstream's host name once, at start.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward/forward.h"

#define DEFAULT_TIMEOUT_S	60
#define DEFAULT_THREADS		8

static const char usage[] =
"usage: hsys-forward --url PREFIX [--url PREFIX ...] --to UPSTREAM\n"
"           [--strip-prefix] [--no-forwarded] [--no-x-forwarded]\n"
"           [--timeout SECS] [--threads N] [--queue NAME]\n"
"           [-- COMMAND [ARGS ...]]\n"
"\n"
"  --url PREFIX      a URL prefix to serve, as for hsys http add urlacl\n"
"                    (https://+:443/api/); repeatable\n"
"  --to UPSTREAM     http://HOST:PORT or unix:/PATH, an HTTP/1.1 server\n"
"  --strip-prefix    remove the prefix's path before forwarding\n"
"  --no-forwarded    do not add the Forwarded field\n"
"  --no-x-forwarded  do not add X-Forwarded-For/-Proto/-Host/-Prefix\n"
"  --timeout SECS    connect and answer within SECS, else 504 (60)\n"
"  --threads N       worker threads, each its own hsys session (8)\n"
"  --queue NAME      the request queue's name (attach, else create)\n"
"  -- COMMAND ...    start COMMAND once the prefixes are registered,\n"
"                    with HSYS_FORWARD_TO set; exit with its status\n";

static int
say(char *err, size_t cap, const char *msg, const char *arg)
{
	snprintf(err, cap, "%s%s%s", msg, arg != NULL ? ": " : "",
	    arg != NULL ? arg : "");
	return -1;
}

static int
upstream_unix(struct fwd_config *cfg, const char *path, char *err,
    size_t cap)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&cfg->addr;

	if (path[0] != '/' || strlen(path) >= sizeof(un->sun_path))
		return say(err, cap, "--to unix: needs an absolute socket "
		    "path shorter than 108 bytes", path);
	memset(&cfg->addr, 0, sizeof(cfg->addr));
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	cfg->addrlen = sizeof(*un);
	snprintf(cfg->authority, sizeof(cfg->authority), "localhost");
	return 0;
}

/* "HOST:PORT", "[V6]:PORT" or "HOST" (port 80), an optional "/" after. */
static int
upstream_tcp(struct fwd_config *cfg, const char *hp, char *err, size_t cap)
{
	char host[256], port[8] = "80";
	const char *end, *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	size_t n;
	int rc;

	end = hp + strcspn(hp, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0)
		return say(err, cap, "--to takes no path (the request's own "
		    "path is forwarded)", hp);
	if (hp[0] == '[') {
		if ((colon = memchr(hp, ']', (size_t)(end - hp))) == NULL)
			return say(err, cap, "--to: unclosed [ in", hp);
		n = (size_t)(colon - hp - 1);
		if (n >= sizeof(host))
			return say(err, cap, "--to: host too long", hp);
		memcpy(host, hp + 1, n);
		colon++;
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
		n = (size_t)((colon != NULL ? colon : end) - hp);
		if (n == 0 || n >= sizeof(host))
			return say(err, cap, "--to: no host in", hp);
		memcpy(host, hp, n);
		if (colon == NULL)
			colon = end;
	}
	host[n] = '\0';
	if (colon < end && *colon == ':') {
		n = (size_t)(end - colon - 1);
		if (n == 0 || n >= sizeof(port) || strspn(colon + 1,
		    "0123456789") != n)
			return say(err, cap, "--to: bad port in", hp);
		memcpy(port, colon + 1, n);
		port[n] = '\0';
	} else if (colon != end)
		return say(err, cap, "--to: expected :PORT after the host in",
		    hp);
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return say(err, cap, "--to: cannot resolve the host",
		    gai_strerror(rc));
	memcpy(&cfg->addr, ai->ai_addr, ai->ai_addrlen);
	cfg->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(cfg->authority, sizeof(cfg->authority), "%.*s",
	    (int)(end - hp), hp);
	return 0;
}

int
fwd_args_upstream(struct fwd_config *cfg, const char *to, char *err,
    size_t cap)
{
	if (strncmp(to, "unix:", 5) == 0)
		return upstream_unix(cfg, to + 5, err, cap);
	if (strncmp(to, "http://", 7) == 0)
		return upstream_tcp(cfg, to + 7, err, cap);
	return say(err, cap, "--to must be http://HOST:PORT or unix:/PATH "
	    "(the upstream speaks HTTP/1.1 in the clear)", to);
}

static int
number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* An option with a value, as "--name VALUE" or "--name=VALUE". */
static const char *
value_of(const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int
one_option(struct fwd_config *cfg, int argc, char **argv, int *i,
    char *err, size_t cap)
{
	const char *a = argv[*i], *v;
	long n;

	if (strcmp(a, "--strip-prefix") == 0)
		cfg->strip_prefix = 1;
	else if (strcmp(a, "--no-forwarded") == 0)
		cfg->forwarded = 0;
	else if (strcmp(a, "--no-x-forwarded") == 0)
		cfg->x_forwarded = 0;
	else if ((v = value_of("--url", argc, argv, i)) != NULL) {
		if (cfg->nurls == FWD_MAX_URLS)
			return say(err, cap, "too many --url (at most 64)", v);
		cfg->urls[cfg->nurls++] = v;
	} else if ((v = value_of("--to", argc, argv, i)) != NULL) {
		cfg->to = v;
		return fwd_args_upstream(cfg, v, err, cap);
	} else if ((v = value_of("--timeout", argc, argv, i)) != NULL) {
		if (number(v, 1, 86400, &n) < 0)
			return say(err, cap, "--timeout takes seconds, 1 to "
			    "86400", v);
		cfg->timeout_ms = (int)n * 1000;
	} else if ((v = value_of("--threads", argc, argv, i)) != NULL) {
		if (number(v, 1, 256, &n) < 0)
			return say(err, cap, "--threads takes 1 to 256", v);
		cfg->threads = (int)n;
	} else if ((v = value_of("--queue", argc, argv, i)) != NULL)
		cfg->queue = v;
	else
		return say(err, cap, "unknown option or missing value", a);
	return 0;
}

int
fwd_args_parse(struct fwd_config *cfg, int argc, char **argv, char *err,
    size_t cap)
{
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	cfg->threads = DEFAULT_THREADS;
	cfg->forwarded = cfg->x_forwarded = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (i + 1 == argc)
				return say(err, cap, "no COMMAND after --",
				    NULL);
			cfg->command = argv + i + 1;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (one_option(cfg, argc, argv, &i, err, cap) < 0)
			return -1;
	}
	if (cfg->nurls == 0)
		return say(err, cap, "no --url given (the prefixes to serve, "
		    "e.g. --url https://+:443/api/)", NULL);
	if (cfg->to == NULL)
		return say(err, cap, "no --to given (the upstream, e.g. --to "
		    "http://127.0.0.1:5000 or --to unix:/run/app/http.sock)",
		    NULL);
	return 0;
}
