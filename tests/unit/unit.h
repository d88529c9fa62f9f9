/*
 * unit — a tiny test harness for pure modules. Each check prints a TAP line
 * ("ok N - what" / "not ok N - what"), which tests/run counts.
 *
 *	static void test_thing(void) { CHECK(f(1) == 2); CHECK_STR(s, "x"); }
 *	int main(void) { RUN(test_thing); return unit_done(); }
 */
#ifndef HSYS_TESTS_UNIT_H
#define HSYS_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>
#include <time.h>

static int unit_n, unit_failed;
static const char *unit_name;

static inline int
unit_check(int ok, const char *what, const char *file, int line)
{
	unit_n++;
	printf("%sok %d - %s: %s\n", ok ? "" : "not ", unit_n, unit_name,
	    what);
	if (!ok) {
		printf("#   at %s:%d\n", file, line);
		unit_failed++;
	}
	return ok;
}

static inline int
unit_check_str(const char *got, const char *want, const char *what,
    const char *file, int line)
{
	int ok = got != NULL && want != NULL && strcmp(got, want) == 0;

	if (!unit_check(ok, what, file, line))
		printf("#   got  '%s'\n#   want '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return ok;
}

#define CHECK(c)	unit_check(!!(c), #c, __FILE__, __LINE__)
#define CHECK_STR(g, w)	unit_check_str((g), (w), #g " == " #w, __FILE__, \
			    __LINE__)
#define RUN(fn)		do { unit_name = #fn; fn(); } while (0)

/* Seconds on the monotonic clock, for tests that bound a wait. */
static inline double
unit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

#endif
