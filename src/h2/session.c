/*
 * session — one HTTP/2 connection over memory: libnghttp2's session, the
 * callbacks that make each stream a request for the owner (h2_ops), the
 * response side with back-pressure, and the defences. See h2.h.
 *
 * Back-pressure, both ways. Request bodies: WINDOW_UPDATEs are not
 * automatic; a stream's window reopens only as the owner passes bytes on
 * (h2_consumed), so a slow application shrinks the client's window and
 * nothing here buffers a body. Responses: bytes wait in the stream's
 * obuf, bounded by the credit the owner gives the application, and leave
 * as the client's window allows; ops->sent tells the owner to credit
 * the application again.
 *
 * Defences (each tested in tests/unit/test_h2_session.c): resets through
 * nghttp2's token bucket (rapid reset, CVE-2023-44487), a bucket of our
 * own for control and empty frames (SETTINGS, PING, PRIORITY,
 * WINDOW_UPDATE, empty DATA; CVE-2019-9512/9515/9518), nghttp2's cap on
 * CONTINUATION frames (2024) and on unacknowledged ACKs it must send, and
 * the decoded header list capped by MaxRequestBytes as fields arrive
 * (HPACK bombs: nothing is kept beyond it; nghttp2 bounds one field).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "h2/h2.h"

#define H2_SLACK	64		/* the request line and host line */
#define H2_BYE		"hsys-bye"	/* the PING after a shutdown notice */

const struct h2_limits h2_limits_default = {
	.http = NULL,
	.max_streams = 100,
	.window = 65536,
	.reset_burst = 200,
	.reset_rate = 33,
	.flood_burst = 1000,
	.flood_rate = 100,
	.max_continuations = 8,
};

struct h2_session {
	nghttp2_session		*ng;
	struct h2_limits	 lim;
	const struct http_limits *http;
	const struct h2_ops	*ops;
	void			*arg;
	/* The head being decoded (one at a time: header blocks of
	 * different streams never interleave, RFC 9113 §4.3). */
	char			*scratch;
	size_t			 scap;
	struct http_header	*shdrs;
	size_t			 nshdrs;
	struct h2_head		 head;
	struct h2_stream	*head_of;	/* whose head it is */
	int			 head_rc;	/* first refusal, or H2_OK */
	/* Control-frame bucket. */
	uint64_t		 tokens;	/* x1000 */
	uint64_t		 last_ms;
	int			 fatal;
	const char		*why;
	int			 goaway;	/* 1: the notice went; 2:
						 * the last id went */
	uint64_t		 streams, resets;
	uint64_t		 client_resets;
	int			 peer_goaway;
	struct h2_stream	*list;		/* every stream we hold */
};

static void
flood_refill(struct h2_session *s, uint64_t now)
{
	uint64_t max = (uint64_t)s->lim.flood_burst * 1000;

	if (now > s->last_ms) {
		s->tokens += (now - s->last_ms) * s->lim.flood_rate;
		if (s->tokens > max)
			s->tokens = max;
	}
	s->last_ms = now;
}

/* One control or empty frame; 0 when the bucket ran dry. */
static int
flood_take(struct h2_session *s)
{
	if (s->tokens < 1000)
		return 0;
	s->tokens -= 1000;
	return 1;
}

static void
fail(struct h2_session *s, uint32_t code, const char *why)
{
	if (s->fatal)
		return;
	s->fatal = 1;
	s->why = why;
	nghttp2_session_terminate_session(s->ng, code);
	if (s->ops->fatal != NULL)
		s->ops->fatal(s->arg, why);
}

/* --- streams -------------------------------------------------------- */

static void
stream_free(struct h2_stream *st)
{
	if (st == NULL)
		return;
	if ((*st->prevp = st->next) != NULL)
		st->next->prevp = st->prevp;
	free(st->head);
	free(st->tr_buf);
	free(st->obuf);
	free(st->otrailers);
	free(st);
}

static struct h2_stream *
stream_of(struct h2_session *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s->ng, id);
}

