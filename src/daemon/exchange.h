/*
 * exchange — one request between a client-side framing and an
 * application: its id, its route and queue (503 when the queue is full),
 * the wait for a process, the REQUEST frame and the request body down the
 * data channel, and the application's frames coming back, checked and
 * handed to the framing to write. See docs/protocol.md.
 *
 * The exchange knows nothing of how the client's bytes are framed. A
 * framing (HTTP/1.1 in conn.c; HTTP/2 next) owns the client's side: it
 * parses a request head, feeds the request body, and writes responses in
 * its own framing. What it gives the exchange: a parsed request head
 * (struct exchange_head) and body bytes (exchange_body,
 * exchange_trailers). What it gets back, through its struct exchange_ops:
 * "the request went" (started), "it waits for a process" (waiting,
 * resume), an answer the daemon makes itself (answer: 400, 404, 503, the
 * metrics page...), the application's response head (head), body bytes
 * (body), more credit for the request body (credit), and failures (fail).
 *
 * Everything runs on the worker's thread. One struct exchange per request
 * in flight at a time; a framing embeds it in its connection (HTTP/1.1)
 * or stream (HTTP/2) and reuses it for the next request.
 *
 * The life of one request:
 *
 *	exchange_init(x, w, ops, &client)	once, with the connection's
 *						facts (struct exchange_client)
 *	exchange_start(x, &head)		route; then exactly one of
 *	    ops->answer()			the daemon answered itself
 *	    ops->waiting() ... ops->resume()	no process yet: the framing
 *						calls exchange_start again
 *						from resume (or gets an
 *						answer: 503 AppOffline)
 *	    ops->started()			the REQUEST went: the body
 *						may flow
 *	exchange_body(x, p, n, end)		within exchange_credit(x)
 *	    ops->credit()			the application granted more
 *	    ops->head(), ops->body()		the response, as it comes
 *	    ops->trailers()			its end, with trailer fields
 *	    ops->fail()				the application cancelled, its
 *						channel died, or it broke the
 *						protocol for this request
 *	exchange_sent(x, n); exchange_credit_back(x, all_out)
 *						the client took response
 *						bytes: the application may
 *						send as many more
 *	exchange_cancel(x)			the client side gives up:
 *						CANCEL to the application
 *	exchange_finish(x, status)		the request is over (status
 *						0: cut short), for the queue's
 *						counters; always, last
 *
 * After answer() or fail() the exchange holds no id (no frame of the
 * application reaches it any more); the framing still calls
 * exchange_finish once the answer is out, which frees its queue place
 * and ends its counters.
 */
#ifndef HSYS_DAEMON_EXCHANGE_H
#define HSYS_DAEMON_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "daemon/waitlist.h"
#include "proto/exchange.h"

struct cache_entry;
struct channel;
struct exchange;
struct http_header;
struct http_request;
struct proto_frame;
struct qgate;
struct queue_stats;
struct url_prefix;
struct worker;

/* What the framing knows of its client; pointed to for the exchange's
 * life (the REQUEST frame and routing read it). */
struct exchange_client {
	uint64_t		 id;		/* the connection's, for logs */
	uint16_t		 port;		/* the local port it came in on */
	int			 tls;		/* https */
	SSL			*ssl;		/* NULL: cleartext */
	const struct sockaddr_storage *peer, *local;
	/* tls_describe's text, written once the handshake is done (the
	 * version, cipher and group do not change after it); "" before,
	 * or when it does not fit: each REQUEST then describes it anew. */
	char			 tls_desc[64];
};

/*
 * A parsed request head. req's pointers (method, target, host, headers)
 * point into raw[0 .. raw_len), which goes to the application as the
 * REQUEST's raw head (spans are offsets into it): HTTP/1.1 passes the
 * bytes it read, HTTP/2 a head it synthesizes. Both must stay unchanged
 * until the exchange ends, and across a wait (exchange_start is called
 * again with them). Only the semantics of req are used (method, target
 * and its form, version, Host or :authority, content_length or chunked,
 * expect_continue), never its framing.
 */
/* The longest request-target a framing may pass (the cooked path's
 * scratch buffer, allocated once per worker, is that long). */
