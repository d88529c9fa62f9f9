/*
 * proc — the signer (relayd's `ca`, h2o's neverbleed): the only process
 * that reads private keys. The monitor (monitor.c) starts it, and again
 * when it ends; it reads the store's bindings' keys (table.c) and signs
 * digests for whoever holds one of its channels, and nothing else. RENEW
 * and CONTROL are the monitor's: asked here, on a worker's channel or the
 * monitor's, they are refused (KEYS_EDENIED).
 *
 * Channels are SOCK_SEQPACKET socketpairs: only their holders can speak
 * (nothing is named in the filesystem). The first is made by keys_spawn;
 * more come as descriptors sent with a CHANNEL request on any channel
 * (each hsysd thread gets one, and a hsysd taking over gets one from the
 * one it replaces). Each channel has a thread of its own, which reads a
 * request, answers it, and ends at the channel's end; the process ends
 * when the last channel does (every hsysd that knew it is gone).
 *
 * Keys in use: RELOAD reads the store again (hsysd asks before it builds
 * new bindings); a SIGN for a key the table lacks reads it again too, at
 * most once a second, so that a binding added between the two reads is
 * found. A key no binding or pending challenge uses is refused
 * (KEYS_ENOKEY).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "common/err.h"
#include "common/fdpass.h"
#include "daemon/log.h"
#include "keys/keys_int.h"

#define RELOAD_EVERY_S	1	/* a SIGN for an unknown key reads again */

struct keyproc {
	pthread_rwlock_t	 lock;	/* guards table, gen */
	struct keys_table	*table;
	unsigned		 gen;	/* moves with table */
	pthread_mutex_t		 reload_lock;
	time_t			 last_read;
	atomic_int		 channels;
};

static int
reload(struct keyproc *kp, struct err *e)
{
	struct keys_table *t, *old;

	pthread_mutex_lock(&kp->reload_lock);
	kp->last_read = time(NULL);
	if (keys_table_load(&t, e) == -1) {
		pthread_mutex_unlock(&kp->reload_lock);
		return -1;
	}
	pthread_rwlock_wrlock(&kp->lock);
	old = kp->table;
	kp->table = t;
	kp->gen++;
	pthread_rwlock_unlock(&kp->lock);
	pthread_mutex_unlock(&kp->reload_lock);
	keys_table_free(old);
	return 0;
}

/* A key the table lacks: read the store again, unless it was just read. */
static void
reload_for_unknown(struct keyproc *kp)
{
	struct err e;
	int stale;

	pthread_mutex_lock(&kp->reload_lock);
	stale = time(NULL) - kp->last_read >= RELOAD_EVERY_S;
	pthread_mutex_unlock(&kp->reload_lock);
	if (stale && reload(kp, &e) == -1)
		log_warn("key process: %s", e.msg);
}

static int
alg_fits(EVP_PKEY *k, enum keys_alg alg)
{
	if (alg == KEYS_ALG_ECDSA)
		return EVP_PKEY_is_a(k, "EC");
	return EVP_PKEY_is_a(k, "RSA");
}

/*
 * A channel's signing contexts, kept from one request to the next: making
 * one (fetching the algorithm, setting the digest and padding) costs about
 * as much as an ECDSA signature. One per key, algorithm and digest, for
 * the table's generation they were made in; at most CTX_CACHE, the oldest
 * made again first.
 */
#define CTX_CACHE	8

struct sign_ctx {
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*k;
	unsigned	 gen;
	int		 alg, md;
};

struct ctx_cache {
	struct sign_ctx	 e[CTX_CACHE];
	unsigned	 next;
};

static void
ctx_cache_clear(struct ctx_cache *cc)
{
	size_t i;

	for (i = 0; i < CTX_CACHE; i++)
		EVP_PKEY_CTX_free(cc->e[i].c);
	memset(cc, 0, sizeof(*cc));
}

static EVP_PKEY_CTX *
ctx_new(EVP_PKEY *k, const struct keys_req *r)
{
	const EVP_MD *md = EVP_get_digestbyname(keys_md_name(r->md));
	EVP_PKEY_CTX *c;
	int ok;

	if (md == NULL || (c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) ==
	    NULL)
		return NULL;
	ok = EVP_PKEY_sign_init(c) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(c, md) > 0;
	if (ok && r->alg == KEYS_ALG_RSA_PKCS1)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0;
	/* PSS: the salt as long as the digest (req.c allows no other). */
	if (ok && r->alg == KEYS_ALG_RSA_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) >
		    0 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) > 0 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, r->saltlen) > 0;
	if (!ok) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static EVP_PKEY_CTX *
