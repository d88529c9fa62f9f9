/*
 * store — the SQLite database that holds certificates, keys and the HTTP
 * configuration: the single source of truth of hsys.
 *
 * There is one store per location: LocalMachine ($HSYS_HOME, default
 * /var/lib/hsys) and CurrentUser ($HSYS_HOME/user when HSYS_HOME is set,
 * else $XDG_DATA_HOME/hsys or ~/.local/share/hsys). A store is two SQLite
 * files written in one transaction: hsys.db holds the configuration and
 * the certificates (0644 for LocalMachine, so that any user can show the
 * configuration, as on Windows; 0600 for CurrentUser), keys.db holds the
 * private keys (always 0600), attached as the schema "keys" when the
 * caller may read it. Both use a rollback journal, which makes a commit
 * that spans the two atomic and lets a reader without write access read
 * (WAL needs a writable -shm file). Their directory is 0700 (0755 for the
 * machine home, which also holds hsysd's socket and logs). The directory, its parents and
 * these files are checked before use (fs_check_dir, fs_check_file: root's
 * or ours, writable by nobody else, no links), and the database is opened
 * by its resolved name with SQLITE_OPEN_NOFOLLOW. Writers take the write
 * lock up front (BEGIN IMMEDIATE) and wait up to STORE_BUSY_MS for it, so
 * concurrent hsys runs serialize instead of failing. Every change bumps a
 * generation counter that hsysd watches.
 *
 * Modules own their tables: each contributes its schema as a migration step
 * (store/migrate.c lists them in order); PRAGMA user_version records how many
 * steps a database has had.
 */
#ifndef HSYS_STORE_STORE_H
#define HSYS_STORE_STORE_H

#include <stdint.h>
#include <stddef.h>
#include <sqlite3.h>

struct err;

enum store_location {
	STORE_MACHINE,		/* LocalMachine */
	STORE_USER		/* CurrentUser */
};

#define STORE_READ	0x0	/* open for reading; a missing store is empty */
#define STORE_WRITE	0x1	/* open for writing; creates it if missing */
#define STORE_KEYS	0x2	/* attach keys.db even in a process that
				 * forgoes keys (store_forgo_keys) */
#define STORE_NEWER	0x4	/* read a store of a newer schema too: the
				 * key process, which an upgrade in place
				 * keeps running, reads only tables every
				 * step keeps readable (docs/store.md) */

#define STORE_BUSY_MS	30000

struct store {
	sqlite3			*db;
	enum store_location	 loc;
	int			 writable;
	int			 in_tx;
	int			 keys;		/* keys.db attached */
	int			 newer_ok;	/* STORE_NEWER */
	char			 path[4096];	/* hsys.db */
	char			 keypath[4096];	/* keys.db */
};

/* The directory that holds a location's state (created by store_open). */
int	store_home(enum store_location, char *buf, size_t size, struct err *);
const char *store_location_name(enum store_location);
/* Where the daemon keeps its socket and lock: $HSYS_HOME, else /run/hsys. */
int	store_runtime_dir(char *buf, size_t size, struct err *);

int	store_open(struct store **, enum store_location, int flags, struct err *);
/* This process never reads private keys: the stores it opens from now on
 * leave keys.db alone (not attached, not checked, no page of it read)
 * unless opened with STORE_KEYS. hsysd, whose keys are the key process's
 * (src/keys, docs/keys.md). */
void	store_forgo_keys(void);
void	store_close(struct store *);

/* Transactions: begin takes the write lock; commit bumps the generation. */
int	store_begin(struct store *, struct err *);
int	store_commit(struct store *, struct err *);
void	store_rollback(struct store *);

/* Whether a location's store can be read: 0 when it is missing (empty) or
 * opens, gives its generation and passes PRAGMA quick_check; else -1 with
 * why (damaged, unreadable, not root's or ours). hsysd's start. */
int	store_check(enum store_location, struct err *);

/* The generation counter: increases by one with every committed change. */
int	store_generation(struct store *, int64_t *, struct err *);

/* Helpers for modules: prepare, and turn a SQLite failure into a message. */
int	store_prepare(struct store *, sqlite3_stmt **, const char *sql,
	    struct err *);
int	store_fail(struct store *, struct err *, const char *what);
int	store_exec(struct store *, const char *sql, struct err *);
/* Copies column col's text into buf (truncated to size, "" for NULL). */
void	store_column_copy(sqlite3_stmt *, int col, char *buf, size_t size);
/* Fails with a clear error when the private keys are not readable here. */
int	store_need_keys(struct store *, struct err *);

/* Migration steps, in order; defined in migrate.c. */
struct store_migration {
	const char *name;
	const char *sql;
};
int	store_migrate(struct store *, struct err *);

#endif
