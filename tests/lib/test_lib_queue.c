/*
 * libhsys's queue properties: hsys_queue_set_length and
 * hsys_queue_set_grace against a real hsysd (accepted at their bounds,
 * refused beyond them before anything is sent) and
 * against a daemon too old to know them (fakehsysd's "old" scenario: its
 * WELCOME announces no feature), which must get -EOPNOTSUPP and no frame.
 *
 * And consent: hsys_queue_allow / hsys_queue_allow_group, and names scoped
 * per owner ("owner/name"), against a real hsysd with a second process
 * running as nobody; and against the old daemon, where neither may be
 * asked (it would let every user in, or read "a/b" as a name of its own).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "hsys.h"
#include "../unit/unit.h"

static char home[64];

/* Runs `argv` with HSYS_HOME set to a fresh directory; waits for its
 * socket. */
static pid_t
spawn(char *const argv[])
{
	char sock[128];
	struct stat sb;
	pid_t pid;
	int i;

	snprintf(sock, sizeof(sock), "%s/hsysd.sock", home);
	unlink(sock);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	/* Up to 30 s: a Python fake starts slowly on a loaded machine. */
	for (i = 0; i < 3000 && stat(sock, &sb) == -1; i++)
		usleep(10000);
	return pid;
}

static pid_t
start(char *const argv[])
{
	snprintf(home, sizeof(home), "/tmp/hsys-libqueue.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HSYS_HOME", home, 1);
	unsetenv("HSYS_SOCKET");
	return spawn(argv);
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

/* As nobody, in a child: what its attaches return, one bit per check
 * that failed (0: all as expected). */
static int
nobody_attaches(const char *allowed, const char *closed, const char *own)
{
	struct hsys_queue *q;
	struct hsys *h;
	int bad = 0;

	if (setgroups(0, NULL) == -1 || setresgid(65534, 65534, 65534) == -1 ||
	    setresuid(65534, 65534, 65534) == -1 || hsys_open(&h, "b") != 0)
		return 0x80;
	if (hsys_queue_attach(h, closed, &q) != -EACCES)
		bad |= 0x1;
	if (hsys_queue_attach(h, own, &q) != -ENOENT)
		bad |= 0x2;
	if (hsys_queue_attach(h, allowed, &q) != 0)
		return bad | 0x4;
	/* Consent is the owner's to give: an allowed user cannot pass it
	 * on. */
	if (hsys_queue_allow(q, 2) != -EPERM)
		bad |= 0x8;
	/* Its own queue of the same name is another queue. */
	if (hsys_queue_create(h, own, 0, &q) != 0)
		bad |= 0x10;
	hsys_close(h);
	return bad;
}

static void
test_consent(void)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	char *argv[] = { path, "--workers", "2", NULL };
	struct hsys_queue *open, *shut, *q;
	struct hsys *h;
	pid_t pid, child;
	int status = -1, i, rc = 0;

	snprintf(path, sizeof(path), "%s/hsysd", build);
	if ((pid = start(argv)) == -1 || !CHECK(hsys_open(&h, "a") == 0))
		return;
	chmod(home, 0755);	/* nobody reaches the socket */
	CHECK(hsys_queue_create(h, "jobs", HSYS_QUEUE_OPEN, &open) == 0);
	CHECK(hsys_queue_create(h, "shut", HSYS_QUEUE_OPEN, &shut) == 0);
	CHECK(hsys_queue_create(h, "a/b", 0, &q) == -EINVAL);
	CHECK(strstr(hsys_last_error(h), "owner/name") != NULL);
	CHECK(hsys_queue_create(h, "plain", 0, &q) == 0);
	CHECK(hsys_queue_allow(q, 65534) == -EINVAL);	/* not open */
	CHECK(hsys_queue_close(q) == 0);
	CHECK(hsys_queue_allow(open, 65534) == 0);
	CHECK(hsys_queue_allow(open, 65534) == 0);	/* twice: one entry */
	CHECK(hsys_queue_allow_group(open, 12345) == 0);
	/* 2 entries so far; 62 more fill the list, the next is refused. */
	for (i = 0; i < 62 && rc == 0; i++)
		rc = hsys_queue_allow(open, 20000 + (uid_t)i);
	CHECK(rc == 0);
	CHECK(hsys_queue_allow(open, 30000) == -ENOSPC);
	/* The owner reaches its own queue by either form. */
	CHECK(hsys_queue_attach(h, "jobs", &q) == 0 && q != NULL);
	free(q);
	CHECK(hsys_queue_attach(h, "0/jobs", &q) == 0 && q != NULL);
	free(q);
	CHECK(hsys_queue_attach(h, "root/jobs", &q) == 0 && q != NULL);
	free(q);
	CHECK(hsys_queue_attach(h, "no-such-user-xyz/jobs", &q) == -EINVAL);
	CHECK(hsys_queue_attach(h, "root/", &q) == -EINVAL);
	CHECK(hsys_queue_attach(h, "root/a/b", &q) == -EINVAL);
	CHECK(hsys_queue_attach(h, "1/jobs", &q) == -ENOENT);
	if ((child = fork()) == 0)
		_exit(nobody_attaches("root/jobs", "0/shut", "jobs"));
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		printf("# nobody's checks failed: 0x%x\n", WEXITSTATUS(status));
	CHECK(hsys_queue_close(shut) == 0);
	CHECK(hsys_queue_close(open) == 0);
	hsys_close(h);
	CHECK(finish(pid, SIGTERM) == 0);
}