#define EXCHANGE_TARGET_MAX	((64u << 10) + (4u << 10))
/* The most header fields a head may have (MaxHeaderCount's ceiling). */
#define EXCHANGE_FIELDS_MAX	1000

struct exchange_head {
	const struct http_request *req;
	const char		*raw;
	size_t			 raw_len;
	int			 keep_alive;	/* the REQUEST's KEEP_ALIVE flag */
	int			 upgrade;	/* may switch protocols (a 101) */
};

/*
 * The application's response head, checked: status 100-999, header
 * names are tokens, values and the reason have no CR, LF or NUL,
 * Content-Length is all digits (the last one given counts). Valid during
 * the head op only.
 */
struct exchange_resp {
	int			 status;
	const unsigned char	*reason;	/* rlen 0: use the standard one */
	uint32_t		 rlen;
	uint32_t		 nfields;	/* exchange_resp_field() */
	int64_t			 content_length; /* -1: none given */
	int			 end;		/* no body follows */
	int			 upgrade;	/* an Upgrade field is given */
	int			 cache;		/* may be cached (docs/cache.md) */
	uint32_t		 cache_ttl;	/* seconds; 0: until flushed */
	/* Private: the checked frame, and where its bytes area starts. */
	const struct proto_frame *frame;
	size_t			 area;
};

struct exchange_field {
	const unsigned char	*name;
	uint32_t		 nlen;
	const unsigned char	*value;
	uint32_t		 vlen;
};

/* A response the daemon makes itself (answer.h builds them). */
struct exchange_answer {
	int			 status;
	const char		*ctype;		/* Content-Type */
	const char		*body;
	size_t			 len;
	int			 close;		/* the connection ends after it */
	const char		*reason;	/* httperr's reason; NULL: none */
	int			 error;		/* an error page: to a HEAD,
						 * Content-Length: 0 */
};

/*
 * What a framing does for the exchange; all are required. When one
 * returns the framing may have ended the request or its connection: the
 * exchange touches nothing after calling one but its own fields, so the
 * framing frees the memory holding a struct exchange no sooner than the
 * loop's deferred work (loop_defer), as conn.c does.
 */
struct exchange_ops {
	/* The REQUEST went to an application: the body may flow. */
	void	(*started)(struct exchange *);
	/* No process of the queue on this worker yet: the request waits
	 * (the framing goes on watching its client, within its buffer). */
	void	(*waiting)(struct exchange *);
	/* The wait ended with a process there: call exchange_start again
	 * (the route may have changed meanwhile). */
	void	(*resume)(struct exchange *);
	/* The daemon answers itself: a whole response, never after head(). */
	void	(*answer)(struct exchange *, const struct exchange_answer *);
	/* The application's head, interim (1xx) or final. Returns 1 when
	 * the response is complete with it (no body will follow, for the
	 * framing's reasons too: HEAD, 204, 304), 0 when a body may follow,
	 * -1 when the framing cannot honour it (a 101 it did not ask for):
	 * the exchange then fails the request as a malformed RESPONSE. */
	int	(*head)(struct exchange *, const struct exchange_resp *);
	/* Response body bytes, within the credit; end: the last. Returns 1
	 * when the response is complete, 0 when more may come, -1 when the
	 * framing will take no more (the data channel is cut off). */
	int	(*body)(struct exchange *, const void *, size_t, int end);
	/* The application granted `bytes` more credit for the request body
	 * (exchange_credit(x) is the new total). */
	void	(*credit)(struct exchange *, uint32_t bytes);
	/* The request failed on the application's side: answer `status`
	 * if nothing of the response went yet, else end the client's
	 * stream or connection. reason: httperr's reason, or NULL. */
	void	(*fail)(struct exchange *, int status, const char *reason);
	/* After the exchange passed an application frame on (head, body):
	 * the framing flushes and goes on. */
	void	(*progress)(struct exchange *);
	/* The response ends with trailer fields (RESP_DATA with TRAILERS,
	 * checked: tokens, clean values, no field a trailer may not carry;
	 * n may be 0). As body() with end: returns 1, or -1. A framing that
	 * cannot carry them (HTTP/1.1 without chunking) ends the body
	 * without them. */
	int	(*trailers)(struct exchange *, const struct http_header *,
		    size_t n);
};

