/*
 * http_state — hsys http show servicestate: asks the running hsysd with a
 * STATE frame on its control socket (docs/protocol.md) and prints the
 * answer, a readable tree or (--json) the daemon's JSON as it comes. What
 * the caller may see is the daemon's decision, from SO_PEERCRED: root
 * every queue, another user their own.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "proto/proto.h"

#define STATE_TIMEOUT_MS	10000
#define EXIT_NOT_RUNNING	3	/* as systemctl status: not running */

static const struct config_key state_keys[] = {
	{ "view", 0 }, { NULL, 0 }
};

static const struct {
	const char	*name;
	int		 view;
} views[] = {
	{ "all", PROTO_STATE_ALL },
	{ "server", PROTO_STATE_SERVER },
	{ "session", PROTO_STATE_SERVER },	/* netsh's name */
	{ "listeners", PROTO_STATE_LISTENERS },
	{ "queues", PROTO_STATE_QUEUES },
	{ "requestq", PROTO_STATE_QUEUES },	/* netsh's name */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly n bytes before the deadline. */
static int
read_full(int fd, void *buf, size_t n, int64_t deadline, struct err *e)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t r;
	int64_t left;

	while (got < n) {
		if ((left = deadline - now_ms()) <= 0)
			return err_set(e, "hsysd did not answer within %d s",
			    STATE_TIMEOUT_MS / 1000);
		if (poll(&p, 1, (int)left) == -1 && errno != EINTR)
			return err_sys(e, "poll");
		r = read(fd, (char *)buf + got, n - got);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return err_set(e, "hsysd closed the connection before "
			    "answering");
		got += (size_t)r;
	}
	return 0;
}

/* Connects; 1 when no daemon listens. */
static int
dial(int *fd, char *path, size_t size, struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (config_notify_path(sun.sun_path, sizeof(sun.sun_path)) == -1)
		return err_set(e, "the daemon's socket path is too long");
	snprintf(path, size, "%s", sun.sun_path);
	if ((*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return err_sys(e, "socket");
	if (connect(*fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return 0;
	close(*fd);
	if (errno == ENOENT || errno == ECONNREFUSED)
		return 1;
	return err_sys(e, "cannot reach hsysd at %s", path);
}

static int
ask(int fd, uint32_t flags, char **out, size_t *outlen, struct err *e)
{
	int64_t deadline = now_ms() + STATE_TIMEOUT_MS;
	unsigned char req[PROTO_HEADER_SIZE + 8] = { 0 }, h[PROTO_HEADER_SIZE];
	struct proto_frame f;
	const unsigned char *msg;
	uint32_t len, mlen;
	size_t size;
	char *buf;

	proto_header_put(req, 4, PROTO_STATE, 0, 1);
	proto_put32(req + PROTO_HEADER_SIZE, flags);
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return err_sys(e, "cannot ask hsysd");
	if (read_full(fd, h, sizeof(h), deadline, e) == -1)
		return -1;
	len = proto_get32(h);
	if (len > PROTO_STATE_MAX)
		return err_set(e, "hsysd's answer is too long (%u bytes)", len);
	size = proto_frame_size(len) - PROTO_HEADER_SIZE;
	if ((buf = malloc(size + 1)) == NULL)
		return err_sys(e, "out of memory");
	if (read_full(fd, buf, size, deadline, e) == -1) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	f.length = len;
	f.type = proto_get16(h + 4);
	f.payload = (unsigned char *)buf;
	if (f.type == PROTO_STATE) {
		*out = buf;
		*outlen = len;
		return 0;
	}
	if (f.type == PROTO_ERROR && proto_span_get(&f, 8, 16, &msg, &mlen)
	    == 0)
		err_set(e, "hsysd refused: %.*s", (int)mlen, msg);
	else
		err_set(e, "hsysd answered with frame type 0x%04x; is it an "
		    "older version?", f.type);
	free(buf);
	return -1;
}

int
cli_state_fetch(uint32_t flags, char **out, size_t *len, char *path,
    size_t size, struct err *e)
{
	int fd = -1, rc;

	if ((rc = dial(&fd, path, size, e)) != 0)
		return rc;
	rc = ask(fd, flags, out, len, e);
	close(fd);
	return rc;
}

int
http_servicestate(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	struct config_args a;
	char path[128], *out = NULL;
	const char *view;
	uint32_t flags = 0;
	size_t len = 0, i;
	struct err e;
	int rc;

	if (strcasecmp(verb, "show") != 0) {
		err_set(&e, "servicestate can only be shown");
		e.code = CONFIG_E_PARAM;
		return http_fail(c, "Service state", &e);
	}
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, state_keys, &e) == -1)
		return http_fail(c, "Service state show", &e);
	if ((view = config_args_get(&a, "view")) != NULL) {
		for (i = 0; i < nitems(views); i++)
			if (strcasecmp(view, views[i].name) == 0)
				break;
		if (i == nitems(views)) {
			err_set(&e, "view=%s: use all, server, listeners or "
			    "queues (session and requestq as in netsh)", view);
			e.code = CONFIG_E_PARAM;
			return http_fail(c, "Service state show", &e);
		}
		flags |= (uint32_t)views[i].view << 8;
	}
	if (!a.json)
		flags |= PROTO_STATE_TEXT;
	if ((rc = cli_state_fetch(flags, &out, &len, path, sizeof(path), &e))
	    == 1) {
		fflush(stdout);
		fprintf(stderr, "hsys: hsysd is not running (nothing listens "
		    "on %s). Start it (systemctl start hsysd, or hsysd) and "
		    "try again.\n", path);
		return EXIT_NOT_RUNNING;
	}
	if (rc == -1)
		return http_fail(c, "Service state show", &e);
	fwrite(out, 1, len, stdout);
	free(out);
	return EXIT_OK;
}
