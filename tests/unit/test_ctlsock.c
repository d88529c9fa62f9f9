/*
 * Unit tests of common/ctlsock.c, the control-socket client hsys and
 * libhsys share: nothing listening, a full backlog ending in ETIMEDOUT at
 * the deadline (not before, never without end), exact reads, a reply
 * that does not come, and the end of the stream.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctlsock.h"
#include "unit.h"

static char dir[48], path[96];

static int
listener(int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, backlog) == -1)
		return -1;
	return fd;
}

static void
test_nothing_listens(void)
{
	char longer[sizeof(((struct sockaddr_un *)0)->sun_path) + 1] = "";
	int fd;

	unlink(path);
	CHECK(ctlsock_connect(path, ctlsock_deadline(1000)) == -ENOENT);
	fd = listener(1);
	close(fd);	/* the file stays, nobody listens */
	CHECK(ctlsock_connect(path, ctlsock_deadline(1000)) == -ECONNREFUSED);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[0] = '/';
	CHECK(ctlsock_connect(longer, ctlsock_deadline(1000)) ==
	    -ENAMETOOLONG);
}

/* A daemon that does not accept: the backlog fills, and a connect waits
 * for room until its deadline, then gives up. */
static void
test_full_backlog(void)
{
	int lfd = listener(0), c[64], n, fd;
	int64_t start;

	CHECK(lfd >= 0);
	for (n = 0; n < 64; n++) {
		c[n] = ctlsock_connect(path, ctlsock_deadline(50));
		if (c[n] < 0)
			break;
	}
	CHECK(n < 64 && c[n] == -ETIMEDOUT);
	start = ctlsock_now_ms();
	fd = ctlsock_connect(path, ctlsock_deadline(300));
	CHECK(fd == -ETIMEDOUT);
	/* Not before the deadline (the kernel's timer is coarse: 250 of
	 * 300 ms), and not for ever (a generous bound). */
	CHECK(ctlsock_now_ms() - start >= 250);
	CHECK(ctlsock_now_ms() - start < 10000);
	while (n-- > 0)
		close(c[n]);
	close(lfd);
}

static void
test_exchange(void)
{
	int lfd = listener(4), fd, peer;
	char buf[8];
	int64_t start;

	fd = ctlsock_connect(path, ctlsock_deadline(1000));
	CHECK(fd >= 0);
	peer = accept(lfd, NULL, NULL);
	CHECK(peer >= 0);
	/* The socket is an ordinary blocking one again. */
	CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
	CHECK(ctlsock_send(fd, "hello", 5, ctlsock_deadline(1000)) == 0);
	CHECK(ctlsock_recv_full(peer, buf, 5, ctlsock_deadline(1000)) == 0 &&
	    memcmp(buf, "hello", 5) == 0);
	/* No answer: ETIMEDOUT at the deadline. */
	start = ctlsock_now_ms();
	CHECK(ctlsock_recv(fd, buf, sizeof(buf), ctlsock_deadline(200)) ==
	    -ETIMEDOUT);
	CHECK(ctlsock_now_ms() - start >= 150);
	CHECK(ctlsock_wait(fd, POLLIN, ctlsock_deadline(0)) == -ETIMEDOUT);
	/* Part of what was asked for, then the end of the stream. */
	CHECK(write(peer, "abc", 3) == 3);
	close(peer);
	CHECK(ctlsock_recv_full(fd, buf, 5, ctlsock_deadline(1000)) ==
	    -ECONNRESET);
	CHECK(ctlsock_recv(fd, buf, sizeof(buf), ctlsock_deadline(1000)) == 0);
	close(fd);
	close(lfd);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_ctlsock.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/hsysd.sock", dir);
	RUN(test_nothing_listens);
	RUN(test_full_backlog);
	RUN(test_exchange);
	unlink(path);
	rmdir(dir);
	return unit_done();
}
