/*
 * keyproc — the key process (src/keys, docs/keys.md) as hsysd's main
 * thread sees it: started before the workers, or inherited from the hsysd
 * this one takes over from; watched (a pidfd in the main loop), and
 * started again when it ends; told to read the store before new bindings
 * are built; handed over with the rest.
 */
#ifndef HSYS_DAEMON_KEYPROC_H
#define HSYS_DAEMON_KEYPROC_H

#include <sys/types.h>

struct err;
struct hsysd;

/* The client; then, unless a hand-over gave one (keyproc_adopt), a new
 * key process. Before any thread starts. */
int	keyproc_start(struct hsysd *, int to_syslog, struct err *);
/* A channel to a running key process (pid), from the hsysd handing over. */
int	keyproc_adopt(struct hsysd *, int fd, pid_t pid, struct err *);
/* Watching it, once the main loop exists. */
int	keyproc_watch(struct hsysd *, struct err *);
/* A new channel for the hsysd taking over, and the process's pid. */
int	keyproc_handover_channel(struct hsysd *, int *fd, pid_t *pid,
	    struct err *);
/* Before bindings are built: the key process reads the store again. */
void	keyproc_reload(struct hsysd *);
void	keyproc_stop(struct hsysd *);

#endif