/* Fields of the head in scratch, into b (their bytes copied there). */
static void
move_fields(struct http_header *to, const struct http_header *from,
    size_t n, char *b, const char *was)
{
	size_t i;

	for (i = 0; i < n; i++) {
		to[i] = from[i];
		to[i].name = b + (from[i].name - was);
		to[i].value = b + (from[i].value - was);
	}
}

/* The head in scratch, copied out: the request's own buffer, its bytes
 * then its header table. */
static int
keep_head(struct h2_stream *st, struct h2_head *h, size_t len)
{
	size_t n = h->req.nheaders, al = (len + 15) & ~(size_t)15;
	char *b;

	if ((b = malloc(al + (n + 1) * sizeof(*st->hdrs))) == NULL)
		return -1;
	memcpy(b, h->buf, len);
	st->hdrs = (struct http_header *)(void *)(b + al);
	move_fields(st->hdrs, h->req.headers, n, b, h->buf);
	st->req = h->req;
	st->req.headers = st->hdrs;
	st->req.header_cap = n;
	st->req.method = b + (h->req.method - h->buf);
	st->req.target = b + (h->req.target - h->buf);
	if (h->req.host != NULL)
		st->req.host = b + (h->req.host - h->buf);
	st->head = b;
	st->head_len = len;
	return 0;
}

static int
keep_trailers(struct h2_stream *st, struct h2_head *h, size_t len)
{
	size_t n = h->req.nheaders, al = (len + 15) & ~(size_t)15;
	char *b;

	if ((b = malloc(al + (n + 1) * sizeof(*st->trailers))) == NULL)
		return -1;
	memcpy(b, h->buf, len);
	st->trailers = (struct http_header *)(void *)(b + al);
	move_fields(st->trailers, h->req.headers, n, b, h->buf);
	st->ntrailers = n;
	st->tr_buf = b;
	return 0;
}

/* --- nghttp2's callbacks -------------------------------------------- */

/* The room a head is decoded in, made when a head comes (an idle
 * connection holds none: h2_session_trim gives it back). Pseudo values
 * wait in the tail while the lines grow: twice the head's limit holds
 * both. */
static int
scratch_get(struct h2_session *s)
{
	size_t nh;

	if (s->scratch != NULL)
		return 0;
	s->scap = 2 * (s->http->max_head ? s->http->max_head : 65536) +
	    H2_SLACK;
	nh = (s->http->max_headers ? s->http->max_headers : 1000) + 1;
	s->nshdrs = nh;
	/* Not zeroed: the head writes each field entry before it counts it
	 * (head.c), and with one stream at a time this room is made for
	 * every request (bench/callgrind h2). */
	if ((s->scratch = malloc(s->scap)) == NULL ||
	    (s->shdrs = malloc(nh * sizeof(*s->shdrs))) == NULL) {
		free(s->scratch);
		s->scratch = NULL;
		return -1;
	}
	return 0;
}

void
h2_session_trim(struct h2_session *s)
{
	if (s->head_of != NULL)
		return;
	free(s->scratch);
	free(s->shdrs);
	s->scratch = NULL;
	s->shdrs = NULL;
}

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st;
	int trailers = f->headers.cat != NGHTTP2_HCAT_REQUEST;

	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (scratch_get(s) == -1)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (!trailers) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		st->id = f->hd.stream_id;
		st->s = s;
		if ((st->next = s->list) != NULL)
			st->next->prevp = &st->next;
		s->list = st;
		st->prevp = &s->list;
		nghttp2_session_set_stream_user_data(ng, st->id, st);
		s->streams++;
	} else if ((st = stream_of(s, f->hd.stream_id)) == NULL)
		return 0;
	h2_head_init(&s->head, s->scratch, s->scap, s->shdrs, s->nshdrs,
	    s->http, trailers);
	s->head_of = st;
	s->head_rc = H2_OK;
	return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
    size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = s->head_of;
	int rc;

	(void)flags;
	if (st == NULL || st->id != f->hd.stream_id || s->head_rc != H2_OK)
		return 0;	/* refused already: decoded, not kept */
	rc = h2_head_field(&s->head, (const char *)name, nlen,
	    (const char *)value, vlen);
	if (rc == H2_OK)
		return 0;
	s->head_rc = rc;
	if (rc == H2_MALFORMED) {
		st->refused = 1;
		if (s->ops->refused != NULL)
			s->ops->refused(s->arg, st, 0, s->head.error);
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_PROTOCOL_ERROR);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	return 0;	/* H2_REFUSE: answered when the head ends */
}

