/*
 * fs — file helpers. See fs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
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
	/* O_EXCL never follows a link, and rename(2) replaces one at
	 * `path` instead of writing through it. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
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

/* --- trust on disk ----------------------------------------------------- */

enum role { R_DIR, R_PARENT, R_FILE };

/* hsysd started as root and serving as another user (--user) trusts
 * what that user made for it: its socket directory, its logs. */
static uid_t also_trusted = (uid_t)-1;

void
fs_trust_uid(uid_t uid)
{
	also_trusted = uid;
}

static int
trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid() ||
	    (also_trusted != (uid_t)-1 && uid == also_trusted);
}

/* "nobody (uid 65534)"; getpwuid_r: hsysd's log writer checks too. */
static void
owner_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, size, "%s (uid %ld)", res->pw_name, (long)uid);
	else
		snprintf(buf, size, "uid %ld", (long)uid);
}

static int
refuse_owner(const char *what, const char *path, const char *comp,
    enum role role, uid_t uid, struct err *e)
{
	char who[300];

	owner_name(uid, who, sizeof(who));
	if (role == R_FILE)
		return err_set(e, "refusing %s %s: it belongs to %s, not to "
		    "root or to you; remove it (hsys makes a new one) or set "
		    "HSYS_HOME to a directory of yours", what, path, who);
	if (role == R_PARENT)
		return err_set(e, "refusing %s %s: its parent %s belongs to "
		    "%s, not to root or to you, so that user could replace "
		    "it; use a directory whose parents root or you own, or "
		    "set HSYS_HOME to one", what, path, comp, who);
	return err_set(e, "refusing %s %s: it belongs to %s, not to root or "
	    "to you, so that user could swap its files for links or read "
	    "what hsys writes there; use a directory root or you own (chown "
	    "%ld %s) or set HSYS_HOME to one", what, path, who,
	    (long)geteuid(), path);
}

static int
refuse_writable(const char *what, const char *path, const char *comp,
    enum role role, mode_t mode, struct err *e)
{
	if (role == R_PARENT)
		return err_set(e, "refusing %s %s: its parent %s is writable "
		    "by group or others (mode %04o) and not sticky, so they "
		    "could replace it; chmod go-w %s, or use another "
		    "directory", what, path, comp, (unsigned)(mode & 07777),
		    comp);
	return err_set(e, "refusing %s %s: it is writable by group or others "
	    "(mode %04o), who could replace %s; chmod go-w %s", what, path,
	    (unsigned)(mode & 07777), role == R_FILE ? "its contents" :
	    "its files with links", path);
}

/* One stat, checked for its role; comp is the name stat'ed. */
static int
check_stat(const struct stat *st, const char *what, const char *path,
    const char *comp, enum role role, mode_t type, struct err *e)
{
	if (S_ISLNK(st->st_mode))
		return err_set(e, "refusing %s %s: it is a symbolic link, "
		    "which hsys does not follow there (it could point at any "
		    "file); remove it", what, path);
	if ((st->st_mode & S_IFMT) != type)
		return err_set(e, "refusing %s %s: %s%s is not a %s; remove "
		    "it or use another name", what, path, role == R_PARENT ?
		    "its parent " : "it", role == R_PARENT ? comp : "",
		    type == S_IFDIR ? "directory" : type == S_IFSOCK ?
		    "socket" : "regular file");
	if (!trusted_uid(st->st_uid))
		return refuse_owner(what, path, comp, role, st->st_uid, e);
	if (type == S_IFSOCK || (st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (role == R_PARENT && (st->st_mode & S_ISVTX))
		return 0;	/* /tmp: others cannot rename what is ours */
	return refuse_writable(what, path, comp, role, st->st_mode, e);
}

int
fs_check_dir(const char *path, const char *what, char *real, size_t size,
    struct err *e)
{
	char buf[PATH_MAX], *slash;
	struct stat st;
	size_t len;

	if (size < PATH_MAX)
		return err_set(e, "fs_check_dir: a buffer too small");
	if (realpath(path, buf) == NULL)
		return err_sys(e, "cannot find %s %s", what, path);
	len = strlen(buf);
	memcpy(real, buf, len + 1);
	/* The resolved name holds no link: stat each prefix, "/" first. */
	for (slash = buf;; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (stat(buf[0] ? buf : "/", &st) == -1)
			return err_sys(e, "cannot check %s %s", what, path);
		if (check_stat(&st, what, path, buf[0] ? buf : "/",
		    slash ? R_PARENT : R_DIR, S_IFDIR, e) == -1)
			return -1;
		if (slash == NULL)
			break;
		*slash = '/';
		if (slash == buf + len - 1 || slash[1] == '\0')
			break;
	}
	return 0;
}

int
fs_check_file(const char *path, const char *what, mode_t type, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, "cannot check %s %s", what, path);
	}
	return check_stat(&st, what, path, path, R_FILE, type, e);
}

int
fs_open(const char *path, const char *what, int flags, mode_t mode,
    struct err *e)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd == -1 && errno == ELOOP)
		return err_set(e, "refusing %s %s: it is a symbolic link, "
		    "which hsys does not follow there (it could point at any "
		    "file); remove it", what, path);
	if (fd == -1)
		return err_sys(e, "cannot open %s %s", what, path);
	if (fstat(fd, &st) == -1) {
		err_sys(e, "cannot check %s %s", what, path);
		goto fail;
	}
	if (check_stat(&st, what, path, path, R_FILE, S_IFREG, e) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}
