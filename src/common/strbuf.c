/*
 * strbuf — a growable text buffer. See strbuf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static int
reserve(struct strbuf *b, size_t n)
{
	size_t cap;
	char *ns;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((ns = realloc(b->s, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->s = ns;
	b->cap = cap;
	return 0;
}

void
strbuf_add(struct strbuf *b, const char *p, size_t n)
{
	if (reserve(b, n) == -1)
		return;
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
strbuf_json(struct strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_add(b, "\"", 1);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_printf(b, "\\u%04x", *p);
		else
			strbuf_add(b, (const char *)p, 1);
	}
	strbuf_add(b, "\"", 1);
}

int
strbuf_failed(const struct strbuf *b)
{
	return b->failed;
}

void
strbuf_free(struct strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
