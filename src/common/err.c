/*
 * err — building error messages. See err.h.
 *
 * A message is one line: it often quotes what a user typed or a file held
 * (a key, a DN, a batch line), and a control character in it (a newline,
 * an escape sequence) would forge lines on a terminal or in a log, so
 * each one becomes '?' (the fuzz targets assert one-line messages).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "common/err.h"

static void
err_one_line(struct err *e)
{
	unsigned char *p;

	for (p = (unsigned char *)e->msg; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void
err_vset(struct err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	err_one_line(e);
}

static void
err_append(struct err *e, const char *s)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", s);
	err_one_line(e);
}

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	e->code = 0;
	return -1;
}

int
err_sys(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	err_append(e, strerror(saved));
	e->code = saved;
	errno = saved;
	return -1;
}

int
err_ssl(struct err *e, const char *fmt, ...)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason;
	va_list ap;

	if (e == NULL) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	reason = code ? ERR_reason_error_string(code) : NULL;
	if (reason != NULL)
		err_append(e, reason);
	ERR_clear_error();
	e->code = 0;
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char head[ERR_MAX], old[ERR_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation is fine: the head says what failed, the tail why. */
	if (snprintf(e->msg, sizeof(e->msg), "%.*s: %s", ERR_MAX / 2, head,
	    old) < 0)
		e->msg[0] = '\0';
	err_one_line(e);
	return -1;
}

void
err_clear(struct err *e)
{
	e->msg[0] = '\0';
	e->code = 0;
}
