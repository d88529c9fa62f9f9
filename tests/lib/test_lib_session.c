/*
 * libhsys against a real hsysd: opening a session, queues (named,
 * anonymous, attach, close), refusals with the daemon's sentences, no
 * daemon at all, and the daemon going away under an open session.
 * The test starts its own hsysd on a private HSYS_HOME.
 */
#include <errno.h>
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

static char home[] = "/tmp/hsys-libtest.XXXXXX";
static pid_t daemon_pid;

static int
start_daemon(void)
{
	char path[512], sock[600];
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	struct stat sb;
	int i;

	snprintf(path, sizeof(path), "%s/hsysd", build);
	snprintf(sock, sizeof(sock), "%s/hsysd.sock", home);
	if ((daemon_pid = fork()) == 0) {
		/* If the test dies, so does its daemon. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execl(path, "hsysd", "--workers", "3", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		if (stat(sock, &sb) == 0)
			return 0;
		usleep(20000);
	}
	return -1;
}

static void
stop_daemon(void)
{
	int status;

	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, &status, 0);
}

static void
test_no_daemon(void)
{
	struct hsys *h = (struct hsys *)1;

	CHECK(hsys_open(&h, "nobody-home") == -ENOENT && h == NULL);
	CHECK(strstr(hsys_strerror(-ENOENT), "not running") != NULL);
}

static void
test_queues(void)
{
	struct hsys_queue *q1, *q2, *q3, *q4;
	struct hsys *h, *g;

	if (!CHECK(hsys_open(&h, "lib-test") == 0))
		return;
	CHECK(hsys_fd(h) >= 0);
	CHECK(hsys_queue_create(h, NULL, 0, &q1) == 0);
	CHECK(hsys_queue_create(h, "shared", 0, &q2) == 0);
	CHECK(hsys_queue_id(q1) != hsys_queue_id(q2));
	CHECK(hsys_queue_create(h, "shared", 0, &q3) == -EEXIST && q3 == NULL);
	CHECK(strstr(hsys_last_error(h), "'shared' exists") != NULL);
	CHECK(hsys_queue_attach(h, "missing", &q3) == -ENOENT);
	CHECK(hsys_queue_attach(h, "", &q3) == -EINVAL);

	if (!CHECK(hsys_open(&g, "lib-test-2") == 0))
		return;
	CHECK(hsys_queue_attach(g, "shared", &q4) == 0 &&
	    hsys_queue_id(q4) == hsys_queue_id(q2));
	CHECK(hsys_prefix_add(q4, "http://+:0/x/") == -EINVAL);
	CHECK(hsys_last_error(g)[0] != '\0');
	CHECK(hsys_queue_close(q4) == 0);
	hsys_close(g);

	CHECK(hsys_queue_close(q1) == 0);
	CHECK(hsys_queue_close(q2) == 0);
	/* The last holder closed it: the name is free again. */
	CHECK(hsys_queue_create(h, "shared", 0, &q2) == 0);
	CHECK(hsys_queue_close(q2) == 0);
	hsys_close(h);
}

static void
test_daemon_goes_away(void)
{
	struct hsys_queue *q;
	struct hsys *h;

	if (!CHECK(hsys_open(&h, "orphan") == 0))
		return;
	stop_daemon();
	CHECK(hsys_queue_create(h, NULL, 0, &q) < 0);
	hsys_close(h);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(home) == NULL)
		return 1;
	setenv("HSYS_HOME", home, 1);
	RUN(test_no_daemon);
	if (!CHECK(start_daemon() == 0))
		return unit_done();
	RUN(test_queues);
	RUN(test_daemon_goes_away);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done();
}
