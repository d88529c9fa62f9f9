/*
 * h2 — the HTTP/2 framing (RFC 9113) of hsysd: a second framing beside
 * src/http's HTTP/1.1, feeding the same exchange with the same requests.
 *
 * Frames, HPACK and flow-control bookkeeping are libnghttp2's (never
 * hand-written here). What is ours:
 *
 *   h2_head_*     the request head of one stream, built field by field as
 *                 HPACK decodes it: RFC 9113 §8 rules (pseudo-header order
 *                 and presence, no connection-specific fields, lowercase
 *                 names, :path forms) and HTTP/1.1's limits (MaxFieldLength,
 *                 MaxRequestBytes, MaxUrlLength, the field count), into a
 *                 struct http_request over a synthesized head, so that the
 *                 exchange sees what HTTP/1.1 gives it. Pure.
 *   h2_session_*  one connection's session over memory (bytes in, bytes
 *                 out; no socket): the callbacks that turn streams into
 *                 requests for an owner (h2_ops), responses and bodies with
 *                 back-pressure, trailers, GOAWAY, and the defences
 *                 (rapid reset, CONTINUATION and control-frame floods,
 *                 HPACK bombs: see h2_limits).
 *
 * docs/http2.md says what is accepted and refused, and why.
 */
#ifndef HSYS_H2_H2_H
#define HSYS_H2_H2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/http.h"

/* The client connection preface (RFC 9113 §3.4): a cleartext connection
 * that starts with it speaks HTTP/2 with prior knowledge (h2c). */
#define H2_PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN		24

/* --- the request head of a stream ----------------------------------- */

/* h2_head_field() and h2_head_end(): */
#define H2_OK		0
#define H2_MALFORMED	(-1)	/* RFC 9113 §8.1.1: RST_STREAM PROTOCOL_ERROR */
#define H2_REFUSE	(-2)	/* answered with h->status (431, 414, 400) */

/* Pseudo-header fields seen (h2_head.seen). */
#define H2_PS_METHOD	0x01
#define H2_PS_SCHEME	0x02
#define H2_PS_AUTHORITY	0x04
#define H2_PS_PATH	0x08

/*
 * One head being decoded. The caller gives the buffer the synthesized
 * head goes to ("GET /x HTTP/2.0\r\nhost: a\r\nname: value\r\n\r\n", so
 * that the REQUEST frame's bytes area reads as HTTP/1.1's does) and the
 * header array; req's pointers point into buf once h2_head_end() returned
 * H2_OK. Fields go in as they come; pseudo-header values wait in `buf`'s
 * tail until the head ends.
 */
struct h2_head {
	char			*buf;
	size_t			 cap;
	size_t			 len;		/* regular field lines */
	size_t			 tail;		/* pseudo values, from cap down */
	const struct http_limits *lim;
	struct http_request	 req;
	unsigned		 seen;		/* H2_PS_* */
	int			 regular;	/* a regular field came */
	int			 trailers;	/* a trailer section */
	size_t			 bytes;		/* decoded, as HTTP/1.1 counts */
	size_t			 ps_off[4], ps_len[4]; /* from buf + cap */
	size_t			 host_off, host_len; /* a host field */
	int			 has_host;
	int64_t			 content_length; /* -1: none */
	/* On H2_MALFORMED or H2_REFUSE: */
	int			 status;
	const char		*error;		/* static, for httperr */
};

/* Starts a head: buf of cap bytes, headers of n entries; lim may be NULL
 * (http_limits_default). trailers: a trailer section (no pseudo-header
 * fields; the fields are kept as headers). */
void	h2_head_init(struct h2_head *, char *buf, size_t cap,
	    struct http_header *headers, size_t n,
	    const struct http_limits *lim, int trailers);
/* One decoded field: H2_OK, H2_MALFORMED or H2_REFUSE. */
int	h2_head_field(struct h2_head *, const char *name, size_t nlen,
	    const char *value, size_t vlen);
/* The head ended: checks presence and forms, fills req (version 20,
 * host from :authority, content_length, chunked when no content-length
 * and the request has a body to come: see `body`). Returns the head's
 * length in buf (> 0), H2_MALFORMED or H2_REFUSE. body: END_STREAM did
 * not come with the head. */
int	h2_head_end(struct h2_head *, int body);

/* --- a connection's session ------------------------------------------ */

struct h2_session;

/*
 * The defences' budgets. Defaults (h2_limits_default): 100 concurrent
 * streams; a stream window of 64 KiB (what an application is credited
 * at first, so a client cannot send more than the application takes);
 * resets: a bucket of 200 that refills at 33 a second; control frames
 * (SETTINGS, PING, PRIORITY, WINDOW_UPDATE, empty DATA or HEADERS without
 * END_STREAM): a bucket of 1000 refilled at 100 a second; 8 CONTINUATION
 * frames per head. An empty bucket ends the connection with GOAWAY
 * ENHANCE_YOUR_CALM.
 */
struct h2_limits {
	const struct http_limits *http;		/* NULL: the defaults */
	uint32_t		 max_streams;	/* MAX_CONCURRENT_STREAMS */
	uint32_t		 window;	/* INITIAL_WINDOW_SIZE */
	uint32_t		 reset_burst, reset_rate;
	uint32_t		 flood_burst, flood_rate;
	uint32_t		 max_continuations;
};