ctx_get(struct ctx_cache *cc, EVP_PKEY *k, unsigned gen,
    const struct keys_req *r)
{
	struct sign_ctx *s;
	size_t i;

	for (i = 0; i < CTX_CACHE; i++) {
		s = &cc->e[i];
		if (s->c != NULL && s->k == k && s->gen == gen &&
		    s->alg == (int)r->alg && s->md == (int)r->md)
			return s->c;
	}
	s = &cc->e[cc->next++ % CTX_CACHE];
	EVP_PKEY_CTX_free(s->c);
	memset(s, 0, sizeof(*s));
	if ((s->c = ctx_new(k, r)) == NULL)
		return NULL;
	s->k = k;
	s->gen = gen;
	s->alg = (int)r->alg;
	s->md = (int)r->md;
	return s->c;
}

static enum keys_status
sign_with(struct ctx_cache *cc, EVP_PKEY *k, unsigned gen,
    const struct keys_req *r, struct keys_ans *a)
{
	EVP_PKEY_CTX *c;
	size_t n = sizeof(a->sig);
	int ok;

	if (!alg_fits(k, r->alg))
		return KEYS_EMISMATCH;
	if ((size_t)EVP_PKEY_get_size(k) > sizeof(a->sig) ||
	    (c = ctx_get(cc, k, gen, r)) == NULL) {
		ERR_clear_error();
		return KEYS_EFAILED;
	}
	ok = EVP_PKEY_sign(c, a->sig, &n, r->digest, r->dlen) > 0;
	ERR_clear_error();
	if (!ok)
		return KEYS_EFAILED;
	a->siglen = n;
	return KEYS_OK;
}

static enum keys_status
sign(struct keyproc *kp, struct ctx_cache *cc, const struct keys_req *r,
    struct keys_ans *a)
{
	enum keys_status st;
	EVP_PKEY *k;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		pthread_rwlock_rdlock(&kp->lock);
		if ((k = keys_table_find(kp->table, r->key)) != NULL) {
			st = sign_with(cc, k, kp->gen, r, a);
			pthread_rwlock_unlock(&kp->lock);
			return st;
		}
		pthread_rwlock_unlock(&kp->lock);
		if (tries == 0)
			reload_for_unknown(kp);
	}
	return KEYS_ENOKEY;
}

static void *serve_channel(void *);

struct channel {
	struct keyproc	*kp;
	int		 fd;
	int		 first;		/* the monitor's: its end ends us */
};

static int
start_channel(struct keyproc *kp, int fd, int first)
{
	struct channel *c;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	c->kp = kp;
	c->fd = fd;
	c->first = first;
	atomic_fetch_add(&kp->channels, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, serve_channel, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&kp->channels, 1);
		free(c);
		return -1;
	}
	return 0;
}

/* One message, and the descriptor it may carry (-1 if none; any other
 * descriptors are closed: nobody asked for them). */
static ssize_t
recv_msg(int fd, unsigned char *buf, size_t size, int *passed)
{
	ssize_t n;
	int nfd, flags;

	n = fdpass_recv(fd, buf, size, passed, 1, &nfd, &flags);
	if (nfd == 0)
		*passed = -1;
	/* A message longer than any request was cut: refuse it whole. */
	if (n > 0 && (flags & MSG_TRUNC))
		return (ssize_t)size + 1;
	return n;
}

/* A CHANNEL's descriptor must be a SOCK_SEQPACKET Unix socket. */
static int
channel_ok(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_SEQPACKET;
}

static void
answer(struct keyproc *kp, struct ctx_cache *cc, int fd,
    const unsigned char *buf, size_t n, int passed)
{
	unsigned char out[KEYS_ANS_MAX];
	struct keys_ans a = { 0 };
	struct keys_req r;
	struct err e;

	a.status = keys_req_decode(buf, n, &r);
	a.id = r.id;
	if (a.status == KEYS_OK && r.op == KEYS_OP_SIGN)
		a.status = sign(kp, cc, &r, &a);
	else if (a.status == KEYS_OK && r.op == KEYS_OP_RELOAD) {
		if (reload(kp, &e) == -1) {
			log_warn("key process: %s", e.msg);
			a.status = KEYS_EFAILED;
		}
	} else if (a.status == KEYS_OK && (r.op == KEYS_OP_RENEW ||
	    r.op == KEYS_OP_CONTROL))
		a.status = KEYS_EDENIED;
	else if (a.status == KEYS_OK && r.op == KEYS_OP_CHANNEL) {
		if (passed == -1 || !channel_ok(passed) ||
		    start_channel(kp, passed, 0) == -1)
			a.status = KEYS_EFAILED;
		else
			passed = -1;	/* the new thread's */
	}
	if (passed != -1)
		close(passed);
	n = keys_ans_encode(&a, out);
	(void)send(fd, out, n, MSG_NOSIGNAL);
	OPENSSL_cleanse(out, sizeof(out));
}

