/*
 * ratelimit — at most one log line per interval for a warning that an
 * attacker (or a full descriptor table) can trigger in a loop: the lines
 * that are not written are counted, and the next one that is says how
 * many there were. Not locked: each instance belongs to one thread.
 */
#ifndef HSYS_DAEMON_RATELIMIT_H
#define HSYS_DAEMON_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_MS	10000	/* one line per 10 s */

struct ratelimit {
	uint64_t	next;		/* ms: the next line may go then */
	unsigned long	suppressed;	/* since the last line written */
};

/* 1: write the line now (*suppressed: how many were not since the last
 * one); 0: do not, it was counted. now_ms from loop_now(). */
int	ratelimit_pass(struct ratelimit *, uint64_t now_ms,
	    unsigned long *suppressed);

#endif
