/*
 * http — the HTTP/1.1 front door of hsysd: strict, allocation-free parsers
 * over caller buffers.
 *
 *   http_request_parse()  the request head (request-line + header fields)
 *   http_chunked_decode() a chunked request body, in place, incrementally
 *   http_path_cook()      the decoded, normalized path used for routing
 *   http_status_reason(), http_response_head()  the response side
 *
 * Every parser returns bytes consumed (>= 0), HTTP_INCOMPLETE when more input
 * is needed, or HTTP_ERROR with a response status and a short static reason
 * (for logs) in the result struct.  Nothing here allocates, locks or keeps
 * global state; results point into the caller's buffer, so the buffer must
 * outlive them.  docs/http1.md says what is accepted and rejected, and why.
 */
#ifndef HSYS_HTTP_HTTP_H
#define HSYS_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_ERROR		(-1)
#define HTTP_INCOMPLETE		(-2)

/* The largest Content-Length or chunk size accepted (2^62). */
#define HTTP_LENGTH_MAX		((int64_t)1 << 62)

/*
 * Limits, HTTP.sys-like.  A NULL limits pointer means http_limits_default.
 */
struct http_limits {
	size_t		max_request_line; /* 16 KiB; longer: 414 */
	size_t		max_header_line; /* 16 KiB per field line: 431 */
	size_t		max_head;	/* 16 KiB for the head: 431 */
	size_t		max_headers;	/* 100 field lines: 431 */
	unsigned	max_empty_lines; /* CRLFs skipped before the request */
	size_t		max_chunk_line;	/* chunk-size + extensions: 4 KiB */
	size_t		max_target;	/* 16 KiB request-target: 414; 0:
					 * only the request-line's limit */
};

extern const struct http_limits http_limits_default;

enum http_method {
	HTTP_METHOD_OTHER = 0,		/* a valid token we do not know */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
};

enum http_target_form {
	HTTP_FORM_ORIGIN = 0,		/* /path?query */
	HTTP_FORM_ABSOLUTE,		/* http://host/path?query */
	HTTP_FORM_AUTHORITY,		/* host:port, CONNECT only */
	HTTP_FORM_ASTERISK,		/* *, OPTIONS only */
};

struct http_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* leading and trailing OWS trimmed */
	size_t		 value_len;
};

struct http_request {
	/* In: set by http_request_init(), kept between calls. */
	struct http_header *headers;
	size_t		 header_cap;
	size_t		 scanned;	/* where the end-of-head scan resumes */

	/* Out: valid when http_request_parse() returned > 0. */
	const char	*method;
	size_t		 method_len;
	enum http_method method_id;
	const char	*target;
	size_t		 target_len;
	enum http_target_form form;
	int		 version;	/* 10 or 11 */
	size_t		 nheaders;

	int64_t		 content_length; /* -1: none (or chunked) */
	/* Host; the absolute-form authority wins; NULL on 1.0 without. */
	const char	*host;
	size_t		 host_len;
	const char	*upgrade;	/* the Upgrade value, if upgrade_req */
	size_t		 upgrade_len;
	unsigned	 chunked:1;	/* Transfer-Encoding: chunked */
	unsigned	 keep_alive:1;	/* per version and Connection */
	unsigned	 close:1;	/* Connection: close was sent */
	unsigned	 expect_continue:1; /* Expect: 100-continue, 1.1 */
	unsigned	 upgrade_req:1;	/* Upgrade + Connection: upgrade */

	/* Out: valid when http_request_parse() returned HTTP_ERROR. */
	int		 status;	/* 400, 414, 417, 431, 501, 505 */
	const char	*error;		/* static, for logs */
};

/*
 * Prepares req for a new head: the header array and its capacity (the field
 * count limit is the smaller of cap and limits->max_headers).  Call it once
 * per request; between HTTP_INCOMPLETE returns keep req and let buf grow
 * (same start, more bytes), so the end-of-head scan resumes where it was.
 */
void	http_request_init(struct http_request *, struct http_header *,
	    size_t);

/*
 * Parses one request head at the start of buf.  Returns the head's length in
 * bytes (the body or the next pipelined request starts there),
 * HTTP_INCOMPLETE, or HTTP_ERROR with req->status and req->error set; after
 * an error the connection must be closed.
 */
