/*
 * faultshim — an LD_PRELOAD library that makes the disk fail, the way
 * SQLite's own tests inject I/O errors: every write(2), pwrite(2),
 * fsync(2), fdatasync(2) and ftruncate(2) on a file whose name contains
 * FAULT_MATCH (default "hsys.db": the store, its WAL and its SHM) is
 * counted, and from the FAULT_AFTER-th one on (counting from 0) each
 * fails with FAULT_ERRNO (EIO, or ENOSPC with FAULT_ERRNO=ENOSPC).
 * FAULT_OPS limits the calls counted ("write,fsync": write covers
 * pwrite and ftruncate too). At exit the number of calls counted is
 * written to FAULT_COUNT, if set, so a test knows when FAULT_AFTER has
 * gone past the last one. Built by the top Makefile into
 * BUILD/tests/faultshim.so, never with sanitizers; used by
 * tests/e2e/store_faults_io.sh.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long counted;

static int
counts(int fd, const char *op)
{
	const char *match = getenv("FAULT_MATCH"), *ops = getenv("FAULT_OPS");
	char link[64], name[4096];
	ssize_t n;

	if (ops != NULL && strstr(ops, op) == NULL)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, name, sizeof(name) - 1)) <= 0)
		return 0;
	name[n] = '\0';
	return strstr(name, match ? match : "hsys.db") != NULL;
}

/* 1 when this call must fail (errno is set). */
static int
fault(int fd, const char *op)
{
	const char *after = getenv("FAULT_AFTER"), *en = getenv("FAULT_ERRNO");
	int saved = errno;

	if (after == NULL || !counts(fd, op)) {
		errno = saved;
		return 0;
	}
	if (counted++ < atol(after)) {
		errno = saved;
		return 0;
	}
	errno = en != NULL && strcmp(en, "ENOSPC") == 0 ? ENOSPC : EIO;
	return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void *buf, size_t n)
{
	return fault(fd, "write") ? -1 : REAL(write)(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return fault(fd, "write") ? -1 : REAL(pwrite)(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return fault(fd, "write") ? -1 : REAL(pwrite64)(fd, buf, n, off);
}

int
ftruncate(int fd, off_t len)
{
	return fault(fd, "write") ? -1 : REAL(ftruncate)(fd, len);
}

int
ftruncate64(int fd, off64_t len)
{
	return fault(fd, "write") ? -1 : REAL(ftruncate64)(fd, len);
}

int
fsync(int fd)
{
	return fault(fd, "fsync") ? -1 : REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	return fault(fd, "fsync") ? -1 : REAL(fdatasync)(fd);
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("FAULT_COUNT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%ld\n", counted);
	fclose(f);
}
