/*
 * sandbox — hsysd's own seccomp filter (libseccomp). See sandbox.h and
 * docs/security.md, "The seccomp filter".
 *
 * The list is what serving calls, found by reading the code and checked
 * under strace with every feature the tests drive (HTTP/1.1 and HTTP/2,
 * TLS, applications, servicestate, reloads, log rotation, a handover):
 * glibc's and the loader's calls (the hsysd a handover executes starts
 * under this filter), the event loop's, sockets, files (SQLite, the logs,
 * the control socket's bind and rename), threads and time. Left out,
 * among others: the change of user and capabilities (setuid, setgroups,
 * capset: done before), chown but on an open file, mount, namespaces,
 * ptrace, bpf, keyrings, modules, the clock, personality, memfd,
 * io_uring, process_vm_*. A call not on the list fails with EPERM, as
 * under the unit's SystemCallErrorNumber=EPERM: a path this list missed
 * fails the way a full disk would, and does not kill the daemon.
 *
 * Under AddressSanitizer (make SANITIZE=1) the list grows by what the
 * sanitizer's runtime calls: LeakSanitizer stops the threads at exit with
 * ptrace from a clone of the process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <seccomp.h>

#include "common/err.h"
#include "daemon/log.h"
#include "daemon/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "lseek", "close", "close_range", "dup", "dup2", "dup3",
	"fcntl", "ioctl", "flock", "fsync", "fdatasync", "ftruncate",
	"fallocate", "fadvise64", "open", "openat", "openat2", "stat",
	"fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
	"access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"getdents64", "getcwd", "mkdir", "mkdirat", "unlink", "unlinkat",
	"rename", "renameat", "renameat2", "fchmod", "fchmodat", "chmod",
	"fchown", "umask", "pipe", "pipe2", "sendfile",
	/* sockets */
	"socket", "socketpair", "bind", "listen", "accept", "accept4",
	"connect", "getsockname", "getpeername", "setsockopt", "getsockopt",
	"shutdown", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg",
	"recvmmsg",
	/* waiting */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select",
	"pselect6", "eventfd", "eventfd2", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4",
	"nanosleep", "clock_nanosleep", "futex", "futex_waitv",
	/* memory */
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore",
	"membarrier",
	/* threads, signals, the process */
	"clone", "clone3", "fork", "vfork", "execve", "wait4", "waitid",
	"exit", "exit_group", "set_tid_address", "set_robust_list",
	"get_robust_list", "rseq", "arch_prctl", "sched_yield",
	"sched_getaffinity", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack",
	"kill", "tgkill", "tkill", "pidfd_open", "pidfd_send_signal",
	"getpid", "getppid", "gettid", "getuid",
	"geteuid", "getgid", "getegid", "getgroups", "getresuid",
	"getresgid", "capget", "getrlimit", "prlimit64", "setrlimit",
	"getrusage", "getpriority", "getrandom", "uname", "sysinfo",
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"restart_syscall",
#ifdef SANDBOX_ASAN
	"ptrace", "process_vm_readv", "sched_setaffinity", "personality",
	"getdents",
#endif
};

/* The key process's signer (src/keys/proc.c): what it calls to read the
 * store's keys (SQLite, read only), serve its channels (one thread each:
 * recvmsg, send), sign (OpenSSL: getrandom) and log (stderr or syslog).
 * No fork, no exec, no listening socket, no file written or removed. */
static const char *const signer_allowed[] = {
	"read", "write", "writev", "pread64", "pwrite64", "lseek", "close",
	"fcntl", "flock", "fsync", "fdatasync", "ioctl", "open", "openat",
	"stat", "fstat", "lstat", "newfstatat", "statx", "fstatfs", "access",
	"faccessat", "faccessat2", "readlink", "getcwd",
	"socket", "connect", "getsockopt", "sendto", "sendmsg", "recvfrom",
	"recvmsg", "shutdown",
	"poll", "ppoll", "nanosleep", "clock_nanosleep", "futex", "pause",
	"rt_sigsuspend",
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise",
	"clone", "clone3", "exit", "exit_group", "set_tid_address",
	"set_robust_list", "get_robust_list", "rseq", "sched_yield",
	"sched_getaffinity", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sigaltstack", "tgkill", "getpid", "getppid",
	"gettid", "getuid", "geteuid", "getgid", "getegid", "getrandom",
	"uname", "sysinfo", "clock_gettime", "gettimeofday", "time",
	"restart_syscall", "getrlimit", "prlimit64",
#ifdef SANDBOX_ASAN
	"ptrace", "process_vm_readv", "sched_setaffinity", "personality",
	"getdents", "getdents64", "wait4", "waitid", "execve", "fork",
	"vfork", "pipe", "pipe2", "dup2", "dup3", "kill",
#endif
};

