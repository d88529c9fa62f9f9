/*
 * ratelimit — one log line per interval. See ratelimit.h.
 */
#include "daemon/ratelimit.h"

int
ratelimit_pass(struct ratelimit *r, uint64_t now_ms,
    unsigned long *suppressed)
{
	if (r->next != 0 && now_ms < r->next) {
		r->suppressed++;
		return 0;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->next = now_ms + RATELIMIT_MS;
	if (r->next == 0)
		r->next = 1;
	return 1;
}
