/*
 * session — an application process's session with the daemon (HELLO,
 * WELCOME, CHANNEL) and the queue operations on its control channel.
 * Main thread only. Who the peer is comes from SO_PEERCRED, never from
 * what it sends.
 */
#ifndef HSYS_DAEMON_SESSION_H
#define HSYS_DAEMON_SESSION_H

#include <stdint.h>
#include <sys/types.h>

struct ctl_conn;
struct hsysd;
struct proto_frame;
struct queue;

#define SESSION_MAX_QUEUES	64

struct session {
	struct session		*next;
	struct hsysd		*d;
	struct ctl_conn		*ctl;
	uint64_t		 id;
	unsigned char		 key[16];
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	int			 channels;	/* data channels attached */
	uint64_t		 chanmask[4];	/* which (workers <= 256) */
	char			 name[64];
	struct queue		*queues[SESSION_MAX_QUEUES];
	int			 nqueues;
	uint32_t		 hello_flags;	/* PROTO_HELLO_F_* */
};

/* A HELLO on a fresh connection: creates the session, answers WELCOME.
 * Returns -1 when the connection must be closed; a refused HELLO is
 * answered with ERROR and the peer may try again. */
int	session_hello(struct hsysd *, struct ctl_conn *,
	    const struct proto_frame *);
/* A CHANNEL on a fresh connection: on 0 the caller hands the socket to
 * the worker the frame names (*index); on -1 (answered with ERROR) it
 * closes the connection. */
int	session_channel(struct hsysd *, struct ctl_conn *,
	    const struct proto_frame *, int *index, uint64_t *session);
/* After the caller handed the channel's socket to its worker. */
void	session_channel_ready(struct hsysd *, uint64_t session);
/* A frame on an established session's control channel; refused
 * operations are answered with ERROR. -1: close the session. */
int	session_frame(struct session *, const struct proto_frame *);
/* Ends a session: its queues lose it, its channels close. */
void	session_end(struct session *, const char *why);
void	session_end_by_id(struct hsysd *, uint64_t, const char *why);

#endif
