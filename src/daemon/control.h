/*
 * control — the daemon's Unix socket (docs/protocol.md): accepts
 * connections, reads frames, and hands them to their handler. For now it
 * serves CONFIG_CHANGED (from hsys) and answers application sessions with
 * an error until they are implemented.
 */
#ifndef HSYS_DAEMON_CONTROL_H
#define HSYS_DAEMON_CONTROL_H

struct err;
struct hsysd;
struct control;

int	control_open(struct control **, struct hsysd *, const char *path,
	    struct err *);
void	control_close(struct control *);

#endif