static void
head_done(struct h2_session *s, struct h2_stream *st, int end_stream)
{
	struct h2_head *h = &s->head;
	int rc = s->head_rc;

	s->head_of = NULL;
	if (rc == H2_OK)
		rc = h2_head_end(h, !end_stream);
	if (rc == H2_MALFORMED) {
		st->refused = 1;
		if (s->ops->refused != NULL)
			s->ops->refused(s->arg, st, 0, h->error);
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_PROTOCOL_ERROR);
		return;
	}
	st->body = !end_stream;
	if (rc == H2_REFUSE || keep_head(st, h, (size_t)rc) == -1) {
		st->refused = 1;
		if (s->ops->refused != NULL)
			s->ops->refused(s->arg, st, rc == H2_REFUSE ?
			    h->status : 503, rc == H2_REFUSE ? h->error :
			    "out of memory");
		return;
	}
	if (s->ops->request(s->arg, st) == -1) {
		st->refused = 1;
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_REFUSED_STREAM);
	}
}

static void
trailers_done(struct h2_session *s, struct h2_stream *st)
{
	struct h2_head *h = &s->head;
	int rc = s->head_rc;

	s->head_of = NULL;
	if (rc == H2_OK)
		rc = h2_head_end(h, 0);
	if (rc < 0 || keep_trailers(st, h, (size_t)rc) == -1) {
		if (s->ops->refused != NULL)
			s->ops->refused(s->arg, st, 0, rc < 0 ? h->error :
			    "out of memory");
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id,
		    rc == H2_MALFORMED ? NGHTTP2_PROTOCOL_ERROR :
		    NGHTTP2_INTERNAL_ERROR);
		return;
	}
	if (!st->refused && st->owner != NULL && s->ops->body_end != NULL)
		s->ops->body_end(s->arg, st);
}

/* Frames that cost the client a token: control frames and frames that
 * carry nothing (they cost us work and give nothing). */
static int
flood_frame(const nghttp2_frame *f)
{
	switch (f->hd.type) {
	case NGHTTP2_SETTINGS:
	case NGHTTP2_PING:
		return !(f->hd.flags & NGHTTP2_FLAG_ACK);
	case NGHTTP2_PRIORITY:
	case NGHTTP2_WINDOW_UPDATE:
		return 1;
	case NGHTTP2_DATA:
		return f->hd.length == 0 &&
		    !(f->hd.flags & NGHTTP2_FLAG_END_STREAM);
	case NGHTTP2_HEADERS:
		return f->headers.cat == NGHTTP2_HCAT_HEADERS &&
		    f->hd.length == 0;
	default:
		return 0;
	}
}

static void	final_goaway(struct h2_session *);

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = stream_of(s, f->hd.stream_id);
	int end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

	(void)ng;
	if (flood_frame(f) && !flood_take(s)) {
		fail(s, NGHTTP2_ENHANCE_YOUR_CALM, "H2_Flood");
		return 0;
	}
	if (f->hd.type == NGHTTP2_RST_STREAM)
		s->client_resets++;
	if (f->hd.type == NGHTTP2_GOAWAY)
		s->peer_goaway = 1;
	if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK) &&
	    s->goaway == 1 && memcmp(f->ping.opaque_data, H2_BYE, 8) == 0)
		final_goaway(s);
	if (st == NULL)
		return 0;
	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (s->head_of != st)
			return 0;
		if (f->headers.cat == NGHTTP2_HCAT_REQUEST)
			head_done(s, st, end);
		else
			trailers_done(s, st);
		return 0;
	case NGHTTP2_DATA:
		if (end && !st->refused && st->owner != NULL &&
		    s->ops->body_end != NULL)
			s->ops->body_end(s->arg, st);
		return 0;
	default:
		return 0;
	}
}

