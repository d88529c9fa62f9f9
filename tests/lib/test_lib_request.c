/*
 * libhsys's request half against fakehsysd (tests/e2e/lib/fakehsysd.py), a
 * daemon written from docs/protocol.md: accessors, bodies and responses of
 * several MiB under the window, requests interleaved on channels, CANCEL,
 * an upgrade tunnel, header validation, a non-blocking response write under
 * back-pressure, the daemon going away and malformed
 * frames. Each test starts the fake with the scenario of the same name;
 * the fake checks the library's side of the wire and its exit status is
 * one more check here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsys.h"
#include "../unit/unit.h"

#define MiB	(1 << 20)

static char home[64];
static pid_t fake_pid;

static struct hsys *
fake_start(const char *scenario)
{
	char sock[128];
	struct hsys *h = NULL;
	struct hsys_queue *q;
	struct stat sb;
	int i, rc;

	snprintf(home, sizeof(home), "/tmp/hsys-libreq.XXXXXX");
	if (mkdtemp(home) == NULL)
		return NULL;
	setenv("HSYS_HOME", home, 1);
	unsetenv("HSYS_SOCKET");
	snprintf(sock, sizeof(sock), "%s/hsysd.sock", home);
	if ((fake_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/usr/bin/python3", "python3", "tests/e2e/lib/fakehsysd.py",
		    scenario, (char *)NULL);
		_exit(127);
	}
	/* Up to 30 s: a Python fake starts slowly on a loaded machine. */
	for (i = 0; i < 3000 && stat(sock, &sb) == -1; i++)
		usleep(10000);
	if ((rc = hsys_open(&h, "test")) < 0) {
		printf("# hsys_open: %s\n", hsys_strerror(rc));
		return NULL;
	}
	if (hsys_queue_create(h, NULL, 0, &q) < 0 ||
	    hsys_prefix_add(q, "http://+:8080/") < 0) {
		hsys_close(h);
		return NULL;
	}
	free(q);	/* the fake needs no QUEUE_CLOSE; the id stays valid */
	return h;
}

/* Closes the session and checks the fake's verdict. */
static void
fake_finish(struct hsys *h)
{
	char cmd[128];
	int status = -1;

	hsys_close(h);
	waitpid(fake_pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", home);
}

static unsigned char
pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 7 + seed) % 251);
}

