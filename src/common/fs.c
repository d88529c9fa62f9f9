/*
 * fs — file helpers. See fs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"

int
fs_read_file(const char *path, size_t max, unsigned char **bufp, size_t *lenp,
    struct err *e)
{
	unsigned char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_sys(e, "cannot open %s", path);
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 8192;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				err_sys(e, "reading %s", path);
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_sys(e, "cannot read %s", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			err_set(e, "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		err_sys(e, "reading %s", path);
		goto fail;
	}
	buf[len] = '\0';
	if (fd != STDIN_FILENO)
		close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return -1;
}

int
fs_write_file(const char *path, const void *data, size_t len, mode_t mode,
    struct err *e)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return err_set(e, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		return err_sys(e, "cannot create %s", tmp);
	if (fchmod(fd, mode) == -1) {
		err_sys(e, "cannot set the mode of %s", tmp);
		goto fail;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_sys(e, "cannot write %s", path);
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		err_sys(e, "cannot write %s", path);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_sys(e, "cannot write %s", path);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		err_sys(e, "cannot write %s", path);
		goto fail;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

int
fs_mkdir_p(const char *path, mode_t mode, struct err *e)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return err_set(e, "bad directory name '%s'", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return err_sys(e, "cannot create the directory %s", buf);
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}
