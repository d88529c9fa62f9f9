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
 * field-line rules of the head and are counted and dropped: hsysd does not
 * pass trailers to applications, so Content-Length, Transfer-Encoding or
 * Host in a trailer can change nothing (RFC 9110 §6.5.1 allows discarding).
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

/* One byte of a trailer line (the field-line rules of the head). */
static int
trailer_byte(struct http_chunked *c, unsigned char b)
{
	const struct http_limits *lim = c->lim;

	if (++c->trailer_bytes > lim->max_head)
		return cfail(c, 431, "trailer section too large");
	if (++c->line_len > lim->max_header_line + 2)
		return cfail(c, 431, "trailer line too long");
	switch (c->state) {
	case CS_TR_START:
		if (b == '\r')
			c->state = CS_END_LF;
		else if (b == ' ' || b == '\t')
			return cfail(c, 400, "obsolete line folding");
		else if (!HTTP_IS(b, HC_TOKEN))
			return cfail(c, 400, "invalid field name");
		else if (c->ntrailers == lim->max_headers)
			return cfail(c, 431, "too many trailer fields");
		else
			c->state = CS_TR_NAME;
		return 0;
	case CS_TR_NAME:
		if (b == ':')
			c->state = CS_TR_VALUE;
		else if (!HTTP_IS(b, HC_TOKEN))
			return cfail(c, 400, "invalid field name");
		return 0;
	case CS_TR_VALUE:
		if (b == '\r')
			c->state = CS_TR_LF;
		else if (!HTTP_IS(b, HC_VALUE))
			return cfail(c, 400,
			    "control character in field value");
		return 0;
	case CS_TR_LF:
		if (b != '\n')
			return cfail(c, 400, "bare CR");
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
