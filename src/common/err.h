/*
 * err — error messages a user can act on.
 *
 * Every fallible function in the core takes a `struct err *` and, on failure,
 * fills it with one sentence (no trailing period or newline) and returns -1.
 * The CLI prints it as "hsys: <what failed>: <why>. <what to do>".
 * Messages never contain secrets: callers pass names, never passwords or keys.
 */
#ifndef HSYS_COMMON_ERR_H
#define HSYS_COMMON_ERR_H

#include <stddef.h>

#define ERR_MAX 1024

struct err {
	char	msg[ERR_MAX];
	int	code;		/* optional: an errno or a netsh error number */
};

/* Sets the message; returns -1 so callers can `return err_set(...)`. */
int	err_set(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Like err_set, then appends ": " and strerror(errno). */
int	err_sys(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Like err_set, then appends ": " and OpenSSL's reason for the newest error
 * on the thread's error queue (and clears the queue). */
int	err_ssl(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to an existing message. */
int	err_prefix(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_clear(struct err *);

#endif
