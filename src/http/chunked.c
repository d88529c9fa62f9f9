/*
 * chunked — an incremental, in-place decoder of the chunked transfer coding
 * (RFC 9112 §7.1).
 *
 * The input may be cut anywhere, down to one byte per call, so the framing
 * is a byte-at-a-time state machine; only chunk data moves in bulk (one
 * memmove per piece of a chunk, towards the front of the caller's buffer).
 *
 * Strict where a lenient reading could let two parsers disagree on where
 * the body ends: hex digits only (no sign, no leading whitespace, no "0x"),
 * at most 2^62, the size line bounded; CRLF everywhere (no bare CR or LF);
 * CRLF enforced after each chunk's data.  Extensions are checked for
 * forbidden bytes and bounded, then ignored.  Trailer fields follow the
 * field-line rules of the head and are counted; they are kept (copied to
 * the caller's room) only when the caller asked.  The decoder never gives
 * a trailer any meaning: which fields a trailer may not carry
 * (Content-Length, Transfer-Encoding, Host, …) is the caller's decision.
 */
#include <string.h>

#include "http/chars.h"
#include "http/http.h"

enum {
	CS_SIZE_FIRST,		/* first hex digit of a chunk-size */
	CS_SIZE,		/* more digits, BWS, ';' or CR */
	CS_SIZE_WS,		/* BWS after the size: only ';' may follow */
	CS_EXT,			/* chunk extensions, up to CR */
	CS_SIZE_LF,
	CS_DATA,
	CS_DATA_CR,
	CS_DATA_LF,
	CS_TR_START,		/* a trailer line or the final CRLF */
	CS_TR_NAME,
	CS_TR_VALUE,
	CS_TR_LF,
	CS_END_LF,
	CS_DONE,
	CS_ERROR,
};

static int
cfail(struct http_chunked *c, int status, const char *why)
{
	c->state = CS_ERROR;
	c->status = status;
	c->error = why;
	return HTTP_ERROR;
}

void
http_chunked_init(struct http_chunked *c, const struct http_limits *lim)
{
	memset(c, 0, sizeof(*c));
	c->lim = lim != NULL ? lim : &http_limits_default;
	c->state = CS_SIZE_FIRST;
}

void
http_chunked_keep_trailers(struct http_chunked *c, char *buf, size_t cap,
    struct http_header *fields, size_t nfields)
{
	c->tr_buf = buf;
	c->tr_cap = cap;
	c->tr_len = 0;
	c->tr = fields;
	c->tr_max = nfields;
}

int
http_chunked_done(const struct http_chunked *c)
{
	return c->state == CS_DONE;
}

/* One byte of the chunk-size line. */
static int
size_byte(struct http_chunked *c, unsigned char b)
{
	if (++c->line_len > c->lim->max_chunk_line)
		return cfail(c, 400, "chunk-size line too long");
	switch (c->state) {
	case CS_SIZE_FIRST:
	case CS_SIZE:
		if (HTTP_IS(b, HC_HEX)) {
			if (c->remaining > (uint64_t)(HTTP_LENGTH_MAX >> 4))
				return cfail(c, 400, "chunk size too large");
			c->remaining = c->remaining << 4 | http_hexval(b);
			if (c->remaining > (uint64_t)HTTP_LENGTH_MAX)
				return cfail(c, 400, "chunk size too large");
			c->state = CS_SIZE;
			return 0;
		}
		if (c->state == CS_SIZE_FIRST)
			return cfail(c, 400, "invalid chunk size");
		if (b == '\r')
			c->state = CS_SIZE_LF;
		else if (b == ';')
			c->state = CS_EXT;
		else if (b == ' ' || b == '\t')
			c->state = CS_SIZE_WS;
		else
			return cfail(c, 400, "invalid chunk size");
		return 0;
	case CS_SIZE_WS:
		if (b == ';')
			c->state = CS_EXT;
		else if (b != ' ' && b != '\t')
			return cfail(c, 400, "invalid chunk extension");
		return 0;
	default:	/* CS_EXT */
		if (b == '\r')
			c->state = CS_SIZE_LF;
		else if (!HTTP_IS(b, HC_VALUE))
			return cfail(c, 400, "invalid chunk extension");
		return 0;
	}
}

/* Copies one byte of a trailer's name or value into the caller's room. */
static int
keep_byte(struct http_chunked *c, unsigned char b)
{
	if (c->tr_buf == NULL)
		return 0;
	if (c->tr_len == c->tr_cap)
		return cfail(c, 431, "trailer section too large");
	c->tr_buf[c->tr_len++] = (char)b;
	return 0;
}

