/*
 * renew — automatic renewal of ACME certificates. See renew.h.
 *
 * The renewal itself (`hsys cert acme renew --due`) reads keys and writes
 * the store: the key process's monitor runs it as root (RENEW,
 * src/keys/monitor.c) and tells its end on a socket of its own, watched
 * here. Without a key process that can (none, or one from before RENEW
 * inherited on a hand-over), hsysd runs it as its own child, as the user
 * it serves as (which fails without root for the system store).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/renew.h"
#include "keys/keys.h"
#include "store/store.h"

extern char **environ;

struct renew {
	struct loop_timer	 timer;
	struct loop_io		 io;		/* the child's pidfd */
	pid_t			 pid;		/* 0: none running */
	int			 asked;		/* pid is the key process's */
	int64_t			 spawned;	/* time() of the last start */
	int64_t			 due;		/* the earliest acme_cert_due_at */
	int			 rows;
	int			 failed;	/* children that failed in a row */
	struct hsysd		*timer_d;
};

/* Between two starts: RENEW_GAP_S, doubled per child that failed in a
 * row (a store whose keys cannot be read fails every time, before any
 * row records it), up to RENEW_LOOK_S. */
static int64_t
gap(const struct renew *r)
{
	int64_t g = RENEW_GAP_S;
	int i;

	for (i = 0; i < r->failed && g < RENEW_LOOK_S; i++)
		g *= 2;
	return g < RENEW_LOOK_S ? g : RENEW_LOOK_S;
}

struct scan {
	int64_t		 due;
	int		 rows;
	struct strbuf	 metrics;
	int64_t		 now;
};

static void
label(struct strbuf *b, const char *metric, const char *name)
{
	const char *p;

	strbuf_printf(b, "%s{name=\"", metric);
	for (p = name; *p; p++) {
		if (*p == '\\' || *p == '"')
			strbuf_add(b, "\\", 1);
		if (*p == '\n')
			strbuf_add(b, "\\n", 2);
		else
			strbuf_add(b, p, 1);
	}
	strbuf_add(b, "\"} ", 3);
}

static int
scan_one(const struct acme_cert *c, void *arg)
{
	struct scan *s = arg;

	s->rows++;
	/* next_renewal, or sooner when ARI is to be asked again (a window
	 * the CA moves earlier renews then). */
	if (s->due == 0 || acme_cert_due_at(c) < s->due)
		s->due = acme_cert_due_at(c);
	label(&s->metrics, "hsys_acme_certificate_expiry_days", c->name);
	strbuf_printf(&s->metrics, "%.2f\n", (double)(c->not_after - s->now)
	    / 86400.0);
	label(&s->metrics, "hsys_acme_renewal_failures", c->name);
	strbuf_printf(&s->metrics, "%d\n", c->failures);
	label(&s->metrics, "hsys_acme_next_renewal_timestamp_seconds",
	    c->name);
	strbuf_printf(&s->metrics, "%" PRId64 "\n", c->next_renewal);
	return 0;
}

static const char metrics_help[] =
    "# HELP hsys_acme_certificate_expiry_days Days until the ACME "
    "certificate's current certificate expires (negative: expired).\n"
    "# TYPE hsys_acme_certificate_expiry_days gauge\n"
    "# HELP hsys_acme_renewal_failures Renewals of the ACME certificate "
    "that failed in a row (0 after a success).\n"
    "# TYPE hsys_acme_renewal_failures gauge\n"
    "# HELP hsys_acme_next_renewal_timestamp_seconds When hsysd renews "
    "the ACME certificate next, in seconds since the epoch.\n"
    "# TYPE hsys_acme_next_renewal_timestamp_seconds gauge\n";

/* Reads the rows: the earliest due time, and the metrics lines. */
static void
scan(struct hsysd *d, struct renew *r)
{
	struct scan s = { .now = (int64_t)time(NULL) };
	struct store *st;
	struct err e;
	char *old;

	if (store_open(&st, STORE_MACHINE, STORE_READ, &e) == -1)
		return;
	strbuf_add(&s.metrics, metrics_help, sizeof(metrics_help) - 1);
	if (acme_cert_list(st, scan_one, &s, &e) == -1)
		log_warn("acme: cannot read the certificates to renew: %s",
		    e.msg);
	store_close(st);
	r->due = s.due;
	r->rows = s.rows;
	if (s.rows == 0 || strbuf_failed(&s.metrics)) {
		strbuf_free(&s.metrics);
		s.metrics.s = NULL;
	}
	pthread_mutex_lock(&d->listen_lock);
	old = d->acme_metrics;
	d->acme_metrics = s.metrics.s;
	pthread_mutex_unlock(&d->listen_lock);
	free(old);
}

