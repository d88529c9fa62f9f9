/*
 * fuzz_control — a frame-sequence fuzzer for hsysd's control socket: the
 * real control.c, session.c, queue.c, registry.c, state.c, handover.c (the
 * old daemon's side), channel.c and the workers' loops, in-process, linked
 * from libhsysd.a as the unit tests are.
 *
 * Each input is a program of operations a set of hostile local clients
 * performs against one daemon: connect (as uid 0, 1000 or 65534), send a
 * HELLO, a queue operation, any frame or raw bytes, open a data channel
 * with the key its WELCOME gave (or a wrong one), send frames down a data
 * channel, start a hand-over as a new hsysd would (then READY, DONE, junk
 * or a hang-up), ask for STATE, poke CONFIG_CHANGED, close or half-close,
 * and run the daemon's main loop. Events are left to pile up between loop
 * runs, so one epoll batch can hold several of them (a hang-up beside a
 * new connection: how item 6 of issue 10, a hand-over abort freeing the
 * control socket's event object mid-batch, shows). Then every client goes
 * and the daemon is torn down as main() does, so ASan and LeakSanitizer
 * see every object's end.
 *
 * Asserted besides sanitizer reports: the daemon's answers are well-framed
 * (every frame read back decodes within the largest payload the protocol
 * allows, ERROR carries a message span inside its payload), a connection
 * gets at most one WELCOME and every WELCOME a session id never given
 * before, what an HTTP client receives starts with a status line whatever
 * the application answered, and after teardown no session and no queue is
 * left.
 *
 * Peer credentials: SO_PEERCRED would say root for every client. Each
 * client binds its socket to an abstract name carrying the uid it plays,
 * and getsockopt(SO_PEERCRED) is wrapped (-Wl,--wrap=getsockopt) to return
 * that uid; nothing else of the daemon changes. Log lines are dropped
 * (--wrap=log_msg) unless FUZZ_LOG=1, and the workers' TLS context is made
 * once (--wrap=tls_listen_ctx_new; the client hello callback's argument is
 * then the first worker: no TLS connection is made here).
 *
 * Listeners: a prefix's registration binds its port as in the daemon, but
 * bind() is wrapped (--wrap=bind) to loopback and a port the kernel picks,
 * so fuzzing never takes a port another program uses. An HTTP operation
 * connects to the port a prefix asked for and sends a request (canned or
 * the input's bytes), which reaches the application's data channel as
 * REQUEST; frames sent down a data channel may carry that request's id,
 * so RESPONSE, RESP_DATA, REQ_CREDIT, CANCEL and ERROR are decoded and
 * acted on for a real request in flight (conn.c's from_response and
 * friends; RESPONSEs the harness builds well-formed, with a status and
 * headers the input picks, reach interim heads and 101 tunnels). hsysd_reload is a stub: the store is not read for bindings or
 * settings (HSYS_HOME is an empty temporary directory, so non-root
 * reservations are refused), and no TLS connection is made.
 *
 * Not reached: the new daemon's side of a hand-over (handover_take), TLS,
 * the metrics page, and timers (the loop runs without waiting, so a
 * timeout fires only if the input's own run takes that long).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "common/err.h"
#include "daemon/acl.h"
#include "daemon/control.h"
#include "daemon/drain.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/reload.h"
#include "daemon/session.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "proto/proto.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	__real_bind(int, const struct sockaddr *, socklen_t);
int	__wrap_bind(int, const struct sockaddr *, socklen_t);
int	__real_getsockopt(int, int, int, void *, socklen_t *);
int	__wrap_getsockopt(int, int, int, void *, socklen_t *);
void	__real_log_msg(int, const char *, ...);
int	__real_tls_listen_ctx_new(SSL_CTX **, struct tls_tickets *,
	    int (*)(SSL *, int *, void *), void *, struct err *);
int	__wrap_tls_listen_ctx_new(SSL_CTX **, struct tls_tickets *,
	    int (*)(SSL *, int *, void *), void *, struct err *);
void	__wrap_log_msg(int, const char *, ...);

#define MAX_CLIENTS	12
#define MAX_OPS		64
#define ABSTRACT_TAG	"hsysfuzz."
#define MAX_HTTP	4
#define MAX_PORTS	16

struct client {
	int		 fd;		/* -1: none */
	uid_t		 uid;
	int		 welcomed;	/* a WELCOME came */
	uint64_t	 session;
	unsigned char	 key[16];
	uint64_t	 request;	/* the last REQUEST's id */
	size_t		 len;		/* bytes of an unfinished frame */
	unsigned char	 buf[1 << 16];
};

