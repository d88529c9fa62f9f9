/*
 * reload — CONFIG_CHANGED on the control socket (docs/protocol.md): who
 * may send it, and the reply each sender gets once the configuration it
 * announced is served.
 *
 * Only root and hsysd's own user may announce a change (a private
 * instance runs as a normal user, and so does its hsys). Announcements
 * are coalesced: those that arrive in one batch of events cost one
 * reload (one read of the store), after which each sender is answered OK
 * with the generation now served (or ERROR EAGAIN when it is older than
 * the one announced) and its connection closed. The OK carries the ports
 * hsysd wants but cannot open, one line each, for hsys to warn about.
 */
#ifndef HSYS_DAEMON_RELOAD_H
#define HSYS_DAEMON_RELOAD_H

struct hsysd;
struct proto_frame;

/* Takes over fd (the connection the CONFIG_CHANGED frame came on). */
void	reload_request(struct hsysd *, int fd, const struct proto_frame *);
/* At exit: the senders still waiting are closed without a reply. */
void	reload_free(struct hsysd *);

#endif
