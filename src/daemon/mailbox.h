/*
 * mailbox — how threads of the daemon talk: a thread posts a closure
 * (struct mail) to another thread's mailbox; the owner runs it on its own
 * loop. The only lock is the mailbox's, taken to post and to take the list,
 * never on the request path: mail carries rare events (a data channel to
 * adopt, a queue that changed, stop).
 */
#ifndef HSYS_DAEMON_MAILBOX_H
#define HSYS_DAEMON_MAILBOX_H

#include <pthread.h>

#include "daemon/loop.h"

struct err;

struct mail {
	struct mail	 *next;
	void		(*fn)(struct mail *);	/* runs on the owner's thread */
};

struct mailbox {
	struct loop_io	  io;		/* eventfd */
	pthread_mutex_t	  mu;
	struct mail	 *head, **tail;
};

int	mailbox_open(struct mailbox *, struct loop *, struct err *);
void	mailbox_close(struct mailbox *, struct loop *);
/* From any thread. The mail is owned by its fn once posted. */
void	mailbox_post(struct mailbox *, struct mail *);

#endif