static int
on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *p,
    size_t n, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = stream_of(s, id);

	(void)flags;
	if (st == NULL || st->refused || st->owner == NULL) {
		/* Nobody takes these: the windows reopen at once. */
		nghttp2_session_consume(ng, id, n);
		return 0;
	}
	st->rx += (int64_t)n;
	s->ops->body(s->arg, st, p, n);
	return 0;
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = stream_of(s, id);

	if (st == NULL)
		return 0;
	if (code != NGHTTP2_NO_ERROR)
		s->resets++;
	nghttp2_session_set_stream_user_data(ng, id, NULL);
	if (s->head_of == st)
		s->head_of = NULL;
	if (s->ops->closed != NULL)
		s->ops->closed(s->arg, st, code);
	stream_free(st);
	return 0;
}

static int
on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *f, int err,
    void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = stream_of(s, f->hd.stream_id);

	(void)ng;
	/* A head nghttp2's own §8 checks refused (reset already). */
	if (st != NULL && !st->refused && s->ops->refused != NULL) {
		st->refused = 1;
		s->ops->refused(s->arg, st, 0, nghttp2_strerror(err));
	}
	return 0;
}

/* --- the response body, through nghttp2's data provider ------------- */

static ssize_t
read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2_session *s = arg;
	struct h2_stream *st = src->ptr;
	size_t n = st->olen - st->ooff;

	(void)id;
	if (n > len)
		n = len;
	if (n == 0 && !st->oend) {
		st->deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	memcpy(buf, st->obuf + st->ooff, n);
	st->ooff += n;
	if (st->ooff == st->olen)
		st->ooff = st->olen = 0;
	if (st->oend && st->olen == 0) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (st->notrailers > 0) {
			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
			nghttp2_submit_trailer(ng, st->id, st->otrailers,
			    st->notrailers);
		}
	}
	if (n > 0 && st->owner != NULL && s->ops->sent != NULL)
		s->ops->sent(s->arg, st, n);
	return (ssize_t)n;
}

/* --- the session ---------------------------------------------------- */

static int
make_session(struct h2_session *s)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	int rc;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		return -1;
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		return -1;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
	    on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
	    on_stream_close);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb,
	    on_invalid_frame);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_no_closed_streams(opt, 1);
	nghttp2_option_set_max_continuations(opt, s->lim.max_continuations);
	nghttp2_option_set_stream_reset_rate_limit(opt, s->lim.reset_burst,
	    s->lim.reset_rate);
	nghttp2_option_set_max_outbound_ack(opt, 1000);
	nghttp2_option_set_max_settings(opt, 32);
	rc = nghttp2_session_server_new2(&s->ng, cb, s, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return rc == 0 ? 0 : -1;
}

static int
send_settings(struct h2_session *s)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->lim.max_streams },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, s->lim.window },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
		    (uint32_t)s->http->max_head },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
	};

	if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0)
		return -1;
	/* The connection's window: sixteen streams' worth, so that a few
	 * uploads run at full speed; each stream stays held to its own. */
	return nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE,
	    0, (int32_t)(s->lim.window * 16)) == 0 ? 0 : -1;
}

