/*
 * Unit tests of the key process's monitor (src/keys/monitor.c): the real
 * monitor, in a child, over a control channel, with a fake signer (this
 * binary run as `--key-signer`, as the monitor runs hsysd's) whose RELOAD
 * waits until the test opens a gate, as a busy store holds it. While a
 * RELOAD waits: RENEW is answered and its renewal (a fake `hsys` beside
 * this binary) is started and reaped, CONTROL gives a second channel, and
 * more forwards wait behind it, bounded, each answered on the channel
 * that asked. The signer killed with forwards pending: each is answered
 * failed, and the monitor serves the next signer. A control channel closed
 * with forwards pending: their answers are dropped, never sent to a new
 * channel on the same descriptor. The monitor holds as many descriptors
 * at the end as at the start (nothing passed leaks).
 *
 * The monitor finds `hsys` beside the binary it runs, so the test first
 * copies itself into a directory of its own with a fake hsys, and runs
 * the copy (MONQ_DIR names that directory).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "keys/keys.h"
#include "keysfake.h"
#include "unit.h"

static char dir[64];		/* MONQ_DIR, short: it makes every path */
static pid_t monitor;
static uint32_t next_id = 1;

static void
path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void
gate(int open_it)
{
	char p[300];
	int fd;

	path(p, sizeof(p), "gate");
	if (!open_it) {
		(void)unlink(p);
		return;
	}
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) != -1)
		close(fd);
}

/* --- the fake signer --------------------------------------------------- */

/* One request after the other, as the real signer serves its link. */
static void __attribute__((noreturn))
fake_signer(int fd)
{
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_req r;
	char p[300];
	FILE *f;
	ssize_t n;
	int passed, nfd, flags, i;

	path(p, sizeof(p), "signer.pid");
	if ((f = fopen(p, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	path(p, sizeof(p), "gate");
	while ((n = fdpass_recv(fd, buf, sizeof(buf), &passed, 1, &nfd,
	    &flags)) > 0) {
		if (nfd == 1)
			close(passed);
		if (keys_req_decode(buf, (size_t)n, &r) != KEYS_OK) {
			keysfake_answer(fd, KEYS_EMALFORMED, r.id, 0);
			continue;
		}
		for (i = 0; r.op == KEYS_OP_RELOAD && i < 3000 &&
		    access(p, F_OK) != 0; i++)
			usleep(10000);
		keysfake_answer(fd, KEYS_OK, r.id, r.op == KEYS_OP_SIGN ? 8 : 0);
	}
	_exit(0);
}

/* --- the test's side ---------------------------------------------------- */

/* A request of op (with a new socketpair's end when pair is not NULL:
 * *pair is ours); its id. */
static uint32_t
ask(int ctl, enum keys_op op, int *pair)
{
	struct keys_req r = { .op = op, .id = next_id++ };
	unsigned char buf[KEYS_REQ_MAX];
	int sv[2] = { -1, -1 };
	size_t len;

	if (op == KEYS_OP_SIGN) {
		r.alg = KEYS_ALG_ECDSA;
		r.md = KEYS_MD_SHA256;
		r.dlen = 32;
		memset(r.key, 0xAB, sizeof(r.key));
		memset(r.digest, 0x5A, r.dlen);
	}
	if (pair != NULL && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sv) == -1)
		return 0;
	len = keys_req_encode(&r, buf);
	if (fdpass_send(ctl, buf, len, sv[1]) != (ssize_t)len)
		r.id = 0;
	if (sv[1] != -1)
		close(sv[1]);
	if (pair != NULL)
		*pair = sv[0];
	return r.id;
}

/* The next answer on fd within ms: 0, or -1 (none, or the channel
 * ended). */
static int
next(int fd, int ms, struct keys_ans *a)
{
	unsigned char buf[KEYS_ANS_MAX];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0 || keys_ans_decode(buf, (size_t)n, a) == -1)
		return -1;
	return 0;
}

static int
answered(int fd, uint32_t id, enum keys_status st, int ms)
{
	struct keys_ans a;

	return next(fd, ms, &a) == 0 && a.id == id && a.status == st;
}

static int
nfds(pid_t pid)
{
	char p[64];
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(p)) == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 2;
}

