/*
 * quota — what one local user may make hsysd hold (docs/operations.md,
 * "Limits"): sessions, request queues, URL prefixes and STATE replies not
 * yet read, counted per uid; and the bytes buffered for applications on
 * data channels, bounded for the whole daemon (channel.c).
 *
 * Root and hsysd's own user are counted but never refused (a private
 * instance runs as its user). A refusal carries EDQUOT, which libhsys
 * reports as HSYS's "a per-user limit of hsysd was reached". The limits
 * are hsysd's --limit NAME=N options. Main thread only, except
 * quota_app_buffer (read by workers, set before they start).
 */
#ifndef HSYS_DAEMON_QUOTA_H
#define HSYS_DAEMON_QUOTA_H

#include <stddef.h>
#include <sys/types.h>

struct err;
struct hsysd;

enum quota_kind {
	QUOTA_SESSIONS,
	QUOTA_QUEUES,
	QUOTA_PREFIXES,
	QUOTA_STATE,		/* STATE replies being written */
	QUOTA_KINDS
};

#define QUOTA_DEFAULT_SESSIONS		256
#define QUOTA_DEFAULT_QUEUES		1024
#define QUOTA_DEFAULT_PREFIXES		4096
#define QUOTA_DEFAULT_STATE		4
#define QUOTA_DEFAULT_APP_BUFFER	((size_t)256 << 20)

/* --limit NAME=N: sessions, queues, prefixes, state (per user) or
 * app-buffer (bytes, for the daemon). -1 with a message in e. */
int	quota_parse(struct hsysd *, const char *arg, struct err *);
/* Counts one more for uid, or -1 with e->code EDQUOT and a sentence
 * saying which limit and how to raise it. */
int	quota_take(struct hsysd *, uid_t, enum quota_kind, struct err *);
void	quota_give(struct hsysd *, uid_t, enum quota_kind);
/* The bound on bytes buffered for applications, all channels. */
size_t	quota_app_buffer(const struct hsysd *);
void	quota_free(struct hsysd *);

#endif
