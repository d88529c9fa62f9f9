/*
 * keyproc — the key process from hsysd's main thread. See keyproc.h and
 * docs/keys.md.
 *
 * When the key process ends (killed, crashed), handshakes that need a
 * signature fail (the client's calls fail at once: its channels are
 * closed), hsysd logs it and starts a new one, at most once a second;
 * each thread's next signature opens a channel to the new one. A key
 * process hsysd cannot start (not root, the binary gone) is logged, and
 * tried again at the same pace.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/hsysd.h"
#include "daemon/keyproc.h"
#include "daemon/log.h"
#include "keys/keys.h"

#define RESTART_MS	1000

struct keyproc {
	struct loop_io		 watch;		/* pidfd */
	struct loop_timer	 restart;
	struct hsysd		*d;
	pid_t			 pid;
	int			 to_syslog;
	int			 ours;		/* our child: reap it */
};

static int
pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void on_exit_fd(struct loop *, struct loop_io *, unsigned);

static int
watch(struct keyproc *kp, struct err *e)
{
	if (kp->d->loop == NULL)
		return 0;
	if ((kp->watch.fd = pidfd_of(kp->pid)) == -1 && errno == ENOSYS) {
		/* No pidfd_open: Linux before 5.3, or valgrind 3.19
		 * (bench/callgrind). hsysd serves on, unwatched. */
		log_warn("cannot watch the key process (pid %ld): no "
		    "pidfd_open here; it is not restarted if it dies",
		    (long)kp->pid);
		return 0;
	}
	if (kp->watch.fd == -1)
		return err_sys(e, "cannot watch the key process (pid %ld)",
		    (long)kp->pid);
	kp->watch.fn = on_exit_fd;
	return loop_io_add(kp->d->loop, &kp->watch, LOOP_READ, e);
}

static int
spawn(struct keyproc *kp, struct err *e)
{
	int fd;
	pid_t pid;

	if (keys_spawn(kp->d->exe[0] ? kp->d->exe : NULL, kp->to_syslog, &fd,
	    &pid, e) == -1)
		return -1;
	keys_client_attach(kp->d->keys, fd, pid);
	kp->pid = pid;
	kp->ours = 1;
	log_info("key process started (pid %ld)", (long)pid);
	return watch(kp, e);
}

static void
on_restart(struct loop *l, struct loop_timer *t)
{
	struct keyproc *kp = container_of(t, struct keyproc, restart);
	struct err e;

	if (spawn(kp, &e) == -1) {
		log_err("%s; TLS handshakes fail until it runs; trying again",
		    e.msg);
		loop_timer_set(l, t, RESTART_MS);
		return;
	}
	keyproc_reload(kp->d);
}

static void
on_exit_fd(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct keyproc *kp = container_of(io, struct keyproc, watch);
	int status = 0;

	(void)rev;
	loop_io_remove(l, io);
	close(io->fd);
	io->fd = -1;
	if (kp->ours && waitpid(kp->pid, &status, WNOHANG) <= 0)
		status = 0;
	keys_client_attach(kp->d->keys, -1, 0);
	if (kp->ours && WIFSIGNALED(status))
		log_err("the key process (pid %ld) was ended by signal %d: TLS "
		    "handshakes fail until a new one runs; starting one",
		    (long)kp->pid, WTERMSIG(status));
	else
		log_err("the key process (pid %ld) ended: TLS handshakes fail "
		    "until a new one runs; starting one", (long)kp->pid);
	loop_timer_set(l, &kp->restart, RESTART_MS);
}

static int
kp_new(struct hsysd *d, struct err *e)
{
	struct keyproc *kp;

	if (d->keyproc != NULL)
		return 0;
	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return err_sys(e, "out of memory");
	kp->d = d;
	kp->watch.fd = -1;
	kp->restart.fn = on_restart;
	d->keyproc = kp;
	return keys_client_new(&d->keys, e);
}

int
keyproc_adopt(struct hsysd *d, int fd, pid_t pid, struct err *e)
{
	if (kp_new(d, e) == -1)
		return -1;
	keys_client_attach(d->keys, fd, pid);
	d->keyproc->pid = pid;
	log_info("handover: using the running key process (pid %ld)",
	    (long)pid);
	return 0;
}

int
keyproc_start(struct hsysd *d, int to_syslog, struct err *e)
{
	if (kp_new(d, e) == -1)
		return -1;
	d->keyproc->to_syslog = to_syslog;
	if (keys_client_pid(d->keys) != 0)
		return 0;		/* inherited */
	return spawn(d->keyproc, e);
}

int
keyproc_watch(struct hsysd *d, struct err *e)
{
	return watch(d->keyproc, e);
}

int
keyproc_handover_channel(struct hsysd *d, int *fd, pid_t *pid, struct err *e)
{
	if (d->keys == NULL || (*pid = keys_client_pid(d->keys)) == 0)
		return err_set(e, "no key process is running");
	return keys_client_channel(d->keys, fd, e);
}

void
keyproc_reload(struct hsysd *d)
{
	struct err e;

	if (d->keys != NULL && keys_client_reload(d->keys, &e) == -1)
		log_warn("the key process cannot read the store's keys: %s",
		    e.msg);
}

void
keyproc_stop(struct hsysd *d)
{
	struct keyproc *kp = d->keyproc;

	if (kp == NULL)
		return;
	if (kp->watch.fd != -1) {
		if (d->loop != NULL)
			loop_io_remove(d->loop, &kp->watch);
		close(kp->watch.fd);
	}
	if (d->loop != NULL)
		loop_timer_cancel(d->loop, &kp->restart);
	/* Our channels close with the client; the key process ends when
	 * no hsysd holds one (a successor may). */
	keys_client_free(d->keys);
	d->keys = NULL;
	free(kp);
	d->keyproc = NULL;
}
