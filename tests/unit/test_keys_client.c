/*
 * Unit tests of hsysd's side of the key process (src/keys/client.c)
 * against a fake key process on a thread: a signature's round trip on the
 * thread's own channel (opened with CHANNEL on the main one) waits in one
 * blocking recv, bounded by the channel's receive timeout; an answer to an
 * earlier request is skipped; a key process that never answers fails the
 * signature after KEYS_WAIT_MS (5 s), never hangs, and the next signature
 * opens a new channel and works.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdpass.h"
#include "keys/keys.h"
#include "keysfake.h"
#include "unit.h"

/* What the fake does with each SIGN, in turn. */
enum act { ANSWER, STALE_FIRST, SILENT };

static const enum act script[] = { ANSWER, STALE_FIRST, SILENT, ANSWER };
#define NSCRIPT	(sizeof(script) / sizeof(script[0]))

struct fake {
	int	main;		/* its end of the main channel */
	int	chan[8];	/* channels CHANNEL gave it */
	int	nchan;
	atomic_int channels;	/* CHANNEL requests seen */
};

/* One request on fd; 0, or -1 when the channel has ended. */
static int
serve_one(struct fake *f, int fd, size_t *signs)
{
	unsigned char buf[KEYS_REQ_MAX];
	struct keys_req r;
	ssize_t n;
	int passed = -1, nfd = 0, flags = 0;

	n = fdpass_recv(fd, buf, sizeof(buf), &passed, 1, &nfd, &flags);
	if (n <= 0)
		return -1;
	if (keys_req_decode(buf, (size_t)n, &r) != KEYS_OK) {
		keysfake_answer(fd, KEYS_EMALFORMED, r.id, 0);
		return 0;
	}
	if (r.op == KEYS_OP_CHANNEL && nfd == 1 && f->nchan < 8) {
		f->chan[f->nchan++] = passed;
		f->channels++;
		keysfake_answer(fd, KEYS_OK, r.id, 0);
		return 0;
	}
	if (r.op != KEYS_OP_SIGN || *signs >= NSCRIPT) {
		keysfake_answer(fd, KEYS_EFAILED, r.id, 0);
		return 0;
	}
	switch (script[(*signs)++]) {
	case STALE_FIRST:
		keysfake_answer(fd, KEYS_OK, r.id - 1, 8);
		/* FALLTHROUGH */
	case ANSWER:
		keysfake_answer(fd, KEYS_OK, r.id, 64);
		break;
	case SILENT:
		break;
	}
	return 0;
}

/* The fake key process: the main channel and every channel, until the
 * main channel ends. */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p[9];
	size_t signs = 0;
	int i, n;

	for (;;) {
		p[0] = (struct pollfd){ .fd = f->main, .events = POLLIN };
		for (i = 0; i < f->nchan; i++)
			p[1 + i] = (struct pollfd){ .fd = f->chan[i],
			    .events = POLLIN };
		n = f->nchan;
		if (poll(p, (nfds_t)(1 + n), 30000) <= 0)
			break;
		if (p[0].revents && serve_one(f, f->main, &signs) == -1)
			break;
		for (i = 0; i < n; i++)
			if (p[1 + i].revents && f->chan[i] != -1 &&
			    serve_one(f, f->chan[i], &signs) == -1) {
				close(f->chan[i]);
				f->chan[i] = -1;
			}
	}
	for (i = 0; i < f->nchan; i++)
		if (f->chan[i] != -1)
			close(f->chan[i]);
	close(f->main);
	return NULL;
}

static int
sign(struct keys_client *kc, struct keys_ans *a, struct err *e)
{
	struct keys_req r = { .alg = KEYS_ALG_ECDSA, .md = KEYS_MD_SHA256,
	    .dlen = 32 };

	memset(r.key, 0xAB, sizeof(r.key));
	memset(r.digest, 0x5A, r.dlen);
	memset(a, 0, sizeof(*a));
	return keys_client_sign(kc, &r, a, e);
}

static void
test_round_trips(void)
{
	static struct fake f;
	struct keys_client *kc;
	struct keys_ans a;
	struct err e;
	pthread_t t;
	double t0;
	int sv[2];

	if (!CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv) == 0) || !CHECK(keys_client_new(&kc, &e) == 0))
		return;
	f.main = sv[1];
	keys_client_attach(kc, sv[0], getpid());
	if (!CHECK(pthread_create(&t, NULL, fake_main, &f) == 0))
		return;
	/* An answer, on a channel of the thread's own. */
	CHECK(sign(kc, &a, &e) == 0 && a.status == KEYS_OK &&
	    a.siglen == 64);
	CHECK(f.channels == 1);
	/* An answer to an earlier request first: skipped. */
	CHECK(sign(kc, &a, &e) == 0 && a.status == KEYS_OK &&
	    a.siglen == 64);
	CHECK(f.channels == 1);
	/* No answer: the signature fails after the wait, never hangs. */
	t0 = unit_now();
	CHECK(sign(kc, &a, &e) == -1);
	CHECK(unit_now() - t0 >= 4.5 && unit_now() - t0 < 30);
	CHECK(strstr(e.msg, "did not answer") != NULL);
	/* The next one opens a new channel, and is answered. */
	CHECK(sign(kc, &a, &e) == 0 && a.status == KEYS_OK &&
	    a.siglen == 64);
	CHECK(f.channels == 2);
	keys_client_free(kc);
	pthread_join(t, NULL);
}

int
main(void)
{
	RUN(test_round_trips);
	return unit_done();
}