/* A whole trailer line was read: describe it (value OWS trimmed). */
static void
keep_field(struct http_chunked *c)
{
	struct http_header *h;

	if (c->tr_buf == NULL)
		return;
	h = &c->tr[c->ntrailers];
	h->name = c->tr_buf + c->tr_name;
	h->name_len = c->tr_value - c->tr_name;
	h->value = c->tr_buf + c->tr_value;
	h->value_len = c->tr_value_end - c->tr_value;
	c->tr_len = c->tr_value_end;
}

/* One byte of a trailer line (the field-line rules of the head). */
static int
trailer_byte(struct http_chunked *c, unsigned char b)
{
	const struct http_limits *lim = c->lim;
	size_t max = lim->max_headers;

	if (c->tr_buf != NULL && c->tr_max < max)
		max = c->tr_max;
	if (++c->trailer_bytes > lim->max_head)
		return cfail(c, 431, "trailer section too large");
	if (++c->line_len > lim->max_header_line + 2)
		return cfail(c, 431, "trailer line too long");
	switch (c->state) {
	case CS_TR_START:
		if (b == '\r') {
			c->state = CS_END_LF;
			return 0;
		}
		if (b == ' ' || b == '\t')
			return cfail(c, 400, "obsolete line folding");
		if (!HTTP_IS(b, HC_TOKEN))
			return cfail(c, 400, "invalid field name");
		if (c->ntrailers == max)
			return cfail(c, 431, "too many trailer fields");
		c->state = CS_TR_NAME;
		c->tr_name = c->tr_len;
		return keep_byte(c, b);
	case CS_TR_NAME:
		if (b == ':') {
			c->state = CS_TR_VALUE;
			c->tr_value = c->tr_value_end = c->tr_len;
			return 0;
		}
		if (!HTTP_IS(b, HC_TOKEN))
			return cfail(c, 400, "invalid field name");
		return keep_byte(c, b);
	case CS_TR_VALUE:
		if (b == '\r') {
			c->state = CS_TR_LF;
			return 0;
		}
		if (!HTTP_IS(b, HC_VALUE))
			return cfail(c, 400,
			    "control character in field value");
		/* Leading OWS is not kept; trailing OWS is cut at the end. */
		if ((b == ' ' || b == '\t') && c->tr_len == c->tr_value)
			return 0;
		if (keep_byte(c, b) == HTTP_ERROR)
			return HTTP_ERROR;
		if (b != ' ' && b != '\t')
			c->tr_value_end = c->tr_len;
		return 0;
	case CS_TR_LF:
		if (b != '\n')
			return cfail(c, 400, "bare CR");
		keep_field(c);
		c->ntrailers++;
		c->line_len = 0;
		c->state = CS_TR_START;
		return 0;
	default:	/* CS_END_LF */
		if (b != '\n')
			return cfail(c, 400, "bare CR");
		c->state = CS_DONE;
		return 0;
	}
}

/* One framing byte (anything but chunk data). */
static int
frame_byte(struct http_chunked *c, unsigned char b)
{
	switch (c->state) {
	case CS_SIZE_FIRST:
	case CS_SIZE:
	case CS_SIZE_WS:
	case CS_EXT:
		return size_byte(c, b);
	case CS_SIZE_LF:
		if (b != '\n')
			return cfail(c, 400, "bare CR");
		c->line_len = 0;
		c->state = c->remaining == 0 ? CS_TR_START : CS_DATA;
		return 0;
	case CS_DATA_CR:
		if (b != '\r')
			return cfail(c, 400, "missing CRLF after chunk data");
		c->state = CS_DATA_LF;
		return 0;
	case CS_DATA_LF:
		if (b != '\n')
			return cfail(c, 400, "missing CRLF after chunk data");
		c->state = CS_SIZE_FIRST;
		return 0;
	default:
		return trailer_byte(c, b);
	}
}

int
http_chunked_decode(struct http_chunked *c, char *buf, size_t *len)
{
	size_t	 r = 0, w = 0, n = *len;

	if (c->state == CS_ERROR) {
		*len = 0;
		return HTTP_ERROR;
	}
	while (r < n && c->state != CS_DONE) {
		if (c->state == CS_DATA) {
			size_t	 k = n - r;

			if (k > c->remaining)
				k = (size_t)c->remaining;
			if (w != r)
				memmove(buf + w, buf + r, k);
			w += k;
			r += k;
			c->remaining -= k;
			if (c->remaining == 0)
				c->state = CS_DATA_CR;
			continue;
		}
		if (frame_byte(c, (unsigned char)buf[r++]) == HTTP_ERROR) {
			*len = 0;
			return HTTP_ERROR;
		}
	}
	*len = w;
	return c->state == CS_DONE ? (int)r : HTTP_INCOMPLETE;
}
