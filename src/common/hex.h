/*
 * hex — hexadecimal encoding, as thumbprints and hashes are printed.
 */
#ifndef HSYS_COMMON_HEX_H
#define HSYS_COMMON_HEX_H

#include <stddef.h>

/* Writes 2*len hex digits and a NUL into out (size >= 2*len+1). */
void	hex_encode(const unsigned char *, size_t, char *out, int upper);
/* Decodes exactly 2*outlen hex digits; returns 0, or -1 on a bad digit. */
int	hex_decode(const char *, unsigned char *out, size_t outlen);
int	hex_digit(int c);

#endif
