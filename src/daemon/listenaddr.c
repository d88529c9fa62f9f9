/*
 * listenaddr — where hsysd listens. See listenaddr.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "config/config.h"
#include "daemon/listenaddr.h"
#include "store/store.h"

static int
add_addr(const char *text, void *arg)
{
	struct addrs *a = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss[a->n];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss[a->n];

	if (a->n == MAX_ADDRS)
		return 0;
	memset(&a->ss[a->n], 0, sizeof(a->ss[a->n]));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		a->len[a->n++] = sizeof(*sin);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		a->len[a->n++] = sizeof(*sin6);
	}
	return 0;
}

/* The iplisten list as it is: empty means every address. */
int
addrs_iplisten(struct addrs *a, struct err *e)
{
	struct store *s;
	int rc;

	a->n = 0;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1)
		return -1;
	rc = config_iplisten_list(s, add_addr, a, e);
	store_close(s);
	return rc == 0 ? 0 : -1;
}

/* The iplisten list, or the two wildcard addresses. */
int
addrs_listen(struct addrs *a, uint16_t port, struct err *e)
{
	int i;

	if (addrs_iplisten(a, e) == -1)
		return -1;
	if (a->n == 0) {
		add_addr("0.0.0.0", a);
		add_addr("::", a);
	}
	for (i = 0; i < a->n; i++) {
		if (a->ss[i].ss_family == AF_INET)
			((struct sockaddr_in *)&a->ss[i])->sin_port =
			    htons(port);
		else
			((struct sockaddr_in6 *)&a->ss[i])->sin6_port =
			    htons(port);
	}
	return 0;
}

/* A listening socket in the port's SO_REUSEPORT group; without shared,
 * a socket that is only bound, alone on the address (see addrs_probe_free). */
int
addrs_socket(const struct sockaddr_storage *ss, socklen_t len, int shared,
    struct err *e)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const void *ap;
	int fd, one = 1, port;

	ap = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	port = ntohs(ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
	inet_ntop(ss->ss_family, ap, host, sizeof(host));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || (shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1))
		goto fail;
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    (shared && listen(fd, LISTEN_BACKLOG) == -1))
		goto fail;
	return fd;
fail:
	err_sys(e, "cannot listen on %s%s%s:%d", ss->ss_family == AF_INET6 ?
	    "[" : "", host, ss->ss_family == AF_INET6 ? "]" : "", port);
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * SO_REUSEPORT lets any socket of the same user join a port: another
 * program of root's, or a second hsysd serving another store, would
 * silently take a share of our connections. A socket without it cannot
 * bind where anyone listens, so one is bound and closed first: the port
 * is ours alone, or EADDRINUSE.
 */
int
addrs_probe_free(const struct addrs *a, struct err *e)
{
	int i, fd;

	for (i = 0; i < a->n; i++) {
		if ((fd = addrs_socket(&a->ss[i], a->len[i], 0, e)) == -1)
			return -1;
		close(fd);
	}
	return 0;
}

int
addrs_same(const struct addrs *a, const struct addrs *b)
{
	const void *pa, *pb;
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->ss[i].ss_family != b->ss[i].ss_family)
			return 0;
		if (a->ss[i].ss_family == AF_INET) {
			pa = &((const struct sockaddr_in *)&a->ss[i])->sin_addr;
			pb = &((const struct sockaddr_in *)&b->ss[i])->sin_addr;
			if (memcmp(pa, pb, 4) != 0)
				return 0;
		} else {
			pa = &((const struct sockaddr_in6 *)&a->ss[i])->sin6_addr;
			pb = &((const struct sockaddr_in6 *)&b->ss[i])->sin6_addr;
			if (memcmp(pa, pb, 16) != 0)
				return 0;
		}
	}
	return 1;
}

/* Does hsysd listen on an ipport binding's address? Every address when
 * the iplisten list is empty; else the binding's address must be listed,
 * or a wildcard of its family; a wildcard binding needs any address of its
 * family. */
int
addrs_covered(const struct addrs *ipl, const char *endpoint)
{
	unsigned char addr[16], zero[16] = { 0 };
	const unsigned char *la;
	char host[CONFIG_ENDPOINT_MAX];
	const char *colon = strrchr(endpoint, ':');
	int i, family = AF_INET, alen = 4, any;
	size_t n;

	if (ipl->n == 0)
		return 1;
	if (colon == NULL || (n = (size_t)(colon - endpoint)) >= sizeof(host))
		return 0;
	memcpy(host, endpoint, n);
	host[n] = '\0';
	if (host[0] == '[' && n > 2) {
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
		family = AF_INET6;
		alen = 16;
	}
	if (inet_pton(family, host, addr) != 1)
		return 0;
	any = memcmp(addr, zero, (size_t)alen) == 0;
	for (i = 0; i < ipl->n; i++) {
		if (ipl->ss[i].ss_family != family)
			continue;
		la = family == AF_INET ?
		    (const unsigned char *)&((const struct sockaddr_in *)
		    &ipl->ss[i])->sin_addr :
		    (const unsigned char *)&((const struct sockaddr_in6 *)
		    &ipl->ss[i])->sin6_addr;
		if (any || memcmp(la, zero, (size_t)alen) == 0 ||
		    memcmp(la, addr, (size_t)alen) == 0)
			return 1;
	}
	return 0;
}
