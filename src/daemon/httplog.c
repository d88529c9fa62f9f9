/*
 * httplog — the access and httperr logs: workers' buffers, the writer
 * thread, the files. See httplog.h.
 *
 * A buffer goes round: the free list -> a worker, which fills it -> the
 * queue -> the writer, which writes it out -> the free list. The one lock
 * guards the free list and the queue and is taken once per buffer, not
 * per line. At most maxbufs buffers exist; a worker that finds none drops
 * its line and counts it, rather than wait for the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/util.h"
#include "daemon/httplog.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/worker.h"

#define HTTPLOG_BUF		(64u << 10)
#define HTTPLOG_FLUSH_MS	100	/* the longest a line waits */
#define HTTPLOG_MAXBUFS		64	/* 4 MiB in flight at most */
#define DROP_REPORT_SEC		10

enum { F_ACCESS, F_ERRORS, F_N };
static const char *const file_name[F_N] = { "access.log", "httperr.log" };

struct lbuf {
	struct lbuf	*next;
	int		 file;
	size_t		 len;
	char		 data[HTTPLOG_BUF];
};

/* A worker's part: only its thread touches it. */
struct wlog {
	struct httplog		*hl;
	struct worker		*w;
	struct lbuf		*cur[F_N];
	struct loop_timer	 flush;
	struct logline_clock	 clock;
};

struct httplog {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct lbuf		*head, **tailp;	/* full buffers, in order */
	struct lbuf		*free;
	unsigned		 nbufs;
	int			 stop, reopen;
	pthread_t		 thread;
	int			 started;
	atomic_ullong		 dropped;
	/* Set before the writer starts; then the writer's alone. */
	enum logline_format	 format;
	int			 errors;
	uid_t			 owner;		/* conf->owner */
	int			 fd[F_N];
	int			 failing[F_N];	/* a write failed, said so */
	char			 path[F_N][PATH_MAX + 16];
	unsigned long long	 drops_unsaid;
	time_t			 drops_said;
	struct wlog		*w;
	int			 nw;
};

/* --- files (the writer, or main before it starts) -------------------- */

/*
 * Who may read the logs: as Debian has it for nginx, the user hsysd
 * serves as owns them, group adm reads them, mode 0640, and the
 * directory is 0750 to the same group. Set explicitly, not left to the
 * umask, so that hsysd's files, the directory and logrotate's `create
 * 0640` (the old file's owner and group) agree. Without an adm group (or the right to give files
 * to it, as a private instance run by a user not in it) the group stays.
 */
#define LOG_MODE	0640
#define LOG_DIR_MODE	0750
#define LOG_GROUP	"adm"

static gid_t
log_group(void)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(LOG_GROUP, &gr, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return (gid_t)-1;
	return gr.gr_gid;
}

/* owner: the user hsysd serves as (--user), given the files and the
 * directory while hsysd is still root, so that it reopens them after a
 * rotation; (uid_t)-1 keeps the owner. */
static void
log_file_perms(int fd, uid_t owner)
{
	gid_t g = log_group();

	/* The mode first: root without CAP_FOWNER cannot set it on a file
	 * it gave away. */
	(void)fchmod(fd, LOG_MODE);
	if ((g != (gid_t)-1 || owner != (uid_t)-1) &&
	    fchown(fd, owner, g) == -1)
		errno = 0;	/* not ours to give: the group stays */
}

static void
log_dir_perms(const char *dir, uid_t owner)
{
	gid_t g = log_group();

	/* The mode first: once the directory is another user's, root
	 * without CAP_FOWNER (the unit's bounding set) cannot set it. */
	(void)chmod(dir, LOG_DIR_MODE);
	if ((g != (gid_t)-1 || owner != (uid_t)-1) &&
	    chown(dir, owner, g) == -1)
		errno = 0;
}

/*
 * Not through a link, nor a file another user may write. Root without
 * CAP_DAC_OVERRIDE (systemd's CapabilityBoundingSet= leaves it out) can
 * neither create nor open a file in the directory given to the serving
 * user (0750, that user and adm), which it is from the first start on:
 * then the file is opened as that user (the file-system uid of this
 * thread alone), as its reopen after a rotation will be. The ownership
 * is given afterwards, with root's file-system uid (and CAP_CHOWN) back.
 */