int
h2_session_new(struct h2_session **out, const struct h2_limits *lim,
    const struct h2_ops *ops, void *arg)
{
	struct h2_session *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->lim = lim != NULL ? *lim : h2_limits_default;
	s->http = s->lim.http != NULL ? s->lim.http : &http_limits_default;
	s->ops = ops;
	s->arg = arg;
	s->tokens = (uint64_t)s->lim.flood_burst * 1000;
	if (make_session(s) == -1 || send_settings(s) == -1) {
		h2_session_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
h2_session_free(struct h2_session *s)
{
	if (s == NULL)
		return;
	/* nghttp2 does not close the streams it holds when it goes: the
	 * owner is told here that they are over. */
	while (s->list != NULL) {
		if (s->ops->closed != NULL)
			s->ops->closed(s->arg, s->list, NGHTTP2_CANCEL);
		stream_free(s->list);
	}
	nghttp2_session_del(s->ng);
	free(s->scratch);
	free(s->shdrs);
	free(s);
}

/*
 * nghttp2 ended the session itself (its GOAWAY went out): resets beyond
 * its budget, or a connection error it answers so. Not when we said
 * GOAWAY, or the client did.
 */
static void
check_ended(struct h2_session *s)
{
	if (s->fatal || s->goaway || s->peer_goaway ||
	    nghttp2_session_want_read(s->ng))
		return;
	s->fatal = 1;
	s->why = s->client_resets > s->lim.reset_burst ? "H2_ResetFlood" :
	    "H2_Protocol";
	if (s->ops->fatal != NULL)
		s->ops->fatal(s->arg, s->why);
}

int
h2_session_recv(struct h2_session *s, const void *p, size_t n,
    uint64_t now_ms)
{
	ssize_t rc;

	if (s->fatal)
		return -1;
	flood_refill(s, now_ms);
	check_ended(s);
	if (s->fatal)
		return -1;
	rc = nghttp2_session_mem_recv(s->ng, p, n);
	if (rc < 0) {
		fail(s, NGHTTP2_PROTOCOL_ERROR, rc == NGHTTP2_ERR_FLOODED ?
		    "H2_Flood" : "H2_Protocol");
		return -1;
	}
	return s->fatal ? -1 : 0;
}

ssize_t
h2_session_output(struct h2_session *s, const uint8_t **p)
{
	ssize_t n = nghttp2_session_mem_send(s->ng, p);

	if (n == 0)
		check_ended(s);
	return n < 0 ? -1 : n;
}

int
h2_session_want_write(const struct h2_session *s)
{
	return nghttp2_session_want_write(s->ng);
}

int
h2_session_alive(const struct h2_session *s)
{
	return !s->fatal && (nghttp2_session_want_read(s->ng) ||
	    nghttp2_session_want_write(s->ng));
}

int32_t
h2_session_head_pending(const struct h2_session *s)
{
	return s->head_of != NULL ? s->head_of->id : 0;
}

static void
final_goaway(struct h2_session *s)
{
	s->goaway = 2;
	nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE,
	    nghttp2_session_get_last_proc_stream_id(s->ng), NGHTTP2_NO_ERROR,
	    NULL, 0);
}

void
h2_session_goaway(struct h2_session *s, int now)
{
	if (s->goaway == 2 || (s->goaway == 1 && !now))
		return;
	if (now || s->fatal || s->peer_goaway) {
		final_goaway(s);
		return;
	}
	s->goaway = 1;
	if (nghttp2_submit_shutdown_notice(s->ng) != 0 ||
	    nghttp2_submit_ping(s->ng, NGHTTP2_FLAG_NONE,
	    (const uint8_t *)H2_BYE) != 0)
		final_goaway(s);
}

void
h2_session_counts(const struct h2_session *s, uint64_t *streams,
    uint64_t *resets)
{
	*streams = s->streams;
	*resets = s->resets;
}

/* --- the response --------------------------------------------------- */

static int
hop_by_hop(const char *n, size_t len)
{
	static const char *const names[] = { "connection", "keep-alive",
	    "proxy-connection", "transfer-encoding", "upgrade", "te" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(n, names[i], len) ==
		    0)
			return 1;
	return 0;
}

/*
 * The fields as nghttp2_nv, copied into one allocation (names lowercased;
 * trailers wait in it until the body ends; the caller frees *mem); a
 * :status first when status > 0.
 */
static nghttp2_nv *
make_nv(int status, const struct http_header *h, size_t n, size_t *count,
    void **mem)
{
	size_t bytes = 4, i, k = 0, j;
	nghttp2_nv *nv;
	char *p;

	for (i = 0; i < n; i++)
		bytes += h[i].name_len + h[i].value_len;
	if ((nv = malloc((n + 1) * sizeof(*nv) + bytes)) == NULL)
		return NULL;
	p = (char *)(nv + n + 1);
	if (status > 0) {
		p[0] = (char)('0' + status / 100 % 10);
		p[1] = (char)('0' + status / 10 % 10);
		p[2] = (char)('0' + status % 10);
		nv[k++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)p, 7,
		    3, NGHTTP2_NV_FLAG_NONE };
		p += 3;
	}
	for (i = 0; i < n; i++) {
		if (hop_by_hop(h[i].name, h[i].name_len))
			continue;
		for (j = 0; j < h[i].name_len; j++)
			p[j] = (char)(h[i].name[j] >= 'A' && h[i].name[j] <= 'Z'
			    ? h[i].name[j] | 0x20 : h[i].name[j]);
		memcpy(p + h[i].name_len, h[i].value, h[i].value_len);
		nv[k++] = (nghttp2_nv){ (uint8_t *)p, (uint8_t *)p +
		    h[i].name_len, h[i].name_len, h[i].value_len,
		    NGHTTP2_NV_FLAG_NONE };
		p += h[i].name_len + h[i].value_len;
	}
	*count = k;
	*mem = nv;
	return nv;
}

