/*
 * channel — a data channel: the connection between one worker and one
 * application session (docs/protocol.md, "Sessions and channels"). The
 * main thread validates a CHANNEL frame and hands the socket over; from
 * then on only the worker reads and writes it.
 */
#ifndef HSYS_DAEMON_CHANNEL_H
#define HSYS_DAEMON_CHANNEL_H

#include <stdint.h>
#include <sys/types.h>

struct hsysd;
struct worker;

/* Main thread: gives fd to worker `index` for session `session`. */
int	channel_adopt(struct hsysd *, int index, int fd, uint64_t session);
/* Main thread: every worker closes its channel of the session. */
void	channels_close_session(struct hsysd *, uint64_t session);
/* Worker thread, at exit: closes every channel it owns. */
void	channels_close_all(struct worker *);

#endif
