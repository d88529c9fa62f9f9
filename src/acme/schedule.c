/*
 * schedule — when to renew (pure but for acme_jitter, the random draw;
 * tests/unit/test_acme_schedule.c).
 *
 * Without ACME Renewal Information, at two thirds of the lifetime, less a
 * random jitter of up to a thirtieth of it (a fleet renewing at once is
 * what ARI exists to avoid). With ARI (RFC 9773), a random moment in the
 * window the server suggests. After a failure, exponential back-off from
 * ACME_BACKOFF_BASE, doubled per failure up to ACME_BACKOFF_MAX, plus up
 * to a tenth at random.
 */
#include <time.h>

#include <openssl/rand.h>

#include "acme/acme.h"

int64_t
acme_renew_at(int64_t not_before, int64_t not_after, uint32_t r)
{
	int64_t life = not_after - not_before, jitter;

	if (life <= 0)
		return not_before;
	jitter = life / 30;
	return not_before + life * 2 / 3 - (jitter > 0 ? (int64_t)(r %
	    (uint64_t)(jitter + 1)) : 0);
}

int64_t
acme_window_at(int64_t start, int64_t end, uint32_t r)
{
	if (end <= start)
		return start;
	return start + (int64_t)(r % (uint64_t)(end - start + 1));
}

int64_t
acme_backoff_at(int64_t now, int failures, uint32_t r)
{
	int64_t d = ACME_BACKOFF_BASE;
	int i;

	for (i = 1; i < failures && d < ACME_BACKOFF_MAX; i++)
		d *= 2;
	if (d > ACME_BACKOFF_MAX)
		d = ACME_BACKOFF_MAX;
	return now + d + (int64_t)(r % (uint64_t)(d / 10 + 1));
}

int64_t
acme_cert_due_at(const struct acme_cert *c)
{
	if (c->ari_check > 0 && c->ari_check < c->next_renewal)
		return c->ari_check;
	return c->next_renewal;
}

uint32_t
acme_jitter(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)time(NULL);
	return r;
}
