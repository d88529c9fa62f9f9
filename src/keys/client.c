/*
 * client — hsysd's side of the key process: its main channel, a channel
 * of each thread's own, and a request's round trip.
 *
 * A signature is asked for on the thread that needs it (a worker in the
 * middle of a handshake), on that thread's own channel, so that workers
 * never wait for each other: the key process serves each channel with a
 * thread of its own. A thread opens its channel at its first signature,
 * by sending one end of a new socketpair over the main channel (CHANNEL),
 * which the main thread also uses for RELOAD; a mutex orders those short
 * exchanges. When the key process is replaced (keys_client_attach), the
 * generation moves and each thread opens a new channel at its next call.
 *
 * A round trip waits at most KEYS_WAIT_MS: a key process that hangs
 * fails the handshakes that need it, never a worker for good. On a
 * thread's channel the wait is the channel's receive timeout (SO_RCVTIMEO,
 * set when it opens), so a signature costs hsysd two system calls, send
 * and recv, not three (send, poll, recv): on one core the round trip is
 * two context switches and the system calls of both ends, nothing else
 * (docs/keys.md "What it costs").
 *
 * A signature asked for inside an OpenSSL ASYNC job (a worker's handshake
 * in SSL_MODE_ASYNC) goes without waiting (keys_client_sign_async): its
 * place (struct keys_wait) waits on the thread's list until the worker,
 * which watches the channel (keys_client_async_fd), reads the answers
 * (keys_client_receive) and calls each place's callback; the worker then
 * resumes the job. Answers to several handshakes thus come in one wake-up
 * of the worker. At most KEYS_ASYNC_MAX places wait per thread; beyond,
 * a signature fails (a flood of ClientHellos while the signer is slow
 * neither grows memory without bound nor blocks the worker). A channel that ends fails
 * every place waiting on it; an answer whose place is gone is skipped.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/fdpass.h"
#include "keys/keys.h"

#define KEYS_WAIT_MS		5000
#define KEYS_RELOAD_WAIT_MS	40000	/* the store may be busy 30 s */

struct keys_client {
	pthread_mutex_t		 lock;	/* fd, pid; the main channel's use */
	int			 fd;	/* main channel; -1: none */
	pid_t			 pid;
	atomic_uint		 gen;	/* moves with fd */
	atomic_uint		 next_id;
	pthread_key_t		 chan;	/* struct thread_chan */
};

struct thread_chan {
	int		 fd;
	unsigned	 gen;
	int		 timed;	/* fd's SO_RCVTIMEO is KEYS_WAIT_MS */
	unsigned	 serial;	/* moves with each channel opened */
	struct keys_wait *waits;	/* asynchronous signatures on fd */
	unsigned	 nwaits;
};

/* Takes w off the list: 1 if it was there. */
static int
wait_unlink(struct thread_chan *tc, struct keys_wait *w)
{
	struct keys_wait **pp;

	for (pp = &tc->waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			tc->nwaits--;
			return 1;
		}
	return 0;
}

/* An answer on the thread's channel: its place, if one waits, gets it.
 * The callback only tells the owner (it must not resume the job here). */
static void
wait_deliver(struct thread_chan *tc, const struct keys_ans *a)
{
	struct keys_wait *w;

	for (w = tc->waits; w != NULL && w->id != a->id; w = w->next)
		;
	if (w == NULL || !wait_unlink(tc, w))
		return;		/* late: its handshake gave up */
	*w->a = *a;
	w->done = 1;
	w->fn(w->arg);
}

/* The channel is closed: every place waiting on it fails. */
static void
chan_end(struct thread_chan *tc)
{
	struct keys_wait *w;

	if (tc->fd != -1)
		close(tc->fd);
	tc->fd = -1;
	while ((w = tc->waits) != NULL) {
		wait_unlink(tc, w);
		w->done = -1;
		w->fn(w->arg);
	}
}

static void
thread_chan_free(void *p)
{
	struct thread_chan *tc = p;

	chan_end(tc);
	free(tc);
}

int
keys_client_new(struct keys_client **out, struct err *e)
{
	struct keys_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_sys(e, "out of memory");
	if (pthread_key_create(&c->chan, thread_chan_free) != 0) {
		free(c);
		return err_set(e, "cannot make a thread key");
	}
	pthread_mutex_init(&c->lock, NULL);
	c->fd = -1;
	*out = c;
	return 0;
}