struct input {
	const uint8_t	*p;
	size_t		 n;
};

static struct tls_tickets *tickets;
static char home[PATH_MAX];
static int log_on;
static unsigned serial;
/* The session ids WELCOMEs gave, this input: never one twice. */
static uint64_t sessions[MAX_OPS];
static size_t nsessions;
static struct client clients[MAX_CLIENTS];
static int http[MAX_HTTP];
/* The first bytes each HTTP client received: a status line's start. */
static char http_head[MAX_HTTP][13];
static size_t http_headlen[MAX_HTTP];
/* Ports the registrations asked for, and where they were bound. */
static struct {
	uint16_t	 asked, got;
	int		 family;
} ports[MAX_PORTS];

static const uid_t uids[] = { 0, 1000, 65534 };

/* --- seams ------------------------------------------------------------ */

/* TCP listeners go to loopback on a port of the kernel's choosing, never
 * the one a prefix names: fuzzing must not take ports others use. */
int
__wrap_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = sizeof(ss);
	uint16_t asked;
	int i;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return __real_bind(fd, sa, len);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len < sizeof(ss) ? len : sizeof(ss));
	if (sa->sa_family == AF_INET) {
		asked = ntohs(sin->sin_port);
		sin->sin_port = 0;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		asked = ntohs(sin6->sin6_port);
		sin6->sin6_port = 0;
		sin6->sin6_addr = in6addr_loopback;
	}
	if (__real_bind(fd, (struct sockaddr *)&ss, len) == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		i = asked % MAX_PORTS;
		ports[i].asked = asked;
		ports[i].family = ss.ss_family;
		ports[i].got = ntohs(ss.ss_family == AF_INET ? sin->sin_port :
		    sin6->sin6_port);
	}
	return 0;
}

/* The control socket's clients play the uid their abstract name says. */
int
__wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sun);
	struct ucred *cred = val;
	const char *dot;
	int rc;

	rc = __real_getsockopt(fd, level, name, val, len);
	if (rc == -1 || level != SOL_SOCKET || name != SO_PEERCRED)
		return rc;
	memset(&sun, 0, sizeof(sun));
	if (getpeername(fd, (struct sockaddr *)&sun, &sl) == -1 ||
	    sl <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    sun.sun_path[0] != '\0' || strncmp(sun.sun_path + 1,
	    ABSTRACT_TAG, strlen(ABSTRACT_TAG)) != 0)
		return rc;
	if ((dot = strrchr(sun.sun_path + 1, '.')) != NULL) {
		cred->uid = (uid_t)strtoul(dot + 1, NULL, 10);
		cred->gid = cred->uid;
	}
	return rc;
}

void
__wrap_log_msg(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!log_on)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	__real_log_msg(prio, "%s", line);
}

/* OpenSSL 3 takes milliseconds per SSL_CTX_new: workers share one made
 * once (a reference each, as workers_stop frees one each). */
int
__wrap_tls_listen_ctx_new(SSL_CTX **out, struct tls_tickets *t,
    int (*hello)(SSL *, int *, void *), void *arg, struct err *e)
{
	static SSL_CTX *ctx;

	if (ctx == NULL && __real_tls_listen_ctx_new(&ctx, t, hello, arg,
	    e) == -1)
		return -1;
	SSL_CTX_up_ref(ctx);
	*out = ctx;
	return 0;
}

/* main.c's, which re-reads the store and binds listeners: not here. */
void
hsysd_reload(struct hsysd *d)
{
	(void)d;
}

/* --- input ------------------------------------------------------------ */

static unsigned
u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned
u16(struct input *in)
{
	return u8(in) | u8(in) << 8;
}

static uint32_t
u32(struct input *in)
{
	return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}

