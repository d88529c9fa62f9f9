/*
 * nopidfd — an LD_PRELOAD shim for the end-to-end tests: pidfd_open
 * fails with ENOSYS, as on a kernel before 5.3 or under valgrind, which
 * knows no pidfd_open. hsysd must then watch its key process and its ACME
 * renewal child another way (keys_nopidfd). Every other call of
 * syscall(2) goes to libc's unchanged.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

long
syscall(long n, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	if (n == SYS_pidfd_open) {
		errno = ENOSYS;
		return -1;
	}
	if (real == NULL &&
	    (real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
