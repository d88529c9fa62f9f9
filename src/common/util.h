/*
 * util — tiny macros every component uses.
 */
#ifndef HSYS_COMMON_UTIL_H
#define HSYS_COMMON_UTIL_H

#include <stddef.h>

/* The struct that embeds member m, from a pointer p to that member. */
#define container_of(p, T, m)	((T *)(void *)((char *)(p) - offsetof(T, m)))
#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

#endif
