/*
 * dispatch — the first frame on a control connection decides what it is
 * (dispatch.c): the control_ops "first" callback.
 */
#ifndef HSYS_DAEMON_DISPATCH_H
#define HSYS_DAEMON_DISPATCH_H

struct ctl_conn;
struct hsysd;
struct proto_frame;

/* Hands the connection to what its first frame asks for; -1: close it
 * (answered with ERROR when the frame was not one a first frame may be). */
int	dispatch_first(struct hsysd *, struct ctl_conn *,
	    const struct proto_frame *);

#endif
