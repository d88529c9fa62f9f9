/*
 * Unit tests of the request logs' lines (daemon/logline.h): the three
 * formats field by field, the one escape that keeps a client from forging
 * a line or a field (in the request logs and in the daemon log), the W3C
 * header, and HTTP.sys's reasons for refusals.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/logline.h"
#include "unit.h"

static struct sockaddr_storage peer, local;
static struct logline_clock clk;

static void
setup(struct logrec *r)
{
	struct sockaddr_in *p = (struct sockaddr_in *)&peer;
	struct sockaddr_in6 *l = (struct sockaddr_in6 *)&local;

	p->sin_family = AF_INET;
	p->sin_port = htons(51234);
	inet_pton(AF_INET, "192.0.2.7", &p->sin_addr);
	l->sin6_family = AF_INET6;
	l->sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &l->sin6_addr);
	logline_clock_set(&clk, 1795700136);	/* 2026-11-26 13:35:36 */
	memset(r, 0, sizeof(*r));
	r->peer = &peer;
	r->local = &local;
	r->method = "GET";
	r->method_len = 3;
	r->uri = "/a/b?c=d";
	r->uri_len = 8;
	r->version = 11;
	r->status = 200;
	r->bytes = 1234;
	r->ms = 7;
	r->ua = "curl/8.0 (x)";
	r->ua_len = 12;
	r->host = "a.test:443";
	r->host_len = 10;
	r->tls_version = "TLSv1.3";
	r->sni = "a.test";
}

