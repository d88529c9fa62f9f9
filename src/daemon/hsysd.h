/*
 * hsysd — the daemon's context: everything the main thread owns. Workers
 * get read-only pointers into it (and their own loops); no other global
 * mutable state exists in the daemon.
 */
#ifndef HSYS_DAEMON_HSYSD_H
#define HSYS_DAEMON_HSYSD_H

#include <limits.h>
#include <stdint.h>

#include "daemon/loop.h"

struct control;

struct hsysd {
	struct loop		*loop;		/* main thread: control, signals */
	struct control		*control;
	int			 workers;
	int			 lock_fd;
	int64_t			 generation;	/* of the configuration served */
	struct loop_io		 signals;	/* signalfd */
	struct loop_timer	 poll_store;	/* generation check */
	char			 runtime[PATH_MAX];
	char			 sock_path[PATH_MAX + 16];
	char			 lock_path[PATH_MAX + 16];
};

/* Re-reads the store when its generation moved (control.c calls it on
 * CONFIG_CHANGED; a timer calls it too, in case a notification was lost). */
void	hsysd_reload(struct hsysd *);

#endif