int
h2_respond(struct h2_stream *st, int status, const struct http_header *h,
    size_t n, int end)
{
	nghttp2_data_provider dp = { .source.ptr = st, .read_callback =
	    read_body };
	size_t count;
	void *mem;
	nghttp2_nv *nv;
	int rc;

	if (st->resp || status < 100 || status > 999)
		return -1;
	if ((nv = make_nv(status, h, n, &count, &mem)) == NULL)
		return -1;
	if (status < 200)
		rc = nghttp2_submit_headers(st->s->ng, NGHTTP2_FLAG_NONE, st->id,
		    NULL, nv, count, NULL);
	else {
		st->resp = 1;
		st->oend = end;
		rc = nghttp2_submit_response(st->s->ng, st->id, nv, count,
		    end ? NULL : &dp);
	}
	free(mem);
	return rc == 0 ? 0 : -1;
}

int
h2_write(struct h2_stream *st, const void *p, size_t n, int end)
{
	size_t cap;
	char *nb;

	if (!st->resp || st->oend)
		return -1;
	if (st->ooff > 0) {
		memmove(st->obuf, st->obuf + st->ooff, st->olen - st->ooff);
		st->olen -= st->ooff;
		st->ooff = 0;
	}
	if (st->olen + n > st->ocap) {
		cap = st->ocap ? st->ocap : 16384;
		while (cap < st->olen + n)
			cap *= 2;
		if ((nb = realloc(st->obuf, cap)) == NULL)
			return -1;
		st->obuf = nb;
		st->ocap = cap;
	}
	if (n > 0)
		memcpy(st->obuf + st->olen, p, n);
	st->olen += n;
	st->oend = end;
	if (st->deferred) {
		st->deferred = 0;
		nghttp2_session_resume_data(st->s->ng, st->id);
	}
	return 0;
}

int
h2_trailers(struct h2_stream *st, const struct http_header *h, size_t n)
{
	size_t count;
	void *mem;

	if (!st->resp || st->oend || st->otrailers != NULL)
		return -1;
	if (make_nv(0, h, n, &count, &mem) == NULL)
		return -1;
	st->otrailers = mem;
	st->notrailers = count;
	return 0;
}

void
h2_consumed(struct h2_stream *st, size_t n)
{
	nghttp2_session_consume(st->s->ng, st->id, n);
}

void
h2_reset(struct h2_stream *st, uint32_t code)
{
	nghttp2_submit_rst_stream(st->s->ng, NGHTTP2_FLAG_NONE, st->id, code);
}
