/*
 * Unit tests of hsysd's seccomp filter (sandbox.c), in a child process
 * that applies it: what serving needs still works, on every thread (one
 * started before the filter too); what it leaves out fails with EPERM
 * (unshare, setuid, making the process dumpable again); --seccomp off and
 * a filter already in place add none. The child reports each probe's
 * outcome through a pipe; the parent checks them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/log.h"
#include "daemon/sandbox.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

enum probe {
	P_APPLIED, P_MODE, P_GETPID, P_OPEN, P_SOCKET, P_DUMPABLE_OFF,
	P_UNSHARE, P_SETUID, P_DUMPABLE_ON, P_THREAD_UNSHARE, P_AGAIN,
	P_AGAIN_MODE, P_N
};

static int go[2];

/* A thread that exists before the filter: it must be under it too. */
static void *
early_thread(void *arg)
{
	char c;

	(void)arg;
	if (read(go[0], &c, 1) != 1)
		return (void *)(long)-2;
	return (void *)(long)(unshare(0) == -1 && errno == EPERM);
}

/* 1 when a call failed with EPERM. */
static int
eperm(long rc)
{
	return rc == -1 && errno == EPERM;
}

static void
child(int out)
{
	unsigned char r[P_N] = { 0 };
	pthread_t t;
	struct err e;
	void *tr = NULL;
	int fd;

	if (pipe(go) == -1 || pthread_create(&t, NULL, early_thread, NULL))
		_exit(2);
	r[P_APPLIED] = sandbox_apply(SANDBOX_ON, &e) == 0;
	r[P_MODE] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
	r[P_GETPID] = getpid() > 0;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	r[P_OPEN] = fd != -1;
	r[P_SOCKET] = socket(AF_UNIX, SOCK_STREAM, 0) != -1;
	r[P_DUMPABLE_OFF] = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
	r[P_UNSHARE] = eperm(unshare(0));
	r[P_SETUID] = eperm(setuid(getuid()));
	r[P_DUMPABLE_ON] = eperm(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	if (write(go[1], "g", 1) == 1 && pthread_join(t, &tr) == 0)
		r[P_THREAD_UNSHARE] = (long)tr == 1;
	/* Under a filter: none is added, and that is not an error. */
	r[P_AGAIN] = sandbox_apply(SANDBOX_ON, &e) == 0;
	r[P_AGAIN_MODE] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
	_exit(write(out, r, sizeof(r)) == sizeof(r) ? 0 : 3);
}

static void
test_filter(void)
{
	unsigned char r[P_N] = { 0 };
	int p[2], status = -1;
	pid_t pid;

	if (!CHECK(pipe(p) == 0))
		return;
	if ((pid = fork()) == 0) {
		close(p[0]);
		child(p[1]);
	}
	close(p[1]);
	CHECK(read(p[0], r, sizeof(r)) == sizeof(r));
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	CHECK(r[P_APPLIED]);
	CHECK(r[P_MODE]);		/* /proc/PID/status: Seccomp: 2 */
	CHECK(r[P_GETPID]);
	CHECK(r[P_OPEN]);
	CHECK(r[P_SOCKET]);
	CHECK(r[P_DUMPABLE_OFF]);
	CHECK(r[P_UNSHARE]);		/* namespaces: EPERM */
	CHECK(r[P_SETUID]);		/* a change of user: EPERM */
#if SANDBOX_ASAN
	/* LeakSanitizer makes the process dumpable to stop its threads. */
	CHECK(!r[P_DUMPABLE_ON]);
#else
	CHECK(r[P_DUMPABLE_ON]);	/* dumpable again: EPERM */
#endif
	CHECK(r[P_THREAD_UNSHARE]);	/* a thread older than the filter */
	CHECK(r[P_AGAIN]);
	CHECK(r[P_AGAIN_MODE]);
}

static void
test_off(void)
{
	int status = -1;
	struct err e;
	pid_t pid;

	if ((pid = fork()) == 0)
		_exit(sandbox_apply(SANDBOX_OFF, &e) == 0 &&
		    prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 && unshare(0) == 0 ?
		    0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
}

int
main(void)
{
	log_init("test_sandbox", 0, 0);
	RUN(test_filter);
	RUN(test_off);
	return unit_done();
}
