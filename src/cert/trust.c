/*
 * trust — making the system, and the NSS databases of browsers, trust a CA
 * or self-signed certificate. See cert.h.
 *
 * Each distribution family keeps a directory of extra anchors and a tool
 * that rebuilds the bundles programs read:
 *   Debian, Ubuntu   /usr/local/share/ca-certificates/hsys-T.crt
 *                    update-ca-certificates (--fresh when removing)
 *   Fedora, RHEL     /etc/pki/ca-trust/source/anchors/hsys-T.pem
 *                    update-ca-trust extract
 *   Arch             /etc/ca-certificates/trust-source/anchors/hsys-T.crt
 *                    trust extract-compat
 * where T is the SHA-1 thumbprint, so that untrust finds the file again.
 *
 * With a root directory (an image, a container's file system), files go
 * under it, and a tool runs only when it can be told to work on that root
 * (Debian's update-ca-certificates can); otherwise the command to run
 * inside the root is printed. A root's own hook scripts are never run from
 * here: they would act on this machine.
 *
 * NSS (Chromium's ~/.pki/nssdb, Firefox profiles) ignores the system's
 * bundle, so certutil adds the certificate to each database it finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "common/fs.h"

#define TOOL_SCRIPT_MAX	(256 * 1024)

/* Where the tools live when PATH is short (sudo, cron). */
static const char fallback_path[] = "/usr/local/sbin:/usr/local/bin:"
    "/usr/sbin:/usr/bin:/sbin:/bin";

static void
say(const struct trust_ctx *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct trust_ctx *t, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->say != NULL)
		t->say(t->arg, line);
}

/* --- anchors ---------------------------------------------------------- */

int
trust_check_anchor(X509 *x, int *warn, struct err *e)
{
	char issuer[256];

	*warn = 0;
	if (X509_self_signed(x, 1) == 1)
		return 0;
	ERR_clear_error();
	if (X509_get_extension_flags(x) & EXFLAG_CA) {
		*warn = 1;
		return 0;
	}
	cert_name_string(X509_get_issuer_name(x), issuer, sizeof(issuer));
	return err_set(e, "the certificate is not a CA but a certificate "
	    "issued by %s; trust that CA's root certificate instead", issuer);
}

/* --- the distribution ------------------------------------------------- */

static int
is_dir(const char *root, const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s%s", root, path);
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The family one os-release word (an ID or one of ID_LIKE) names. */
static enum trust_family
family_of(const char *word, size_t len)
{
	static const struct {
		const char *id;
		enum trust_family f;
	} ids[] = {
		{ "debian", TRUST_DEBIAN }, { "ubuntu", TRUST_DEBIAN },
		{ "fedora", TRUST_FEDORA }, { "rhel", TRUST_FEDORA },
		{ "centos", TRUST_FEDORA }, { "arch", TRUST_ARCH },
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strlen(ids[i].id) == len && strncmp(ids[i].id, word, len)
		    == 0)
			return ids[i].f;
	return TRUST_UNKNOWN;
}

/* The family of a "KEY=value" os-release value: its first known word. */
static enum trust_family
family_of_value(const char *v)
{
	enum trust_family f;
	size_t n;

	while (*v != '\0') {
		v += strspn(v, " \t\"'");
		n = strcspn(v, " \t\"'\n");
		if (n == 0)
			break;
		if ((f = family_of(v, n)) != TRUST_UNKNOWN)
			return f;
		v += n;
	}
	return TRUST_UNKNOWN;
}

static enum trust_family
detect_os_release(const char *root)
{
	static const char *files[] = { "/etc/os-release",
	    "/usr/lib/os-release" };
	enum trust_family id = TRUST_UNKNOWN, like = TRUST_UNKNOWN;
	char path[PATH_MAX], line[512];
	size_t i;
	FILE *f = NULL;

	for (i = 0; i < 2 && f == NULL; i++) {
		snprintf(path, sizeof(path), "%s%s", root, files[i]);
		f = fopen(path, "re");
	}
	if (f == NULL)
		return TRUST_UNKNOWN;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "ID=", 3) == 0)
			id = family_of_value(line + 3);
		else if (strncmp(line, "ID_LIKE=", 8) == 0)
			like = family_of_value(line + 8);
	}
	fclose(f);
	return id != TRUST_UNKNOWN ? id : like;
}

