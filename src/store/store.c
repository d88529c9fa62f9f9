/*
 * store — opening the database, transactions, the generation counter.
 * See store.h for the layout and the rules.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "store/store.h"

const char *
store_location_name(enum store_location loc)
{
	return loc == STORE_MACHINE ? "LocalMachine" : "CurrentUser";
}

int
store_home(enum store_location loc, char *buf, size_t size, struct err *e)
{
	const char *home = getenv("HSYS_HOME"), *xdg;
	struct passwd *pw;
	int n;

	if (home != NULL && home[0] == '\0')
		home = NULL;
	if (home != NULL && home[0] != '/')
		return err_set(e, "HSYS_HOME must be an absolute path, not '%s'",
		    home);
	if (loc == STORE_MACHINE)
		n = snprintf(buf, size, "%s", home ? home : "/var/lib/hsys");
	else if (home != NULL)
		n = snprintf(buf, size, "%s/user", home);
	else if ((xdg = getenv("XDG_DATA_HOME")) != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "%s/hsys", xdg);
	else {
		if ((home = getenv("HOME")) == NULL || home[0] != '/') {
			if ((pw = getpwuid(getuid())) == NULL)
				return err_set(e, "cannot find your home "
				    "directory; set HOME or HSYS_HOME");
			home = pw->pw_dir;
		}
		n = snprintf(buf, size, "%s/.local/share/hsys", home);
	}
	if (n < 0 || (size_t)n >= size)
		return err_set(e, "the store's directory name is too long");
	return 0;
}

int
store_runtime_dir(char *buf, size_t size, struct err *e)
{
	const char *home = getenv("HSYS_HOME");
	int n;

	if (home != NULL && home[0] != '\0' && home[0] != '/')
		return err_set(e, "HSYS_HOME must be an absolute path, not '%s'",
		    home);
	n = snprintf(buf, size, "%s", home && home[0] ? home : "/run/hsys");
	if (n < 0 || (size_t)n >= size)
		return err_set(e, "HSYS_HOME is too long");
	return 0;
}

/* Whether the filesystem holding path is mounted read-only. */
static int
read_only_fs(const char *path)
{
	struct statvfs sv;

	return statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* What SQLite was doing when the disk failed it, from the extended code. */
static const char *
io_step(int ext)
{
	switch (ext) {
	case SQLITE_IOERR_READ:
	case SQLITE_IOERR_SHORT_READ:
		return "reading";
	case SQLITE_IOERR_WRITE:
		return "writing";
	case SQLITE_IOERR_FSYNC:
	case SQLITE_IOERR_DIR_FSYNC:
		return "flushing to disk";
	case SQLITE_IOERR_TRUNCATE:
		return "truncating";
	case SQLITE_IOERR_SHMOPEN:
	case SQLITE_IOERR_SHMSIZE:
	case SQLITE_IOERR_SHMMAP:
		return "extending the index of";
	default:
		return "using";
	}
}

/*
 * An I/O error: the disk (or its filesystem) failed a read, a write or an
 * fsync. SQLite undoes a change it could not finish, so the store holds
 * either the state before the command or, when only the last flush
 * failed, the whole change; never a part of it.
 */
static int
io_failed(struct store *s, struct err *e, const char *what, int ext)
{
	int sys = sqlite3_system_errno(s->db);

	if (sys == ENOSPC)
		return err_set(e, "%s: the disk holding %s is full; make room "
		    "and try again", what, s->path);
	return err_set(e, "%s: %s %s failed (%s); the store holds all of "
	    "the change or none of it: check the disk (dmesg), then look "
	    "and try again", what, io_step(ext), s->path,
	    sys ? strerror(sys) : sqlite3_errmsg(s->db));
}

void
store_column_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

int
store_fail(struct store *s, struct err *e, const char *what)
{
	int ext = sqlite3_extended_errcode(s->db), code = ext & 0xff;

	if (code == SQLITE_READONLY && read_only_fs(s->path))
		return err_set(e, "%s: the filesystem holding %s is mounted "
		    "read-only; remount it read-write (mount -o remount,rw) "
		    "and try again", what, s->path);
	switch (code) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return err_set(e, "%s: the store %s is damaged (%s); restore it "
		    "from a backup, or move it away to start an empty store",
		    what, s->path, sqlite3_errmsg(s->db));
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		return err_set(e, "%s: cannot write the store %s (%s); run as "
		    "its owner (root for the system store) or set HSYS_HOME",
		    what, s->path, sqlite3_errmsg(s->db));
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return err_set(e, "%s: the store %s stayed locked by another "
		    "program for %d s; try again", what, s->path,
		    STORE_BUSY_MS / 1000);
	case SQLITE_FULL:
		return err_set(e, "%s: the disk holding %s is full; make "
		    "room and try again", what, s->path);
	case SQLITE_IOERR:
		return io_failed(s, e, what, ext);
	default:
		if (!s->keys && strstr(sqlite3_errmsg(s->db), "no such table: "
		    "key") != NULL)
			return store_need_keys(s, e);
		return err_set(e, "%s: %s", what, sqlite3_errmsg(s->db));
	}
}

