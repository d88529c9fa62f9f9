/*
 * cli — the hsys command line. main.c parses global options and dispatches
 * to a command group (cert.c, http.c, diagnose.c, batch.c); each group
 * dispatches to one function per command, kept in a file per command or
 * family of commands. The folder reads as layers, and no file calls one
 * above it: main.c; the groups; the commands (cert_import.c, http_urlacl.c
 * ...); the helpers they share (cert_find.c, cert_opts.c, cert_print.c,
 * http_ctx.c, diagnose_hop.c, commit.c, json.c); report.c at the bottom.
 *
 * Exit codes: 0 success, 1 the operation failed (bad input, not found,
 * refused), 2 the command line itself is wrong (usage).
 */
#ifndef HSYS_CLI_CLI_H
#define HSYS_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "store/store.h"

struct err;

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* How a command reports, on stderr (report.c). "hsys: <message>.";
 * returns EXIT_FAIL. */
int	cli_fail(const struct err *);
/* "hsys: <formatted>" and a hint to --help on stderr; returns EXIT_USAGE. */
int	cli_usage(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A warning on stderr: "hsys: warning: <formatted>". */
void	cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A JSON string, escaped; bytes that are not UTF-8 are read as Latin-1 so
 * the output stays valid JSON (json.c). */
void	cli_json_str(FILE *, const char *);
/* "key": "value" and, unless last, ", " (json.c). */
void	cli_json_field(FILE *, const char *key, const char *value, int last);

/* Commits the store's transaction and pokes a running hsysd (commit.c). */
struct store;
int	cli_commit(struct store *, struct err *);

/* Asks the running hsysd for its state (a STATE frame, flags as in
 * docs/protocol.md) into a malloc'ed *out (NUL-terminated); path gets the
 * socket's path. 0, 1 when no hsysd listens, -1 with a message (http_state.c). */
int	cli_state_fetch(uint32_t flags, char **out, size_t *len, char *path,
	    size_t size, struct err *);
/* hsys diagnose URL (diagnose.c). */
int	cli_diagnose(int argc, char **argv);

/* Command groups. argv[0] is the group's name. */
int	cli_cert(int argc, char **argv);
int	cli_http(int argc, char **argv);
/* The same inside a batch: tx is the batch's open transaction (--atomic)
 * or NULL, line the line number that messages name (0: none). */
struct store;
int	cli_http_run(struct store *tx, int line, int argc, char **argv);
/* Batch mode: netsh-style lines from a file or stdin (batch.c). */
int	cli_batch(const char *path, int atomic);

/* Shared by the cert commands: finding one certificate (cert_find.c),
 * the password options (cert_password.c), printing (cert_print.c). */
struct store;
struct cert_entry;
struct cert_store_name;
/* Opens the store of the location that `store_opt` names (NULL: the default,
 * LocalMachine) for reading or writing (STORE_READ/STORE_WRITE), and finds
 * the certificate `thumb` in it: in the named store when store_opt is given,
 * else in any store (My preferred). On success *sp is open; close it. */
int	cli_cert_find(const char *store_opt, const char *thumb, int flags,
	    struct store **sp, struct cert_entry *, struct err *);
/* The password options of import and export: --password-file F (F may be
 * "-"), --password-stdin, --password P (warns: visible in ps). Exactly one
 * or none may be given; *given says whether one was. */
struct cli_password {
	const char	*file;
	int		 from_stdin;
	const char	*arg;
};
int	cli_password_read(const struct cli_password *, char *buf, size_t size,
	    int *given, struct err *);

/* PowerShell's certificate table, as `dir cert:\localmachine\my` prints it:
 *
 *	   Store: LocalMachine\My
 *
 *	Thumbprint                                Subject
 *	----------                                -------
 *	89C38E9AD6455F9A8782DD29CE089074C57311ED  CN=localhost
 */
void	cli_cert_table_header(FILE *, const char *location, const char *store);
void	cli_cert_table_row(FILE *, const struct cert_entry *);
/* JSON: "key": [the subjectAltNames of a GEN_* type], and the fields list
 * and show share, from "thumbprint" to "dns_names" (no braces). */
void	cli_cert_json_sans(FILE *, const char *key, X509 *, int type);
void	cli_cert_json_entry(FILE *, const char *location,
	    const struct cert_entry *, X509 *);

/* The command lines of import, list, show and delete (cert_opts.c): each
 * command passes its own getopt_long table of these values. */
enum cert_opt {
	CERT_OPT_STORE = 1, CERT_OPT_PASSWORD_FILE, CERT_OPT_PASSWORD_STDIN,
	CERT_OPT_PASSWORD, CERT_OPT_ALL, CERT_OPT_LONG, CERT_OPT_JSON,
	CERT_OPT_HELP
};
struct cert_opts {
	const char		*store;
	struct cli_password	 pw;
	int			 all, lng, json;
	const char		*arg[2];
	int			 nargs;
};
struct option;
/* Parses argv into o (at most maxargs positional arguments); prints usage
 * for --help. Returns -1 when the command line is wrong (already said),
 * 1 after --help, 0 to go on. */
int	cert_opts_parse(int argc, char **argv, const struct option *,
	    int maxargs, const char *cmd, const char *usage,
	    struct cert_opts *o);
/* 1 when --store is absent or names a store; else says so (usage) and
 * returns 0. */
int	cert_store_opt_ok(const char *cmd, const char *store);

/* hsys cert ...: argv[0] is the command's name. */
int	cert_cmd_import(int argc, char **argv);		/* cert_import.c */
int	cert_cmd_list(int argc, char **argv);		/* cert_list.c */
int	cert_cmd_show(int argc, char **argv);		/* cert_show.c */
int	cert_cmd_delete(int argc, char **argv);		/* cert_delete.c */
int	cert_cmd_export(int argc, char **argv);		/* cert_export.c */
int	cert_cmd_new_selfsigned(int argc, char **argv);	/* cert_issue.c */
int	cert_cmd_new_ca(int argc, char **argv);
int	cert_cmd_request(int argc, char **argv);
int	cert_cmd_accept(int argc, char **argv);
int	cert_cmd_verify(int argc, char **argv);		/* cert_verify.c */
int	cert_cmd_trust(int argc, char **argv);		/* cert_trust.c */
int	cert_cmd_acme(int argc, char **argv);		/* cert_acme.c */
int	cli_acme_renew(int argc, char **argv);	/* cert_acme_renew.c */
int	cli_acme_revoke(int argc, char **argv);	/* cert_acme_renew.c */
int	cli_acme_delete(int argc, char **argv);	/* cert_acme_renew.c */
/* The REQUEST store (cert_requests.c): does a store name say REQUEST? */
int	cert_requests_name(const char *, enum store_location *);
int	cert_requests_list(enum store_location, int json);
int	cert_requests_delete(enum store_location, const char *thumb);
int	cert_cmd_untrust(int argc, char **argv);

#endif
