/*
 * sslpick — which SSL binding answers a handshake, as hsysd's SNI selection
 * does (src/daemon/snapshot.c, snapshot_pick): for a server name, an exact
 * hostnameport of the port, then a wildcard one (*.example.test takes one
 * label); else the ipport of the connection's own address, else the
 * wildcard ipport of its family (0.0.0.0 or [::]). Pure, so `hsys
 * diagnose` can say which binding a client gets without the daemon. Keep
 * it in step with snapshot_pick.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

/* Splits "host:port" (host may be "[v6]"); 0 or -1. */
static int
endpoint_split(const char *ep, char *host, size_t size, uint16_t *port)
{
	const char *colon = strrchr(ep, ':');
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - ep)) >= size)
		return -1;
	memcpy(host, ep, n);
	host[n] = '\0';
	*port = (uint16_t)atoi(colon + 1);
	return 0;
}

static int
name_matches(const char *pat, const char *sni, int wild)
{
	const char *dot;

	if (!wild)
		return strcasecmp(pat, sni) == 0;
	if (strlen(pat) < 3 || pat[0] != '*' || pat[1] != '.')
		return 0;
	if ((dot = strchr(sni, '.')) == NULL || dot == sni)
		return 0;
	return strcasecmp(pat + 2, dot + 1) == 0;
}

/* An ipport binding's address: 1 for the family's wildcard, 0 for a
 * specific address (in addr), -1 when it does not parse. */
static int
ipport_addr(const char *host, int *family, unsigned char addr[16])
{
	char buf[CONFIG_ENDPOINT_MAX];
	size_t n = strlen(host);

	memset(addr, 0, 16);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		*family = AF_INET6;
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -1;
		return IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)addr);
	}
	*family = AF_INET;
	if (inet_pton(AF_INET, host, addr) != 1)
		return -1;
	return memcmp(addr, "\0\0\0\0", 4) == 0;
}

long
config_sslcert_pick(const struct config_sslcert *b, size_t n, const char *sni,
    int family, const unsigned char *addr, uint16_t port)
{
	char host[CONFIG_ENDPOINT_MAX];
	unsigned char a[16];
	uint16_t p;
	long any = -1, any4 = -1;
	int pass, fam, w;
	size_t i;

	for (pass = 0; sni != NULL && pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (b[i].kind == CONFIG_HOSTNAMEPORT &&
			    endpoint_split(b[i].endpoint, host, sizeof(host),
			    &p) == 0 && p == port &&
			    name_matches(host, sni, pass))
				return (long)i;
	for (i = 0; i < n; i++) {
		if (b[i].kind != CONFIG_IPPORT || endpoint_split(b[i].endpoint,
		    host, sizeof(host), &p) == -1 || p != port)
			continue;
		if ((w = ipport_addr(host, &fam, a)) == -1)
			continue;
		if (fam != family) {
			if (fam == AF_INET && w)
				any4 = (long)i;
			continue;
		}
		if (w)
			any = (long)i;
		else if (memcmp(a, addr, family == AF_INET ? 4 : 16) == 0)
			return (long)i;
	}
	/* 0.0.0.0:P covers IPv6 clients too; [::]:P wins over it. */
	return any != -1 ? any : family == AF_INET6 ? any4 : -1;
}