static void
serve(struct keyproc *kp, int fd)
{
	unsigned char buf[KEYS_REQ_MAX];
	struct ctx_cache cc = { .next = 0 };
	ssize_t n;
	int passed;

	while ((n = recv_msg(fd, buf, sizeof(buf), &passed)) > 0)
		answer(kp, &cc, fd, buf, (size_t)n, passed);
	if (passed != -1)
		close(passed);
	ctx_cache_clear(&cc);
	close(fd);
}

/* The monitor's channel ending (the monitor is gone), or the last
 * channel, ends the process. */
static void *
serve_channel(void *arg)
{
	struct channel c = *(struct channel *)arg;

	free(arg);
	serve(c.kp, c.fd);
	if (atomic_fetch_sub(&c.kp->channels, 1) == 1 || c.first)
		_exit(0);
	return NULL;
}

/* Signals meant for hsysd (a terminal's ^C, systemd's SIGTERM to the
 * unit) do not stop the key process: it ends with its last hsysd, which
 * may still be draining. */
static void
signals_ignore(void)
{
	static const int sig[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
	    SIGPIPE };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		signal(sig[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
keys_proc_main(int fd)
{
	static struct keyproc kp = { .lock = PTHREAD_RWLOCK_INITIALIZER,
	    .reload_lock = PTHREAD_MUTEX_INITIALIZER };
	struct err e;

	prctl(PR_SET_NAME, "hsysd-keys", 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signals_ignore();
	if (reload(&kp, &e) == -1)
		log_warn("key process: %s; it signs nothing until the store "
		    "can be read", e.msg);
	if (start_channel(&kp, fd, 1) == -1) {
		log_err("key process: cannot start a thread");
		_exit(1);
	}
	for (;;)
		pause();
}

/* In the child, between fork and exec (only async-signal-safe calls):
 * the channel becomes descriptor 3, and everything else the caller had
 * open but stdin, stdout and stderr is closed: the key process holds no
 * listener, no lock, no client. */
static void
child(int fd, const char *exe, int to_syslog, int signer)
{
	char *argv[] = { (char *)(signer ? "hsysd-keys" : "hsysd-keymon"),
	    (char *)(signer ? KEYS_SIGNER_ARG : KEYS_PROC_ARG),
	    (char *)(to_syslog ? "syslog" : "stderr"), NULL };
	struct sched_param sp = { 0 };

	/* The signer's requests do not preempt the worker that sent them
	 * (its threads inherit the policy, exec keeps it; set here, before
	 * its system call filter): on a shared core the signer runs when
	 * the worker waits, and finds every request the worker sent
	 * meanwhile (docs/keys.md "Handshakes in flight"). A worker waiting
	 * in a blocking round trip sleeps at once, so it loses nothing. A
	 * signer started at a real-time priority keeps it. */
	if (signer && sched_getscheduler(0) == SCHED_OTHER)
		(void)sched_setscheduler(0, SCHED_BATCH, &sp);

	if (fd != KEYS_PROC_FD) {
		if (dup2(fd, KEYS_PROC_FD) == -1)
			_exit(127);
		close(fd);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		_exit(127);
	(void)close_range(KEYS_PROC_FD + 1, ~0U, 0);
	if (exe == NULL && signer)
		keys_proc_main(KEYS_PROC_FD);
	if (exe == NULL)
		keys_monitor_main(KEYS_PROC_FD, NULL, to_syslog);
	execv(exe, argv);
	_exit(127);
}

int
keys_spawn_as(const char *exe, int to_syslog, int signer, int *fdp,
    pid_t *pidp, struct err *e)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return err_sys(e, "cannot make the key process's channel");
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return err_sys(e, "cannot start the key process");
	}
	if (pid == 0) {
		/* The signer ends with its monitor: a monitor killed leaves
		 * no signer nobody restarts. Also when the monitor's channel
		 * ends (keys_proc_main), for a filter that refuses this. */
		if (signer && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 &&
		    getppid() != parent)
			_exit(127);
		child(sv[1], exe, to_syslog, signer);
	}
	close(sv[1]);
	*fdp = sv[0];
	*pidp = pid;
	return 0;
}

int
keys_spawn(const char *exe, int to_syslog, int *fdp, pid_t *pidp,
    struct err *e)
{
	return keys_spawn_as(exe, to_syslog, 0, fdp, pidp, e);
}
