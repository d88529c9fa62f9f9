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
 *    and its answer back without waiting for it: the request goes at once,
 *    its place (which channel, its id, its deadline) waits in a small
 *    FIFO, and the loop sends each answer to the channel that asked, so a
 *    slow RELOAD (a busy store) holds up neither RENEW, CONTROL, another
 *    channel nor the signer's restart;
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
 * Single-threaded: poll(2) on the control channels, the signer's link and
 * a signalfd for SIGCHLD. The signer serves its link with one thread, one
 * request after the other (proc.c serve), so its answers come in the order
 * the requests went: the n-th answer on a link is the n-th request's. At
 * most PENDING_MAX forwards wait; with that many, the control channels are
 * not read until one is answered (no memory grows with a flood). A forward
 * past its deadline, or whose signer ends, is answered KEYS_EFAILED; one
 * whose control channel closed has its answer dropped (its place forgets
 * the descriptor when the channel closes, before the number can be
 * reused). Nothing sent to a channel waits: a channel that does not read
 * its answers loses them, it does not stall the monitor.
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
#define PENDING_MAX	32	/* forwards waiting for the signer */
#define KILL_GRACE_S	10	/* SIGTERM, then SIGKILL */

/* A forward waiting for the signer's answer. */
struct pending {
	int		 fd;		/* the control channel; -1: it closed */
	uint32_t	 id;
	uint64_t	 seq;		/* its place on the link */
	int64_t		 deadline;	/* ms, monotonic */
};

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
	uint64_t	 sent, got;	/* requests, answers on this link */
	/* forwards waiting, oldest first (a ring) */
	struct pending	 pend[PENDING_MAX];
	unsigned	 phead, npend;
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
	/* Sending never waits: a full link fails the request at once. */
	(void)fcntl(m->link, F_SETFL, O_NONBLOCK);
	m->sent = m->got = 0;
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
	(void)send(fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
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

static struct pending *
pending_head(struct monitor *m)
{
	return m->npend == 0 ? NULL : &m->pend[m->phead];
}

static void
pending_pop(struct monitor *m)
{
	m->phead = (m->phead + 1) % PENDING_MAX;
	m->npend--;
}

/* Forwards whose deadline is at or before `before` fail: past it, or, with
 * INT64_MAX, every one (the signer is gone). Their answers, if they come,
 * find no place: pending_answer drops them. */
static void
pending_fail(struct monitor *m, int64_t before)
{
	struct pending *p;

	while ((p = pending_head(m)) != NULL && p->deadline <= before) {
		if (p->fd != -1)
			answer(p->fd, KEYS_EFAILED, p->id, NULL, 0);
		pending_pop(m);
	}
}

/* A control channel closes: its forwards' answers go nowhere. */
static void
pending_forget(struct monitor *m, int fd)
{
	unsigned i;

	for (i = 0; i < m->npend; i++)
		if (m->pend[(m->phead + i) % PENDING_MAX].fd == fd)
			m->pend[(m->phead + i) % PENDING_MAX].fd = -1;
}

/* The link ended or broke: the signer is ending (reaped() starts the next
 * one). */
static void
link_close(struct monitor *m)
{
	if (m->link == -1)
		return;
	close(m->link);
	m->link = -1;
	pending_fail(m, INT64_MAX);
}

/* The n-th answer on the link is the n-th request's: it goes to the
 * channel that asked, if its place still waits; else (its forward timed
 * out, its channel closed) it is skipped. An answer whose id is not its
 * place's is skipped too, and the place fails at once: its own answer
 * cannot come after it. */
static void
pending_answer(struct monitor *m, const unsigned char *ans, size_t n)
{
	struct pending *p = pending_head(m);
	uint64_t seq = m->got++;
	struct keys_ans a;

	if (p == NULL || p->seq != seq)
		return;			/* late: its place gave up */
	if (p->fd != -1) {
		if (keys_ans_decode(ans, n, &a) == 0 && a.id == p->id)
			(void)send(p->fd, ans, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			answer(p->fd, KEYS_EFAILED, p->id, NULL, 0);
	}
	pending_pop(m);
}

/* Every answer the signer has sent. */
static void
link_read(struct monitor *m)
{
	unsigned char ans[KEYS_ANS_MAX];
	ssize_t got;

	while (m->link != -1) {
		got = recv(m->link, ans, sizeof(ans), MSG_DONTWAIT);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got <= 0) {
			link_close(m);	/* the signer is gone */
			return;
		}
		pending_answer(m, ans, (size_t)got);
	}
}

/* SIGN, RELOAD, CHANNEL: to the signer at once; its answer comes back
 * through link_read. The caller keeps a place free (run() reads no
 * control channel while PENDING_MAX wait). The descriptor passed stays
 * the caller's to close (the message holds its own reference). */
static void
forward(struct monitor *m, int fd, const unsigned char *buf, size_t n,
    uint32_t id, int passed)
{
	struct pending *p;

	if (m->link == -1 || m->npend == PENDING_MAX ||
	    fdpass_send(m->link, buf, n, passed) != (ssize_t)n) {
		answer(fd, KEYS_EFAILED, id, NULL, 0);
		return;
	}
	p = &m->pend[(m->phead + m->npend++) % PENDING_MAX];
	*p = (struct pending){ .fd = fd, .id = id, .seq = m->sent++,
	    .deadline = now_ms() + FORWARD_WAIT_MS };
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
	pending_forget(m, fd);
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
		link_close(m);
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
	const struct pending *p = m->npend == 0 ? NULL : &m->pend[m->phead];
	int64_t w = 1000;

	if (m->signer == 0 && m->started + RESTART_MS - now_ms() < w)
		w = m->started + RESTART_MS - now_ms();
	if (p != NULL && p->deadline - now_ms() < w)
		w = p->deadline - now_ms();
	return w < 0 ? 0 : (int)w;
}

/* One turn of the loop: the signer's answers first (they free places),
 * then its end and the renewal's (SIGCHLD), the deadlines, and the control
 * channels, unless PENDING_MAX forwards wait. */
static void
run(struct monitor *m)
{
	struct pollfd pfd[CONTROL_MAX + 2];
	int ctl[CONTROL_MAX];
	int i, n, link;

	while (m->nctl > 0) {
		pfd[0] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = link = m->link,
		    .events = POLLIN };
		n = m->npend == PENDING_MAX ? 0 : m->nctl;
		for (i = 0; i < n; i++) {
			ctl[i] = m->ctl[i];
			pfd[i + 2] = (struct pollfd){ .fd = ctl[i],
			    .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n + 2, wait_ms(m)) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[1].revents && link != -1 && link == m->link)
			link_read(m);
		if (pfd[0].revents)
			reap(m);
		pending_fail(m, now_ms());
		for (i = 0; i < n && m->npend < PENDING_MAX; i++)
			if (pfd[i + 2].revents && control_serve(m, ctl[i]))
				break;
		if (m->signer == 0 && now_ms() >= m->started + RESTART_MS)
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