static pid_t
signer_pid(void)
{
	char p[300];
	FILE *f;
	long pid = 0;

	path(p, sizeof(p), "signer.pid");
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

static int ctl = -1;
static int fds0;

static void
test_start(void)
{
	int sv[2], i;

	if (!CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv) == 0))
		return;
	gate(1);
	if ((monitor = fork()) == 0) {
		close(sv[0]);
		keys_monitor_main(sv[1], "/proc/self/exe", 0);
	}
	close(sv[1]);
	ctl = sv[0];
	CHECK(monitor > 0);
	/* Served: the signer runs. */
	CHECK(answered(ctl, ask(ctl, KEYS_OP_SIGN, NULL), KEYS_OK, 10000));
	for (i = 0; i < 100 && signer_pid() == 0; i++)
		usleep(20000);
	CHECK(signer_pid() > 0);
	fds0 = nfds(monitor);
	CHECK(fds0 > 0);
}

/* While a RELOAD waits: RENEW, its renewal's end, CONTROL, and forwards
 * on the second channel, each answered where it was asked. */
static void
test_slow_reload(void)
{
	struct keys_ans a;
	uint32_t reload, renew, control, sign;
	int rfd = -1, ctl2 = -1;
	double t0;

	gate(0);
	reload = ask(ctl, KEYS_OP_RELOAD, NULL);
	usleep(200000);
	t0 = unit_now();
	renew = ask(ctl, KEYS_OP_RENEW, &rfd);
	CHECK(next(ctl, 3000, &a) == 0 && a.id == renew &&
	    a.status == KEYS_OK && a.siglen == 4);
	CHECK(unit_now() - t0 < 3);
	/* The renewal (fake hsys: sleeps 0.3 s, exits 3) ends and is told. */
	CHECK(next(rfd, 5000, &a) == 0 && a.id == renew && a.siglen == 4 &&
	    WIFEXITED(a.sig[0] | a.sig[1] << 8) &&
	    WEXITSTATUS(a.sig[0] | a.sig[1] << 8) == 3);
	control = ask(ctl, KEYS_OP_CONTROL, &ctl2);
	CHECK(answered(ctl, control, KEYS_OK, 3000));
	sign = ask(ctl2, KEYS_OP_SIGN, NULL);
	/* Behind the RELOAD: nothing yet, anywhere. */
	CHECK(next(ctl2, 300, &a) == -1);
	CHECK(next(ctl, 10, &a) == -1);
	gate(1);
	CHECK(answered(ctl, reload, KEYS_OK, 5000));
	CHECK(next(ctl2, 5000, &a) == 0 && a.id == sign &&
	    a.status == KEYS_OK && a.siglen == 8);
	if (rfd != -1)
		close(rfd);
	if (ctl2 != -1)
		close(ctl2);
}

/* More forwards than the monitor keeps (32): it reads the rest once
 * places free, and fails none. */
static void
test_bounded(void)
{
	uint32_t id[48];
	int i, ok = 1;

	gate(0);
	id[0] = ask(ctl, KEYS_OP_RELOAD, NULL);
	for (i = 1; i < 48; i++)
		id[i] = ask(ctl, KEYS_OP_SIGN, NULL);
	usleep(300000);
	gate(1);
	for (i = 0; i < 48; i++)
		ok &= answered(ctl, id[i], KEYS_OK, 5000);
	CHECK(ok);
}

/* The signer killed with forwards pending (one carrying a descriptor):
 * each fails at once; the next signer serves. */
static void
test_signer_killed(void)
{
	uint32_t reload, sign, chan;
	pid_t old = signer_pid();
	double t0;
	int pair = -1, ok = 0, i;

	gate(0);
	reload = ask(ctl, KEYS_OP_RELOAD, NULL);
	sign = ask(ctl, KEYS_OP_SIGN, NULL);
	chan = ask(ctl, KEYS_OP_CHANNEL, &pair);
	usleep(200000);
	t0 = unit_now();
	CHECK(old > 0 && kill(old, SIGKILL) == 0);
	CHECK(answered(ctl, reload, KEYS_EFAILED, 3000));
	CHECK(answered(ctl, sign, KEYS_EFAILED, 3000));
	CHECK(answered(ctl, chan, KEYS_EFAILED, 3000));
	CHECK(unit_now() - t0 < 3);
	gate(1);
	for (i = 0; i < 50 && !ok; i++) {
		ok = answered(ctl, ask(ctl, KEYS_OP_SIGN, NULL), KEYS_OK, 3000);
		if (!ok)
			usleep(100000);
	}
	CHECK(ok);
	CHECK(signer_pid() != old);
	if (pair != -1)
		close(pair);
}

