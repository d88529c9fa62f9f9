/*
 * fs — small file helpers: whole-file reads with a bound, atomic writes with
 * an explicit mode, and directory creation.
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

#endif
