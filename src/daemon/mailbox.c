/*
 * mailbox — closures posted between the daemon's threads. See mailbox.h.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/mailbox.h"

static void
mailbox_run(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct mailbox *mb = container_of(io, struct mailbox, io);
	struct mail *m, *next;
	uint64_t n;

	(void)l;
	(void)rev;
	if (read(io->fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&mb->mu);
	m = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	pthread_mutex_unlock(&mb->mu);
	for (; m != NULL; m = next) {
		next = m->next;
		m->fn(m);
	}
}

int
mailbox_open(struct mailbox *mb, struct loop *l, struct err *e)
{
	mb->head = NULL;
	mb->tail = &mb->head;
	pthread_mutex_init(&mb->mu, NULL);
	mb->io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->io.fd == -1)
		return err_sys(e, "eventfd");
	mb->io.fn = mailbox_run;
	if (loop_io_add(l, &mb->io, LOOP_READ, e) == -1) {
		close(mb->io.fd);
		return -1;
	}
	return 0;
}

void
mailbox_close(struct mailbox *mb, struct loop *l)
{
	/* Mail still queued runs now, so nothing it owns leaks. */
	mailbox_run(l, &mb->io, LOOP_READ);
	loop_io_remove(l, &mb->io);
	close(mb->io.fd);
	pthread_mutex_destroy(&mb->mu);
}

void
mailbox_post(struct mailbox *mb, struct mail *m)
{
	uint64_t one = 1;

	m->next = NULL;
	pthread_mutex_lock(&mb->mu);
	*mb->tail = m;
	mb->tail = &m->next;
	pthread_mutex_unlock(&mb->mu);
	/* A full counter (2^64-2 pending wakeups) cannot happen. */
	if (write(mb->io.fd, &one, sizeof(one)) == -1)
		return;
}