int
store_prepare(struct store *s, sqlite3_stmt **st, const char *sql,
    struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_fail(s, e, "cannot query the store");
	}
	return 0;
}

int
store_exec(struct store *s, const char *sql, struct err *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot update the store");
	return 0;
}

/* The two databases and the journals SQLite keeps beside them: none a
 * link, each root's or ours and writable by nobody else (fs_check_file).
 * -wal and -shm are checked too: a store from before the rollback journal
 * may still have them. */
static int
check_files(const struct store *s, struct err *e)
{
	static const char *const suffix[] = { "", "-journal", "-wal", "-shm" };
	const char *const db[] = { s->path, s->keypath };
	char path[sizeof(s->path) + 16];
	size_t i, j;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", db[j], suffix[i]);
			if (fs_check_file(path, "the store", S_IFREG, e) == -1)
				return -1;
		}
	}
	return 0;
}

/* keys.db as the schema "keys": its table `key` is found by the plain name
 * once the main database has none. A reader that may not read it (not
 * root, for the system store) goes without: store_need_keys says so. */
static int
attach_keys(struct store *s, const char *path, struct err *e)
{
	sqlite3_stmt *st;
	mode_t old;
	int rc;

	if (store_prepare(s, &st, "ATTACH DATABASE ? AS keys", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	old = umask(077);
	rc = sqlite3_step(st);
	umask(old);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot open the store's keys");
	s->keys = 1;
	return 0;
}

int
store_need_keys(struct store *s, struct err *e)
{
	if (s->keys)
		return 0;
	return err_set(e, "the private keys in %s are readable by root only "
	    "(or the store's owner); run as root to use them", s->keypath);
}

static int
open_missing_as_empty(struct store *s, struct err *e)
{
	/* Reading a store that was never written: an empty in-memory one
	 * with the current schema answers every query with "nothing". */
	if (sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE, NULL)
	    != SQLITE_OK)
		return store_fail(s, e, "cannot open an empty store");
	if (attach_keys(s, ":memory:", e) == -1)
		return -1;
	s->writable = 1;
	if (store_migrate(s, e) == -1)
		return -1;
	s->writable = 0;
	return 0;
}

/*
 * A WAL database on a read-only filesystem: SQLite cannot create the
 * -shm index it reads through, and refuses to open it ("unable to open
 * database file") unless told it is immutable, which it is there: nobody
 * can write it while the filesystem stays read-only, and each reader's
 * open is short. Only without a WAL holding changes (immutable would
 * ignore them): the last writer's close checkpoints and removes it. The
 * name as a URI: "file:" and the path with '%', '?' and '#' escaped.
 */
static int
immutable_uri(const char *path, char *uri, size_t size)
{
	size_t n = 0;
	int w;

	if ((w = snprintf(uri, size, "file:")) < 0 || (size_t)w >= size)
		return -1;
	n = (size_t)w;
	for (; *path != '\0'; path++) {
		w = strchr("%?#", *path) != NULL ?
		    snprintf(uri + n, size - n, "%%%02X", (unsigned char)*path) :
		    snprintf(uri + n, size - n, "%c", *path);
		if (w < 0 || (size_t)w >= size - n)
			return -1;
		n += (size_t)w;
	}
	w = snprintf(uri + n, size - n, "?immutable=1");
	return w < 0 || (size_t)w >= size - n ? -1 : 0;
}

/* Whether the store's WAL holds frames (it exists and is not empty). */
static int
wal_holds(const struct store *s)
{
	char wal[sizeof(s->path) + 8];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	return stat(wal, &st) == 0 && st.st_size > 0;
}

/* Set once, at a process's start, before any thread (store_forgo_keys). */
static int forgo_keys;

void
store_forgo_keys(void)
{
	forgo_keys = 1;
}

static int
open_file(struct store *s, int flags, struct err *e)
{
	char uri[sizeof(s->path) * 3 + 32];
	const char *name = s->path;
	/* NOFOLLOW: SQLite refuses a link anywhere in the name, which
	 * store_open resolved, so only a link made since is refused. */
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW;
	mode_t old;
	int rc;

	if (check_files(s, e) == -1)
		return -1;
	if (flags & STORE_WRITE)
		oflags |= SQLITE_OPEN_CREATE;
	else if (access(s->path, W_OK) == -1)
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_NOFOLLOW;
	if (access(s->path, F_OK) == 0 && access(s->path, R_OK) == -1)
		return err_set(e, "cannot open the store %s: %s; run as its "
		    "owner (root for the system store) or set HSYS_HOME to a "
		    "directory you own", s->path, strerror(errno));
	if (!(flags & STORE_WRITE) && read_only_fs(s->path) && !wal_holds(s) &&
	    immutable_uri(s->path, uri, sizeof(uri)) == 0) {
		name = uri;
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI;
	}
	old = umask(077);
	rc = sqlite3_open_v2(name, &s->db, oflags, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		if (s->db == NULL)
			return err_set(e, "cannot open the store %s: out of "
			    "memory", s->path);
		return store_fail(s, e, "cannot open the store");
	}
	s->writable = (flags & STORE_WRITE) != 0;
	s->newer_ok = !s->writable && (flags & STORE_NEWER);
	if (s->writable && chmod(s->path, s->loc == STORE_MACHINE ? 0644 :
	    0600) == -1)
		return err_sys(e, "cannot set the mode of %s", s->path);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if ((s->writable || access(s->keypath, R_OK) == 0) &&
	    (!forgo_keys || (flags & STORE_KEYS)) &&
	    attach_keys(s, s->keypath, e) == -1)
		return -1;
	if (s->writable && chmod(s->keypath, 0600) == -1)
		return err_sys(e, "cannot set the mode of %s", s->keypath);
	if (store_exec(s, "PRAGMA foreign_keys = ON", e) == -1)
		return -1;
	if (s->writable) {
		/* A store from before keys.db was in WAL mode; leaving it
		 * needs the only connection, so a busy store tries again at
		 * the next write. */
		(void)sqlite3_exec(s->db, "PRAGMA main.journal_mode = DELETE",
		    NULL, NULL, NULL);
		if (store_exec(s, "PRAGMA main.synchronous = FULL", e) == -1 ||
		    store_exec(s, "PRAGMA keys.journal_mode = DELETE", e) == -1 ||
		    store_exec(s, "PRAGMA keys.synchronous = FULL", e) == -1)
			return -1;
	}
	return store_migrate(s, e);
}

static int
store_name(char *buf, size_t size, const char *dir, const char *file,
    struct err *e)
{
	int n = snprintf(buf, size, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= size)
		return err_set(e, "the store's path is too long");
	return 0;
}

/* The store's name in s->path, through its directory resolved and checked
 * (fs_check_dir); 1 when a reader finds no store there (nothing checked:
 * nothing will be read). */
static int
store_path(struct store *s, const char *dir, int flags, struct err *e)
{
	char real[PATH_MAX];

	if (store_name(s->path, sizeof(s->path), dir, "hsys.db", e) == -1 ||
	    store_name(s->keypath, sizeof(s->keypath), dir, "keys.db", e) == -1)
		return -1;
	if (!(flags & STORE_WRITE) && access(s->path, F_OK) == -1 &&
	    (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (fs_check_dir(dir, "the store's directory", real, sizeof(real),
	    e) == -1)
		return -1;
	if (store_name(s->path, sizeof(s->path), real, "hsys.db", e) == -1 ||
	    store_name(s->keypath, sizeof(s->keypath), real, "keys.db",
	    e) == -1)
		return -1;
	return 0;
}

int
store_open(struct store **sp, enum store_location loc, int flags,
    struct err *e)
{
	char dir[PATH_MAX];
	struct store *s;
	int missing;

	*sp = NULL;
	if (store_home(loc, dir, sizeof(dir), e) == -1)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_sys(e, "cannot open the store");
	s->loc = loc;
	if ((flags & STORE_WRITE) &&
	    fs_mkdir_p(dir, loc == STORE_MACHINE ? 0755 : 0700, e) == -1) {
		err_prefix(e, "cannot create the %s store",
		    store_location_name(loc));
		goto fail;
	}
	if ((missing = store_path(s, dir, flags, e)) == -1)
		goto fail;
	if ((flags & STORE_WRITE) && access(dir, W_OK) == -1 &&
	    errno == EROFS) {
		err_set(e, "cannot write the store in %s: its filesystem is "
		    "mounted read-only; remount it read-write (mount -o "
		    "remount,rw) and try again", dir);
		goto fail;
	}
	if ((flags & STORE_WRITE) && access(dir, W_OK) == -1) {
		err_set(e, "cannot write the store in %s: %s; run as its owner "
		    "(root for the system store) or set HSYS_HOME to a "
		    "directory you own", dir, strerror(errno));
		goto fail;
	}
	if (missing ? open_missing_as_empty(s, e) == -1 :
	    open_file(s, flags, e) == -1)
		goto fail;
	*sp = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->in_tx)
		store_rollback(s);
	sqlite3_close(s->db);
	free(s);
}

int
store_begin(struct store *s, struct err *e)
{
	if (!s->writable)
		return err_set(e, "the store %s was opened for reading only",
		    s->path);
	if (store_exec(s, "BEGIN IMMEDIATE", e) == -1)
		return -1;
	s->in_tx = 1;
	return 0;
}

/*
 * COMMIT can fail after the change is durable: SQLite then runs its
 * automatic checkpoint (copying the WAL into the database) in the same
 * call, and reports that step's I/O error or full disk. The transaction
 * has ended either way; whether it took is in the generation counter.
 */
static int
committed(struct store *s, int64_t want)
{
	struct err ignored;
	int64_t gen;

	return sqlite3_get_autocommit(s->db) &&
	    store_generation(s, &gen, &ignored) == 0 && gen == want;
}

int
store_commit(struct store *s, struct err *e)
{
	int64_t gen;

	if (store_exec(s, "UPDATE meta SET value = value + 1 "
	    "WHERE key = 'generation'", e) == -1 ||
	    store_generation(s, &gen, e) == -1)
		goto fail;
	if (store_exec(s, "COMMIT", e) == -1 && !committed(s, gen))
		goto fail;
	s->in_tx = 0;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

void
store_rollback(struct store *s)
{
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
}

int
store_check(enum store_location loc, struct err *e)
{
	const unsigned char *res;
	sqlite3_stmt *st = NULL;
	struct store *s;
	int64_t gen;
	int rc = -1;

	if (store_open(&s, loc, STORE_READ, e) == -1)
		return -1;
	if (store_generation(s, &gen, e) == -1 ||
	    store_prepare(s, &st, "PRAGMA quick_check", e) == -1)
		goto done;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_fail(s, e, "cannot check the store");
		goto done;
	}
	res = sqlite3_column_text(st, 0);
	if (res == NULL || strcmp((const char *)res, "ok") != 0) {
		err_set(e, "the store %s is damaged (%.200s); restore it from "
		    "a backup, or move it away to start an empty store",
		    s->path, res ? (const char *)res : "no answer");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	store_close(s);
	return rc;
}

int
store_generation(struct store *s, int64_t *gen, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT value FROM meta "
	    "WHERE key = 'generation'", e) == -1)
		return -1;
	rc = sqlite3_step(st);
	*gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the store's generation");
	return 0;
}
