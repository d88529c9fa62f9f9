/*
 * hsys-websocket — a WebSocket (RFC 6455) echo server on libhsys.
 *
 *	hsys-websocket [--queue NAME] [--max-message BYTES] [PREFIX]
 *					(default http://+:8080/ws/)
 *
 * A GET with "Upgrade: websocket" is answered 101 with
 * Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (OpenSSL's EVP), and the
 * request becomes a tunnel: every message the client sends, text or binary,
 * whole or fragmented, comes back as one frame of the same kind; a ping gets
 * its pong; a close is answered with the same status code. The server
 * refuses what RFC 6455 says it must with a close frame: an unmasked client
 * frame, reserved bits or opcodes, a bad fragment sequence or control frame
 * (1002), text that is not UTF-8 (1007), a message over --max-message
 * (1009, default 16 MiB). On SIGTERM every connection is closed with 1001.
 *
 * Any other GET is answered with a small HTML page whose script opens
 * a WebSocket back to PREFIX and writes the echoes it gets into the page
 * (and resolves the promise window.wsResult with them): a browser test of
 * the whole path (tests/e2e/example_websocket.sh).
 *
 * One thread serves every connection: hsys_fd() is polled, new requests
 * come from hsys_next_nowait() and tunnel bytes from
 * hsys_request_read_nowait(), so a slow client never holds up the others
 * except while hsys_response_write() waits for it to take an echo.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include <hsys.h>

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define OP_CONT		0x0
#define OP_TEXT		0x1
#define OP_BINARY	0x2
#define OP_CLOSE	0x8
#define OP_PING		0x9
#define OP_PONG		0xa

/* One WebSocket connection: the request that became a tunnel, the bytes
 * read and not yet parsed, and the message being assembled. */
struct conn {
	struct hsys_request	*r;
	unsigned char		*in;
	size_t			 inlen, incap;
	unsigned char		*msg;
	size_t			 msglen, msgcap;
	int			 msgop;		/* 0: no message under way */
	int			 closing;	/* we sent 1001, wait for its answer */
	struct conn		*next;
};

static volatile sig_atomic_t stop;
static size_t max_message = 16u << 20;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* RFC 6455 §4.2.2: base64(SHA-1(key + GUID)); out holds 29 bytes. */
static int
ws_accept(const char *key, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char buf[128];
	int n;

	n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	if (EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen) == 28 ?
	    0 : -1;
}

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), as a text message must be (§8.1). */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3, cp = s[i] & 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *nb;
	size_t ncap = *cap != 0 ? *cap : 4096;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Sends one unmasked frame (servers never mask, §5.1). */