/* The hsys beside hsysd. */
static int
hsys_path(const struct hsysd *d, char *buf, size_t size)
{
	const char *slash = strrchr(d->exe, '/');
	int n;

	if (slash == NULL)
		return -1;
	n = snprintf(buf, size, "%.*s/hsys", (int)(slash - d->exe), d->exe);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void	on_exit_child(struct loop *, struct loop_io *, unsigned);
static void	on_result(struct loop *, struct loop_io *, unsigned);
static void	ended(struct hsysd *, struct renew *);
static void	finish(struct hsysd *, struct renew *, int status);

/* Asks the key process's monitor to run it as root: 1 asked (or refused
 * for now: one runs already), 0 when hsysd is to run it itself. */
static int
ask_keys(struct hsysd *d, struct renew *r)
{
	struct err e;
	pid_t pid;
	int fd, st;

	if (d->keys == NULL || keys_client_pid(d->keys) == 0)
		return 0;
	if (keys_client_renew(d->keys, &fd, &pid, &st, &e) == -1) {
		if (st == KEYS_EBUSY) {
			log_info("acme: a renewal runs already (another hsysd's "
			    "before a hand-over); trying later");
			return 1;
		}
		if (st == KEYS_EMALFORMED) {
			log_warn("acme: the key process (from before a "
			    "hand-over) cannot run renewals; hsysd runs it");
			return 0;
		}
		log_err("acme: the key process cannot run the renewal: %s",
		    e.msg);
		r->failed++;
		return 1;
	}
	r->pid = pid;
	r->asked = 1;
	log_info("acme: renewal started (pid %ld, by the key process)",
	    (long)pid);
	r->io.fd = fd;
	r->io.fn = on_result;
	if (loop_io_add(d->loop, &r->io, LOOP_READ, &e) == -1) {
		log_err("acme: cannot wait for the renewal: %s", e.msg);
		close(fd);
		r->io.fd = -1;
		r->pid = 0;
		r->asked = 0;
	}
	return 1;
}

static void
spawn(struct hsysd *d, struct renew *r)
{
	char path[PATH_MAX];
	char *argv[] = { path, (char *)"cert", (char *)"acme",
	    (char *)"renew", (char *)"--due", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, fd;

	r->spawned = (int64_t)time(NULL);
	if (ask_keys(d, r))
		return;
	if (hsys_path(d, path, sizeof(path)) == -1 || access(path, X_OK)
	    == -1) {
		log_err("acme: a certificate is due for renewal, but hsys is "
		    "not beside hsysd (%s): cannot renew", d->exe);
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);	/* its lines: our log */
	rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		log_err("acme: cannot start the renewal (%s): %s", path,
		    strerror(rc));
		return;
	}
	r->pid = pid;
	log_info("acme: renewal started (pid %ld)", (long)pid);
	/* A pidfd says at once when it ends; without one (an old kernel, a
	 * seccomp filter that refuses pidfd_open), the timer asks waitpid
	 * every RENEW_POLL_MS. */
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return;
	r->io.fd = fd;
	r->io.fn = on_exit_child;
	if (loop_io_add(d->loop, &r->io, LOOP_READ, NULL) == -1) {
		close(fd);
		r->io.fd = -1;
	}
}

static struct renew *
renew_of(struct hsysd *d)
{
	if (d->renew == NULL && (d->renew = calloc(1, sizeof(*d->renew))) !=
	    NULL)
		d->renew->io.fd = -1;
	return d->renew;
}

static void
arm(struct hsysd *d, struct renew *r)
{
	int64_t now = (int64_t)time(NULL), wait = RENEW_LOOK_S;

	if (r->pid != 0 && r->io.fd == -1) {
		loop_timer_set(d->loop, &r->timer, RENEW_POLL_MS);
		return;
	}
	if (r->pid != 0)
		wait = r->spawned + RENEW_CHILD_MAX_S - now;
	else if (r->rows > 0 && r->due - now < wait) {
		wait = r->due - now;
		if (r->spawned + gap(r) - now > wait)
			wait = r->spawned + gap(r) - now;
	}
	if (wait < 1)
		wait = 1;
	loop_timer_set(d->loop, &r->timer, (uint64_t)wait * 1000);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct renew *r = container_of(t, struct renew, timer);
	struct hsysd *d = r->timer_d;
	int64_t now = (int64_t)time(NULL);

	(void)l;
	if (r->pid != 0 && r->io.fd == -1) {
		siginfo_t si = { .si_pid = 0 };
		int rc = waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG |
		    WNOWAIT);

		if ((rc == 0 && si.si_pid == r->pid) || (rc == -1 &&
		    errno == ECHILD)) {
			ended(d, r);
			return;
		}
	}
	if (r->pid != 0 && !r->asked && now >= r->spawned +
	    RENEW_CHILD_MAX_S) {
		log_warn("acme: the renewal (pid %ld) ran for %d seconds; "
		    "stopping it", (long)r->pid, RENEW_CHILD_MAX_S);
		kill(r->pid, SIGTERM);
	}
	if (r->pid == 0) {
		scan(d, r);
		if (r->rows > 0 && r->due <= now && d->drain == NULL &&
		    now >= r->spawned + gap(r))
			spawn(d, r);
	}
	arm(d, r);
}

