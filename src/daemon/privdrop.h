/*
 * privdrop — hsysd started as root serving as an unprivileged user
 * (--user, docs/security.md "hsysd without root"): what that user needs
 * made for it while hsysd is still root (the control socket's directory,
 * the logs: httplog.c), then the change of user, keeping one capability,
 * CAP_NET_BIND_SERVICE, so that listeners for new bindings on ports
 * below 1024 still open live. Main thread, before any worker starts.
 */
#ifndef HSYS_DAEMON_PRIVDROP_H
#define HSYS_DAEMON_PRIVDROP_H

#include <sys/types.h>

struct err;
struct hsysd;

struct privdrop {
	char	name[64];	/* --user; "" or "root": stay as started */
	uid_t	uid;
	gid_t	gid;
	int	active;		/* started as root, and changing user */
};

/* The machine's own instance (started as root, no HSYS_HOME) serves as
 * the user hsys when it exists and no --user was given; --user root keeps
 * root. Before privdrop_resolve. */
#define PRIVDROP_DEFAULT_USER	"hsys"
void	privdrop_default(struct privdrop *);

/* After the options: finds the user. Started as root, with a user that
 * is not root, the change is due (active). Started as another user,
 * --user must name that user (as for the hsysd a serving process starts
 * on SIGUSR2). */
int	privdrop_resolve(struct privdrop *, struct err *);

/* While on, the file checks (fs_check_dir, fs_check_file) also trust the
 * user's files: only around the checks of what was made for it (its
 * socket directory, its logs), never the store's. */
void	privdrop_trust(const struct privdrop *, int on);

/* In paths_init: when the runtime directory's hsysd.sock is the link
 * privdrop_socket makes, d->sock_path becomes the socket it names, both
 * checked; 1 then, 0 when it is not that link, -1 on a refusal. */
int	privdrop_follow(const struct privdrop *, struct hsysd *,
	    struct err *);

/* Root, holding the instance lock: the control socket goes in a directory
 * of the user's (RUNTIME/control/), which the well-known name links to,
 * so that the unprivileged hsysd binds it again on a handover while the
 * runtime directory stays root's. d->sock_path names it. */
int	privdrop_socket(const struct privdrop *, struct hsysd *, struct err *);

/* Becomes the user: its group alone, every capability gone from the
 * process and its bounding set but CAP_NET_BIND_SERVICE (also ambient,
 * so that the hsysd started on SIGUSR2 keeps it), no new privileges. */
int	privdrop_apply(const struct privdrop *, struct err *);

/* Every capability but keep (a CAP_*; -1: none) gone from every set, the
 * bounding set too, and no new privileges, the user unchanged: the key
 * process's signer keeps none (root only to own what it reads: keys.db is
 * root's, 0600); its monitor CAP_NET_BIND_SERVICE, for the renewals it
 * runs (root's children get the bounding set). */
int	privdrop_caps_only(int keep, struct err *);

#endif
