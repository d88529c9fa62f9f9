/*
 * fdpass — a message with descriptors beside it. See fdpass.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fdpass.h"

#define FDPASS_MAX	16	/* descriptors one receive takes at most */

ssize_t
fdpass_send(int fd, const void *buf, size_t len, int pass)
{
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (pass != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.space;
		msg.msg_controllen = sizeof(cm.space);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
	}
	while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	return n;
}

ssize_t
fdpass_recv(int fd, void *buf, size_t size, int *fds, int max, int *nfds,
    int *flags)
{
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.space, .msg_controllen = sizeof(cm.space) };
	struct cmsghdr *c;
	size_t i, k;
	ssize_t n;
	int got;

	*nfds = 0;
	while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (flags != NULL)
		*flags = n == -1 ? 0 : msg.msg_flags;
	for (c = CMSG_FIRSTHDR(&msg); n >= 0 && c != NULL;
	    c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = got;
			else
				close(got);
		}
	}
	return n;
}