/* prctl for what glibc, OpenSSL and hsysd ask of it; not to make the
 * process dumpable or traceable again. */
static const int prctl_allowed[] = {
	PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_GET_SECCOMP,
	PR_GET_NO_NEW_PRIVS, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_READ,
	PR_GET_KEEPCAPS,
	PR_CAP_AMBIENT,	/* only reads: raising needs the capability */
};

/* SCMP_A0() and kin leave fields to the compiler, which clang's
 * -Wmissing-field-initializers refuses: spelled out. */
static struct scmp_arg_cmp
arg_eq(unsigned arg, scmp_datum_t v)
{
	struct scmp_arg_cmp c = { .arg = arg, .op = SCMP_CMP_EQ,
	    .datum_a = v, .datum_b = 0 };

	return c;
}

static int
add_prctl(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp c[2];
	size_t i;

#ifdef SANDBOX_ASAN
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0);
#endif
	for (i = 0; i < sizeof(prctl_allowed) / sizeof(prctl_allowed[0]);
	    i++) {
		c[0] = arg_eq(0, (scmp_datum_t)prctl_allowed[i]);
		if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(prctl), 1, c) < 0)
			return -1;
	}
	/* The hsysd a handover executes is dumpable again until it says
	 * otherwise (secret_protect_process): that one way only. */
	c[0] = arg_eq(0, PR_SET_DUMPABLE);
	c[1] = arg_eq(1, 0);
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
	    c);
}

static int
build_list(scmp_filter_ctx ctx, const char *const *list, size_t n)
{
	size_t i;
	int nr;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(list[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -1;
	}
	return add_prctl(ctx);
}

static int
build(scmp_filter_ctx ctx)
{
	return build_list(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
}

int
sandbox_apply_signer(struct err *e)
{
	scmp_filter_ctx ctx;
	int rc;

	/* Stacked on any filter in place (the unit's): the stricter wins. */
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return err_set(e, "seccomp: cannot make the signer's filter");
	rc = build_list(ctx, signer_allowed, sizeof(signer_allowed) /
	    sizeof(signer_allowed[0]));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc == -EOPNOTSUPP || rc == -ENOSYS) {
		log_warn("seccomp: not available here (%s); the signer runs "
		    "without its system call filter", strerror(-rc));
		return 0;
	}
	if (rc < 0) {
		errno = -rc;
		return err_sys(e, "seccomp: cannot apply the signer's filter");
	}
	return 0;
}

int
sandbox_apply(enum sandbox_mode mode, struct err *e)
{
	scmp_filter_ctx ctx;
	int rc;

	if (mode == SANDBOX_OFF) {
		log_info("seccomp: off (--seccomp off)");
		return 0;
	}
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2) {
		log_info("seccomp: a filter is in place already (the unit's "
		    "SystemCallFilter=, or the hsysd this one took over from); "
		    "adding none");
		return 0;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return err_set(e, "seccomp: cannot make a filter");
	/* Every thread: the log writer exists already. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = build(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	/* No seccomp in this kernel, or a process valgrind runs (which
	 * cannot emulate it): serve, and say so. */
	if (rc == -EOPNOTSUPP || rc == -ENOSYS) {
		log_warn("seccomp: not available here (%s); serving without "
		    "the system call filter", strerror(-rc));
		return 0;
	}
	if (rc < 0) {
		errno = -rc;
		return err_sys(e, "seccomp: cannot apply the filter (hsysd "
		    "--seccomp off serves without it)");
	}
	log_info("seccomp: the system call filter is on");
	return 0;
}