enum trust_family
trust_detect(const char *root)
{
	enum trust_family f = detect_os_release(root);

	if (f != TRUST_UNKNOWN)
		return f;
	if (is_dir(root, "/etc/pki/ca-trust/source/anchors"))
		return TRUST_FEDORA;
	if (is_dir(root, "/etc/ca-certificates/trust-source/anchors"))
		return TRUST_ARCH;
	if (is_dir(root, "/usr/local/share/ca-certificates"))
		return TRUST_DEBIAN;
	return TRUST_UNKNOWN;
}

const char *
trust_family_name(enum trust_family f)
{
	switch (f) {
	case TRUST_DEBIAN:
		return "Debian";
	case TRUST_FEDORA:
		return "Fedora";
	case TRUST_ARCH:
		return "Arch";
	default:
		return "unknown";
	}
}

static const char *
anchor_dir(enum trust_family f)
{
	switch (f) {
	case TRUST_DEBIAN:
		return "/usr/local/share/ca-certificates";
	case TRUST_FEDORA:
		return "/etc/pki/ca-trust/source/anchors";
	case TRUST_ARCH:
		return "/etc/ca-certificates/trust-source/anchors";
	default:
		return NULL;
	}
}

int
trust_anchor_path(enum trust_family f, const char *root, const char *thumb,
    char *buf, size_t size, struct err *e)
{
	const char *dir = anchor_dir(f);

	if (dir == NULL)
		return err_set(e, "cannot tell how %s keeps its trusted "
		    "certificates (no known ID in %s/etc/os-release and no "
		    "known anchor directory); the hsys Root store still "
		    "trusts it", *root ? root : "this system", root);
	if ((size_t)snprintf(buf, size, "%s%s/hsys-%s.%s", root, dir, thumb,
	    f == TRUST_FEDORA ? "pem" : "crt") >= size)
		return err_set(e, "path too long under %s", root);
	return 0;
}

/* --- running tools ---------------------------------------------------- */

/* The full path of a program found in PATH, then in the usual places. */
static int
find_tool(const char *name, char *out, size_t size)
{
	const char *env = getenv("PATH");
	char path[8192];
	char *dir, *save = NULL;

	snprintf(path, sizeof(path), "%s:%s", env ? env : "", fallback_path);
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, size, "%s/%s", dir, name) < size &&
		    access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Runs argv[0] (a full path) with no input and its output thrown away:
 * the actions are reported by us, one line each. Its errors still reach
 * stderr unless quiet. */
