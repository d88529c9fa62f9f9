/*
 * The C codec and the Python one agree: libhsys (src/lib on src/proto)
 * against tests/lib/pyagree.py, a fake hsysd made of the Python package's
 * codec (bindings/python/hsys/protocol.py). Here: what libhsys decoded
 * from the Python encoder's WELCOME, OK, ERROR, REQUEST (every field),
 * REQ_DATA and trailers. There: what the Python decoder made of libhsys's
 * HELLO, CHANNEL, queue operations, REQ_CREDIT, RESPONSE, RESP_DATA and
 * QUEUE_CLOSE; its exit status is one more check here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

static char home[64];
static pid_t fake_pid;

static int
fake_start(void)
{
	char sock[128];
	struct stat sb;
	int i;

	snprintf(home, sizeof(home), "/tmp/hsys-pyagree.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HSYS_HOME", home, 1);
	unsetenv("HSYS_SOCKET");
	setenv("PYTHONPATH", "bindings/python", 1);
	snprintf(sock, sizeof(sock), "%s/hsysd.sock", home);
	if ((fake_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/usr/bin/python3", "python3", "tests/lib/pyagree.py",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000 && stat(sock, &sb) == -1; i++)
		usleep(10000);
	return fake_pid > 0 ? 0 : -1;
}

static int
fake_status(void)
{
	int st;
	char cmd[128];

	if (waitpid(fake_pid, &st, 0) == -1)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", home);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
check_request(struct hsys_request *r)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	const unsigned char *cert;
	const char *name, *value;
	char buf[64], addr[64];
	size_t len, i;
	ssize_t n, got = 0;

	CHECK_STR(hsys_request_method(r), "PROPFIND");
	CHECK_STR(hsys_request_raw_url(r), "/agree/a%20b?x=1");
	CHECK_STR(hsys_request_path(r), "/agree/a b");
	CHECK_STR(hsys_request_query(r), "x=1");
	CHECK_STR(hsys_request_host(r), "h.test:8443");
	CHECK_STR(hsys_request_prefix(r), "https://+:8443/agree/");
	CHECK(hsys_request_version(r) == 11);
	CHECK(hsys_request_id(r) == 0x55AA);
	CHECK(hsys_request_header_count(r) == 4);
	CHECK_STR(hsys_request_header(r, "x-dup"), "1");
	CHECK(hsys_request_header_at(r, 2, &name, &value) == 0);
	CHECK_STR(name, "X-Dup");
	CHECK_STR(value, "2");
	CHECK(hsys_request_peer(r, &ss) == 0 && ss.ss_family == AF_INET);
	inet_ntop(AF_INET, &in4->sin_addr, addr, sizeof(addr));
	CHECK_STR(addr, "192.0.2.7");
	CHECK(ntohs(in4->sin_port) == 4321);
	CHECK(hsys_request_local(r, &ss) == 0 && ss.ss_family == AF_INET6);
	inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
	CHECK_STR(addr, "2001:db8::1");
	CHECK(ntohs(in6->sin6_port) == 8443);
	CHECK_STR(hsys_request_tls(r), "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519");
	CHECK_STR(hsys_request_sni(r), "h.test");
	cert = hsys_request_client_cert(r, &len);
	CHECK(cert != NULL && len == 200);
	for (i = 0; cert != NULL && i < len && cert[i] == (unsigned char)i; i++)
		;
	CHECK(i == 200);
	CHECK(hsys_request_content_length(r) == -1);
	CHECK(hsys_request_connection_id(r) == 0x1122334455667788ull);
	while ((n = hsys_request_read(r, buf + got, sizeof(buf) - 1 -
	    (size_t)got)) > 0)
		got += n;
	CHECK(n == 0);
	buf[got] = '\0';
	CHECK_STR(buf, "hello world");
	CHECK(hsys_request_trailer_count(r) == 2);
	CHECK_STR(hsys_request_trailer(r, "X-Sum"), "42");
	CHECK_STR(hsys_request_trailer(r, "x-note"), "a b");
}

static void
test_agree(void)
{
	struct hsys_header hs[] = { { "X-A", "1" }, { "X-B", "two words" } };
	struct hsys_request *r = NULL;
	struct hsys_queue *q;
	struct hsys *h = NULL;
	int rc;

	if (!CHECK(fake_start() == 0))
		return;
	if (!CHECK((rc = hsys_open(&h, "agree-app")) == 0)) {
		printf("# hsys_open: %s\n", hsys_strerror(rc));
		goto out;
	}
	CHECK(hsys_queue_create(h, "agreeq", 0, &q) == 0);
	CHECK(hsys_queue_id(q) == 5);
	CHECK(hsys_queue_set_length(q, 77) == 0);
	CHECK(hsys_prefix_add(q, "https://+:8443/agree/") == 0);
	CHECK(hsys_prefix_add(q, "http://+:1/refused/") == -EACCES);
	CHECK_STR(hsys_last_error(h),
	    "no reservation lets uid 0 listen on http://+:1/refused/");
	if (!CHECK(hsys_next(h, &r, 10000) == 1))
		goto out;
	check_request(r);
	CHECK(hsys_response_start(r, 299, hs, 2, 0) == 0);
	CHECK(hsys_response_write(r, "agreed: ", 8) == 8);
	CHECK(hsys_response_write(r, "hello world", 11) == 11);
	CHECK(hsys_response_end(r) == 0);
	CHECK(hsys_queue_close(q) == 0);
out:
	hsys_close(h);
	CHECK(fake_status() == 0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_agree);
	return unit_done();
}