/* The child has ended (or is gone): reaped, counted, the rows read. */
static void
ended(struct hsysd *d, struct renew *r)
{
	int status = 0;

	if (waitpid(r->pid, &status, WNOHANG) != r->pid)
		r->failed = 0;	/* reaped elsewhere: not counted a failure */
	else
		finish(d, r, status);
	finish(d, r, -1);
}

/* status: the renewal's wait status, told; -1: counted, the rows read. */
static void
finish(struct hsysd *d, struct renew *r, int status)
{
	if (status != -1) {
		log_info("acme: renewal (pid %ld) ended: %s %d", (long)r->pid,
		    WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ?
		    WEXITSTATUS(status) : WTERMSIG(status));
		r->failed = WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
		    0 : r->failed + 1;
		return;
	}
	r->pid = 0;
	r->asked = 0;
	scan(d, r);
	arm(d, r);
}

/* The key process tells the end of the renewal it ran. */
static void
on_result(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct renew *r = container_of(io, struct renew, io);
	int status;

	(void)rev;
	loop_io_remove(l, io);
	if (keys_renew_result(io->fd, &status) == 0)
		finish(r->timer_d, r, status);
	else {
		log_err("acme: the key process ended before it told the end "
		    "of the renewal (pid %ld)", (long)r->pid);
		r->failed++;
	}
	close(io->fd);
	io->fd = -1;
	finish(r->timer_d, r, -1);
}

static void
on_exit_child(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct renew *r = container_of(io, struct renew, io);

	(void)rev;
	loop_io_remove(l, io);
	close(io->fd);
	io->fd = -1;
	ended(r->timer_d, r);
}

void
renew_sync(struct hsysd *d)
{
	struct renew *r = renew_of(d);

	if (r == NULL)
		return;
	r->timer_d = d;
	r->timer.fn = on_timer;
	if (r->pid == 0)
		scan(d, r);
	arm(d, r);
}

void
renew_free(struct hsysd *d)
{
	struct renew *r = d->renew;

	if (r == NULL)
		return;
	if (r->io.fd != -1)
		close(r->io.fd);
	free(r);
	d->renew = NULL;
	free(d->acme_metrics);
	d->acme_metrics = NULL;
}

void
renew_metrics(struct hsysd *d, struct strbuf *b)
{
	pthread_mutex_lock(&d->listen_lock);
	if (d->acme_metrics != NULL)
		strbuf_add(b, d->acme_metrics, strlen(d->acme_metrics));
	pthread_mutex_unlock(&d->listen_lock);
}

/* --- servicestate ------------------------------------------------------ */

struct view {
	struct strbuf	*b;
	int		 text, n;
	int64_t		 now;
};

static void
when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int
state_one(const struct acme_cert *c, void *arg)
{
	struct view *v = arg;
	double days = (double)(c->not_after - v->now) / 86400.0;
	char exp[64], next[64];

	when(c->not_after, exp, sizeof(exp));
	when(c->next_renewal, next, sizeof(next));
	if (v->text) {
		strbuf_printf(v->b, "    %s: expires in %.1f days (%s); next "
		    "renewal %s; %d failure(s) in a row\n", c->name, days, exp,
		    next, c->failures);
		if (*c->last_error)
			strbuf_printf(v->b, "        last error: %s\n",
			    c->last_error);
		return 0;
	}
	if (v->n++ > 0)
		strbuf_add(v->b, ",", 1);
	strbuf_add(v->b, "{\"name\":", 8);
	strbuf_json(v->b, c->name);
	strbuf_add(v->b, ",\"thumbprint\":", 14);
	strbuf_json(v->b, c->thumbprint);
	strbuf_printf(v->b, ",\"not_after\":%" PRId64 ",\"days_to_expiry\":"
	    "%.2f,\"next_renewal\":%" PRId64 ",\"failures\":%d,"
	    "\"last_error\":", c->not_after, days, c->next_renewal,
	    c->failures);
	strbuf_json(v->b, c->last_error);
	strbuf_add(v->b, "}", 1);
	return 0;
}

void
renew_state(struct store *s, struct strbuf *b, int text)
{
	struct view v = { b, text, 0, (int64_t)time(NULL) };
	struct err e;

	if (text)
		strbuf_printf(b, "ACME certificates:\n");
	else
		strbuf_add(b, "\"acme\":[", 8);
	if (s != NULL && acme_cert_list(s, state_one, &v, &e) == -1 && text)
		strbuf_printf(b, "    (cannot read them: %s)\n", e.msg);
	if (text)
		strbuf_printf(b, v.n == 0 && text ? "    none\n\n" : "\n");
	else
		strbuf_add(b, "]", 1);
}