static int
run_tool(char *const argv[], const char *name, int quiet, struct err *e)
{
	pid_t pid;
	int status, fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return err_sys(e, "cannot run %s", name);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (quiet)
				dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return err_sys(e, "cannot wait for %s", name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return err_set(e, "%s failed (exit status %d)", name,
		    WEXITSTATUS(status));
	return err_set(e, "%s was killed by signal %d", name,
	    WTERMSIG(status));
}

/* Whether a script-based tool knows an option: Debian's
 * update-ca-certificates answers --help with a short line that does not
 * list its directory options, and an unknown option makes it print that
 * line and succeed, so its text is the only reliable witness. */
static int
tool_knows(const char *path, const char *option)
{
	unsigned char *buf;
	size_t len;
	struct err ignored;
	int found;

	if (fs_read_file(path, TOOL_SCRIPT_MAX, &buf, &len, &ignored) == -1)
		return 0;
	found = memmem(buf, len, option, strlen(option)) != NULL;
	free(buf);
	return found;
}

/* --- refreshing the system's bundle ----------------------------------- */

struct refresh {
	const char	*tool;		/* program name */
	const char	*args[3];	/* its arguments, NULL-terminated */
};

static void
refresh_command(enum trust_family f, int removing, struct refresh *r)
{
	memset(r, 0, sizeof(*r));
	switch (f) {
	case TRUST_DEBIAN:
		r->tool = "update-ca-certificates";
		r->args[0] = removing ? "--fresh" : NULL;
		break;
	case TRUST_FEDORA:
		r->tool = "update-ca-trust";
		r->args[0] = "extract";
		break;
	default:
		r->tool = "trust";
		r->args[0] = "extract-compat";
		break;
	}
}

static void
command_string(const struct refresh *r, char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "%s", r->tool);
	for (i = 0; r->args[i] != NULL; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), " %s",
		    r->args[i]);
}

/* Debian's tool, told to work on the root's directories. The bundle it
 * writes is right for the root; its per-certificate symlinks name paths
 * under the root as seen from here, as with its own --sysroot, until
 * update-ca-certificates runs inside the root. */
static int
refresh_debian_root(const struct trust_ctx *t, const char *tool,
    int removing, struct err *e)
{
	char conf[PATH_MAX], certs[PATH_MAX], local[PATH_MAX], etc[PATH_MAX];
	char *argv[16];
	int n = 0;

	snprintf(conf, sizeof(conf), "%s/etc/ca-certificates.conf", t->root);
	snprintf(certs, sizeof(certs), "%s/usr/share/ca-certificates",
	    t->root);
	snprintf(local, sizeof(local), "%s/usr/local/share/ca-certificates",
	    t->root);
	snprintf(etc, sizeof(etc), "%s/etc/ssl/certs", t->root);
	argv[n++] = (char *)tool;
	if (removing)
		argv[n++] = "--fresh";
	argv[n++] = "--certsconf";
	argv[n++] = conf;
	argv[n++] = "--certsdir";
	argv[n++] = certs;
	argv[n++] = "--localcertsdir";
	argv[n++] = local;
	argv[n++] = "--etccertsdir";
	argv[n++] = etc;
	/* Not a directory: the root's hooks must not run on this machine. */
	argv[n++] = "--hooksdir";
	argv[n++] = "/dev/null";
	argv[n] = NULL;
	if (run_tool(argv, "update-ca-certificates", 0, e) == -1)
		return -1;
	say(t, "Ran update-ca-certificates on %s/etc/ssl/certs (the root's "
	    "hooks were not run)", t->root);
	return 0;
}

static int
refresh(const struct trust_ctx *t, enum trust_family f, int removing,
    struct err *e)
{
	char tool[PATH_MAX], cmd[128];
	char *argv[4];
	struct refresh r;
	size_t i;

	refresh_command(f, removing, &r);
	command_string(&r, cmd, sizeof(cmd));
	if (f == TRUST_ARCH && *t->root == '\0' &&
	    find_tool("trust", tool, sizeof(tool)) == -1 &&
	    find_tool("update-ca-trust", tool, sizeof(tool)) == 0) {
		r.tool = "update-ca-trust";
		r.args[0] = NULL;
		command_string(&r, cmd, sizeof(cmd));
	}
	if (*t->root != '\0') {
		if (f == TRUST_DEBIAN && is_dir(t->root, "/etc/ssl/certs") &&
		    find_tool(r.tool, tool, sizeof(tool)) == 0 &&
		    tool_knows(tool, "--etccertsdir")) {
			if (t->dry_run) {
				say(t, "Would run update-ca-certificates on "
				    "%s/etc/ssl/certs", t->root);
				return 0;
			}
			return refresh_debian_root(t, tool, removing, e);
		}
		say(t, "%s the bundle inside the root: chroot %s %s",
		    t->dry_run ? "Would ask to refresh" : "To refresh",
		    t->root, cmd);
		return 0;
	}
	if (find_tool(r.tool, tool, sizeof(tool)) == -1)
		return err_set(e, "%s is not installed, so the system's bundle "
		    "was not refreshed (the file is in place); install "
		    "ca-certificates and run %s", r.tool, cmd);
	if (t->dry_run) {
		say(t, "Would run %s", cmd);
		return 0;
	}
	argv[0] = tool;
	for (i = 0; i < 2 && r.args[i] != NULL; i++)
		argv[i + 1] = (char *)r.args[i];
	argv[i + 1] = NULL;
	if (run_tool(argv, r.tool, 0, e) == -1)
		return -1;
	say(t, "Ran %s", cmd);
	return 0;
}