static const char *
line(size_t (*fn)(char *, size_t, const struct logline_clock *,
    const struct logrec *), const struct logrec *r)
{
	static char buf[LOGLINE_MAX];
	size_t n = fn(buf, sizeof(buf), &clk, r);

	if (n == 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void
test_clock(void)
{
	struct logrec r;

	setup(&r);
	CHECK_STR(clk.ncsa, "26/Nov/2026:13:35:36 +0000");
	CHECK_STR(clk.w3c, "2026-11-26 13:35:36");
}

static void
test_ncsa(void)
{
	struct logrec r;

	setup(&r);
	CHECK_STR(line(logline_ncsa, &r), "192.0.2.7 - - [26/Nov/2026:13:35:36 "
	    "+0000] \"GET /a/b?c=d HTTP/1.1\" 200 1234 \"-\" \"curl/8.0 (x)\" "
	    "7 TLSv1.3 a.test\n");
	r.tls_version = r.sni = NULL;
	r.ua = NULL;
	r.referer = "http://r/";
	r.referer_len = 9;
	CHECK_STR(line(logline_ncsa, &r), "192.0.2.7 - - [26/Nov/2026:13:35:36 "
	    "+0000] \"GET /a/b?c=d HTTP/1.1\" 200 1234 \"http://r/\" \"-\" "
	    "7 - -\n");
	r.version = 20;		/* a request that came over HTTP/2 */
	CHECK_STR(line(logline_ncsa, &r), "192.0.2.7 - - [26/Nov/2026:13:35:36 "
	    "+0000] \"GET /a/b?c=d HTTP/2.0\" 200 1234 \"http://r/\" \"-\" "
	    "7 - -\n");
	r.method = NULL;
	CHECK_STR(line(logline_ncsa, &r), "192.0.2.7 - - [26/Nov/2026:13:35:36 "
	    "+0000] \"-\" 200 1234 \"http://r/\" \"-\" 7 - -\n");
}

static void
test_ncsa_escapes(void)
{
	struct logrec r;
	const char *l;

	setup(&r);
	r.ua = "x\" 200 1\n1.2.3.4 - - \\ \x01\xff";
	r.ua_len = strlen(r.ua);
	r.uri = "/\"\r\n";
	r.uri_len = 4;
	r.sni = "a b\nc";
	l = line(logline_ncsa, &r);
	CHECK_STR(l, "192.0.2.7 - - [26/Nov/2026:13:35:36 +0000] "
	    "\"GET /\\x22\\x0D\\x0A HTTP/1.1\" 200 1234 \"-\" "
	    "\"x\\x22 200 1\\x0A1.2.3.4 - - \\x5C \\x01\\xFF\" 7 TLSv1.3 "
	    "a+b%0Ac\n");
	CHECK(l != NULL && strchr(l, '\n') == l + strlen(l) - 1);
}

static void
test_w3c(void)
{
	struct logrec r;

	setup(&r);
	CHECK_STR(line(logline_w3c, &r), "2026-11-26 13:35:36 192.0.2.7 51234 "
	    "2001:db8::1 443 GET /a/b?c=d HTTP/1.1 200 1234 7 curl/8.0+(x) - "
	    "a.test:443 TLSv1.3 a.test\n");
	r.ua = "a\"b\tc\x7f";
	r.ua_len = 6;
	r.tls_version = r.sni = NULL;
	r.host = NULL;
	CHECK_STR(line(logline_w3c, &r), "2026-11-26 13:35:36 192.0.2.7 51234 "
	    "2001:db8::1 443 GET /a/b?c=d HTTP/1.1 200 1234 7 a%22b%09c%7F - "
	    "- - -\n");
}

static void
test_httperr(void)
{
	char buf[512];
	struct logrec r;
	size_t n;

	setup(&r);
	r.status = 404;
	CHECK_STR((n = logline_httperr(buf, sizeof(buf), &clk, "NotFound",
	    &r), buf[n] = '\0', buf), "2026-11-26 13:35:36 192.0.2.7 51234 "
	    "2001:db8::1 443 HTTP/1.1 GET /a/b?c=d - 404 - NotFound -\n");
	r.version = 20;			/* HTTP/2: the stream id */
	r.stream = 13;
	r.status = 431;
	CHECK_STR((n = logline_httperr(buf, sizeof(buf), &clk,
	    "RequestLength", &r), buf[n] = '\0', buf), "2026-11-26 13:35:36 "
	    "192.0.2.7 51234 2001:db8::1 443 HTTP/2.0 GET /a/b?c=d 13 431 - "
	    "RequestLength -\n");
	memset(&r, 0, sizeof(r));
	r.peer = &peer;
	r.local = &local;
	r.queue = "pool 1";
	CHECK_STR((n = logline_httperr(buf, sizeof(buf), &clk,
	    "Timer_ConnectionIdle", &r), buf[n] = '\0', buf),
	    "2026-11-26 13:35:36 192.0.2.7 51234 2001:db8::1 443 - - - - - - "
	    "Timer_ConnectionIdle pool+1\n");
	r.peer = NULL;
	CHECK_STR((n = logline_httperr(buf, sizeof(buf), &clk, "X", &r),
	    buf[n] = '\0', buf), "2026-11-26 13:35:36 - - 2001:db8::1 443 - - "
	    "- - - - X pool+1\n");
}

static void
test_header(void)
{
	char buf[512];
	size_t n;

	n = logline_w3c_header(buf, sizeof(buf), &clk, 1);
	buf[n] = '\0';
	CHECK_STR(buf, "#Software: hsysd 0.1.0\n#Version: 1.0\n#Date: "
	    "2026-11-26 13:35:36\n#Fields: date time c-ip c-port s-ip s-port "
	    "cs-version cs-method cs-uri streamid sc-status s-siteid s-reason "
	    "s-queuename\n");
	n = logline_w3c_header(buf, sizeof(buf), &clk, 0);
	buf[n] = '\0';
	CHECK(strstr(buf, "#Fields: date time c-ip c-port s-ip s-port "
	    "cs-method cs-uri cs-version sc-status sc-bytes time-taken "
	    "cs(User-Agent) cs(Referer) cs-host tls-version tls-sni\n") != NULL);
}

static void
test_limits(void)
{
	static char big[20000];
	char small[64];
	struct logrec r;
	const char *l;

	setup(&r);
	CHECK(logline_ncsa(small, sizeof(small), &clk, &r) == 0);
	CHECK(logline_w3c(small, sizeof(small), &clk, &r) == 0);
	memset(big, '\n', sizeof(big));
	r.uri = r.ua = r.referer = r.host = big;
	r.uri_len = r.ua_len = r.referer_len = r.host_len = sizeof(big);
	CHECK((l = line(logline_ncsa, &r)) != NULL &&
	    strchr(l, '\n') == l + strlen(l) - 1);
	CHECK((l = line(logline_w3c, &r)) != NULL &&
	    strchr(l, '\n') == l + strlen(l) - 1);
	CHECK(l != NULL && strlen(l) < LOGLINE_MAX);
}

/* logline_escape into a NUL-ended static buffer; "(0)" when it returned 0. */
static const char *
esc(const char *s, size_t n, size_t size, enum logline_esc how)
{
	static char buf[256];
	size_t len;

	if (size > sizeof(buf) - 1)
		size = sizeof(buf) - 1;
	len = logline_escape(buf, size, s, n, how);
	if (len == 0)
		return "(0)";
	buf[len] = '\0';
	return buf;
}

static void
test_escape(void)
{
	static const char all[] = "a b\"c\\d\r\n\t\0\x1b\x7f\xc3\xa9%+";
	size_t n = sizeof(all) - 1, i;
	char raw[256], out[1024];
	enum logline_esc how;

	CHECK_STR(esc(all, n, 255, LOGLINE_ESC_TEXT),
	    "a b\"c\\x5Cd\\x0D\\x0A\\x09\\x00\\x1B\\x7F\\xC3\\xA9%+");
	CHECK_STR(esc(all, n, 255, LOGLINE_ESC_QUOTED),
	    "a b\\x22c\\x5Cd\\x0D\\x0A\\x09\\x00\\x1B\\x7F\\xC3\\xA9%+");
	CHECK_STR(esc(all, n, 255, LOGLINE_ESC_TOKEN),
	    "a+b%22c\\d%0D%0A%09%00%1B%7F%C3%A9%+");
	CHECK_STR(esc("plain", 5, 255, LOGLINE_ESC_TEXT), "plain");
	/* Exactly at the size, and one byte short of it. */
	CHECK_STR(esc("ab\n", 3, 6, LOGLINE_ESC_TEXT), "ab\\x0A");
	CHECK_STR(esc("ab\n", 3, 5, LOGLINE_ESC_TEXT), "(0)");
	CHECK_STR(esc("ab\n", 3, 5, LOGLINE_ESC_TOKEN), "ab%0A");
	CHECK_STR(esc("ab\n", 3, 4, LOGLINE_ESC_TOKEN), "(0)");
	CHECK_STR(esc("a b", 3, 3, LOGLINE_ESC_TOKEN), "a+b");
	CHECK_STR(esc("a b", 3, 2, LOGLINE_ESC_TOKEN), "(0)");
	CHECK_STR(esc("abc", 3, 2, LOGLINE_ESC_TEXT), "(0)");
	/* Every byte: what comes out is printable ASCII, never a line end,
	 * and never the style's own delimiter. */
	for (i = 0; i < 256; i++)
		raw[i] = (char)i;
	for (how = LOGLINE_ESC_TEXT; how <= LOGLINE_ESC_TOKEN; how++) {
		size_t len = logline_escape(out, sizeof(out), raw, 256, how), j;
		int ok = len > 0;

		for (j = 0; j < len; j++)
			if ((unsigned char)out[j] < 0x20 ||
			    (unsigned char)out[j] >= 0x7f ||
			    (how == LOGLINE_ESC_QUOTED && out[j] == '"') ||
			    (how == LOGLINE_ESC_TOKEN && (out[j] == ' ' ||
			    out[j] == '"')))
				ok = 0;
		CHECK(ok);
	}
}

/* The daemon log: a message holding a client's CR/LF stays one line. */
static void
test_daemon_log(void)
{
	char buf[4096];
	int fds[2], saved;
	ssize_t n;

	if (!CHECK(pipe(fds) == 0))
		return;
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_init("test", 0, 0);
	log_info("worker 0: TLS_NoBinding: no certificate bound for port 443, "
	    "name %s", "a.test\r\n2026-01-01T00:00:00Z hsysd[1]: notice: "
	    "forged\x1b[2J\\");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(n > 0 && strchr(buf, '\n') == buf + n - 1);
	CHECK(strchr(buf, '\r') == NULL && strchr(buf, '\x1b') == NULL);
	CHECK(strstr(buf, " test[") != NULL &&
	    strstr(buf, "]: info: worker 0") != NULL);
	CHECK(strstr(buf, "name a.test\\x0D\\x0A2026-01-01T00:00:00Z hsysd[1]: "
	    "notice: forged\\x1B[2J\\x5C\n") != NULL);
}

static void
test_reasons(void)
{
	CHECK_STR(logline_reason(400, "bare CR"), "Invalid_CR/LF");
	CHECK_STR(logline_reason(400, "invalid method"), "Verb");
	CHECK_STR(logline_reason(400, "invalid request-target"), "URL");
	CHECK_STR(logline_reason(400, "missing Host"), "Hostname");
	CHECK_STR(logline_reason(400, "invalid Content-Length"), "Number");
	CHECK_STR(logline_reason(400, "invalid field name"), "Header");
	CHECK_STR(logline_reason(400, "invalid HTTP version"), "BadRequest");
	CHECK_STR(logline_reason(400, NULL), "BadRequest");
	CHECK_STR(logline_reason(414, "request-line too long"), "URL_Length");
	CHECK_STR(logline_reason(431, "field line too long"), "FieldLength");
	CHECK_STR(logline_reason(431, "head too large"), "RequestLength");
	CHECK_STR(logline_reason(431, "too many header fields"), "Header");
	CHECK_STR(logline_reason(505, "HTTP version not supported"),
	    "Version_N/S");
	CHECK_STR(logline_reason(501, "transfer coding not supported"), "N/I");
	CHECK_STR(logline_reason(400, "invalid chunk size"), "Number");
}

int
main(void)
{
	RUN(test_clock);
	RUN(test_ncsa);
	RUN(test_ncsa_escapes);
	RUN(test_w3c);
	RUN(test_httperr);
	RUN(test_header);
	RUN(test_limits);
	RUN(test_reasons);
	RUN(test_escape);
	RUN(test_daemon_log);
	return unit_done();
}