/* Up to max bytes of the input, as they come. */
static size_t
bytes(struct input *in, unsigned char *out, size_t max)
{
	size_t n = u8(in);

	if (n > max)
		n = max;
	if (n > in->n)
		n = in->n;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

/* --- clients ---------------------------------------------------------- */

/* A frame read back from the daemon: well-framed, and WELCOME learned. */
static void
client_frame(struct client *c, const struct proto_frame *f)
{
	const unsigned char *msg;
	uint32_t n;
	size_t i;

	if (f->type == PROTO_WELCOME) {
		assert(f->length >= 40 && !c->welcomed);
		for (i = 0; i < nsessions; i++)
			assert(sessions[i] != proto_get64(f->payload + 16));
		if (nsessions < MAX_OPS)
			sessions[nsessions++] = proto_get64(f->payload + 16);
		c->welcomed = 1;
		c->session = proto_get64(f->payload + 16);
		memcpy(c->key, f->payload + 24, 16);
	}
	if (f->type == PROTO_REQUEST)
		c->request = f->id;
	if (log_on)
		fprintf(stderr, "fuzz_control: client %d got frame 0x%04x id "
		    "%llu, %u bytes\n", (int)(c - clients), f->type,
		    (unsigned long long)f->id, f->length);
	if (f->type == PROTO_ERROR)
		assert(f->length >= 16 &&
		    proto_span_get(f, 8, 16, &msg, &n) == 0);
}

/* Reads what the daemon sent; descriptors passed with it are closed. */
static void
client_drain(struct client *c)
{
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	struct proto_frame f;
	struct cmsghdr *h;
	struct msghdr msg;
	struct iovec iov;
	size_t off, i;
	ssize_t n;
	long used;
	int fd;

	while (c->fd != -1) {
		iov.iov_base = c->buf + c->len;
		iov.iov_len = sizeof(c->buf) - c->len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.space;
		msg.msg_controllen = sizeof(cm.space);
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		for (h = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; h != NULL;
		    h = CMSG_NXTHDR(&msg, h))
			for (i = 0; h->cmsg_type == SCM_RIGHTS && i <
			    (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int),
				    sizeof(int));
				close(fd);
			}
		if (n <= 0)
			return;
		c->len += (size_t)n;
		off = 0;
		while ((used = proto_frame_next(c->buf + off, c->len - off,
		    PROTO_STATE_MAX, &f)) > 0) {
			client_frame(c, &f);
			off += (size_t)used;
		}
		assert(used != PROTO_MALFORMED);
		if (off == 0 && c->len == sizeof(c->buf)) {
			c->len = 0;	/* a big STATE: skipped, not checked */
			continue;
		}
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
}

/* What an HTTP client receives starts with a status line, whatever the
 * application sent: "HTTP/1.1 " and three digits (on a TLS port, with a
 * plaintext client, a TLS alert record). */
static void
http_drain(int i)
{
	char junk[4096];
	size_t want;
	ssize_t n;

	if (http[i] == -1)
		return;
	while ((want = sizeof(http_head[i]) - 1 - http_headlen[i]) > 0 &&
	    (n = recv(http[i], http_head[i] + http_headlen[i], want,
	    MSG_DONTWAIT)) > 0)
		http_headlen[i] += (size_t)n;
	/* A TLS port answers a plaintext client with a TLS alert record. */
	if (http_headlen[i] > 0 && (http_head[i][0] == 0x15 ||
	    http_head[i][0] == 0x16))
		http_headlen[i] = sizeof(http_head[i]) - 1;
	else if (http_headlen[i] > 0)
		assert(strncmp(http_head[i], "HTTP/1.1 ", http_headlen[i] < 9 ?
		    http_headlen[i] : 9) == 0);
	for (want = 9; want < http_headlen[i] && http_head[i][0] == 'H';
	    want++)
		assert(http_head[i][want] >= (want == 9 ? '1' : '0') &&
		    http_head[i][want] <= '9');
	while (recv(http[i], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
}

static void
drain_all(void)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		client_drain(&clients[i]);
	for (i = 0; i < MAX_HTTP; i++)
		http_drain(i);
}

static void
client_close(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* A new client playing `uid`; NULL when every slot is taken or the
 * daemon does not listen (after a hand-over finished). */
static struct client *
client_connect(struct hsysd *d, uid_t uid)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct client *c = NULL;
	socklen_t len;
	int i, n;

	for (i = 0; i < MAX_CLIENTS && c == NULL; i++)
		if (clients[i].fd == -1)
			c = &clients[i];
	if (c == NULL)
		return NULL;
	memset(c, 0, offsetof(struct client, buf));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return NULL;
	c->uid = uid;
	n = snprintf(me.sun_path + 1, sizeof(me.sun_path) - 1, "%s%ld.%u.%u",
	    ABSTRACT_TAG, (long)getpid(), serial++, (unsigned)uid);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->sock_path);
	if (bind(c->fd, (struct sockaddr *)&me, len) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		client_close(c);
		return NULL;
	}
	return c;
}

static struct client *
pick(struct input *in)
{
	struct client *c = &clients[u8(in) % MAX_CLIENTS];

	return c->fd == -1 ? NULL : c;
}

/* One frame, padded; a full socket buffer drops the rest (as a peer that
 * gives up would). */
static void
client_send(struct client *c, uint16_t type, uint16_t flags, uint64_t id,
    const void *payload, size_t len)
{
	unsigned char buf[PROTO_HEADER_SIZE + 8192] = { 0 };

	if (c == NULL || len > 8192)
		return;
	proto_header_put(buf, (uint32_t)len, type, flags, id);
	if (len > 0)
		memcpy(buf + PROTO_HEADER_SIZE, payload, len);
	(void)!send(c->fd, buf, proto_frame_size((uint32_t)len),
	    MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* --- operations ------------------------------------------------------- */

static const uint16_t types[] = {
	PROTO_HELLO, PROTO_WELCOME, PROTO_CHANNEL, PROTO_ERROR, PROTO_OK,
	PROTO_QUEUE_CREATE, PROTO_QUEUE_ATTACH, PROTO_PREFIX_ADD,
	PROTO_PREFIX_REMOVE, PROTO_QUEUE_CLOSE, PROTO_QUEUE_SET, PROTO_GOAWAY,
	PROTO_REQUEST, PROTO_REQ_DATA, PROTO_REQ_CREDIT, PROTO_RESPONSE,
	PROTO_RESP_DATA, PROTO_RESP_CREDIT, PROTO_CANCEL,
	PROTO_CONFIG_CHANGED, PROTO_STATE, PROTO_HANDOVER, PROTO_HANDOVER_FD,
	PROTO_HANDOVER_PREFIX, PROTO_HANDOVER_END, PROTO_HANDOVER_READY,
	PROTO_HANDOVER_DONE
};

/* Prefixes: a few real ones (so that registrations happen) and the
 * input's own bytes. */
static const char *const prefixes[] = {
	"http://+:28080/", "http://+:28080/a/", "http://*:28080/a/",
	"https://localhost:28443/x/", "http://127.0.0.1:28080/a/b/",
	"http://+:28080/a%2Fb/", "http://[::1]:28081/"
};

static const char *const names[] = { "", "q", "shared", "q2" };

static void
op_hello(struct input *in, struct client *c)
{
	unsigned char p[24 + 80] = { 0 };
	unsigned flags = u8(in);
	size_t n = 0;

	proto_put32(p, flags & 0x80 ? u32(in) : PROTO_MAGIC);
	proto_put16(p + 4, flags & 0x40 ? (uint16_t)u16(in) : PROTO_VERSION);
	proto_put16(p + 6, flags & 0x40 ? (uint16_t)u16(in) : PROTO_VERSION);
	proto_put32(p + 8, flags & PROTO_HELLO_F_GOAWAY);
	if (flags & 0x20)
		n = bytes(in, p + 24, 80);
	else
		memcpy(p + 24, "fuzz", n = 4);
	proto_span_put(p + 16, 0, (uint32_t)n);
	client_send(c, PROTO_HELLO, 0, 0, p, 24 + n);
}

static size_t
put_name(struct input *in, unsigned char *at, unsigned char *area,
    size_t max)
{
	unsigned k = u8(in);
	size_t n;

	if (k < 0xf0) {
		n = strlen(names[k % 4]);
		memcpy(area, names[k % 4], n);
	} else
		n = bytes(in, area, max);
	proto_span_put(at, 0, (uint32_t)n);
	return n;
}

static void
op_queue(struct input *in, struct client *c)
{
	unsigned char p[16 + 512] = { 0 };
	uint64_t id = u8(in);
	size_t n;
	unsigned k;

	switch (u8(in) % 7) {
	case 0:
		proto_put32(p, u8(in) & 3);
		proto_put32(p + 4, u8(in) < 0xf0 ? 0 : u32(in));
		n = put_name(in, p + 8, p + 16, 200);
		client_send(c, PROTO_QUEUE_CREATE, 0, id, p, 16 + n);
		break;
	case 1:
		n = put_name(in, p, p + 8, 200);
		client_send(c, PROTO_QUEUE_ATTACH, 0, id, p, 8 + n);
		break;
	case 2:
		proto_put32(p, u8(in) % 8);
		client_send(c, PROTO_QUEUE_CLOSE, 0, id, p, 4);
		break;
	case 3:
	case 4:
		proto_put32(p, u8(in) % 8);
		k = u8(in);
		if (k < 0xe0) {
			n = strlen(prefixes[k % 7]);
			memcpy(p + 16, prefixes[k % 7], n);
		} else
			n = bytes(in, p + 16, 255);
		proto_span_put(p + 8, 0, (uint32_t)n);
		client_send(c, u8(in) & 1 ? PROTO_PREFIX_REMOVE :
		    PROTO_PREFIX_ADD, 0, id, p, 16 + n);
		break;
	case 5:
		proto_put32(p, u8(in) % 8);
		proto_put32(p + 4, u8(in) % 4);
		proto_put32(p + 8, u32(in));
		client_send(c, PROTO_QUEUE_SET, 0, id, p, 16);
		break;
	default:
		/* A frame of any length for these types: fixed parts cut. */
		n = bytes(in, p, sizeof(p));
		client_send(c, PROTO_QUEUE_CREATE + (uint16_t)(u8(in) % 6), 0,
		    id, p, n);
		break;
	}
}

static void
op_frame(struct input *in, struct client *c)
{
	unsigned char p[600];
	unsigned k = u8(in);
	uint16_t type = k < 0xf0 ? types[k % (sizeof(types) /
	    sizeof(types[0]))] : (uint16_t)u16(in);
	uint16_t flags = (uint16_t)u16(in);
	uint64_t id = u8(in) & 0x80 ? (uint64_t)u32(in) << 32 | u32(in) : u8(in);
	size_t n = bytes(in, p, sizeof(p));

	client_send(c, type, flags, id, p, n);
}

/* Bytes as they come: frames split, lengths over the bound, junk. */
static void
op_raw(struct input *in, struct client *c)
{
	unsigned char p[256];
	size_t n = bytes(in, p, sizeof(p));

	if (c != NULL && n > 0)
		(void)!send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* A data channel for a welcomed session, as libhsys opens one. */
static void
op_channel(struct input *in, struct hsysd *d, struct client *s)
{
	unsigned char p[32] = { 0 };
	unsigned k = u8(in);
	struct client *c;

	if (s == NULL)
		return;
	if ((c = client_connect(d, k & 0x80 ? uids[k % 3] : s->uid)) == NULL)
		return;
	proto_put64(p, s->session);
	memcpy(p + 8, s->key, 16);
	if (k & 0x40)
		p[8 + k % 16] ^= 1;		/* a wrong key */
	proto_put16(p + 24, (uint16_t)(k & 0x20 ? u8(in) : k % 2));
	client_send(c, PROTO_CHANNEL, 0, 0, p, 32);
}

/* The frames an application sends down a data channel. */
/* A well-formed RESPONSE (as libhsys builds one) with a status and
 * headers the input picks: interim heads, 101 and tunnels within reach. */
static size_t
put_response(struct input *in, unsigned char *p, size_t size)
{
	static const uint16_t statuses[] = { 100, 101, 103, 200, 204, 304,
	    404, 999, 199 };
	static const char *const headers[][2] = {
		{ "Upgrade", "x" }, { "Content-Length", "5" },
		{ "Content-Length", "0" }, { "X-A", "b" },
		{ "Connection", "close" }, { "Transfer-Encoding", "chunked" },
		{ "content-length", "99999999999999999999" }, { "Date", "" },
	};
	unsigned status = statuses[u8(in) % 9], mask = u8(in), end = u8(in);
	size_t nh = 0, area, at, nl, vl, i;

	for (i = 0; i < 8; i++)
		nh += (mask >> i) & 1;
	area = 16 + 16 * nh;
	if (area > size)
		return 0;
	memset(p, 0, area);
	proto_put16(p, (uint16_t)status);
	proto_put16(p + 2, (uint16_t)nh);
	proto_put32(p + 4, end & 1);
	at = area;
	for (i = 0, nh = 0; i < 8; i++) {
		if (!((mask >> i) & 1))
			continue;
		nl = strlen(headers[i][0]);
		vl = strlen(headers[i][1]);
		if (at + nl + vl > size)
			return 0;
		proto_span_put(p + 16 + 16 * nh, (uint32_t)(at - area),
		    (uint32_t)nl);
		memcpy(p + at, headers[i][0], nl);
		proto_span_put(p + 24 + 16 * nh++, (uint32_t)(at + nl - area),
		    (uint32_t)vl);
		memcpy(p + at + nl, headers[i][1], vl);
		at += nl + vl;
	}
	return at;
}

static void
op_data(struct input *in, struct client *c)
{
	static const uint16_t dtypes[] = { PROTO_RESPONSE, PROTO_RESP_DATA,
	    PROTO_REQ_CREDIT, PROTO_CANCEL, PROTO_ERROR, PROTO_REQUEST,
	    PROTO_RESPONSE };
	unsigned char p[600];
	unsigned t = u8(in) % 7;
	uint16_t type = dtypes[t];
	unsigned k = u8(in);
	uint64_t id;
	size_t n;

	if (k & 0x80)
		id = (uint64_t)u32(in) << 32 | u32(in);
	else if (k & 0x40)
		id = c->request;	/* a request in flight */
	else
		id = u8(in) % 4;
	n = t == 6 ? put_response(in, p, sizeof(p)) : bytes(in, p, sizeof(p));
	client_send(c, type, (uint16_t)(u8(in) & 1 ? PROTO_F_END : 0), id, p,
	    n);
}

/* A fresh connection whose first frame is `type`. */
static struct client *
op_first(struct input *in, struct hsysd *d, uint16_t type)
{
	unsigned char p[8] = { 0 };
	unsigned k = u8(in);
	struct client *c = client_connect(d, uids[k % 3]);
	uint64_t id;
	size_t n = 8;

	if (type == PROTO_HANDOVER)
		proto_put32(p, k & 0x80 ? u32(in) : PROTO_MAGIC);
	else
		proto_put32(p, u32(in));
	id = u8(in);
	if (type != PROTO_HANDOVER)
		n = u8(in) % 5;
	client_send(c, type, 0, id, p, n);
	return c;
}

/* An HTTP client of a port a registration asked for (so its request
 * reaches an application's data channel). */
static void
op_http(struct input *in)
{
	static const char *const reqs[] = {
		"GET /a/x HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"POST /a/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
		    "hello",
		"GET / HTTP/1.0\r\n\r\n",
		"GET /a/ HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
		    "Upgrade: x\r\n\r\n",
		"PUT /a/b/c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	};
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned char p[256];
	unsigned k = u8(in), slot = k % MAX_HTTP;
	unsigned w = u8(in);
	size_t n;
	int fd;

	if (http[slot] != -1) {		/* a second write on it, or a close */
		if (w & 1) {
			close(http[slot]);
			http[slot] = -1;
		} else {
			n = bytes(in, p, sizeof(p));
			(void)!send(http[slot], p, n, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		}
		return;
	}
	w %= MAX_PORTS;
	if (ports[w].got == 0)
		return;
	fd = socket(ports[w].family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	sin.sin_port = sin6.sin6_port = htons(ports[w].got);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin6.sin6_addr = in6addr_loopback;
	if (connect(fd, ports[w].family == AF_INET ? (struct sockaddr *)&sin :
	    (struct sockaddr *)&sin6, ports[w].family == AF_INET ?
	    sizeof(sin) : sizeof(sin6)) == -1 && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	http[slot] = fd;
	http_headlen[slot] = 0;
	if (k & 0x80) {
		n = bytes(in, p, sizeof(p));
		(void)!send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else
		(void)!send(fd, reqs[(k >> 2) % 5], strlen(reqs[(k >> 2) % 5]),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
run_loop(struct hsysd *d, unsigned times)
{
	struct err e;

	while (times-- > 0) {
		sched_yield();	/* workers' mail, a chance to arrive */
		loop_once(d->loop, 0, &e);
		drain_all();
	}
}

static void
op(struct input *in, struct hsysd *d)
{
	struct client *c;

	switch (u8(in) % 14) {
	case 0:
		client_connect(d, uids[u8(in) % 3]);
		break;
	case 1:
		if ((c = pick(in)) != NULL)
			op_hello(in, c);
		break;
	case 2:
		if ((c = pick(in)) != NULL)
			op_queue(in, c);
		break;
	case 3:
		if ((c = pick(in)) != NULL)
			op_frame(in, c);
		break;
	case 4:
		op_raw(in, pick(in));
		break;
	case 5:
		if ((c = pick(in)) != NULL && c->welcomed)
			op_channel(in, d, c);
		break;
	case 6:
		if ((c = pick(in)) != NULL)
			op_data(in, c);
		break;
	case 7:
		if ((c = pick(in)) == NULL)
			break;
		if (u8(in) & 1)
			shutdown(c->fd, SHUT_WR);
		else
			client_close(c);
		break;
	case 8:
		op_first(in, d, PROTO_HANDOVER);
		break;
	case 9:
		op_first(in, d, PROTO_STATE);
		break;
	case 10:
		op_first(in, d, PROTO_CONFIG_CHANGED);
		break;
	case 11:	/* the hand-over peer's answers */
		if ((c = pick(in)) != NULL)
			client_send(c, u8(in) & 1 ? PROTO_HANDOVER_DONE :
			    PROTO_HANDOVER_READY, 0, 0, NULL, 0);
		break;
	case 12:
		run_loop(d, 1 + u8(in) % 4);
		break;
	default:
		op_http(in);
		break;
	}
}

/* --- the daemon ------------------------------------------------------- */

static int
daemon_start(struct hsysd *d, struct err *e)
{
	memset(d, 0, sizeof(*d));
	hsysd_init(d);
	pthread_mutex_init(&d->listen_lock, NULL);
	d->lock_fd = -1;
	d->generation = -1;
	d->drain_ms = 100;
	d->takeover_ms = 100;
	d->workers = 2;
	d->tickets = tickets;
	snprintf(d->sock_path, sizeof(d->sock_path), "%s/hsysd.sock", home);
	snprintf(d->runtime, sizeof(d->runtime), "%s", home);
	if (loop_new(&d->loop, e) == -1 ||
	    mailbox_open(&d->mailbox, d->loop, e) == -1)
		return -1;
	d->mailbox_open = 1;
	if (workers_start(d, e) == -1 ||
	    control_open(&d->control, d, d->sock_path, e) == -1)
		return -1;
	return 0;
}

/* The temporary home goes with the process (not after a crash: what is
 * left then tells what happened). */
static void
remove_home(void)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/hsysd.sock", home);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hsysd.sock.new", home);
	unlink(path);
	rmdir(home);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;
	int i;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	log_on = getenv("FUZZ_LOG") != NULL;
	snprintf(home, sizeof(home), "/tmp/hsys-fuzz.XXXXXX");
	if (mkdtemp(home) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	chmod(home, 0755);
	atexit(remove_home);
	setenv("HSYS_HOME", home, 1);
	if (tls_tickets_new(&tickets, &e) == -1) {
		fprintf(stderr, "fuzz_control: %s\n", e.msg);
		exit(1);
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	memset(http, -1, sizeof(http));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct hsysd d;
	struct err e;
	int i;

	nsessions = 0;
	if (daemon_start(&d, &e) == -1) {
		fprintf(stderr, "fuzz_control: %s\n", e.msg);
		abort();
	}
	for (i = 0; i < MAX_OPS && in.n > 0; i++)
		op(&in, &d);
	run_loop(&d, 2);
	/* Every client goes; the daemon sees them go, then stops. */
	for (i = 0; i < MAX_CLIENTS; i++)
		client_close(&clients[i]);
	for (i = 0; i < MAX_HTTP; i++)
		if (http[i] != -1)
			close(http[i]);
	memset(http, -1, sizeof(http));
	memset(ports, 0, sizeof(ports));
	run_loop(&d, 3);
	hsysd_stop(&d);		/* as main() ends */
	assert(d.sessions == NULL && d.queues == NULL);
	unlink(d.sock_path);
	return 0;
}
