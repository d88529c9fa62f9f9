/*
 * http — shared by the files of the `hsys http` command group (http.c and
 * http_*.c): how a command reaches the store, and how it reports failure
 * the way netsh does, then says what to do.
 */
#ifndef HSYS_CLI_HTTP_H
#define HSYS_CLI_HTTP_H

#include <stdio.h>

struct config_args;
struct config_key;
struct err;
struct store;

struct http_ctx {
	struct store	*tx;	/* a batch's open transaction, or NULL */
	int		 line;	/* the batch line, or 0 */
	struct store	*s;	/* the store in use */
};

/* For a change: opens the store for writing and begins a transaction (or
 * uses the batch's). */
int	http_begin(struct http_ctx *, struct err *);
/* Commits (ok) or rolls back, closes, and pokes hsysd; inside a batch's
 * transaction it does nothing. Returns 0 or -1. */
int	http_end(struct http_ctx *, int ok, struct err *);
/* For reading: opens the store (or uses the batch's). */
int	http_open_read(struct http_ctx *, struct err *);
void	http_close(struct http_ctx *);

/* HTTP.sys's rule, said where it surprises: a binding or a prefix for one
 * address (or a host name) opens its port on every address while the
 * iplisten list is empty. Call inside the change's transaction with the
 * address ("127.0.0.1", "[::1]", or NULL for a host name) and the port;
 * prints one note naming 'hsys http add iplisten' when it applies. */
void	http_note_every_address(const struct http_ctx *, const char *addr,
	    unsigned port);

/* Prints netsh's failure line ("<what> failed, Error: N") when the error
 * has a netsh number, then "hsys: [line N: ]<message>."; returns the exit
 * code: 2 for a parameter error (87), else 1. */
int	http_fail(const struct http_ctx *, const char *what,
	    const struct err *);
/* Parses key=value words; warns about keys that mean nothing on Linux. */
int	http_args(const struct http_ctx *, int argc, char **argv,
	    struct config_args *, const struct config_key *, struct err *);
/* Writes s as a JSON string. */

int	http_sslcert(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_urlacl(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_iplisten(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_timeout(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_cachestate(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_servicestate(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_metrics(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_setting(const struct http_ctx *, const char *verb, int argc,
	    char **argv);
int	http_export(const struct http_ctx *, int argc, char **argv);

#endif