/* A control channel closed with forwards pending: their answers go
 * nowhere, not to the channel that gets its descriptor next. */
static void
test_channel_closed(void)
{
	struct keys_ans a;
	uint32_t sign;
	int ctl2 = -1, ctl3 = -1, i;

	CHECK(answered(ctl, ask(ctl, KEYS_OP_CONTROL, &ctl2), KEYS_OK, 3000));
	gate(0);
	(void)ask(ctl2, KEYS_OP_RELOAD, NULL);
	for (i = 0; i < 3; i++)
		(void)ask(ctl2, KEYS_OP_SIGN, NULL);
	usleep(200000);
	close(ctl2);
	usleep(200000);		/* the monitor sees it close */
	CHECK(answered(ctl, ask(ctl, KEYS_OP_CONTROL, &ctl3), KEYS_OK, 3000));
	sign = ask(ctl3, KEYS_OP_SIGN, NULL);
	gate(1);
	/* The first answer on the new channel is its own. */
	CHECK(next(ctl3, 5000, &a) == 0 && a.id == sign &&
	    a.status == KEYS_OK);
	CHECK(next(ctl3, 300, &a) == -1);
	close(ctl3);
}

/* Every channel gone but the first: as many descriptors as at the start;
 * the last channel's end ends the monitor. */
static void
test_end(void)
{
	int status = -1, i;

	for (i = 0; i < 50 && nfds(monitor) != fds0; i++)
		usleep(100000);
	CHECK(nfds(monitor) == fds0);
	close(ctl);
	for (i = 0; i < 100 && waitpid(monitor, &status, WNOHANG) == 0; i++)
		usleep(100000);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A directory with a copy of this binary and a fake hsys beside it. */
static int
setup(char **argv)
{
	char src[300], cmd[1024];
	ssize_t n;

	strcpy(dir, "/tmp/test_keys_monitor.XXXXXX");
	if ((n = readlink("/proc/self/exe", src, sizeof(src) - 1)) <= 0 ||
	    mkdtemp(dir) == NULL)
		return -1;
	src[n] = '\0';
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/test_keys_monitor' && "
	    "printf '#!/bin/sh\\nsleep 0.3\\nexit 3\\n' >'%s/hsys' && "
	    "chmod 755 '%s/hsys'", src, dir, dir, dir);
	if (system(cmd) != 0)
		return -1;
	setenv("MONQ_DIR", dir, 1);
	snprintf(src, sizeof(src), "%s/test_keys_monitor", dir);
	execv(src, argv);
	return -1;
}

static void
cleanup(void)
{
	static const char *name[] = { "test_keys_monitor", "hsys", "gate",
	    "signer.pid" };
	char p[300];
	size_t i;

	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		path(p, sizeof(p), name[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

int
main(int argc, char **argv)
{
	const char *d = getenv("MONQ_DIR");

	if (d == NULL) {
		setup(argv);
		printf("not ok 1 - cannot run a copy of the test\n");
		return 1;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s", d) >= sizeof(dir)) {
		printf("not ok 1 - MONQ_DIR is too long\n");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], KEYS_SIGNER_ARG) == 0)
		fake_signer(KEYS_PROC_FD);
	signal(SIGPIPE, SIG_IGN);
	RUN(test_start);
	RUN(test_slow_reload);
	RUN(test_bounded);
	RUN(test_signer_killed);
	RUN(test_channel_closed);
	RUN(test_end);
	if (monitor > 0 && waitpid(monitor, NULL, WNOHANG) == 0) {
		kill(monitor, SIGKILL);
		waitpid(monitor, NULL, 0);
	}
	cleanup();
	return unit_done();
}