/* --- the system's trust ----------------------------------------------- */

static int
pem_encode(X509 *x, char **out, size_t *len, struct err *e)
{
	BIO *b;
	char *p;
	long n;

	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return err_ssl(e, "cannot encode the certificate");
	}
	n = BIO_get_mem_data(b, &p);
	if ((*out = malloc((size_t)n)) == NULL) {
		BIO_free(b);
		return err_sys(e, "out of memory");
	}
	memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return 0;
}

static int
place_file(const struct trust_ctx *t, X509 *x, const char *path,
    struct err *e)
{
	char dir[PATH_MAX], *slash, *pem;
	size_t len;
	int rc;

	if (t->dry_run) {
		say(t, "Would place %s", path);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (fs_mkdir_p(dir, 0755, e) == -1)
		return -1;
	if (pem_encode(x, &pem, &len, e) == -1)
		return -1;
	rc = fs_write_file(path, pem, len, 0644, e);
	free(pem);
	if (rc == 0)
		say(t, "Placed %s", path);
	return rc;
}

int
trust_system_add(const struct trust_ctx *t, X509 *x, const char *thumb,
    struct err *e)
{
	enum trust_family f = trust_detect(t->root);
	char path[PATH_MAX];

	if (trust_anchor_path(f, t->root, thumb, path, sizeof(path), e) == -1)
		return -1;
	if (place_file(t, x, path, e) == -1)
		return -1;
	return refresh(t, f, 0, e);
}

int
trust_system_remove(const struct trust_ctx *t, const char *thumb,
    struct err *e)
{
	enum trust_family f = trust_detect(t->root);
	char path[PATH_MAX];

	if (trust_anchor_path(f, t->root, thumb, path, sizeof(path), e) == -1)
		return -1;
	if (access(path, F_OK) == -1) {
		say(t, "Not in the system's trust: %s does not exist", path);
		return 0;
	}
	if (t->dry_run)
		say(t, "Would remove %s", path);
	else if (unlink(path) == -1)
		return err_sys(e, "cannot remove %s", path);
	else
		say(t, "Removed %s", path);
	return refresh(t, f, 1, e);
}

/* --- NSS databases ---------------------------------------------------- */

/* The NSS databases of the user: directories holding a cert9.db. */
static int
nss_databases(const struct trust_ctx *t, glob_t *g)
{
	static const char *patterns[] = {
		"/.pki/nssdb/cert9.db",
		"/.mozilla/firefox/*/cert9.db",
		"/snap/firefox/common/.mozilla/firefox/*/cert9.db",
	};
	char pat[PATH_MAX];
	size_t i;
	int flags = 0;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		snprintf(pat, sizeof(pat), "%s%s%s", t->root, t->home,
		    patterns[i]);
		if (glob(pat, flags, NULL, g) == 0)
			flags = GLOB_APPEND;
	}
	return flags ? 0 : -1;
}

struct nss_op {
	const struct trust_ctx	*t;
	const char		*certutil;
	const char		*nick;
	const char		*file;	/* PEM to add, NULL to delete */
	const char		*flags;	/* trust flags, when adding */
};

