/*
 * dispatch — what a connection to the control socket is, decided by its
 * first frame (docs/protocol.md): CONFIG_CHANGED (reload.c), HELLO (a
 * session's control channel, session.c), CHANNEL (a data channel, handed
 * to its worker), STATE (state.c) or HANDOVER (a new hsysd taking over,
 * handover.c). Main thread. control.c reaches it through d->control_ops,
 * so the socket's reading and books sit below everything it hands to.
 */
#include <errno.h>
#include <unistd.h>

#include "daemon/channel.h"
#include "daemon/control.h"
#include "daemon/dispatch.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/reload.h"
#include "daemon/session.h"
#include "daemon/state.h"
#include "proto/proto.h"

/* The socket of a validated CHANNEL goes to its worker. */
static void
hand_over(struct hsysd *d, struct ctl_conn *c, int index, uint64_t session)
{
	int fd = control_take(c);

	if (channel_adopt(d, index, fd, session) == -1) {
		close(fd);
		session_end_by_id(d, session, "out of memory");
		return;
	}
	session_channel_ready(d, session);
}

int
dispatch_first(struct hsysd *d, struct ctl_conn *c,
    const struct proto_frame *f)
{
	uint64_t session;
	int index;

	switch (f->type) {
	case PROTO_CONFIG_CHANGED:
		reload_request(d, control_take(c), f);
		return 0;
	case PROTO_HELLO:
		return session_hello(d, c, f);
	case PROTO_STATE:
		state_answer(d, control_take(c), f);
		return 0;
	case PROTO_CHANNEL:
		if (session_channel(d, c, f, &index, &session) == -1)
			return -1;
		hand_over(d, c, index, session);
		return 0;
	case PROTO_HANDOVER:
		handover_serve(d, control_take(c), f);
		return 0;
	default:
		log_info("control: unexpected frame type 0x%04x; closing",
		    f->type);
		control_error(c, 0, EPROTO, "unexpected frame type 0x%04x",
		    f->type);
		return -1;
	}
}