void
keys_client_free(struct keys_client *c)
{
	struct thread_chan *tc;

	if (c == NULL)
		return;
	if ((tc = pthread_getspecific(c->chan)) != NULL) {
		pthread_setspecific(c->chan, NULL);
		thread_chan_free(tc);
	}
	pthread_key_delete(c->chan);
	if (c->fd != -1)
		close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
keys_client_attach(struct keys_client *c, int fd, pid_t pid)
{
	pthread_mutex_lock(&c->lock);
	if (c->fd != -1)
		close(c->fd);
	c->fd = fd;
	c->pid = pid;
	atomic_fetch_add(&c->gen, 1);
	pthread_mutex_unlock(&c->lock);
}

pid_t
keys_client_pid(struct keys_client *c)
{
	pid_t pid;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	pid = c->fd == -1 ? 0 : c->pid;
	pthread_mutex_unlock(&c->lock);
	return pid;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends a request (with a descriptor when pass is not -1) and waits for
 * its answer: 0, -2 when the channel has ended (the key process that
 * served it is gone), or -1 when it is broken otherwise or too slow. Answers
 * to earlier requests that timed out are skipped; those to asynchronous
 * ones on tc (a thread's channel, else NULL) go to their places. timed: fd's receive
 * timeout is wait_ms, so a blocking recv waits (one system call); after
 * an interruption or a skipped answer, poll keeps to the deadline. */
static int
round_trip(int fd, struct keys_req *r, int pass, int wait_ms, int timed,
    struct keys_ans *a, struct thread_chan *tc, struct err *e)
{
	unsigned char buf[KEYS_ANS_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t deadline = now_ms() + wait_ms;
	size_t len;
	ssize_t n;
	int left;

	len = keys_req_encode(r, buf);
	if (fdpass_send(fd, buf, len, pass) != (ssize_t)len) {
		err_sys(e, "cannot reach the key process");
		return -2;
	}
	for (;;) {
		if ((left = (int)(deadline - now_ms())) <= 0)
			return err_set(e, "the key process did not answer "
			    "within %d ms", wait_ms);
		if (!timed) {
			if (poll(&pfd, 1, left) == -1 && errno != EINTR)
				return err_sys(e, "cannot wait for the key "
				    "process");
			if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		n = recv(fd, buf, sizeof(buf), timed ? 0 : MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			timed = 0;
			continue;
		}
		if (n <= 0) {
			err_set(e, "the key process is gone");
			return -2;
		}
		if (keys_ans_decode(buf, (size_t)n, a) == -1)
			return err_set(e, "the key process answered something "
			    "malformed");
		if (a->id == r->id)
			return 0;
		if (tc != NULL)
			wait_deliver(tc, a);
		timed = 0;
	}
}

/* A request on the main channel, under the lock. */
static int
main_call(struct keys_client *c, struct keys_req *r, int pass, int wait_ms,
    struct keys_ans *a, struct err *e)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	r->id = atomic_fetch_add(&c->next_id, 1);
	rc = c->fd == -1 ? err_set(e, "no key process is running") :
	    round_trip(c->fd, r, pass, wait_ms, 0, a, NULL, e) < 0 ? -1 : 0;
	pthread_mutex_unlock(&c->lock);
	if (rc == 0 && a->status != KEYS_OK)
		return err_set(e, "the key process refused: %s",
		    keys_status_string(a->status));
	return rc;
}

int
keys_client_reload(struct keys_client *c, struct err *e)
{
	struct keys_req r = { .op = KEYS_OP_RELOAD };
	struct keys_ans a;

	return main_call(c, &r, -1, KEYS_RELOAD_WAIT_MS, &a, e);
}

/* A request on the main channel with a new socketpair's end: *fd is the
 * other end. */
static int
main_call_pair(struct keys_client *c, struct keys_req *r, int wait_ms,
    struct keys_ans *a, int *fd, struct err *e)
{
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return err_sys(e, "cannot make a channel to the key process");
	rc = main_call(c, r, sv[1], wait_ms, a, e);
	close(sv[1]);
	if (rc == -1) {
		close(sv[0]);
		return -1;
	}
	*fd = sv[0];
	return 0;
}

int
keys_client_channel(struct keys_client *c, int *fd, struct err *e)
{
	struct keys_req r = { .op = KEYS_OP_CHANNEL };
	struct keys_ans a;

	return main_call_pair(c, &r, KEYS_WAIT_MS, &a, fd, e);
}

int
keys_client_control(struct keys_client *c, int *fd, struct err *e)
{
	struct keys_req r = { .op = KEYS_OP_CONTROL };
	struct keys_ans a = { .status = KEYS_OK };

	if (main_call_pair(c, &r, KEYS_WAIT_MS, &a, fd, e) == 0)
		return 0;
	/* A key process from before the monitor: a channel, as then. */
	if (a.status == KEYS_EMALFORMED)
		return keys_client_channel(c, fd, e);
	return -1;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

int
keys_client_renew(struct keys_client *c, int *fd, pid_t *pid, int *status,
    struct err *e)
{
	struct keys_req r = { .op = KEYS_OP_RENEW };
	struct keys_ans a = { .status = KEYS_OK };

	*status = -1;
	if (main_call_pair(c, &r, KEYS_WAIT_MS, &a, fd, e) == 0) {
		if (a.siglen != 4) {
			close(*fd);
			return err_set(e, "the key process answered RENEW "
			    "with something malformed");
		}
		*pid = (pid_t)get_u32(a.sig);
		*status = KEYS_OK;
		return 0;
	}
	if (a.status != KEYS_OK)
		*status = (int)a.status;
	return -1;
}

int
keys_renew_result(int fd, int *wstatus)
{
	unsigned char buf[KEYS_ANS_MAX];
	struct keys_ans a;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0 || keys_ans_decode(buf, (size_t)n, &a) == -1 ||
	    a.status != KEYS_OK || a.siglen != 4)
		return -1;
	*wstatus = (int)get_u32(a.sig);
	return 0;
}

/* A blocking recv on fd waits at most ms: 1, or 0 if it cannot be set
 * (round_trip then polls). */
static int
set_wait(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
	    .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0;
}

/* The calling thread's channel, opened for the current key process. */
static struct thread_chan *
thread_chan(struct keys_client *c, struct err *e)
{
	struct thread_chan *tc = pthread_getspecific(c->chan);
	unsigned gen = atomic_load(&c->gen);

	if (tc == NULL) {
		if ((tc = calloc(1, sizeof(*tc))) == NULL) {
			err_sys(e, "out of memory");
			return NULL;
		}
		tc->fd = -1;
		if (pthread_setspecific(c->chan, tc) != 0) {
			free(tc);
			err_set(e, "cannot keep a thread's channel");
			return NULL;
		}
	}
	if (tc->fd != -1 && tc->gen == gen)
		return tc;
	chan_end(tc);
	if (keys_client_channel(c, &tc->fd, e) == -1)
		return NULL;
	tc->gen = gen;
	tc->serial++;
	tc->timed = set_wait(tc->fd, KEYS_WAIT_MS);
	return tc;
}

int
keys_client_sign(struct keys_client *c, struct keys_req *r,
    struct keys_ans *a, struct err *e)
{
	struct thread_chan *tc;
	int tries, rc;

	r->op = KEYS_OP_SIGN;
	/* A second try only on a new channel: the key process was
	 * replaced since this thread's last call, or its channel ended
	 * (the monitor starts the signer again). */
	for (tries = 0; tries < 2; tries++) {
		if ((tc = thread_chan(c, e)) == NULL)
			return -1;
		r->id = atomic_fetch_add(&c->next_id, 1);
		if ((rc = round_trip(tc->fd, r, -1, KEYS_WAIT_MS, tc->timed, a,
		    tc, e)) == 0)
			return 0;
		chan_end(tc);
		if (rc != -2 && tc->gen == atomic_load(&c->gen))
			return -1;
	}
	return -1;
}

int
keys_client_sign_async(struct keys_client *c, struct keys_req *r,
    struct keys_wait *w, struct err *e)
{
	unsigned char buf[KEYS_REQ_MAX];
	struct thread_chan *tc;
	size_t len;
	int tries;

	r->op = KEYS_OP_SIGN;
	for (tries = 0; tries < 2; tries++) {
		if ((tc = thread_chan(c, e)) == NULL)
			return -1;
		if (tc->nwaits >= KEYS_ASYNC_MAX)
			return err_set(e, "%d signatures wait already",
			    KEYS_ASYNC_MAX);
		r->id = atomic_fetch_add(&c->next_id, 1);
		len = keys_req_encode(r, buf);
		if (fdpass_send(tc->fd, buf, len, -1) == (ssize_t)len) {
			w->id = r->id;
			w->done = 0;
			w->next = tc->waits;
			tc->waits = w;
			tc->nwaits++;
			return 0;
		}
		/* The channel ended (the signer starts again): a new one. */
		chan_end(tc);
	}
	return err_sys(e, "cannot reach the key process");
}

void
keys_client_forget(struct keys_client *c, struct keys_wait *w)
{
	struct thread_chan *tc = pthread_getspecific(c->chan);

	if (tc != NULL)
		wait_unlink(tc, w);
}

int
keys_client_async_fd(struct keys_client *c, unsigned *serial)
{
	struct thread_chan *tc = pthread_getspecific(c->chan);

	if (tc == NULL)
		return -1;
	*serial = tc->serial;
	return tc->fd;
}

void
keys_client_receive(struct keys_client *c)
{
	struct thread_chan *tc = pthread_getspecific(c->chan);
	unsigned char buf[KEYS_ANS_MAX];
	struct keys_ans *a;
	ssize_t n;

	if (tc == NULL || tc->fd == -1 || (a = malloc(sizeof(*a))) == NULL)
		return;
	for (;;) {
		n = recv(tc->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0 || keys_ans_decode(buf, (size_t)n, a) == -1) {
			chan_end(tc);	/* gone, or broken */
			break;
		}
		wait_deliver(tc, a);
	}
	free(a);
}
