/*
 * logline — the lines of the access log and of the error (httperr) log:
 * pure formatters over a caller's buffer, no allocation, no locks, no
 * system calls, so that a worker formats a line where it will be written
 * (httplog.h hands the buffer to the writer thread).
 *
 * Everything a client chose (the URL, User-Agent, Referer, Host, SNI) is
 * escaped so that no byte of it can end a field or a line: see
 * docs/logging.md for the exact formats and escapes.
 */
#ifndef HSYS_DAEMON_LOGLINE_H
#define HSYS_DAEMON_LOGLINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/*
 * The one escape of bytes a client chose, for every log hsysd writes
 * (docs/logging.md): printable ASCII stays as it is, except what could end
 * or fake a field in that log; every other byte (CR, LF, controls, DEL,
 * non-ASCII) is written as an escape, so no line can be forged.
 *   TEXT    the daemon log: '\' and the rest as \xHH
 *   QUOTED  inside an NCSA "field": '"' too
 *   TOKEN   a space-separated W3C field: space as '+', '"' and the rest
 *           as %HH (as IIS)
 * Returns the bytes written to dst (no NUL), or 0 when the escaped form of
 * all n bytes does not fit in `size` (nothing else is promised of dst then).
 */
enum logline_esc {
	LOGLINE_ESC_TEXT,
	LOGLINE_ESC_QUOTED,
	LOGLINE_ESC_TOKEN
};

size_t	logline_escape(char *dst, size_t size, const char *src, size_t n,
	    enum logline_esc);

/* A field cut at this many input bytes (the URL may be 16 KiB). */
#define LOGLINE_URI_MAX		4096
#define LOGLINE_FIELD_MAX	1024
/* The longest line the formatters make: every field at its cap, escaped. */
#define LOGLINE_MAX		(4 * (LOGLINE_URI_MAX + 4 * LOGLINE_FIELD_MAX) \
				    + 512)

/* The access log's formats. */
enum logline_format {
	LOGLINE_OFF = 0,
	LOGLINE_NCSA,		/* NCSA combined, three fields more */
	LOGLINE_W3C		/* W3C extended, IIS-like fields */
};

/* What is known of one request; NULL (or a zero length) prints "-".
 * The strings need no NUL, except the two TLS ones. */
struct logrec {
	const struct sockaddr_storage *peer, *local;
	const char	*method;
	size_t		 method_len;
	const char	*uri;		/* the request-target as sent */
	size_t		 uri_len;
	int		 version;	/* 10, 11, 20; 0: unknown */
	int32_t		 stream;	/* HTTP/2's stream id; 0: none */
	int		 status;	/* 0: no response */
	uint64_t	 bytes;		/* response bytes sent, head included */
	uint64_t	 ms;		/* time taken */
	const char	*ua;
	size_t		 ua_len;
	const char	*referer;
	size_t		 referer_len;
	const char	*host;
	size_t		 host_len;
	const char	*tls_version;	/* "TLSv1.3"; NULL: cleartext */
	const char	*sni;
	const char	*queue;		/* httperr: the queue's name */
};

/* Time stamps made once a second, in UTC. */
struct logline_clock {
	time_t		 sec;
	char		 ncsa[32];	/* 25/Nov/2026:13:55:36 +0000 */
	char		 w3c[24];	/* 2026-11-25 13:55:36 */
};

void	logline_clock_set(struct logline_clock *, time_t);

/*
 * Each returns the line's length with its '\n', or 0 when it does not fit
 * in `size` bytes (nothing else is promised of buf then).
 */
size_t	logline_ncsa(char *, size_t, const struct logline_clock *,
	    const struct logrec *);
size_t	logline_w3c(char *, size_t, const struct logline_clock *,
	    const struct logrec *);
size_t	logline_httperr(char *, size_t, const struct logline_clock *,
	    const char *reason, const struct logrec *);
/* The W3C directives a file starts with: #Software … #Fields. */
size_t	logline_w3c_header(char *, size_t, const struct logline_clock *,
	    int httperr);

/* HTTP.sys's httperr reason for a request the parser refused: the
 * status and the parser's static explanation (http.h). */
const char *logline_reason(int status, const char *why);

#endif