extern const struct h2_limits h2_limits_default;

/* One stream: a request, then its response. */
struct h2_stream {
	int32_t			 id;
	struct h2_session	*s;
	void			*owner;		/* the exchange's; NULL until
						 * the request is taken */
	struct http_request	 req;		/* once ops->request ran */
	char			*head;		/* the synthesized head */
	size_t			 head_len;
	struct http_header	*hdrs;
	int64_t			 rx;		/* request body bytes in */
	struct http_header	*trailers;	/* on body_end, or NULL */
	size_t			 ntrailers;
	char			*tr_buf;
	/* Internal. */
	int			 refused;	/* no request: bytes dropped */
	int			 body;		/* a body follows the head */
	int			 resp;		/* a final response submitted */
	char			*obuf;		/* response body to send */
	size_t			 ooff, olen, ocap;
	int			 oend;		/* the application ended */
	void			*otrailers;	/* nghttp2_nv[], to submit */
	size_t			 notrailers;
	int			 deferred;
	struct h2_stream	*next, **prevp;	/* the session's */
};

/* What the session tells its owner. `arg` is h2_session_new's. */
struct h2_ops {
	/* A request head is whole: the owner takes st (sets st->owner).
	 * -1: the stream is refused (RST_STREAM REFUSED_STREAM). */
	int	(*request)(void *arg, struct h2_stream *);
	/* A head was refused. status > 0: the owner answers it (as HTTP/1.1
	 * would, e.g. 431) and logs why; 0: the stream was reset
	 * (malformed), log only. */
	void	(*refused)(void *arg, struct h2_stream *, int status,
		    const char *why);
	/* Request body bytes; the owner calls h2_consumed() as it passes
	 * them on (that is what reopens the client's window). */
	void	(*body)(void *arg, struct h2_stream *, const uint8_t *,
		    size_t);
	/* The request body ended (st->trailers holds its trailers). */
	void	(*body_end)(void *arg, struct h2_stream *);
	/* Response body bytes went into DATA frames: credit the
	 * application. */
	void	(*sent)(void *arg, struct h2_stream *, size_t);
	/* The stream is over (done, or reset by either side: code is the
	 * RST_STREAM error code, 0 when it ended well). st goes after. */
	void	(*closed)(void *arg, struct h2_stream *, uint32_t code);
	/* The connection ends for what the client did: HTTP.sys-style
	 * reason for httperr. */
	void	(*fatal)(void *arg, const char *reason);
};

int	h2_session_new(struct h2_session **, const struct h2_limits *,
	    const struct h2_ops *, void *arg);
void	h2_session_free(struct h2_session *);
/* Bytes from the client, at loop time now_ms: 0, or -1 when the
 * connection must end once its output (a GOAWAY) is flushed. */
int	h2_session_recv(struct h2_session *, const void *, size_t,
	    uint64_t now_ms);
/* The next bytes for the client (valid until the next call); 0 when none
 * wait, -1 on a fatal error. */
ssize_t	h2_session_output(struct h2_session *, const uint8_t **);
/* 1 when frames wait to go out (h2_session_output has more). */
int	h2_session_want_write(const struct h2_session *);
/* 1 while the connection has a reason to live (streams open, or not
 * yet told to go away). */
int	h2_session_alive(const struct h2_session *);
/* Gives back the room heads are decoded in while no head is under way
 * (it is made again when one comes): an idle connection holds only
 * libnghttp2's session. */
void	h2_session_trim(struct h2_session *);
/* The stream whose header block is under way (its HEADERS came, its
 * END_HEADERS not yet), or 0: the owner's header wait runs meanwhile. */
int32_t	h2_session_head_pending(const struct h2_session *);
/* GOAWAY NO_ERROR with the last stream id taken: streams under way
 * finish, new ones are refused. now 0 (drain, hand-over, a binding
 * removed): first a GOAWAY with the highest id and a PING, and the one
 * with the last id once the PING's ACK shows the client has seen it, so
 * that no stream already on its way is lost (RFC 9113 §6.8); now 1 (idle
 * timeout, a connection about to close): the last id at once. */
void	h2_session_goaway(struct h2_session *, int now);
/* Counters for servicestate and metrics. */
void	h2_session_counts(const struct h2_session *, uint64_t *streams,
	    uint64_t *resets);

/* The response: a 1xx interim head (end ignored), or the final head,
 * with END_STREAM when end. Header names are sent lowercase; fields
 * that belong to HTTP/1.1 connections are left out. 0 or -1. */
int	h2_respond(struct h2_stream *, int status, const struct http_header *,
	    size_t n, int end);
/* Response body bytes (kept until DATA frames take them; the owner
 * bounds them by the application's credit), and its end. */
int	h2_write(struct h2_stream *, const void *, size_t, int end);
/* Trailers, sent after the body (before h2_write's end). */
int	h2_trailers(struct h2_stream *, const struct http_header *, size_t);
/* Request body bytes passed on: the client's windows reopen. */
void	h2_consumed(struct h2_stream *, size_t);
/* RST_STREAM with an HTTP/2 error code (0x8 CANCEL, 0x7 REFUSED_STREAM,
 * 0x2 INTERNAL_ERROR). */
void	h2_reset(struct h2_stream *, uint32_t code);

#endif