/* As nobody: attaches to `name` until it works or 15 s pass; 0 when it
 * did, else the last error. */
static int
nobody_attach_soon(const char *name)
{
	struct hsys_queue *q;
	struct hsys *h;
	int i, rc = -1;

	if (setgroups(0, NULL) == -1 || setresgid(65534, 65534, 65534) == -1 ||
	    setresuid(65534, 65534, 65534) == -1)
		return 0x80;
	for (i = 0; i < 150 && rc != 0; i++) {
		if ((rc = hsys_open(&h, "b")) == 0) {
			rc = hsys_queue_attach(h, name, &q);
			hsys_close(h);
		}
		if (rc != 0)
			usleep(100000);
	}
	return rc == 0 ? 0 : -rc;
}

/* The allow list is given again when libhsys re-creates the queue on a
 * new daemon: nobody attaches there too. */
static void
test_consent_reconnect(void)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	char *argv[] = { path, "--workers", "2", NULL };
	struct hsys_request *r;
	struct hsys_queue *q;
	struct hsys *h;
	pid_t pid, child;
	int status = -1, i, broken = 0;

	snprintf(path, sizeof(path), "%s/hsysd", build);
	if ((pid = start(argv)) == -1 || !CHECK(hsys_open(&h, "a") == 0))
		return;
	chmod(home, 0755);
	CHECK(hsys_set_reconnect(h, 20000) == 0);
	CHECK(hsys_queue_create(h, "jobs", HSYS_QUEUE_OPEN, &q) == 0);
	CHECK(hsys_queue_allow(q, 65534) == 0);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (!CHECK((pid = spawn(argv)) != -1))
		return;
	/* hsys_next runs the reconnection; the child tries meanwhile. */
	if ((child = fork()) == 0)
		_exit(nobody_attach_soon("root/jobs"));
	for (i = 0; i < 200 && waitpid(child, &status, WNOHANG) == 0; i++)
		if (hsys_next(h, &r, 100) < 0)
			broken++;
	CHECK(broken == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		printf("# nobody's attach after the reconnection: %s\n",
		    strerror(WEXITSTATUS(status)));
	CHECK(hsys_queue_close(q) == 0);
	hsys_close(h);
	CHECK(finish(pid, SIGTERM) == 0);
}

static void
test_old_daemon(void)
{
	char *argv[] = { "/usr/bin/python3", "tests/e2e/lib/fakehsysd.py", "old",
	    NULL };
	struct hsys_queue *q, *q2;
	struct hsys *h;
	pid_t pid;

	if ((pid = start(argv)) == -1 || !CHECK(hsys_open(&h, "new") == 0))
		return;
	CHECK(hsys_queue_create(h, NULL, 0, &q) == 0);
	CHECK(hsys_queue_set_length(q, 10) == -EOPNOTSUPP);
	CHECK(hsys_queue_set_grace(q, 0) == -EOPNOTSUPP);
	CHECK(strstr(hsys_strerror(-EOPNOTSUPP), "too old") != NULL);
	/* It would let every user attach an open queue, and read "a/b" as a
	 * global name: neither is asked. */
	CHECK(hsys_queue_allow(q, 65534) == -EOPNOTSUPP);
	CHECK(hsys_queue_allow_group(q, 65534) == -EOPNOTSUPP);
	CHECK(hsys_queue_attach(h, "alice/jobs", &q2) == -EOPNOTSUPP);
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
	RUN(test_consent);
	RUN(test_consent_reconnect);
	RUN(test_old_daemon);
	return unit_done();
}