static void
test_accessors(void)
{
	struct hsys *h = fake_start("accessors");
	struct hsys_request *r;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const unsigned char *cert;
	const char *n, *v;
	size_t len, i;
	int ok;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK_STR(hsys_request_method(r), "GET");
	CHECK_STR(hsys_request_raw_url(r), "/app/x%20y/z?a=1&b=2");
	CHECK_STR(hsys_request_path(r), "/app/x y/z");
	CHECK_STR(hsys_request_query(r), "a=1&b=2");
	CHECK_STR(hsys_request_host(r), "example.test:8443");
	CHECK_STR(hsys_request_prefix(r), "https://+:8443/app/");
	CHECK(hsys_request_version(r) == 11);
	CHECK(hsys_request_id(r) == 11);
	CHECK_STR(hsys_request_header(r, "user-agent"), "t/1");
	CHECK_STR(hsys_request_header(r, "X-MULTI"), "one");
	CHECK_STR(hsys_request_header(r, "accept"), "*/*");
	CHECK(hsys_request_header(r, "cookie") == NULL);
	CHECK(hsys_request_header_count(r) == 5);
	CHECK(hsys_request_header_at(r, 3, &n, &v) == 0);
	CHECK_STR(n, "x-multi");
	CHECK_STR(v, "two");
	CHECK(hsys_request_header_at(r, 5, &n, &v) == -ERANGE);
	CHECK(hsys_request_peer(r, &ss) == 0 && ss.ss_family == AF_INET6 &&
	    ntohs(sin6->sin6_port) == 51000 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	CHECK(hsys_request_local(r, &ss) == 0 && ss.ss_family == AF_INET &&
	    ntohs(sin->sin_port) == 8443 &&
	    ntohl(sin->sin_addr.s_addr) == 0x0a010203);
	CHECK_STR(hsys_request_tls(r), "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519");
	CHECK_STR(hsys_request_sni(r), "example.test");
	cert = hsys_request_client_cert(r, &len);
	ok = cert != NULL && len == 256 + 6;
	for (i = 0; ok && i < 256; i++)
		ok = cert[i] == i;
	CHECK(ok && memcmp(cert + 256, "\0\0tail", 6) == 0);
	CHECK(hsys_request_content_length(r) == 0);
	CHECK(hsys_request_connection_id(r) == 0x123456789);
	CHECK(hsys_respond(r, 200, "text/plain", "ok", 2) == 0);
	fake_finish(h);
}

static void
test_upload(void)
{
	struct hsys *h = fake_start("upload");
	struct hsys_request *r;
	static unsigned char buf[70001];
	char ans[32];
	size_t total = 0, i;
	ssize_t n;
	int ok = 1;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK(hsys_request_content_length(r) == 5 * MiB);
	CHECK(hsys_request_tls(r) == NULL && hsys_request_sni(r) == NULL);
	while ((n = hsys_request_read(r, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)n; i++)
			ok &= buf[i] == pat(total + i, 0);
		total += (size_t)n;
	}
	CHECK(n == 0);
	CHECK(total == 5 * MiB);
	CHECK(ok);
	snprintf(ans, sizeof(ans), "%zu", total);
	CHECK(hsys_respond(r, 200, NULL, ans, strlen(ans)) == 0);
	fake_finish(h);
}

static void
test_download(void)
{
	struct hsys *h = fake_start("download");
	struct hsys_request *r;
	struct hsys_header hd[] = { { "Content-Type",
	    "application/octet-stream" } };
	unsigned char *big;
	size_t i, off;
	int ok = 1;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	big = malloc(5 * MiB);
	for (i = 0; i < 5 * MiB; i++)
		big[i] = pat(i, 3);
	CHECK(hsys_response_start(r, 200, hd, 1, 0) == 0);
	for (off = 0; off < 5 * MiB; off += 100000) {
		size_t n = 5 * MiB - off < 100000 ? 5 * MiB - off : 100000;

		ok &= hsys_response_write(r, big + off, n) == (ssize_t)n;
	}
	CHECK(ok);
	CHECK(hsys_response_end(r) == 0);
	free(big);
	fake_finish(h);
}

static void
test_interleave(void)
{
	struct hsys *h = fake_start("interleave");
	struct hsys_request *r[3], *t;
	unsigned char buf[4096];
	char ans[32];
	size_t total;
	ssize_t n;
	int i;

	if (!CHECK(h != NULL))
		return;
	for (i = 0; i < 3; i++)
		if (!CHECK(hsys_next(h, &r[i], 5000) == 1)) {
			fake_finish(h);
			return;
		}
	/* Read them in reverse order: the others' data queues meanwhile. */
	for (i = 2; i >= 0; i--) {
		t = r[i];
		total = 0;
		while ((n = hsys_request_read(t, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		CHECK(n == 0);
		snprintf(ans, sizeof(ans), "%zu", total);
		CHECK(hsys_respond(t, 200, NULL, ans, strlen(ans)) == 0);
	}
	fake_finish(h);
}

static void
test_cancel(void)
{
	struct hsys *h = fake_start("cancel");
	struct hsys_request *r;
	unsigned char buf[1000];
	ssize_t n;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	/* 51 was cancelled before we took it: we see 52 first. */
	CHECK_STR(hsys_request_path(r), "/c");
	while ((n = hsys_request_read(r, buf, sizeof(buf))) > 0)
		continue;
	CHECK(n == -ECANCELED);
	CHECK(hsys_response_start(r, 200, NULL, 0, 0) == -ECANCELED);
	hsys_request_cancel(r);
	CHECK(hsys_next(h, &r, 5000) == 1);
	CHECK_STR(hsys_request_path(r), "/after");
	CHECK(hsys_respond(r, 200, NULL, "cancelled", 9) == 0);
	fake_finish(h);
}

static void
test_upgrade(void)
{
	struct hsys *h = fake_start("upgrade");
	struct hsys_request *r;
	struct hsys_header hd[] = { { "Upgrade", "echo" },
	    { "Connection", "Upgrade" } };
	static unsigned char buf[3000];
	ssize_t n;
	int ok = 1;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK_STR(hsys_request_header(r, "upgrade"), "echo");
	CHECK(hsys_response_start(r, 101, hd, 2, 0) == 0);
	while ((n = hsys_request_read(r, buf, sizeof(buf))) > 0)
		ok &= hsys_response_write(r, buf, (size_t)n) == n;
	CHECK(ok);
	CHECK(n == 0);
	CHECK(hsys_response_end(r) == 0);
	fake_finish(h);
}

/* Trailers after the body: none while it is read, all once it ended. */
static void
test_trailers(void)
{
	struct hsys *h = fake_start("trailers");
	struct hsys_request *r;
	const char *name, *value;
	char buf[256], body[8];
	size_t off = 0, i;
	ssize_t n;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK(hsys_request_trailer_count(r) == 0);
	while ((n = hsys_request_read(r, body + off, sizeof(body) - off)) > 0)
		off += (size_t)n;
	CHECK(n == 0 && off == 3);
	CHECK(hsys_request_trailer_count(r) == 2);
	CHECK_STR(hsys_request_trailer(r, "x-sum"), "abc");
	CHECK(hsys_request_trailer(r, "content-length") == NULL);
	CHECK(hsys_request_trailer_at(r, 2, &name, &value) == -ERANGE);
	snprintf(buf, sizeof(buf), "%.3s|%zu|", body,
	    hsys_request_trailer_count(r));
	for (i = 0; hsys_request_trailer_at(r, i, &name, &value) == 0; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s=%s|",
		    name, value);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s|",
	    hsys_request_trailer(r, "X-SUM"));
	CHECK(hsys_respond(r, 200, NULL, buf, strlen(buf)) == 0);
	fake_finish(h);
}

/* Response trailers after the body, to a daemon that announces them;
 * the library checks them as it checks a head. */
static void
test_resp_trailers(void)
{
	struct hsys *h = fake_start("resp_trailers");
	struct hsys_request *r;
	struct hsys_header ok[] = { { "grpc-status", "0" },
	    { "grpc-message", "all good" } };
	struct hsys_header bad[] = { { "grpc-status", "0\r\nx: y" } };
	struct hsys_header many[101];
	size_t i;

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK(hsys_response_trailers(r, ok, 2) == -EINVAL);	/* no head */
	CHECK(hsys_response_start(r, 200, NULL, 0, 0) == 0);
	CHECK(hsys_response_write(r, "abc", 3) == 3);
	CHECK(hsys_response_trailers(r, bad, 1) == -EINVAL);
	for (i = 0; i < 101; i++)
		many[i] = ok[0];
	CHECK(hsys_response_trailers(r, many, 101) == -EINVAL);
	CHECK(hsys_response_trailers(r, ok, 2) == 0);
	CHECK(hsys_response_trailers(r, ok, 2) == -EINVAL);	/* ended */
	CHECK(hsys_response_end(r) == 0);
	fake_finish(h);
}

/* A 103 is interim: the final status still follows. A daemon that does
 * not announce response trailers gets none. */
static void
test_interim(void)
{
	struct hsys *h = fake_start("interim");
	struct hsys_request *r;
	struct hsys_header link[] = { { "Link", "</a.css>" } };

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK(hsys_respond(r, 103, NULL, "", 0) == -EINVAL);
	CHECK(hsys_response_start(r, 103, link, 1, 0) == 0);
	CHECK(hsys_response_start(r, 200, NULL, 0, 0) == 0);
	CHECK(hsys_response_trailers(r, link, 1) == -EOPNOTSUPP);
	CHECK(hsys_response_write(r, "ok", 2) == 2);
	CHECK(hsys_response_end(r) == 0);
	fake_finish(h);
}

static void
test_badheader(void)
{
	struct hsys *h = fake_start("badheader");
	struct hsys_request *r;
	struct hsys_header name[] = { { "Bad Name", "x" } };
	struct hsys_header crlf[] = { { "X-Split", "a\r\nSet-Cookie: y" } };
	struct hsys_header lf[] = { { "X-Split", "a\nb" } };
	struct hsys_header colon[] = { { "X:y", "a" } };
	struct hsys_header empty[] = { { "", "a" } };
	struct hsys_header good[] = { { "X-Good", "yes" } };

	if (!CHECK(h != NULL))
		return;
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	CHECK(hsys_request_version(r) == 10);
	CHECK(hsys_response_start(r, 200, name, 1, 0) == -EINVAL);
	CHECK(hsys_response_start(r, 200, crlf, 1, 0) == -EINVAL);
	CHECK(hsys_response_start(r, 200, lf, 1, 0) == -EINVAL);
	CHECK(hsys_response_start(r, 200, colon, 1, 0) == -EINVAL);
	CHECK(hsys_response_start(r, 200, empty, 1, 0) == -EINVAL);
	CHECK(hsys_response_start(r, 99, good, 1, 0) == -EINVAL);
	CHECK(hsys_response_write(r, "x", 1) == -EINVAL);
	CHECK(hsys_response_start(r, 204, good, 1, HSYS_RESPONSE_END) == 0);
	CHECK(hsys_response_start(r, 204, good, 1, 0) == -EALREADY);
	CHECK(hsys_response_end(r) == 0);
	fake_finish(h);
}

static void
test_close(void)
{
	struct hsys *h = fake_start("close");
	struct hsys_request *r = NULL;
	int rc;

	if (!CHECK(h != NULL))
		return;
	/* Without reconnecting (e2e hsysd_restart covers it). */
	CHECK(hsys_set_reconnect(h, 0) == 0);
	rc = hsys_next(h, &r, 5000);
	CHECK(rc == -ECONNRESET && r == NULL);
	CHECK(hsys_next(h, &r, 0) == -ECONNRESET);
	fake_finish(h);
}

/* The daemon goes away in the middle of a body: every call on the request
 * and the session fails cleanly. */
static void
test_close_mid(void)
{
	struct hsys *h = fake_start("close_mid");
	struct hsys_request *r;
	unsigned char buf[4096];
	size_t total = 0;
	ssize_t n;

	if (!CHECK(h != NULL))
		return;
	CHECK(hsys_set_reconnect(h, 0) == 0);
	if (!CHECK(hsys_next(h, &r, 5000) == 1)) {
		fake_finish(h);
		return;
	}
	while ((n = hsys_request_read(r, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	CHECK(total == 1000);
	CHECK(n == -ECONNRESET);
	CHECK(hsys_response_start(r, 200, NULL, 0, 0) == -ECONNRESET);
	CHECK(hsys_respond(r, 200, NULL, "x", 1) == -ECONNRESET);
	CHECK(hsys_next(h, &r, 100) == -ECONNRESET);
	fake_finish(h);
}

/* An event loop: poll hsys_fd, take requests and body bytes without
 * blocking; the first read of an Expect: 100-continue request credits. */
static void
test_expect(void)
{
	struct hsys *h = fake_start("expect");
	struct hsys_request *r = NULL;
	struct pollfd pfd;
	char buf[16];
	ssize_t n = 0, got = 0;
	int i;

	if (!CHECK(h != NULL))
		return;
	CHECK(hsys_next_nowait(h, &r) == 0 && r == NULL);
	pfd.fd = hsys_fd(h);
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 5000) == 1);
	if (!CHECK(hsys_next_nowait(h, &r) == 1)) {
		fake_finish(h);
		return;
	}
	/* Nothing can have come before our credit: -EAGAIN, unless the fake
	 * answered it already (under valgrind, say). */
	n = hsys_request_read_nowait(r, buf, sizeof(buf));
	if (!CHECK(n == -EAGAIN || n == 3))
		printf("# got %zd\n", n);
	if (n > 0)
		got = n;
	for (i = 0; i < 500 && n != 0; i++) {
		n = hsys_request_read_nowait(r, buf + got,
		    sizeof(buf) - (size_t)got);
		if (n == 0)
			break;
		if (n > 0)
			got += n;
		else
			usleep(10000);
	}
	if (!CHECK(n == 0 && got == 3 && memcmp(buf, "abc", 3) == 0))
		printf("# got %zd, n %zd\n", got, n);
	CHECK(hsys_respond(r, 200, NULL, buf, (size_t)got) == 0);
	fake_finish(h);
}

/* An event loop's response under back-pressure: the non-blocking write
 * stops at the window and says -EAGAIN; another request is answered
 * meanwhile; credit arriving makes hsys_fd readable and the write goes
 * on. */
static void
test_write_nowait(void)
{
	struct hsys *h = fake_start("write_nowait");
	struct hsys_request *r, *big = NULL;
	struct pollfd pfd;
	unsigned char *data;
	size_t i, total = 300000, off = 0;
	ssize_t n;
	int rounds, eagain = 0, small = 0, first = 1;

	if (!CHECK(h != NULL))
		return;
	data = malloc(total);
	for (i = 0; i < total; i++)
		data[i] = pat(i, 5);
	pfd.fd = hsys_fd(h);
	pfd.events = POLLIN;
	for (rounds = 0; rounds < 1000 && (off < total || !small); rounds++) {
		while (hsys_next_nowait(h, &r) == 1) {
			if (strcmp(hsys_request_path(r), "/big") == 0) {
				big = r;
				CHECK(hsys_response_start(r, 200, NULL, 0, 0)
				    == 0);
			} else {
				CHECK(hsys_respond(r, 200, NULL, "small", 5)
				    == 0);
				small = 1;
			}
		}
		while (big != NULL && off < total) {
			n = hsys_response_write_nowait(big, data + off,
			    total - off);
			if (n == -EAGAIN) {
				eagain++;
				break;
			}
			if (n <= 0) {	/* one check, however many writes */
				CHECK(n > 0);
				printf("# got %zd\n", n);
				off = total;
				break;
			}
			/* The first write is the window, no more. */
			if (first && !CHECK(n == 64 * 1024))
				printf("# first write %zd\n", n);
			first = 0;
			off += (size_t)n;
		}
		if (big != NULL && off == total) {
			CHECK(hsys_response_end(big) == 0);
			big = NULL;
		}
		if (off < total || !small)
			poll(&pfd, 1, 5000);
	}
	CHECK(off == total && small && eagain > 0);
	free(data);
	fake_finish(h);
}

static void
malformed(const char *scenario)
{
	struct hsys *h = fake_start(scenario);
	struct hsys_request *r = NULL;
	int rc;

	printf("# %s\n", scenario);
	if (!CHECK(h != NULL))
		return;
	rc = hsys_next(h, &r, 5000);
	if (!CHECK(rc == -EPROTO && r == NULL))
		printf("# got %d\n", rc);
	fake_finish(h);
}

static void
test_malformed(void)
{
	malformed("bad_truncated");
	malformed("bad_span");
	malformed("bad_header_span");
	malformed("bad_nheaders");
	malformed("bad_type");
	malformed("bad_length");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_accessors);
	RUN(test_upload);
	RUN(test_download);
	RUN(test_interleave);
	RUN(test_cancel);
	RUN(test_upgrade);
	RUN(test_badheader);
	RUN(test_close);
	RUN(test_close_mid);
	RUN(test_expect);
	RUN(test_trailers);
	RUN(test_interim);
	RUN(test_resp_trailers);
	RUN(test_write_nowait);
	RUN(test_malformed);
	return unit_done();
}
