/*
 * chars — the character classes shared by the HTTP parsers, as one table so
 * that every test is a load and a mask (no branches per class, no locale).
 */
#ifndef HSYS_HTTP_CHARS_H
#define HSYS_HTTP_CHARS_H

#define HC_TOKEN	0x01	/* tchar (RFC 9110 §5.6.2) */
#define HC_VALUE	0x02	/* field-vchar, SP, HTAB, obs-text */
#define HC_TARGET	0x04	/* visible ASCII but '#' */
#define HC_HOST		0x08	/* reg-name subset we accept */
#define HC_HEX		0x10	/* HEXDIG */

extern const unsigned char http_cc[256];

#define HTTP_IS(c, cls)	(http_cc[(unsigned char)(c)] & (cls))

/* ASCII lowercase of a letter; other bytes as they are. */
static inline unsigned char
http_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* The value of a hex digit already known to be HC_HEX. */
static inline unsigned
http_hexval(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

#endif
