/*
 * monitor — the root part of hsysd that outlives a signer's death and
 * runs ACME renewals as root (docs/keys.md "The processes").
 *
 * hsysd starts it before it drops root (keys_spawn): `hsysd-keymon
 * --key-process`, with hsysd's control channel on descriptor 3. It reads
 * no key and parses nothing but the fixed requests of req.c. It:
 *  - starts the signer (proc.c, `hsysd-keys --key-signer`, a child of its
 *    own with a channel of the monitor's) and starts it again when it
 *    ends, at most once a second, so that an hsysd serving as another
 *    user never needs root to get a working key process again: its
 *    threads' channels see the end, and each asks for a new one on the
 *    control channel (CHANNEL), which the monitor passes to the signer;
 *  - passes SIGN, RELOAD and CHANNEL from a control channel to the signer
 *    and its answer back, one at a time;
 *  - runs `hsys cert acme renew --due` (RENEW), one at a time, as the
 *    user it runs as (root), and tells its wait status on the socket the
 *    request carried when it ends (a renewal may take minutes: the
 *    control channel stays free);
 *  - takes more control channels (CONTROL: the hsysd taking over gets
 *    one), and ends when the last closes (no hsysd knows it any more);
 *    the signer ends with it (PR_SET_PDEATHSIG).
 * RENEW and CONTROL exist only here: the signer, which serves the
 * workers' channels, refuses them (KEYS_EDENIED).
 *
 * Single-threaded: poll(2) on the control channels and a signalfd for
 * SIGCHLD.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdpass.h"
#include "daemon/log.h"
#include "keys/keys_int.h"

extern char **environ;

#define CONTROL_MAX	8	/* hsysd, and a few taking over */
#define RESTART_MS	1000	/* between two starts of the signer */
#define FORWARD_WAIT_MS	40000	/* a RELOAD may wait for a busy store */
#define KILL_GRACE_S	10	/* SIGTERM, then SIGKILL */

struct monitor {
	int		 ctl[CONTROL_MAX];
	int		 nctl;
	int		 sigfd;
	const char	*exe;		/* the signer's; NULL: fork only */
	int		 to_syslog;
	/* the signer */
	int		 link;		/* -1: none running */
	pid_t		 signer;
	int64_t		 started;	/* ms, monotonic */
	/* the renewal */
	pid_t		 rpid;		/* 0: none */
	int		 rfd;		/* where its end is told */
	uint32_t	 rid;
	int64_t		 rstarted;	/* s, monotonic */
	int		 rsignal;	/* the last signal sent it */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
start_signer(struct monitor *m)
{
	struct err e;

	m->started = now_ms();
	if (keys_spawn_as(m->exe, m->to_syslog, 1, &m->link, &m->signer,
	    &e) == -1) {
		log_err("key process: %s; TLS handshakes fail until it runs; "
		    "trying again", e.msg);
		m->link = -1;
		m->signer = 0;
		return;
	}
	log_info("key process: signer started (pid %ld)", (long)m->signer);
}

static void
answer(int fd, enum keys_status st, uint32_t id, const void *p, size_t n)
{
	unsigned char out[KEYS_ANS_MAX];
	struct keys_ans a = { .status = st, .id = id, .siglen = n };

	if (n > 0)
		memcpy(a.sig, p, n);
	n = keys_ans_encode(&a, out);
	(void)send(fd, out, n, MSG_NOSIGNAL);
}

static void
answer_u32(int fd, uint32_t id, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	answer(fd, KEYS_OK, id, p, sizeof(p));
}

static int
seqpacket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return fd != -1 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ==
	    0 && type == SOCK_SEQPACKET;
}

