/*
 * notify — tells a running hsysd that the configuration changed.
 *
 * After a commit, hsys connects to the daemon's Unix socket and sends one
 * CONFIG_CHANGED frame (docs/protocol.md): a 16-byte header, little-endian,
 * [u32 payload length = 0][u16 type = 0x0F01][u16 flags = 0][u64 id = the
 * store's new generation], and waits for the reply hsysd sends once it
 * serves that generation (OK), so that the change is in force when the
 * command returns. The connect and the write are bounded by
 * CONFIG_NOTIFY_MS, the wait for the reply by CONFIG_NOTIFY_REPLY_MS
 * (common/ctlsock.c, the control-socket client hsys and libhsys share),
 * so a stuck daemon cannot hang an admin's command; an older hsysd closes
 * without a reply, which is fine too. The OK may carry lines of text:
 * ports hsysd wants but cannot open, handed to the caller's warn. No daemon (ENOENT, ECONNREFUSED) is the normal
 * case and silent; a lost poke is harmless because hsysd also polls the
 * generation.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ctlsock.h"
#include "common/err.h"
#include "config/config.h"
#include "proto/proto.h"
#include "store/store.h"

int
config_notify_path(char *buf, size_t size)
{
	char dir[4096];
	int n;

	/* Where hsysd puts it: the store's runtime directory. */
	if (store_runtime_dir(dir, sizeof(dir), NULL) == -1)
		return -1;
	n = snprintf(buf, size, "%s/hsysd.sock", dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

#define NOTIFY_REPLY_MAX	4096	/* payload */

/* Each line of an OK's payload, to warn. */
static void
warn_lines(const struct proto_frame *fr, void (*warn)(const char *, void *),
    void *arg)
{
	char line[NOTIFY_REPLY_MAX + 1];
	const char *p = (const char *)fr->payload, *end = p + fr->length, *nl;
	size_t n;

	while (warn != NULL && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0)
			warn(line, arg);
		p = nl + 1;
	}
}

/* The daemon's answer: OK once it serves the generation; ERROR when it
 * refused the notification (another user's hsys: EACCES) or could not
 * read the store yet. Silence or EOF (an older hsysd) is success. */
static int
wait_reply(int fd, void (*warn)(const char *, void *), void *arg,
    struct err *e)
{
	unsigned char f[PROTO_HEADER_SIZE + NOTIFY_REPLY_MAX];
	struct proto_frame fr;
	int64_t deadline = ctlsock_deadline(CONFIG_NOTIFY_REPLY_MS);
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(f)) {
		if ((n = ctlsock_recv(fd, f + got, sizeof(f) - got,
		    deadline)) == -ETIMEDOUT)
			return 0;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (proto_frame_next(f, got, NOTIFY_REPLY_MAX, &fr) > 0)
			break;
	}
	if (proto_frame_next(f, got, NOTIFY_REPLY_MAX, &fr) <= 0)
		return 0;
	if (fr.type == PROTO_OK) {
		warn_lines(&fr, warn, arg);
		return 0;
	}
	if (fr.type != PROTO_ERROR)
		return 0;
	err_set(e, "hsysd did not take the notification: %.*s",
	    fr.length > 16 ? (int)(fr.length - 16) : 0,
	    fr.length > 16 ? (const char *)fr.payload + 16 : "");
	return -1;
}

int
config_notify(int64_t generation, struct err *e)
{
	return config_notify_warn(generation, NULL, NULL, e);
}

int
config_notify_warn(int64_t generation, void (*warn)(const char *, void *),
    void *arg, struct err *e)
{
	int64_t deadline = ctlsock_deadline(CONFIG_NOTIFY_MS);
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned char f[16];
	int fd, rc;

	if (config_notify_path(path, sizeof(path)) == -1)
		return err_set(e, "the daemon's socket path is too long");
	if ((fd = ctlsock_connect(path, deadline)) < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			return 1;
		errno = -fd;
		return err_sys(e, "cannot notify hsysd at %s", path);
	}
	proto_header_put(f, 0, PROTO_CONFIG_CHANGED, 0, (uint64_t)generation);
	if ((rc = ctlsock_send(fd, f, sizeof(f), deadline)) < 0) {
		errno = -rc;
		err_sys(e, "cannot notify hsysd at %s", path);
		rc = -1;
	} else
		rc = wait_reply(fd, warn, arg, e);
	close(fd);
	return rc;
}
