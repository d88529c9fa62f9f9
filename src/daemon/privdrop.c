/*
 * privdrop — hsysd serving as an unprivileged user (--user): finding the
 * user, the socket directory made for it, and the change of user with
 * CAP_NET_BIND_SERVICE kept. See privdrop.h and docs/security.md.
 *
 * Capabilities are set with the raw capset(2), not libcap: one mask, set
 * once. The change happens on the main thread before the workers start;
 * setresuid() and setgroups() reach every thread (glibc signals them all),
 * capset() only the caller, so a thread that exists already (the log
 * writer) keeps no capability at all, and the workers inherit the main
 * thread's one.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/privdrop.h"

#define SOCK_DIR	"control"
#define SOCK_LINK	SOCK_DIR "/hsysd.sock"

void
privdrop_default(struct privdrop *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (p->name[0] != '\0' || geteuid() != 0 ||
	    getenv("HSYS_HOME") != NULL)
		return;
	if (getpwnam_r(PRIVDROP_DEFAULT_USER, &pw, buf, sizeof(buf), &res) !=
	    0 || res == NULL)
		return;
	snprintf(p->name, sizeof(p->name), "%s", PRIVDROP_DEFAULT_USER);
}

int
privdrop_resolve(struct privdrop *p, struct err *e)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	p->active = 0;
	if (p->name[0] == '\0')
		return 0;
	if (getpwnam_r(p->name, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return err_set(e, "--user %s: no such user (systemd-sysusers "
		    "makes hsys from PREFIX/lib/sysusers.d/hsys.conf)", p->name);
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	if (geteuid() != 0) {
		if (geteuid() == p->uid)
			return 0;	/* the user already: nothing to do */
		return err_set(e, "--user %s: hsysd runs as uid %ld; only "
		    "root can serve as another user", p->name,
		    (long)geteuid());
	}
	if (p->uid == 0)
		return 0;
	p->active = 1;
	return 0;
}

void
privdrop_trust(const struct privdrop *p, int on)
{
	fs_trust_uid(p->active && on ? p->uid : (uid_t)-1);
}

int
privdrop_follow(const struct privdrop *p, struct hsysd *d, struct err *e)
{
	char link[PATH_MAX + 16], dir[PATH_MAX + 16], real[PATH_MAX];
	char target[sizeof(SOCK_LINK) + 1];
	ssize_t n;
	int rc = -1;

	snprintf(link, sizeof(link), "%s/hsysd.sock", d->runtime);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (strcmp(target, SOCK_LINK) != 0)
		return 0;	/* not ours: paths_init refuses it */
	snprintf(dir, sizeof(dir), "%s/" SOCK_DIR, d->runtime);
	privdrop_trust(p, 1);
	if (fs_check_dir(dir, "the control socket's directory", real,
	    sizeof(real), e) == -1)
		goto out;
	if ((size_t)snprintf(d->sock_path, sizeof(d->sock_path),
	    "%s/hsysd.sock", real) >= sizeof(d->sock_path)) {
		err_set(e, "the socket path in %s is too long", real);
		goto out;
	}
	if (fs_check_file(d->sock_path, "the control socket", S_IFSOCK, e) ==
	    0)
		rc = 1;
out:
	privdrop_trust(p, 0);
	return rc;
}

/* RUNTIME/hsysd.sock -> control/hsysd.sock, replacing a socket a root
 * hsysd left (we hold the lock: no daemon serves on it). */
static int
sock_link(int dfd, const char *runtime, struct err *e)
{
	char target[sizeof(SOCK_LINK) + 1];
	ssize_t n;

	n = readlinkat(dfd, "hsysd.sock", target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, SOCK_LINK) == 0)
			return 0;
	}
	unlinkat(dfd, "hsysd.sock.link", 0);
	if (symlinkat(SOCK_LINK, dfd, "hsysd.sock.link") == -1 ||
	    renameat(dfd, "hsysd.sock.link", dfd, "hsysd.sock") == -1)
		return err_sys(e, "cannot link %s/hsysd.sock to %s", runtime,
		    SOCK_LINK);
	return 0;
}