/* SIGN, RELOAD, CHANNEL: to the signer, and its answer back. */
static void
forward(struct monitor *m, int fd, const unsigned char *buf, size_t n,
    uint32_t id, int passed)
{
	unsigned char ans[KEYS_ANS_MAX];
	struct pollfd pfd = { .fd = m->link, .events = POLLIN };
	struct keys_ans a;
	int64_t deadline = now_ms() + FORWARD_WAIT_MS;
	ssize_t got;
	int left;

	if (m->link == -1 || fdpass_send(m->link, buf, n, passed) !=
	    (ssize_t)n) {
		answer(fd, KEYS_EFAILED, id, NULL, 0);
		return;
	}
	while ((left = (int)(deadline - now_ms())) > 0) {
		if (poll(&pfd, 1, left) <= 0)
			continue;
		got = recv(m->link, ans, sizeof(ans), MSG_DONTWAIT);
		if (got == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got <= 0)
			break;		/* the signer is gone */
		if (keys_ans_decode(ans, (size_t)got, &a) == 0 && a.id == id) {
			(void)send(fd, ans, (size_t)got, MSG_NOSIGNAL);
			return;
		}
	}
	answer(fd, KEYS_EFAILED, id, NULL, 0);
}

/* The hsys beside the binary the monitor runs. */
static int
hsys_path(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	n = snprintf(buf, size, "%s/hsys", exe);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* `hsys cert acme renew --due`, as hsysd's renew.c ran it: stdin
 * /dev/null, its lines on our stderr (hsysd's log), hsysd's environment
 * (HSYS_HOME), the signals the monitor ignores back to their default. */
static int
renewal_spawn(pid_t *pid)
{
	static const int sig[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
	    SIGPIPE, SIGCHLD };
	char path[PATH_MAX];
	char *argv[] = { path, (char *)"cert", (char *)"acme",
	    (char *)"renew", (char *)"--due", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl, none;
	size_t i;
	int rc;

	if (hsys_path(path, sizeof(path)) == -1 || access(path, X_OK) == -1) {
		log_err("key process: a renewal is asked for, but hsys is not "
		    "beside hsysd: cannot renew");
		return -1;
	}
	sigemptyset(&dfl);
	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		sigaddset(&dfl, sig[i]);
	sigemptyset(&none);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	rc = posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		log_err("key process: cannot start the renewal (%s): %s", path,
		    strerror(rc));
		return -1;
	}
	return 0;
}

static void
renew(struct monitor *m, int fd, uint32_t id, int passed)
{
	if (m->rpid != 0) {
		answer(fd, KEYS_EBUSY, id, NULL, 0);
		close(passed);
		return;
	}
	if (!seqpacket(passed) || renewal_spawn(&m->rpid) == -1) {
		m->rpid = 0;
		answer(fd, KEYS_EFAILED, id, NULL, 0);
		if (passed != -1)
			close(passed);
		return;
	}
	m->rfd = passed;
	m->rid = id;
	m->rstarted = now_ms() / 1000;
	m->rsignal = 0;
	log_info("key process: renewal started (pid %ld)", (long)m->rpid);
	answer_u32(fd, id, (uint32_t)m->rpid);
}

static void
control_add(struct monitor *m, int fd, uint32_t id, int passed)
{
	if (!seqpacket(passed) || m->nctl == CONTROL_MAX) {
		answer(fd, KEYS_EFAILED, id, NULL, 0);
		if (passed != -1)
			close(passed);
		return;
	}
	m->ctl[m->nctl++] = passed;
	answer(fd, KEYS_OK, id, NULL, 0);
}

static void
control_remove(struct monitor *m, int fd)
{
	int i;

	for (i = 0; i < m->nctl; i++)
		if (m->ctl[i] == fd) {
			m->ctl[i] = m->ctl[--m->nctl];
			break;
		}
	close(fd);
}

/* One request on a control channel: 1 when the set of control channels
 * changed (the caller polls again), else 0. */
static int
control_serve(struct monitor *m, int fd)
{
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_req r;
	enum keys_status st;
	ssize_t n;
	int passed, nfd, flags;

	n = fdpass_recv(fd, buf, sizeof(buf), &passed, 1, &nfd, &flags);
	if (nfd == 0)
		passed = -1;
	if (n <= 0) {
		if (passed != -1)
			close(passed);
		control_remove(m, fd);
		return 1;
	}
	st = (flags & MSG_TRUNC) ? KEYS_EMALFORMED :
	    keys_req_decode(buf, (size_t)n, &r);
	if (st != KEYS_OK) {
		answer(fd, st, (flags & MSG_TRUNC) ? 0 : r.id, NULL, 0);
		if (passed != -1)
			close(passed);
		return 0;
	}
	if (r.op == KEYS_OP_RENEW)
		renew(m, fd, r.id, passed);
	else if (r.op == KEYS_OP_CONTROL) {
		control_add(m, fd, r.id, passed);
		return 1;
	} else {
		forward(m, fd, buf, (size_t)n, r.id, passed);
		if (passed != -1)
			close(passed);
	}
	return 0;
}

static void
reaped(struct monitor *m, pid_t pid, int status)
{
	if (pid == m->signer) {
		close(m->link);
		m->link = -1;
		m->signer = 0;
		if (WIFSIGNALED(status))
			log_err("key process: the signer (pid %ld) was ended by "
			    "signal %d: TLS handshakes fail until a new one "
			    "runs; starting one", (long)pid, WTERMSIG(status));
		else
			log_err("key process: the signer (pid %ld) ended "
			    "(status %d): TLS handshakes fail until a new one "
			    "runs; starting one", (long)pid,
			    WEXITSTATUS(status));
		return;
	}
	if (pid != m->rpid)
		return;
	answer_u32(m->rfd, m->rid, (uint32_t)status);
	close(m->rfd);
	m->rfd = -1;
	m->rpid = 0;
}

static void
reap(struct monitor *m)
{
	struct signalfd_siginfo si;
	pid_t pid;
	int status;

	while (read(m->sigfd, &si, sizeof(si)) > 0)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(m, pid, status);
}

/* A renewal running too long: SIGTERM, then SIGKILL. */
static void
renewal_watch(struct monitor *m)
{
	int64_t ran = now_ms() / 1000 - m->rstarted;

	if (m->rpid == 0)
		return;
	if (ran >= KEYS_RENEW_MAX_S && m->rsignal == 0) {
		log_warn("key process: the renewal (pid %ld) ran for %d "
		    "seconds; stopping it", (long)m->rpid, KEYS_RENEW_MAX_S);
		kill(m->rpid, m->rsignal = SIGTERM);
	} else if (ran >= KEYS_RENEW_MAX_S + KILL_GRACE_S &&
	    m->rsignal == SIGTERM)
		kill(m->rpid, m->rsignal = SIGKILL);
}

static int
wait_ms(const struct monitor *m)
{
	int64_t w = 1000;

	if (m->link == -1 && m->started + RESTART_MS - now_ms() < w)
		w = m->started + RESTART_MS - now_ms();
	return w < 0 ? 0 : (int)w;
}

static void
run(struct monitor *m)
{
	struct pollfd pfd[CONTROL_MAX + 1];
	int ctl[CONTROL_MAX];
	int i, n;

	while (m->nctl > 0) {
		pfd[0] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		for (i = 0; i < m->nctl; i++) {
			ctl[i] = m->ctl[i];
			pfd[i + 1] = (struct pollfd){ .fd = ctl[i],
			    .events = POLLIN };
		}
		n = m->nctl;
		if (poll(pfd, (nfds_t)n + 1, wait_ms(m)) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			reap(m);
		for (i = 0; i < n; i++)
			if (pfd[i + 1].revents && control_serve(m, ctl[i]))
				break;
		if (m->link == -1 && now_ms() >= m->started + RESTART_MS)
			start_signer(m);
		renewal_watch(m);
	}
}

/* Signals meant for hsysd (a terminal's ^C, systemd's SIGTERM to the
 * unit) do not stop the monitor: it ends with its last hsysd. */
static int
signals_setup(void)
{
	static const int sig[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
	    SIGPIPE };
	sigset_t chld;
	size_t i;

	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		signal(sig[i], SIG_IGN);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	return signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
}

void
keys_monitor_main(int fd, const char *signer_exe, int to_syslog)
{
	static struct monitor m = { .link = -1, .rfd = -1 };

	prctl(PR_SET_NAME, "hsysd-keymon", 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	m.exe = signer_exe;
	m.to_syslog = to_syslog;
	m.ctl[m.nctl++] = fd;
	if ((m.sigfd = signals_setup()) == -1) {
		log_err("key process: cannot watch its children");
		_exit(1);
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	start_signer(&m);
	run(&m);
	_exit(0);
}
