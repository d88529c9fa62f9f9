/*
 * digits — unsigned numbers as text. See digits.h.
 */
#include "common/digits.h"

size_t
digits_put(char *p, uint64_t v, unsigned base)
{
	static const char digit[] = "0123456789abcdef";
	char t[64];
	size_t n = 0, i;

	/* Base 10 (statuses, lengths) with a constant divisor: a multiply,
	 * not a division, per digit. */
	if (base == 10) {
		do {
			t[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
	} else {
		do {
			t[n++] = digit[v % base];
			v /= base;
		} while (v != 0);
	}
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}