static int
file_open_as(const struct httplog *hl, int f, struct err *e)
{
	int flags = O_WRONLY | O_APPEND | O_CREAT, fd, saved;
	uid_t was;

	fd = fs_open(hl->path[f], "the log", flags, LOG_MODE, e);
	if (fd != -1 || errno != EACCES || hl->owner == (uid_t)-1 ||
	    geteuid() != 0)
		return fd;
	err_clear(e);
	was = (uid_t)setfsuid(hl->owner);
	fd = fs_open(hl->path[f], "the log", flags, LOG_MODE, e);
	saved = errno;
	(void)setfsuid(was);
	errno = saved;
	return fd;
}

static int
file_open(struct httplog *hl, int f, struct err *e)
{
	struct logline_clock k;
	char head[512];
	size_t n;
	int fd;

	if ((fd = file_open_as(hl, f, e)) == -1)
		return -1;
	log_file_perms(fd, hl->owner);
	/* W3C files say what they hold at the top of each file opened. */
	if (f == F_ERRORS || hl->format == LOGLINE_W3C) {
		logline_clock_set(&k, time(NULL));
		n = logline_w3c_header(head, sizeof(head), &k, f == F_ERRORS);
		if (n > 0 && write(fd, head, n) != (ssize_t)n)
			log_warn("cannot write to %s: %s", hl->path[f],
			    strerror(errno));
	}
	if (hl->fd[f] != -1)
		close(hl->fd[f]);
	hl->fd[f] = fd;
	hl->failing[f] = 0;
	return 0;
}

static int
file_on(const struct httplog *hl, int f)
{
	return f == F_ACCESS ? hl->format != LOGLINE_OFF : hl->errors;
}

static void
files_reopen(struct httplog *hl)
{
	struct err e;
	int f;

	for (f = 0; f < F_N; f++)
		if (file_on(hl, f) && file_open(hl, f, &e) == -1)
			log_warn("%s; still writing to the file open before",
			    e.msg);
	log_info("request logs reopened in %.*s", (int)(strrchr(hl->path[0],
	    '/') - hl->path[0]), hl->path[0]);
}

static void
write_out(struct httplog *hl, const struct lbuf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = write(hl->fd[b->file], b->data + off, b->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!hl->failing[b->file])
				log_warn("cannot write to %s: %s; lines are "
				    "lost until it works again",
				    hl->path[b->file], n == 0 ? "no space" :
				    strerror(errno));
			hl->failing[b->file] = 1;
			return;
		}
		off += (size_t)n;
	}
	hl->failing[b->file] = 0;
}

static void
report_drops(struct httplog *hl, int now)
{
	time_t t = time(NULL);

	hl->drops_unsaid += atomic_exchange(&hl->dropped, 0);
	if (hl->drops_unsaid == 0 || (!now && t - hl->drops_said <
	    DROP_REPORT_SEC))
		return;
	log_warn("request logs: %llu line(s) dropped: the log writer fell "
	    "behind (is the disk slow or full?)", hl->drops_unsaid);
	hl->drops_unsaid = 0;
	hl->drops_said = t;
}

static void *
writer_main(void *arg)
{
	struct httplog *hl = arg;
	struct lbuf *list, *b, *last;
	int reopen, stop;

	for (;;) {
		pthread_mutex_lock(&hl->mu);
		while (hl->head == NULL && !hl->stop && !hl->reopen)
			pthread_cond_wait(&hl->cv, &hl->mu);
		list = hl->head;
		hl->head = NULL;
		hl->tailp = &hl->head;
		reopen = hl->reopen;
		hl->reopen = 0;
		stop = hl->stop;
		pthread_mutex_unlock(&hl->mu);

		if (reopen)
			files_reopen(hl);
		for (b = last = list; b != NULL; last = b, b = b->next)
			write_out(hl, b);
		report_drops(hl, stop);
		if (list != NULL) {
			pthread_mutex_lock(&hl->mu);
			last->next = hl->free;
			hl->free = list;
			pthread_mutex_unlock(&hl->mu);
		} else if (stop)
			break;
	}
	return NULL;
}

/* --- the main thread ------------------------------------------------- */

