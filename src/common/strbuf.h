/*
 * strbuf — a growable text buffer for output built in pieces (the
 * daemon's STATE reply and metrics page). An allocation failure sticks:
 * later appends do nothing and strbuf_failed() says so, so callers check
 * once at the end.
 */
#ifndef HSYS_COMMON_STRBUF_H
#define HSYS_COMMON_STRBUF_H

#include <stddef.h>

struct strbuf {
	char	*s;
	size_t	 len, cap;
	int	 failed;
};

void	strbuf_printf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	strbuf_add(struct strbuf *, const char *, size_t);
/* s as a JSON string, quotes included; bytes that are not printable
 * ASCII are escaped as \u00XX. */
void	strbuf_json(struct strbuf *, const char *s);
int	strbuf_failed(const struct strbuf *);
void	strbuf_free(struct strbuf *);

#endif
