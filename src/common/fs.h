/*
 * fs — small file helpers: whole-file reads with a bound, atomic writes with
 * an explicit mode, directory creation, and the one check of where hsys may
 * keep its store, keys, lock, socket and logs.
 */
#ifndef HSYS_COMMON_FS_H
#define HSYS_COMMON_FS_H

#include <stddef.h>
#include <sys/types.h>

struct err;

/* Reads a whole file (at most max bytes, else an error) into a malloc'd
 * buffer with a NUL appended (not counted in *len). "-" reads stdin. */
int	fs_read_file(const char *path, size_t max, unsigned char **buf,
	    size_t *len, struct err *);
/* Writes data to path through a temporary file in the same directory and
 * rename(2), so readers see the old or the new file, never a partial one.
 * The file is created with exactly `mode` (umask does not widen or narrow). */
int	fs_write_file(const char *path, const void *data, size_t len,
	    mode_t mode, struct err *);
/* mkdir -p; each directory created gets `mode`. Existing ones are kept. */
int	fs_mkdir_p(const char *path, mode_t mode, struct err *);
/* One more owner the checks below accept besides root and the effective
 * user: hsysd's serving user (--user), set once at start. */
void	fs_trust_uid(uid_t);

/*
 * Trust on disk (docs/store.md). hsys writes keys, its lock, socket and logs
 * only where no other user can swap a file for a link or read what it
 * writes: a directory owned by root or the effective user and writable by
 * nobody else, under parents owned likewise and writable by nobody else
 * unless sticky (as /tmp). Every refusal says what is wrong and what to do;
 * `what` names the thing in it ("the store's directory").
 *
 * fs_check_dir resolves `path` (links included, so a link nobody else can
 * change later is fine), checks the result and each of its parents, and puts
 * the resolved name in `real` (PATH_MAX bytes): open files through that name
 * only, so that a link swapped after the check is never followed.
 */
int	fs_check_dir(const char *path, const char *what, char *real,
	    size_t size, struct err *);
/* A file in such a directory: absent (0, errno ENOENT), or not a link, of
 * `type` (S_IFREG or S_IFSOCK), owned by root or the effective user and, if
 * a regular file, not writable by group or others. */
int	fs_check_file(const char *path, const char *what, mode_t type,
	    struct err *);
/* open(2) with O_NOFOLLOW | O_CLOEXEC | O_NOCTTY added, then the checks of
 * fs_check_file on the open file (a regular one). The fd, or -1. */
int	fs_open(const char *path, const char *what, int flags, mode_t mode,
	    struct err *);

#endif