/* Read-only to framings; exchange.c alone writes it. */
struct exchange {
	struct worker			*w;
	const struct exchange_ops	*ops;
	const struct exchange_client	*client;
	const struct exchange_head	*head;	/* of the request in flight */
	uint64_t			 xid;	/* 0: none (not sent, or over) */
	struct channel			*ch;	/* NULL: none */
	uint32_t			 req_credit; /* REQ_DATA the app takes */
	uint64_t			 resp_credit; /* RESP_DATA it may send */
	uint32_t			 resp_owed; /* sent, not yet credited */
	int64_t				 body_max; /* MaxRequestBodySize; -1 */
	int64_t				 body_seen;
	int				 upgraded; /* a 101 went: no body limit */
	int				 final;	/* the final head went */
	int				 ended;	/* the whole response went */
	struct queue_stats		*qs;	/* its queue's counters */
	struct qgate			*gate;	/* its place in its queue */
	const struct url_prefix		*route;	/* what routed it; identity
						 * only (the response cache) */
	uint32_t			 queue;	/* where it went */
	struct cache_entry		*fill;	/* its response, being cached */
	struct waiter			 waiter;
};

void	exchange_init(struct exchange *, struct worker *,
	    const struct exchange_ops *, const struct exchange_client *);

/* Routes the request and sends it, or answers, or waits (see above). */
void	exchange_start(struct exchange *, const struct exchange_head *);

/*
 * Request body bytes for the application, n at most exchange_credit(x)
 * (and PROTO_MAX_FRAME); end: the body is over. Returns 0, -1 when the
 * channel is going (stop feeding: fail() follows when it is gone), or
 * EXCHANGE_TOO_LARGE when the body grew past MaxRequestBodySize: the
 * application's request was cancelled and the framing answers 413 (or
 * ends the stream if the response began). After a 101 the bytes are the
 * tunnel's, and no limit applies.
 */
#define EXCHANGE_TOO_LARGE	(-2)
int	exchange_body(struct exchange *, const void *, size_t, int end);
/* The body's last act: a trailers payload (trailers.h; len 0: none) and
 * END. */
int	exchange_trailers(struct exchange *, const void *, size_t);

/* The client took n bytes of the response; exchange_credit_back() then
 * credits them to the application when all went (all_out) or enough
 * waits. */
static inline void
exchange_sent(struct exchange *x, size_t n)
{
	if (x->final)
		x->resp_owed += (uint32_t)n;
}
void	exchange_credit_back(struct exchange *, int all_out);

/* The client side ends the request early: the application is told
 * (CANCEL) if it holds it, a wait ends. The queue's counters wait for
 * exchange_finish. */
void	exchange_cancel(struct exchange *);
/* The request is over: its queue's counters end with status (0: cut
 * short), its id is forgotten without a CANCEL (both sides ended). */
void	exchange_finish(struct exchange *, int status);

static inline uint32_t
exchange_credit(const struct exchange *x)
{
	return x->req_credit;
}

/* Whether the application holds the request (an id on a channel). */
static inline int
exchange_active(const struct exchange *x)
{
	return x->ch != NULL;
}

/* The i-th field of a response head (i < nfields). */
static inline void
exchange_resp_field(const struct exchange_resp *r, uint32_t i,
    struct exchange_field *f)
{
	struct proto_field fl;

	proto_field_at(r->frame->payload, PROTO_RESPONSE_FIXED, r->area, i,
	    &fl);
	f->name = fl.name;
	f->nlen = fl.name_len;
	f->value = fl.value;
	f->vlen = fl.value_len;
}

/* Whether a field's name is `name` (given in lowercase), in any case. */
static inline int
exchange_name_is(const unsigned char *s, uint32_t n, const char *name)
{
	return strlen(name) == n &&
	    strncasecmp((const char *)s, name, n) == 0;
}

/* A frame from an application about request `f->id`. -1: the frame was
 * malformed (the channel is cut off). */
int	exchange_from_app(struct worker *, struct channel *,
	    const struct proto_frame *);
/* A channel died: its requests in flight fail (503, or reset). */
void	exchange_channel_lost(struct worker *, struct channel *);

#endif