int	http_request_parse(const char *, size_t, struct http_request *,
	    const struct http_limits *);

/*
 * Chunked body decoder.  Feed it the bytes after the head, in any pieces:
 * it decodes in place, moving body bytes to the front of the piece.
 *
 * Trailer fields are checked by the head's field-line rules (token names,
 * no obs-fold, no bare CR or LF, no control bytes in values; the section
 * at most max_head bytes and max_headers fields) and, when the caller gave
 * room with http_chunked_keep_trailers(), kept: name and value (OWS
 * trimmed) are copied into the caller's buffer and described by the
 * caller's header array, valid once http_chunked_done().
 */
struct http_chunked {
	int		 state;
	uint64_t	 remaining;	/* bytes left in this chunk */
	size_t		 line_len;	/* of the size or trailer line */
	size_t		 trailer_bytes;
	size_t		 ntrailers;	/* trailer fields seen */
	const struct http_limits *lim;
	int		 status;	/* on HTTP_ERROR: 400 or 431 */
	const char	*error;

	/* Kept trailers: set by http_chunked_keep_trailers(). */
	char		*tr_buf;	/* names and values, not terminated */
	size_t		 tr_cap, tr_len;
	struct http_header *tr;		/* [ntrailers] once done */
	size_t		 tr_max;
	size_t		 tr_name, tr_value, tr_value_end; /* this line's */
};

void	http_chunked_init(struct http_chunked *, const struct http_limits *);

/*
 * After http_chunked_init(): keep the trailer fields in buf (cap bytes) and
 * fields (nfields entries; more fields than that, or more bytes, is 431).
 * The pointers in fields point into buf.
 */
void	http_chunked_keep_trailers(struct http_chunked *, char *buf,
	    size_t cap, struct http_header *fields, size_t nfields);

/*
 * Decodes *len bytes of buf in place.  On return buf[0 .. *len) holds the
 * body bytes found in this piece.  Returns HTTP_INCOMPLETE when every byte
 * was used and the body goes on, HTTP_ERROR (status, error set), or, when
 * the last chunk and the trailer section ended, the number of input bytes
 * used: bytes from there on belong to the next request and are untouched.
 * Pieces are at most INT_MAX bytes.
 */
int	http_chunked_decode(struct http_chunked *, char *, size_t *);

/* The method's id (HTTP_METHOD_OTHER for another token), and whether a
 * Host value (or an HTTP/2 :authority) is one the parser accepts: for
 * the HTTP/2 framing (src/h2), so both framings judge alike. */
enum http_method http_method_lookup(const char *, size_t);
int	http_host_ok(const char *, size_t);

/* Nonzero once the whole chunked body (with trailers) has been read. */
int	http_chunked_done(const struct http_chunked *);

/*
 * The cooked path: the request target's path, percent-decoded, dot segments
 * removed, UTF-8 validated; "%2F" and "%25" stay encoded (uppercase) so the
 * cooked path never gains a segment boundary or a new escape by decoding.
 */
struct http_cooked {
	char		*path;		/* into the caller's out buffer */
	size_t		 path_len;
	const char	*query;		/* after '?', in the target, or NULL */
	size_t		 query_len;
	int		 status;	/* on HTTP_ERROR: 400 */
	const char	*error;
};

/*
 * Cooks an origin-form or absolute-form target into out, which must hold at
 * least len bytes (and 1 for an absolute-form without a path).  Returns the
 * path length or HTTP_ERROR.
 */
int	http_path_cook(const char *, size_t, char *, size_t,
	    struct http_cooked *);

/* The reason phrase of a status code ("Not Found"), or "Unknown". */
const char *http_status_reason(int);

/*
 * Writes "HTTP/1.1 <status> <reason>\r\n", then Date (if date is not NULL:
 * the daemon caches it), Content-Length (if content_length >= 0) and
 * "Connection: close" (if close), without the final empty line, so callers
 * can add fields.  Returns the length written or -1 if cap is too small.
 */
int	http_response_head(char *, size_t, int, const char *, int64_t, int);

#endif
