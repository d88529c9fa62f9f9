/*
 * digits — unsigned numbers as text, for code on the request path where
 * snprintf (about a thousand instructions a call) is too dear.
 */
#ifndef HSYS_COMMON_DIGITS_H
#define HSYS_COMMON_DIGITS_H

#include <stddef.h>
#include <stdint.h>

/* The most digits digits_put writes (a uint64_t in base 10). */
#define DIGITS_MAX	20

/* Writes v in base (2 to 16, lower-case letters) at p, with no NUL;
 * returns how many digits, at most DIGITS_MAX. */
size_t	digits_put(char *p, uint64_t v, unsigned base);

#endif