/* The log directory, made if missing, resolved and checked into `real`
 * (PATH_MAX bytes): the logs are opened by name there. */
static int
log_dir(const struct httplog_conf *conf, char *real, size_t size,
    struct err *e)
{
	const char *home = getenv("HSYS_HOME");
	char dir[PATH_MAX];
	int n;

	if (conf->dir[0] != '\0')
		n = snprintf(dir, sizeof(dir), "%s", conf->dir);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(dir, sizeof(dir), "%s/log", home);
	else
		n = snprintf(dir, sizeof(dir), "/var/log/hsys");
	if (n < 0 || (size_t)n >= sizeof(dir))
		return err_set(e, "the log directory's name is too long");
	if (fs_mkdir_p(dir, LOG_DIR_MODE, e) == -1 ||
	    fs_check_dir(dir, "the log directory", real, size, e) == -1)
		return -1;
	return 0;
}

/* Only a directory of our own: one the admin gave another owner keeps
 * what the admin chose. Given after the files are open: root without
 * CAP_DAC_OVERRIDE (the unit's bounding set) may not create them in a
 * directory it gave away (systemd gives LogsDirectory= back to root at
 * each start). */
static void
log_dir_give(const char *dir, uid_t owner)
{
	struct stat st;

	if (stat(dir, &st) == 0 && (st.st_uid == geteuid() ||
	    st.st_uid == owner))
		log_dir_perms(dir, owner);
}

static void
httplog_free(struct httplog *hl)
{
	struct lbuf *b;
	int f, i;

	for (f = 0; f < F_N; f++)
		if (hl->fd[f] != -1)
			close(hl->fd[f]);
	for (i = 0; i < hl->nw; i++)
		for (f = 0; f < F_N; f++)
			free(hl->w[i].cur[f]);
	while ((b = hl->head) != NULL) {
		hl->head = b->next;
		free(b);
	}
	while ((b = hl->free) != NULL) {
		hl->free = b->next;
		free(b);
	}
	pthread_mutex_destroy(&hl->mu);
	pthread_cond_destroy(&hl->cv);
	free(hl->w);
	free(hl);
}

int
httplog_open(struct httplog **hlp, const struct httplog_conf *conf,
    int workers, struct err *e)
{
	char dir[PATH_MAX];
	struct httplog *hl;
	int f, rc;

	*hlp = NULL;
	if (conf->access == LOGLINE_OFF && !conf->errors)
		return 0;
	if (log_dir(conf, dir, sizeof(dir), e) == -1)
		return -1;
	if ((hl = calloc(1, sizeof(*hl))) == NULL ||
	    (hl->w = calloc((size_t)workers, sizeof(*hl->w))) == NULL) {
		free(hl);
		return err_sys(e, "out of memory");
	}
	pthread_mutex_init(&hl->mu, NULL);
	pthread_cond_init(&hl->cv, NULL);
	hl->tailp = &hl->head;
	hl->nw = workers;
	hl->format = conf->access;
	hl->owner = conf->owner;
	hl->errors = conf->errors;
	for (f = 0; f < F_N; f++) {
		hl->fd[f] = -1;
		snprintf(hl->path[f], sizeof(hl->path[f]), "%s/%s", dir,
		    file_name[f]);
	}
	for (f = 0; f < F_N; f++)
		if (file_on(hl, f) && file_open(hl, f, e) == -1)
			goto fail;
	log_dir_give(dir, conf->owner);
	if ((rc = pthread_create(&hl->thread, NULL, writer_main, hl)) != 0) {
		errno = rc;
		err_sys(e, "cannot start the log writer");
		goto fail;
	}
	hl->started = 1;
	*hlp = hl;
	return 0;
fail:
	httplog_free(hl);
	return -1;
}

void
httplog_reopen(struct httplog *hl)
{
	if (hl == NULL)
		return;
	pthread_mutex_lock(&hl->mu);
	hl->reopen = 1;
	pthread_cond_signal(&hl->cv);
	pthread_mutex_unlock(&hl->mu);
}

void
httplog_close(struct httplog *hl)
{
	if (hl == NULL)
		return;
	pthread_mutex_lock(&hl->mu);
	hl->stop = 1;
	pthread_cond_signal(&hl->cv);
	pthread_mutex_unlock(&hl->mu);
	if (hl->started)
		pthread_join(hl->thread, NULL);
	httplog_free(hl);
}