static int
send_frame(struct conn *c, int op, const void *data, size_t len)
{
	unsigned char hd[10];
	size_t hl = 2;
	int i;

	hd[0] = (unsigned char)(0x80 | op);
	if (len < 126)
		hd[1] = (unsigned char)len;
	else if (len <= 0xffff) {
		hd[1] = 126;
		hd[2] = (unsigned char)(len >> 8);
		hd[3] = (unsigned char)len;
		hl = 4;
	} else {
		hd[1] = 127;
		for (i = 0; i < 8; i++)
			hd[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	if (hsys_response_write(c->r, hd, hl) != (ssize_t)hl)
		return -1;
	if (len > 0 && hsys_response_write(c->r, data, len) != (ssize_t)len)
		return -1;
	return 0;
}

/* Sends a close frame with CODE (none when 0) and ends our side; the
 * caller frees the connection. Returns -1: the connection is done. */
static int
send_close(struct conn *c, int code)
{
	unsigned char p[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	send_frame(c, OP_CLOSE, p, code != 0 ? 2 : 0);
	return -1;
}

/* A close code a peer may send (§7.4.1, §7.4.2). */
static int
close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

static int
on_control(struct conn *c, int op, unsigned char *p, size_t len)
{
	int code;

	if (c->closing)		/* only the answer to our close matters */
		return op == OP_CLOSE ? -1 : 0;
	if (op == OP_PING)
		return send_frame(c, OP_PONG, p, len);
	if (op == OP_PONG)
		return 0;
	/* OP_CLOSE: answer with the client's code, then we are done. */
	if (len == 0)
		return send_close(c, 0);
	if (len == 1)
		return send_close(c, 1002);
	code = p[0] << 8 | p[1];
	if (!close_code_valid(code))
		return send_close(c, 1002);
	if (!utf8_valid(p + 2, len - 2))
		return send_close(c, 1007);
	return send_close(c, code);
}

/* A data frame: starts, continues or ends the message under way. */
static int
on_data(struct conn *c, int op, int fin, unsigned char *p, size_t len)
{
	if (c->closing)
		return 0;
	if (op == OP_CONT && c->msgop == 0)
		return send_close(c, 1002);	/* nothing to continue */
	if (op != OP_CONT && c->msgop != 0)
		return send_close(c, 1002);	/* a new one inside one */
	if (op != OP_CONT) {
		c->msgop = op;
		c->msglen = 0;
	}
	if (len > max_message - c->msglen)
		return send_close(c, 1009);
	if (grow(&c->msg, &c->msgcap, c->msglen + len) < 0)
		return send_close(c, 1011);
	if (len > 0)
		memcpy(c->msg + c->msglen, p, len);
	c->msglen += len;
	if (!fin)
		return 0;
	op = c->msgop;
	c->msgop = 0;
	if (op == OP_TEXT && !utf8_valid(c->msg, c->msglen))
		return send_close(c, 1007);
	return send_frame(c, op, c->msg, c->msglen);
}

/*
 * Parses the frames in c->in. Returns 0 to go on, -1 when the connection
 * is over (a close frame was sent). A frame is handled once whole; its
 * declared length is checked against the limit before it is buffered.
 */
static int
parse(struct conn *c)
{
	unsigned char *b, *p;
	uint64_t len;
	size_t hl, off = 0, i;
	int fin, op;

	while (c->inlen - off >= 2) {
		b = c->in + off;
		fin = b[0] & 0x80;
		op = b[0] & 0x0f;
		len = b[1] & 0x7f;
		hl = 2;
		if (b[0] & 0x70)
			return send_close(c, 1002);	/* no extension */
		if (!(b[1] & 0x80))
			return send_close(c, 1002);	/* clients mask */
		if (op >= 0x3 && op != OP_CLOSE && op != OP_PING &&
		    op != OP_PONG)
			return send_close(c, 1002);	/* reserved */
		if ((op & 0x8) && (!fin || len > 125))
			return send_close(c, 1002);	/* §5.5 */
		if (len == 126) {
			if (c->inlen - off < 4)
				break;
			len = (uint64_t)b[2] << 8 | b[3];
			hl = 4;
		} else if (len == 127) {
			if (c->inlen - off < 10)
				break;
			for (len = 0, i = 0; i < 8; i++)
				len = len << 8 | b[2 + i];
			if (len >> 63)
				return send_close(c, 1002);
			hl = 10;
		}
		if (!(op & 0x8) && len > max_message)
			return send_close(c, 1009);
		hl += 4;
		if (c->inlen - off < hl + len)
			break;
		p = b + hl;
		for (i = 0; i < len; i++)
			p[i] ^= b[hl - 4 + (i & 3)];
		if ((op & 0x8) ? on_control(c, op, p, (size_t)len) :
		    on_data(c, op, fin != 0, p, (size_t)len))
			return -1;
		off += hl + (size_t)len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return 0;
}

/* Reads what the tunnel has, up to 16 reads so that a client that never
 * pauses does not starve the others. Returns 1: bytes came, 0: none yet,
 * -1: the connection is over. */
static int
pump(struct conn *c)
{
	ssize_t n;
	int got = 0, k;

	for (k = 0; k < 16; k++) {
		if (grow(&c->in, &c->incap, c->inlen + 65536) < 0)
			return send_close(c, 1011);
		n = hsys_request_read_nowait(c->r, c->in + c->inlen, 65536);
		if (n == -EAGAIN)
			return got;
		if (n <= 0)
			return -1;	/* the client left without a close */
		c->inlen += (size_t)n;
		got = 1;
		if (parse(c) < 0)
			return -1;
	}
	return got;
}

static void
conn_free(struct conn *c)
{
	hsys_response_end(c->r);	/* half-closes the tunnel, frees r */
	free(c->in);
	free(c->msg);
	free(c);
}

static const char page[] =
"<!doctype html>\n<title>hsys-websocket</title>\n"
"<pre id=out>waiting</pre>\n<script>\n"
"const out = document.getElementById('out'), log = [];\n"
"let done;\n"
"window.wsResult = new Promise((resolve) => { done = resolve; });\n"
"const ws = new WebSocket((location.protocol == 'https:' ? 'wss://' :\n"
"    'ws://') + location.host + location.pathname.replace(/[^/]*$/, '') +\n"
"    'echo');\n"
"ws.binaryType = 'arraybuffer';\n"
"ws.onopen = () => { ws.send('hello from the browser');\n"
"    ws.send(new Uint8Array([1, 2, 3, 250]).buffer); };\n"
"ws.onmessage = (e) => {\n"
"    log.push(typeof e.data == 'string' ? 'text:' + e.data :\n"
"        'binary:' + Array.from(new Uint8Array(e.data)).join(','));\n"
"    if (log.length == 2) ws.close(1000, 'done'); };\n"
"ws.onclose = (e) => { log.push('close:' + e.code + ':' + e.wasClean);\n"
"    out.textContent = log.join('\\n'); done(out.textContent); };\n"
"ws.onerror = () => { log.push('error'); };\n"
"</script>\n";

/* A new request: the upgrade, or the page. Returns a connection or NULL. */
static struct conn *
accept_request(struct hsys_request *r)
{
	const char *up = hsys_request_header(r, "Upgrade");
	const char *key = hsys_request_header(r, "Sec-WebSocket-Key");
	const char *ver = hsys_request_header(r, "Sec-WebSocket-Version");
	struct hsys_header vh[] = { { "Sec-WebSocket-Version", "13" } };
	char accept[29];
	struct hsys_header hd[] = { { "Upgrade", "websocket" },
	    { "Sec-WebSocket-Accept", accept } };
	struct conn *c;

	if (strcmp(hsys_request_method(r), "GET") != 0) {
		hsys_respond(r, 405, "text/plain", "GET only\n", 9);
		return NULL;
	}
	if (up == NULL || strcasecmp(up, "websocket") != 0) {
		hsys_respond(r, 200, "text/html; charset=utf-8", page,
		    sizeof(page) - 1);
		return NULL;
	}
	if (ver == NULL || strcmp(ver, "13") != 0) {
		/* §4.4: say which version we speak. */
		if (hsys_response_start(r, 426, vh, 1, HSYS_RESPONSE_END) < 0)
			hsys_request_cancel(r);
		else
			hsys_response_end(r);
		return NULL;
	}
	if (key == NULL || strlen(key) != 24 || ws_accept(key, accept) < 0) {
		hsys_respond(r, 400, "text/plain", "bad Sec-WebSocket-Key\n",
		    22);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		hsys_respond(r, 503, "text/plain", "out of memory\n", 14);
		return NULL;
	}
	c->r = r;
	if (hsys_response_start(r, 101, hd, 2, 0) < 0) {
		hsys_request_cancel(r);
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Reads every connection until none has bytes. Reading one request's
 * channel may queue bytes for another (docs/api.md, "How requests
 * arrive"), which hsys_fd() then no longer announces: hence the passes
 * until one brings nothing, and the short poll in main as a safety net.
 */
static void
serve_all(struct conn **head)
{
	struct conn **pp, *c;
	int progress, rc;

	do {
		progress = 0;
		for (pp = head; (c = *pp) != NULL; ) {
			if ((rc = pump(c)) < 0) {
				*pp = c->next;
				conn_free(c);
				continue;
			}
			progress |= rc;
			pp = &c->next;
		}
	} while (progress);
}

static int
open_queue(struct hsys *h, const char *qname, const char *prefix,
    struct hsys_queue **q)
{
	int rc;

	if (qname != NULL && (rc = hsys_queue_attach(h, qname, q)) == -ENOENT)
		rc = hsys_queue_create(h, qname, 0, q);
	else if (qname == NULL)
		rc = hsys_queue_create(h, NULL, 0, q);
	if (rc < 0 || ((rc = hsys_prefix_add(*q, prefix)) < 0 &&
	    rc != -EEXIST)) {
		fprintf(stderr, "hsys-websocket: %s: %s\n", prefix,
		    hsys_strerror(rc));
		if (hsys_last_error(h)[0] != '\0')
			fprintf(stderr, "hsys-websocket: %s\n",
			    hsys_last_error(h));
		if (rc == -EACCES)
			fprintf(stderr, "hsys-websocket: allow it with: hsys "
			    "http add urlacl url=%s user=$USER\n", prefix);
		return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *prefix = "http://+:8080/ws/", *qname = NULL;
	struct sigaction sa;
	struct hsys *h = NULL;
	struct hsys_queue *q = NULL;
	struct hsys_request *r;
	struct conn *conns = NULL, *c;
	struct pollfd pfd;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
			qname = argv[++i];
		else if (strcmp(argv[i], "--max-message") == 0 && i + 1 < argc)
			max_message = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-')
			prefix = argv[i];
		else
			break;
	}
	if (i < argc || max_message == 0) {
		fprintf(stderr, "usage: hsys-websocket [--queue NAME] "
		    "[--max-message BYTES] [PREFIX]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = hsys_open(&h, "hsys-websocket")) < 0) {
		fprintf(stderr, "hsys-websocket: %s%s\n", hsys_strerror(rc),
		    rc == -ENOENT ? " (is hsysd running?)" : "");
		return 1;
	}
	if ((rc = open_queue(h, qname, prefix, &q)) < 0)
		goto out;
	pfd.fd = hsys_fd(h);
	pfd.events = POLLIN;
	while (!stop) {
		while ((rc = hsys_next_nowait(h, &r)) == 1)
			if ((c = accept_request(r)) != NULL) {
				c->next = conns;
				conns = c;
			}
		if (rc < 0)
			break;
		serve_all(&conns);
		if (poll(&pfd, 1, conns != NULL ? 50 : 1000) == -1 &&
		    errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	/* Stopping: no new requests, and every client told why we go; its
	 * answering close (for at most 2 s) shows it got ours before the
	 * session ends. */
	hsys_queue_close(q);
	q = NULL;
	for (c = conns; c != NULL; c = c->next) {
		send_close(c, 1001);
		c->closing = 1;
	}
	for (i = 0; conns != NULL && i < 40; i++) {
		serve_all(&conns);
		if (conns != NULL)
			poll(&pfd, 1, 50);
	}
	while ((c = conns) != NULL) {
		conns = c->next;
		conn_free(c);
	}
	if (rc < 0)
		fprintf(stderr, "hsys-websocket: %s\n", hsys_strerror(rc));
out:
	hsys_queue_close(q);
	hsys_close(h);
	return rc < 0 ? 1 : 0;
}
