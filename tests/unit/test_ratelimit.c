/*
 * Unit tests of the log rate limiter (ratelimit.c): one line per
 * interval, the others counted and reported with the next line.
 */
#include "daemon/ratelimit.h"
#include "unit.h"

static void
test_interval(void)
{
	struct ratelimit r = { 0 };
	unsigned long more = 99;
	int i, passed = 0;

	CHECK(ratelimit_pass(&r, 0, &more) == 1);	/* the first, at 0 */
	CHECK(more == 0);
	for (i = 1; i < 1000; i++)
		passed += ratelimit_pass(&r, (uint64_t)i, &more);
	CHECK(passed == 0);
	CHECK(ratelimit_pass(&r, RATELIMIT_MS - 1, &more) == 0);
	more = 0;
	CHECK(ratelimit_pass(&r, RATELIMIT_MS, &more) == 1);
	CHECK(more == 1000);		/* 999 in the loop, one just before */
	CHECK(ratelimit_pass(&r, 2 * RATELIMIT_MS + 5, &more) == 1);
	CHECK(more == 0);
}

static void
test_flood(void)
{
	struct ratelimit r = { 0 };
	unsigned long more, total = 0;
	uint64_t t;
	int lines = 0;

	/* A failure every millisecond for a minute: six lines, and every
	 * failure accounted for. */
	for (t = 1000; t < 61000; t++)
		if (ratelimit_pass(&r, t, &more)) {
			lines++;
			total += more + 1;
		}
	CHECK(lines == 6);
	CHECK(total + r.suppressed == 60000);
}

int
main(void)
{
	RUN(test_interval);
	RUN(test_flood);
	return unit_done();
}
