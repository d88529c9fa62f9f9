/*
 * keysfake — what the unit tests' fake signers share (test_keys_client,
 * test_keys_monitor): an answer in the key process's format, with a
 * signature of siglen bytes of 0x30 where one is asked for.
 */
#ifndef HSYS_TESTS_KEYSFAKE_H
#define HSYS_TESTS_KEYSFAKE_H

#include <string.h>
#include <sys/socket.h>

#include "keys/keys.h"

static inline void
keysfake_answer(int fd, enum keys_status st, uint32_t id, size_t siglen)
{
	struct keys_ans a = { .status = st, .id = id, .siglen = siglen };
	unsigned char out[KEYS_ANS_MAX];

	memset(a.sig, 0x30, siglen);
	(void)send(fd, out, keys_ans_encode(&a, out), MSG_NOSIGNAL);
}

#endif
