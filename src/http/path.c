/*
 * path — the "cooked" path used to route a request (HTTP.sys's CookedUrl):
 * the target's path, percent-decoded, then with dot segments removed
 * (RFC 3986 §5.2.4), in one pass into the caller's buffer.
 *
 * Decoding comes before dot-segment removal, so "/app/%2e%2e/admin/" and
 * "/app/../admin/" both cook to "/admin/": the router and the application
 * must never see different paths for one request.  What we refuse (400):
 * bad escapes, any control byte (raw or decoded, NUL included), raw
 * non-ASCII, decoded bytes that are not strict UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF), backslash raw or encoded (a
 * Windows application would treat it as '/', a Linux one would not: an
 * ambiguity we refuse instead of resolving), '#', and a ".." that would
 * climb above the root.
 *
 * "%2F" and "%25" stay encoded (uppercased) in the cooked path: a decoded
 * '/' could otherwise create a segment boundary ("/app%2F..%2Fadmin") and a
 * decoded '%' a new escape for someone who decodes again.  So every '%' in a
 * cooked path starts "%2F" or "%25", and "%252e" cooks to "%252e", never '.'.
 */
#include <string.h>
#include <strings.h>

#include "http/chars.h"
#include "http/http.h"

/* A strict UTF-8 checker, fed one decoded byte at a time. */
struct utf8 {
	unsigned	 need;		/* continuation bytes still expected */
	unsigned char	 lo, hi;	/* range of the next byte */
};

static int
utf8_byte(struct utf8 *u, unsigned char c)
{
	if (u->need > 0) {
		if (c < u->lo || c > u->hi)
			return -1;
		u->need--;
		u->lo = 0x80;
		u->hi = 0xbf;
		return 0;
	}
	if (c < 0x80)
		return 0;
	u->lo = 0x80;
	u->hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		u->need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		u->need = 2;
		if (c == 0xe0)
			u->lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			u->hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		u->need = 3;
		if (c == 0xf0)
			u->lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			u->hi = 0x8f;	/* above U+10FFFF */
	} else
		return -1;	/* continuation, overlong C0/C1, F5-FF */
	return 0;
}

static int
pfail(struct http_cooked *ck, const char *why)
{
	ck->status = 400;
	ck->error = why;
	return HTTP_ERROR;
}

/*
 * Ends the segment out[seg .. *w) at a '/' or at the end of the path.
 * Returns 1 if a '/' should still be written, 0 if the segment was a dot
 * segment (its '/' is already there), -1 if ".." climbs above the root.
 */
static int
end_segment(char *out, size_t seg, size_t *w)
{
	size_t	 n = *w - seg;

	if (n == 1 && out[seg] == '.') {
		*w = seg;
		return 0;
	}
	if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
		if (seg == 1)
			return -1;
		*w = seg - 1;
		while (out[*w - 1] != '/')
			(*w)--;
		return 0;
	}
	return 1;
}

/* Decodes "%XX" at p (p + 3 <= e checked here); returns the byte or -1. */
static int
unescape(const char *p, const char *e)
{
	if (e - p < 3 || !HTTP_IS(p[1], HC_HEX) || !HTTP_IS(p[2], HC_HEX))
		return -1;
	return (int)(http_hexval((unsigned char)p[1]) << 4 |
	    http_hexval((unsigned char)p[2]));
}

/* Skips "http://authority" of an absolute-form target; NULL if not one. */
static const char *
skip_authority(const char *p, const char *e)
{
	size_t	 n = (size_t)(e - p);

	if (n >= 7 && strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else
		return NULL;
	while (p < e && *p != '/' && *p != '?')
		p++;
	return p;
}

/* The decode-and-normalize loop over the path bytes [p, e). */
static int
cook(const char *p, const char *e, char *out, struct http_cooked *ck)
{
	struct utf8	 u = { 0, 0x80, 0xbf };
	size_t		 w = 1, seg = 1;
	int		 c, r;

	out[0] = '/';
	for (p++; p < e; p++) {
		c = (unsigned char)*p;
		if (c == '/') {
			if (u.need > 0)
				return pfail(ck, "invalid UTF-8 in path");
			if ((r = end_segment(out, seg, &w)) < 0)
				return pfail(ck, "path climbs above the root");
			if (r > 0)
				out[w++] = '/';
			seg = w;
			continue;
		}
		if (c == '\\')
			return pfail(ck, "backslash in path");
		if (!HTTP_IS(c, HC_TARGET))
			return pfail(ck, "invalid character in path");
		if (c == '%') {
			if ((c = unescape(p, e)) < 0)
				return pfail(ck, "invalid percent-encoding");
			p += 2;
			if (c < 0x20 || c == 0x7f)
				return pfail(ck, "encoded control character");
			if (c == '\\')
				return pfail(ck, "encoded backslash in path");
			if (c == '/' || c == '%') {
				if (u.need > 0)
					return pfail(ck, "invalid UTF-8");
				memcpy(out + w, c == '/' ? "%2F" : "%25", 3);
				w += 3;
				continue;
			}
		}
		if (utf8_byte(&u, (unsigned char)c) < 0)
			return pfail(ck, "invalid UTF-8 in path");
		out[w++] = (char)c;
	}
	if (u.need > 0)
		return pfail(ck, "invalid UTF-8 in path");
	if (end_segment(out, seg, &w) < 0)
		return pfail(ck, "path climbs above the root");
	return (int)w;
}

int
http_path_cook(const char *t, size_t len, char *out, size_t cap,
    struct http_cooked *ck)
{
	const char	*p = t, *e = t + len, *q;
	int		 n;

	memset(ck, 0, sizeof(*ck));
	if (len == 0 || cap < len)
		return pfail(ck, "empty target or output buffer too small");
	if (*p != '/' && (p = skip_authority(p, e)) == NULL)
		return pfail(ck, "not an origin-form or absolute-form target");
	if ((q = memchr(p, '?', (size_t)(e - p))) != NULL) {
		ck->query = q + 1;
		ck->query_len = (size_t)(e - q - 1);
		e = q;
	}
	if (p == e) {
		/* absolute-form without a path: "http://host" means "/". */
		out[0] = '/';
		ck->path = out;
		ck->path_len = 1;
		return 1;
	}
	if ((n = cook(p, e, out, ck)) < 0)
		return n;
	ck->path = out;
	ck->path_len = (size_t)n;
	return n;
}