/* certutil -A or -D on one database (the directory of cert9.db). */
static int
nss_one(const struct nss_op *op, const char *db, struct err *e)
{
	char dbarg[PATH_MAX + 8];
	char *argv[12];
	int n = 0;

	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	argv[n++] = (char *)op->certutil;
	argv[n++] = op->file ? "-A" : "-L";
	argv[n++] = "-d";
	argv[n++] = dbarg;
	argv[n++] = "-n";
	argv[n++] = (char *)op->nick;
	if (op->file != NULL) {
		argv[n++] = "-t";
		argv[n++] = (char *)op->flags;
		argv[n++] = "-i";
		argv[n++] = (char *)op->file;
	}
	argv[n] = NULL;
	if (op->file == NULL) {
		/* Listing first: a database without it is not a failure. */
		if (run_tool(argv, "certutil", 1, e) == -1)
			return 0;
		argv[1] = "-D";
	}
	if (op->t->dry_run) {
		say(op->t, "Would %s the NSS database %s", op->file ?
		    "add it to" : "remove it from", db);
		return 0;
	}
	if (run_tool(argv, "certutil", 0, e) == -1)
		return err_prefix(e, "NSS database %s", db);
	say(op->t, "%s the NSS database %s", op->file ? "Added to" :
	    "Removed from", db);
	return 0;
}

static int
nss_all(const struct nss_op *op)
{
	char db[PATH_MAX], *slash;
	struct err one;
	glob_t g;
	size_t i;
	int failed = 0;

	if (nss_databases(op->t, &g) == -1)
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		snprintf(db, sizeof(db), "%s", g.gl_pathv[i]);
		if ((slash = strrchr(db, '/')) != NULL)
			*slash = '\0';
		if (nss_one(op, db, &one) == -1) {
			failed++;
			if (op->t->fail != NULL)
				op->t->fail(op->t->arg, one.msg);
		}
	}
	globfree(&g);
	return failed;
}

static int
nss_setup(const struct trust_ctx *t, const char *thumb, struct nss_op *op,
    char *tool, size_t size, char *nick, size_t nsize)
{
	if (t->home == NULL || find_tool("certutil", tool, size) == -1)
		return -1;
	memset(op, 0, sizeof(*op));
	op->t = t;
	op->certutil = tool;
	snprintf(nick, nsize, "hsys %s", thumb);
	op->nick = nick;
	return 0;
}

int
trust_nss_add(const struct trust_ctx *t, X509 *x, const char *thumb,
    struct err *e)
{
	char tool[PATH_MAX], nick[64], tmp[] = "/tmp/hsys-trust.XXXXXX";
	struct nss_op op;
	size_t len;
	char *pem;
	int fd, rc;

	if (nss_setup(t, thumb, &op, tool, sizeof(tool), nick, sizeof(nick))
	    == -1)
		return 0;
	/* A CA is trusted to issue ("C"); a self-signed server certificate
	 * that is no CA can only be trusted as a peer ("P"). */
	op.flags = X509_get_extension_flags(x) & EXFLAG_CA ? "C,," : "P,,";
	if (pem_encode(x, &pem, &len, e) == -1)
		return -1;
	if ((fd = mkstemp(tmp)) == -1 || write(fd, pem, len) != (ssize_t)len) {
		err_sys(e, "cannot write a temporary file for certutil");
		free(pem);
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	close(fd);
	free(pem);
	op.file = tmp;
	rc = nss_all(&op);
	unlink(tmp);
	return rc;
}

int
trust_nss_remove(const struct trust_ctx *t, const char *thumb)
{
	char tool[PATH_MAX], nick[64];
	struct nss_op op;

	if (nss_setup(t, thumb, &op, tool, sizeof(tool), nick, sizeof(nick))
	    == -1)
		return 0;
	return nss_all(&op);
}
