/*
 * test_acme_responder — the interim HTTP-01 responder on a loopback port:
 * a pending token gets its key authorization, anything else a 404, a slow
 * client holds up no other, a request that never ends is dropped, and a
 * taken port is an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "common/err.h"
#include "unit.h"

static int port;

/* Sends req on a new connection; returns what came back (static). */
static const char *
exchange(const char *req)
{
	static char buf[4096];
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 10, 0 };
	size_t n = 0;
	ssize_t r;
	int fd;

	buf[0] = '\0';
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return buf;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req))
		while (n < sizeof(buf) - 1 && (r = read(fd, buf + n,
		    sizeof(buf) - 1 - n)) > 0)
			n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* A connection that sent half a request head. */
static int
open_slow(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char half[] = "GET /.well-known/acme-challenge/tok_en-1";
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    write(fd, half, strlen(half)) != (ssize_t)strlen(half)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_responder(void)
{
	struct acme_responder *r = NULL, *r2 = NULL;
	const char *got;
	struct err e;
	int i, slow;
	char c;

	for (i = 0; i < 20 && r == NULL; i++) {
		port = 20000 + (int)((unsigned)time(NULL) * 7919u + (unsigned)i
		    * 104729u) % 12000;
		if (acme_responder_start(&r, port, &e) == -1)
			r = NULL;
	}
	if (!CHECK(r != NULL))
		return;
	CHECK(acme_responder_add(r, "tok_en-1", "tok_en-1.thumb", &e) == 0);
	got = exchange("GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n"
	    "Host: a.example.test\r\n\r\n");
	CHECK(strncmp(got, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(got, "\r\n\r\ntok_en-1.thumb") != NULL);
	CHECK(strstr(got, "Content-Length: 14\r\n") != NULL);
	got = exchange("GET /.well-known/acme-challenge/other HTTP/1.1\r\n"
	    "\r\n");
	CHECK(strncmp(got, "HTTP/1.1 404 ", 13) == 0);
	got = exchange("GET /.well-known/acme-challenge/tok_en-1x HTTP/1.1\r\n"
	    "\r\n");
	CHECK(strncmp(got, "HTTP/1.1 404 ", 13) == 0);
	got = exchange("GET / HTTP/1.1\r\n\r\n");
	CHECK(strncmp(got, "HTTP/1.1 404 ", 13) == 0);
	got = exchange("POST /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n"
	    "\r\n");
	CHECK(strncmp(got, "HTTP/1.1 404 ", 13) == 0);
	/* A slow client does not hold up others: while its head is
	 * incomplete, another request is answered, and it is still open
	 * and unanswered afterwards. */
	slow = open_slow();
	CHECK(slow != -1);
	got = exchange("GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n"
	    "\r\n");
	CHECK(strncmp(got, "HTTP/1.1 200 ", 13) == 0);
	CHECK(recv(slow, &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	close(slow);
	/* A head that never ends is closed without an answer. */
	got = exchange("GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n");
	CHECK(*got == '\0');
	/* And the responder still serves after it. */
	got = exchange("GET /.well-known/acme-challenge/tok_en-1 HTTP/1.0\r\n"
	    "\r\n");
	CHECK(strncmp(got, "HTTP/1.1 200 ", 13) == 0);
	CHECK(acme_responder_start(&r2, port, &e) == -1);
	CHECK(strstr(e.msg, "--http-port") != NULL);
	acme_responder_stop(r);
}

int
main(void)
{
	RUN(test_responder);
	return unit_done();
}
