/*
 * keys_int — what the key process's files share (proc.c, table.c); not
 * for other components, whose door is keys.h.
 */
#ifndef HSYS_KEYS_KEYS_INT_H
#define HSYS_KEYS_KEYS_INT_H

#include "keys/keys.h"

struct keys_entry {
	unsigned char	 id[KEYS_ID_LEN];
	EVP_PKEY	*pkey;
};

/* The private keys of the certificates current bindings and pending
 * TLS-ALPN-01 challenges use. */
struct keys_table {
	size_t			 n;
	struct keys_entry	*e;
};

/* Reads the LocalMachine store: every sslcert binding's certificate, and
 * its private key. A binding whose certificate or key is missing is
 * skipped (hsysd says so when it builds the binding). */
int	keys_table_load(struct keys_table **, struct err *);
void	keys_table_free(struct keys_table *);
EVP_PKEY *keys_table_find(const struct keys_table *,
	    const unsigned char id[KEYS_ID_LEN]);

/* keys_spawn's child: the monitor (signer 0) or the signer (1), exe run
 * with KEYS_PROC_ARG or KEYS_SIGNER_ARG. */
int	keys_spawn_as(const char *exe, int to_syslog, int signer, int *fd,
	    pid_t *pid, struct err *);

#endif
