/*
 * secret — handling of passwords and key material in memory.
 *
 * Passwords are read from a file, from standard input, or from the terminal
 * without echo; they live in buffers that are wiped when released. Programs
 * that touch keys call secret_protect_process() first so that no core dump
 * (and no ptrace by other users) can expose them.
 */
#ifndef HSYS_COMMON_SECRET_H
#define HSYS_COMMON_SECRET_H

#include <stddef.h>

struct err;

#define SECRET_MAX 1024

/* Disables core dumps and marks the process non-dumpable. */
void	secret_protect_process(void);
/* Reads one password line from a file ("-" = stdin); strips one trailing
 * newline (LF or CRLF). */
int	secret_read_file(const char *path, char *buf, size_t size, struct err *);
/* Prompts on /dev/tty with echo off. */
int	secret_read_tty(const char *prompt, char *buf, size_t size, struct err *);
/* Wipes a buffer so the compiler cannot elide it. */
void	secret_wipe(void *, size_t);

#endif
