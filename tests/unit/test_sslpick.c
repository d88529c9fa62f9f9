/*
 * test_sslpick — config_sslcert_pick, the binding a handshake gets as hsys
 * diagnose reports it: exact SNI name, then a one-label wildcard, then the
 * ipport of the local address, then the family's wildcard ipport; another
 * port or family never. Must agree with src/daemon/snapshot.c's choice.
 */
#include <arpa/inet.h>
#include <string.h>

#include "config/config.h"
#include "unit.h"

static struct config_sslcert b[6];

static void
bind_(size_t i, enum config_binding kind, const char *ep)
{
	memset(&b[i], 0, sizeof(b[i]));
	b[i].kind = kind;
	strcpy(b[i].endpoint, ep);
}

static long
pick(size_t n, const char *sni, const char *addr, uint16_t port)
{
	unsigned char a[16] = { 0 };
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, addr, a);
	return config_sslcert_pick(b, n, sni, fam, a, port);
}

static void
test_pick(void)
{
	bind_(0, CONFIG_IPPORT, "0.0.0.0:443");
	bind_(1, CONFIG_IPPORT, "127.0.0.2:443");
	bind_(2, CONFIG_HOSTNAMEPORT, "*.w.test:443");
	bind_(3, CONFIG_HOSTNAMEPORT, "a.w.test:443");
	bind_(4, CONFIG_IPPORT, "[::1]:443");
	bind_(5, CONFIG_HOSTNAMEPORT, "b.test:8443");

	CHECK(pick(6, "a.w.test", "127.0.0.1", 443) == 3);	/* exact first */
	CHECK(pick(6, "A.W.TEST", "127.0.0.1", 443) == 3);	/* any case */
	CHECK(pick(6, "z.w.test", "127.0.0.1", 443) == 2);	/* wildcard */
	CHECK(pick(6, "x.z.w.test", "127.0.0.1", 443) == 0);	/* one label */
	CHECK(pick(6, "w.test", "127.0.0.1", 443) == 0);
	CHECK(pick(6, NULL, "127.0.0.2", 443) == 1);		/* ipport */
	CHECK(pick(6, "other.test", "127.0.0.2", 443) == 1);
	CHECK(pick(6, NULL, "127.0.0.1", 443) == 0);		/* 0.0.0.0 */
	CHECK(pick(6, NULL, "::1", 443) == 4);
	CHECK(pick(6, NULL, "::2", 443) == 0);	/* no [::]: 0.0.0.0 covers IPv6 */
	CHECK(pick(6, "b.test", "127.0.0.1", 443) == 0);	/* other port */
	CHECK(pick(6, "b.test", "127.0.0.1", 8443) == 5);
	CHECK(pick(6, NULL, "127.0.0.1", 8443) == -1);	/* TLS_NoBinding */
	CHECK(pick(0, "a.w.test", "127.0.0.1", 443) == -1);
}

int
main(void)
{
	RUN(test_pick);
	return unit_done();
}