int
privdrop_socket(const struct privdrop *p, struct hsysd *d, struct err *e)
{
	struct stat st;
	int dfd, fd = -1, rc = -1;

	if (!p->active)
		return 0;
	dfd = open(d->runtime, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1)
		return err_sys(e, "cannot open %s", d->runtime);
	if (mkdirat(dfd, SOCK_DIR, 0755) == -1 && errno != EEXIST) {
		err_sys(e, "cannot create %s/" SOCK_DIR, d->runtime);
		goto out;
	}
	/* Never through a link; what is there is made the user's. The mode
	 * first, and only if it is not right: root without CAP_FOWNER (the
	 * unit's bounding set) cannot set it once the directory is the
	 * user's. */
	fd = openat(dfd, SOCK_DIR, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || ((st.st_mode & 07777) !=
	    0755 && fchmod(fd, 0755) == -1) || fchown(fd, p->uid, p->gid) ==
	    -1) {
		err_sys(e, "cannot give %s/" SOCK_DIR " to %s", d->runtime,
		    p->name);
		goto out;
	}
	if (sock_link(dfd, d->runtime, e) == -1)
		goto out;
	if ((size_t)snprintf(d->sock_path, sizeof(d->sock_path), "%s/"
	    SOCK_LINK, d->runtime) >= sizeof(d->sock_path)) {
		err_set(e, "the socket path in %s is too long", d->runtime);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	close(dfd);
	return rc;
}

/* The bounding set: all but CAP_NET_BIND_SERVICE. Without CAP_SETPCAP
 * (under the unit, whose CapabilityBoundingSet did it) it stays. */
static void
bounding_drop(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (cap == CAP_NET_BIND_SERVICE)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno == EINVAL)
			break;	/* past the kernel's last capability */
	}
}

static int
caps_keep_bind(struct err *e)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	const unsigned bit = 1u << CAP_NET_BIND_SERVICE;

	memset(c, 0, sizeof(c));
	c[0].effective = c[0].permitted = c[0].inheritable = bit;
	if (syscall(SYS_capset, &h, c) == -1)
		return err_sys(e, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE,
	    0, 0) == -1)
		return err_sys(e, "cannot keep CAP_NET_BIND_SERVICE");
	return 0;
}

int
privdrop_apply(const struct privdrop *p, struct err *e)
{
	if (!p->active)
		return 0;
	bounding_drop();
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &p->gid) == -1 ||
	    setresgid(p->gid, p->gid, p->gid) == -1 ||
	    setresuid(p->uid, p->uid, p->uid) == -1)
		return err_sys(e, "cannot become the user %s (uid %ld)",
		    p->name, (long)p->uid);
	if (caps_keep_bind(e) == -1)
		return -1;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return err_sys(e, "PR_SET_NO_NEW_PRIVS");
	/* A change of uid makes the process dumpable again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setuid(0) == 0)
		return err_set(e, "still able to become root after becoming "
		    "%s", p->name);
	log_notice("serving as %s (uid %ld), with CAP_NET_BIND_SERVICE only",
	    p->name, (long)p->uid);
	return 0;
}

int
privdrop_caps_only(int keep, struct err *e)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	int cap;

	/* The bounding set first, while CAP_SETPCAP is held (a process
	 * without it has nothing to drop there that it could raise). */
	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != keep && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EPERM && errno != EINVAL)
			return err_sys(e, "cannot drop capability %d", cap);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, c) == -1)
		return err_sys(e, "cannot read the capabilities");
	for (cap = 0; cap < _LINUX_CAPABILITY_U32S_3; cap++) {
		uint32_t m = keep >= 0 && keep / 32 == cap ?
		    1u << (keep % 32) : 0;

		c[cap].effective &= m;
		c[cap].permitted &= m;
		c[cap].inheritable &= m;
	}
	if (syscall(SYS_capset, &h, c) == -1)
		return err_sys(e, "cannot drop the capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return err_sys(e, "cannot set no new privileges");
	return 0;
}
