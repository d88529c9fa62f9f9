/*
 * libhsys's queue properties: hsys_queue_set_length and
 * hsys_queue_set_grace against a real hsysd (accepted at their bounds,
 * refused beyond them before anything is sent) and
 * against a daemon too old to know them (fakehsysd's "old" scenario: its
 * WELCOME announces no feature), which must get -EOPNOTSUPP and no frame.
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

static char home[64];

/* Runs `argv` with HSYS_HOME set to a fresh directory; waits for its
 * socket. */
static pid_t
start(char *const argv[])
{
	char sock[128];
	struct stat sb;
	pid_t pid;
	int i;

	snprintf(home, sizeof(home), "/tmp/hsys-libqueue.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HSYS_HOME", home, 1);
	unsetenv("HSYS_SOCKET");
	snprintf(sock, sizeof(sock), "%s/hsysd.sock", home);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 500 && stat(sock, &sb) == -1; i++)
		usleep(10000);
	return pid;
}

static int
finish(pid_t pid, int sig)
{
	char cmd[128];
	int status = -1;

	if (sig != 0)
		kill(pid, sig);
	waitpid(pid, &status, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", home);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_real_daemon(void)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	char *argv[] = { path, "--workers", "2", NULL };
	struct hsys_queue *q, *q2;
	struct hsys *h;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/hsysd", build);
	if ((pid = start(argv)) == -1 || !CHECK(hsys_open(&h, "props") == 0))
		return;
	CHECK(hsys_queue_create(h, "props", 0, &q) == 0);
	CHECK(hsys_queue_set_length(q, 1) == 0);
	CHECK(hsys_queue_set_length(q, 65535) == 0);
	CHECK(hsys_queue_set_length(q, 0) == -EINVAL);
	CHECK(hsys_queue_set_length(q, 65536) == -EINVAL);
	CHECK(hsys_queue_set_grace(q, 0) == 0);
	CHECK(hsys_queue_set_grace(q, 300000) == 0);
	CHECK(hsys_queue_set_grace(q, 300001) == -EINVAL);
	/* Another queue of the session, and the session still works. */
	CHECK(hsys_queue_create(h, NULL, 0, &q2) == 0);
	CHECK(hsys_queue_set_length(q2, 5) == 0);
	CHECK(hsys_queue_set_grace(q2, 1000) == 0);
	CHECK(hsys_queue_close(q2) == 0);
	CHECK(hsys_queue_close(q) == 0);
	hsys_close(h);
	CHECK(finish(pid, SIGTERM) == 0);
}

static void
test_old_daemon(void)
{
	char *argv[] = { "python3", "tests/e2e/lib/fakehsysd.py", "old", NULL };
	struct hsys_queue *q;
	struct hsys *h;
	pid_t pid;

	if ((pid = start(argv)) == -1 || !CHECK(hsys_open(&h, "new") == 0))
		return;
	CHECK(hsys_queue_create(h, NULL, 0, &q) == 0);
	CHECK(hsys_queue_set_length(q, 10) == -EOPNOTSUPP);
	CHECK(hsys_queue_set_grace(q, 0) == -EOPNOTSUPP);
	CHECK(strstr(hsys_strerror(-EOPNOTSUPP), "too old") != NULL);
	free(q);	/* the fake needs no QUEUE_CLOSE */
	hsys_close(h);
	/* The fake saw nothing on its channels but their end. */
	CHECK(finish(pid, 0) == 0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_real_daemon);
	RUN(test_old_daemon);
	return unit_done();
}
