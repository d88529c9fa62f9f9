/*
 * Unit tests of digits_put: zero, the widest value, bases 10 and 16.
 */
#include <string.h>

#include "common/digits.h"
#include "unit.h"

static void
check(uint64_t v, unsigned base, const char *want)
{
	char b[DIGITS_MAX + 1];
	size_t n = digits_put(b, v, base);

	b[n] = '\0';
	CHECK(n == strlen(want));
	CHECK_STR(b, want);
}

static void
test_digits(void)
{
	check(0, 10, "0");
	check(7, 10, "7");
	check(200, 10, "200");
	check(65535, 10, "65535");
	check(UINT64_MAX, 10, "18446744073709551615");
	check(0, 16, "0");
	check(0x10000, 16, "10000");
	check(0xdeadbeef, 16, "deadbeef");
}

int
main(void)
{
	RUN(test_digits);
	return unit_done();
}
