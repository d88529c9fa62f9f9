/*
 * Unit tests of common/fs's trust checks: the directories and files hsys
 * keeps its store, lock, socket and logs in (docs/store.md). Runs as root
 * in the test suite; a file owned by another user is made with chown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "unit.h"

#define OTHER	65534	/* nobody */

static char top[] = "/tmp/hsys-unit-fs.XXXXXX";

static const char *
at(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, name);
	return buf[i];
}

static void
test_dir_trusted(void)
{
	char real[PATH_MAX];
	struct err e;

	CHECK(mkdir(at("ok"), 0755) == 0);
	CHECK(fs_check_dir(at("ok"), "the home", real, sizeof(real), &e) == 0);
	CHECK_STR(real, at("ok"));
	/* A link root or we made resolves to its target. */
	CHECK(symlink(at("ok"), at("link")) == 0);
	CHECK(fs_check_dir(at("link"), "the home", real, sizeof(real), &e) ==
	    0);
	CHECK_STR(real, at("ok"));
	/* /tmp itself is sticky and writable by all: fine as a parent. */
	CHECK(fs_check_dir("/tmp", "x", real, sizeof(real), &e) == -1);
	CHECK(strstr(e.msg, "writable by group or others") != NULL);
	CHECK(fs_check_dir(at("missing"), "the home", real, sizeof(real),
	    &e) == -1);
	CHECK(strstr(e.msg, "cannot find the home") != NULL);
}

static void
test_dir_refused(void)
{
	char real[PATH_MAX];
	struct err e;

	CHECK(mkdir(at("theirs"), 0755) == 0 && chown(at("theirs"), OTHER,
	    OTHER) == 0);
	CHECK(fs_check_dir(at("theirs"), "the home", real, sizeof(real), &e)
	    == -1);
	CHECK(strstr(e.msg, "refusing the home") != NULL);
	CHECK(strstr(e.msg, "uid 65534") != NULL);
	CHECK(strstr(e.msg, "not to root or to you") != NULL);
	/* A directory of ours inside theirs: they could rename it. */
	CHECK(mkdir(at("theirs/ours"), 0755) == 0);
	CHECK(fs_check_dir(at("theirs/ours"), "the home", real, sizeof(real),
	    &e) == -1);
	CHECK(strstr(e.msg, "its parent") != NULL);
	/* Writable by others, or by the group. */
	CHECK(mkdir(at("open"), 0777) == 0 && chmod(at("open"), 0777) == 0);
	CHECK(fs_check_dir(at("open"), "the home", real, sizeof(real), &e) ==
	    -1);
	CHECK(strstr(e.msg, "mode 0777") != NULL);
	CHECK(strstr(e.msg, "chmod go-w") != NULL);
	CHECK(mkdir(at("group"), 0770) == 0 && chmod(at("group"), 0770) == 0);
	CHECK(fs_check_dir(at("group"), "the home", real, sizeof(real), &e) ==
	    -1);
	/* Sticky helps a parent, not the directory itself. */
	CHECK(mkdir(at("sticky"), 0755) == 0 &&
	    chmod(at("sticky"), 01777) == 0);
	CHECK(fs_check_dir(at("sticky"), "the home", real, sizeof(real), &e)
	    == -1);
	CHECK(mkdir(at("sticky/in"), 0755) == 0);
	CHECK(fs_check_dir(at("sticky/in"), "the home", real, sizeof(real),
	    &e) == 0);
	/* A link to their directory is their directory. */
	CHECK(symlink(at("theirs"), at("tolink")) == 0);
	CHECK(fs_check_dir(at("tolink"), "the home", real, sizeof(real), &e)
	    == -1);
	/* Not a directory. */
	CHECK(close(open(at("plain"), O_WRONLY | O_CREAT, 0644)) == 0);
	CHECK(fs_check_dir(at("plain"), "the home", real, sizeof(real), &e) ==
	    -1);
	CHECK(strstr(e.msg, "not a directory") != NULL);
}