/* --- workers --------------------------------------------------------- */

/* Queues the worker's buffer for file f, if it holds anything, and gives
 * it a fresh one (or none, when all are in use). Under the lock. */
static void
hand_off(struct wlog *wl, int f, int fresh)
{
	struct httplog *hl = wl->hl;
	struct lbuf *b = wl->cur[f];

	pthread_mutex_lock(&hl->mu);
	if (b != NULL && b->len > 0) {
		b->next = NULL;
		*hl->tailp = b;
		hl->tailp = &b->next;
		wl->cur[f] = b = NULL;
		pthread_cond_signal(&hl->cv);
	}
	if (fresh && b == NULL) {
		if ((b = hl->free) != NULL)
			hl->free = b->next;
		else if (hl->nbufs < HTTPLOG_MAXBUFS &&
		    (b = malloc(sizeof(*b))) != NULL)
			hl->nbufs++;
		if (b != NULL) {
			b->file = f;
			b->len = 0;
		}
		wl->cur[f] = b;
	}
	pthread_mutex_unlock(&hl->mu);
}

static void
on_flush(struct loop *l, struct loop_timer *t)
{
	struct wlog *wl = container_of(t, struct wlog, flush);
	int f;

	(void)l;
	for (f = 0; f < F_N; f++)
		if (wl->cur[f] != NULL && wl->cur[f]->len > 0)
			hand_off(wl, f, 0);
}

static size_t
format(struct wlog *wl, int f, char *p, size_t size, const char *reason,
    const struct logrec *r)
{
	if (f == F_ERRORS)
		return logline_httperr(p, size, &wl->clock, reason, r);
	if (wl->hl->format == LOGLINE_W3C)
		return logline_w3c(p, size, &wl->clock, r);
	return logline_ncsa(p, size, &wl->clock, r);
}

static void
emit(struct wlog *wl, int f, const char *reason, const struct logrec *r)
{
	time_t now = time(NULL);
	struct lbuf *b;
	size_t n;
	int tries;

	if (now != wl->clock.sec)
		logline_clock_set(&wl->clock, now);
	for (tries = 0; tries < 2; tries++) {
		if ((b = wl->cur[f]) == NULL) {
			hand_off(wl, f, 1);
			if ((b = wl->cur[f]) == NULL)
				break;
		}
		n = format(wl, f, b->data + b->len, HTTPLOG_BUF - b->len,
		    reason, r);
		if (n > 0) {
			b->len += n;
			if (wl->flush.deadline == 0)
				loop_timer_set(wl->w->loop, &wl->flush,
				    HTTPLOG_FLUSH_MS);
			return;
		}
		hand_off(wl, f, 1);	/* full: a fresh one */
	}
	atomic_fetch_add_explicit(&wl->hl->dropped, 1, memory_order_relaxed);
}

struct wlog *
httplog_worker(struct httplog *hl, struct worker *w)
{
	struct wlog *wl;

	if (hl == NULL || w->index >= hl->nw)
		return NULL;
	wl = &hl->w[w->index];
	wl->hl = hl;
	wl->w = w;
	wl->flush.fn = on_flush;
	return wl;
}

void
httplog_worker_flush(struct worker *w)
{
	struct wlog *wl = w->log;
	int f;

	if (wl == NULL)
		return;
	loop_timer_cancel(w->loop, &wl->flush);
	for (f = 0; f < F_N; f++)
		hand_off(wl, f, 0);
}

void
httplog_access(struct worker *w, const struct logrec *r)
{
	if (w->log != NULL && w->log->hl->format != LOGLINE_OFF)
		emit(w->log, F_ACCESS, NULL, r);
}

void
httperr_conn(struct worker *w, const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local, const char *reason,
    const struct logrec *req)
{
	struct logrec r;

	if (w->log == NULL || !w->log->hl->errors)
		return;
	if (req != NULL)
		r = *req;
	else
		memset(&r, 0, sizeof(r));
	r.peer = peer;
	r.local = local;
	emit(w->log, F_ERRORS, reason, &r);
}