static void
test_file(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct err e;
	int fd;

	CHECK(mkdir(at("f"), 0755) == 0);
	CHECK(fs_check_file(at("f/none"), "the store", S_IFREG, &e) == 0);
	CHECK(close(open(at("f/mine"), O_WRONLY | O_CREAT, 0600)) == 0);
	CHECK(fs_check_file(at("f/mine"), "the store", S_IFREG, &e) == 0);
	CHECK(symlink(at("f/mine"), at("f/link")) == 0);
	CHECK(fs_check_file(at("f/link"), "the store", S_IFREG, &e) == -1);
	CHECK(strstr(e.msg, "symbolic link") != NULL);
	CHECK(close(open(at("f/theirs"), O_WRONLY | O_CREAT, 0600)) == 0 &&
	    chown(at("f/theirs"), OTHER, OTHER) == 0);
	CHECK(fs_check_file(at("f/theirs"), "the store", S_IFREG, &e) == -1);
	CHECK(strstr(e.msg, "uid 65534") != NULL);
	CHECK(close(open(at("f/open"), O_WRONLY | O_CREAT, 0600)) == 0 &&
	    chmod(at("f/open"), 0666) == 0);
	CHECK(fs_check_file(at("f/open"), "the store", S_IFREG, &e) == -1);
	CHECK(strstr(e.msg, "mode 0666") != NULL);
	/* A socket is writable by all by design; its owner still counts. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", at("f/sock"));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    chmod(at("f/sock"), 0666) == 0);
	close(fd);
	CHECK(fs_check_file(at("f/sock"), "the socket", S_IFSOCK, &e) == 0);
	CHECK(fs_check_file(at("f/sock"), "the store", S_IFREG, &e) == -1);
	CHECK(strstr(e.msg, "not a regular file") != NULL);
	CHECK(chown(at("f/sock"), OTHER, OTHER) == 0);
	CHECK(fs_check_file(at("f/sock"), "the socket", S_IFSOCK, &e) == -1);
}

static int
write_all_ok(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int ok = fd >= 0 && write(fd, "hello", 5) == 5;

	if (fd >= 0)
		close(fd);
	return ok;
}

static void
test_open(void)
{
	struct stat st;
	struct err e;
	int fd;

	CHECK(mkdir(at("o"), 0755) == 0);
	CHECK(close(open(at("o/target"), O_WRONLY | O_CREAT, 0644)) == 0);
	CHECK(write_all_ok(at("o/target")));
	CHECK(symlink(at("o/target"), at("o/lock")) == 0);
	fd = fs_open(at("o/lock"), "the lock file", O_RDWR | O_CREAT, 0644,
	    &e);
	CHECK(fd == -1);
	CHECK(strstr(e.msg, "refusing the lock file") != NULL);
	CHECK(strstr(e.msg, "symbolic link") != NULL);
	CHECK(stat(at("o/target"), &st) == 0 && st.st_size == 5);
	fd = fs_open(at("o/new"), "the lock file", O_RDWR | O_CREAT, 0644,
	    &e);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close(fd);
	CHECK(chown(at("o/new"), OTHER, OTHER) == 0);
	CHECK(fs_open(at("o/new"), "the log", O_WRONLY | O_APPEND, 0, &e) ==
	    -1);
	CHECK(strstr(e.msg, "uid 65534") != NULL);
}

static void
test_write_file_replaces_link(void)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	struct err e;

	CHECK(mkdir(at("w"), 0755) == 0);
	CHECK(close(open(at("w/victim"), O_WRONLY | O_CREAT, 0644)) == 0);
	CHECK(symlink(at("w/victim"), at("w/out.pem")) == 0);
	CHECK(fs_write_file(at("w/out.pem"), "key", 3, 0600, &e) == 0);
	CHECK(lstat(at("w/out.pem"), &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0777) == 0600);
	CHECK(stat(at("w/victim"), &st) == 0 && st.st_size == 0);
	CHECK(fs_read_file(at("w/out.pem"), 100, (unsigned char **)&buf,
	    &len, &e) == 0 && len == 3);
	free(buf);
}

int
main(void)
{
	char cmd[128];

	if (mkdtemp(top) == NULL)
		return 1;
	RUN(test_dir_trusted);
	RUN(test_dir_refused);
	RUN(test_file);
	RUN(test_open);
	RUN(test_write_file_replaces_link);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
	return unit_done();
}
