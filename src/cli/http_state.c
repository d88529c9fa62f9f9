/*
 * http_state — hsys http show servicestate (and cachestate): asks the running hsysd with a
 * STATE frame on its control socket (docs/protocol.md) and prints the
 * answer, a readable tree or (--json) the daemon's JSON as it comes. What
 * the caller may see is the daemon's decision, from SO_PEERCRED: root
 * every queue, another user their own.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/http.h"
#include "common/ctlsock.h"
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

/* Connects; 1 when no daemon listens. */
static int
dial(int *fd, char *path, size_t size, int64_t deadline, struct err *e)
{
	char sp[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (config_notify_path(sp, sizeof(sp)) == -1)
		return err_set(e, "the daemon's socket path is too long");
	snprintf(path, size, "%s", sp);
	if ((*fd = ctlsock_connect(sp, deadline)) >= 0)
		return 0;
	if (*fd == -ENOENT || *fd == -ECONNREFUSED)
		return 1;
	errno = -*fd;
	return err_sys(e, "cannot reach hsysd at %s", path);
}

/* Reads exactly n bytes before the deadline. */
static int
read_full(int fd, void *buf, size_t n, int64_t deadline, struct err *e)
{
	int rc = ctlsock_recv_full(fd, buf, n, deadline);

	if (rc == -ETIMEDOUT)
		return err_set(e, "hsysd did not answer within %d s",
		    STATE_TIMEOUT_MS / 1000);
	if (rc < 0)
		return err_set(e, "hsysd closed the connection before "
		    "answering");
	return 0;
}

static int
ask(int fd, uint32_t flags, char **out, size_t *outlen, int64_t deadline,
    struct err *e)
{
	unsigned char req[PROTO_HEADER_SIZE + 8] = { 0 }, h[PROTO_HEADER_SIZE];
	struct proto_frame f;
	const unsigned char *msg;
	uint32_t len, mlen;
	size_t size;
	char *buf;
	int rc;

	proto_header_put(req, 4, PROTO_STATE, 0, 1);
	proto_put32(req + PROTO_HEADER_SIZE, flags);
	if ((rc = ctlsock_send(fd, req, sizeof(req), deadline)) < 0) {
		errno = -rc;
		return err_sys(e, "cannot ask hsysd");
	}
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
	int64_t deadline = ctlsock_deadline(STATE_TIMEOUT_MS);
	int fd = -1, rc;

	if ((rc = dial(&fd, path, size, deadline, e)) != 0)
		return rc;
	rc = ask(fd, flags, out, len, deadline, e);
	close(fd);
	return rc;
}

/* Asks hsysd for a STATE view and prints its answer as it comes. */
static int
print_state(const struct http_ctx *c, uint32_t flags, const char *what)
{
	char path[128], *out = NULL;
	size_t len = 0;
	struct err e;
	int rc;

	if ((rc = cli_state_fetch(flags, &out, &len, path, sizeof(path), &e))
	    == 1) {
		fflush(stdout);
		fprintf(stderr, "hsys: hsysd is not running (nothing listens "
		    "on %s). Start it (systemctl start hsysd, or hsysd) and "
		    "try again.\n", path);
		return EXIT_NOT_RUNNING;
	}
	if (rc == -1)
		return http_fail(c, what, &e);
	fwrite(out, 1, len, stdout);
	free(out);
	return EXIT_OK;
}

int
http_servicestate(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	struct config_args a;
	const char *view;
	uint32_t flags = 0;
	size_t i;
	struct err e;

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
	return print_state(c, flags, "Service state show");
}

/* hsys http show cachestate: the STATE view of the response cache. */
int
http_cachestate(const struct http_ctx *c, const char *verb, int argc,
    char **argv)
{
	static const struct config_key none[] = { { NULL, 0 } };
	struct config_args a;
	uint32_t flags = (uint32_t)PROTO_STATE_CACHE << 8;
	struct err e;

	if (strcasecmp(verb, "show") != 0) {
		err_set(&e, "cachestate can only be shown; an application "
		    "flushes its own responses (hsys_cache_flush)");
		e.code = CONFIG_E_PARAM;
		return http_fail(c, "Cache state", &e);
	}
	if (http_args(c, argc, argv, &a, NULL, &e) == -1 ||
	    config_args_check(&a, none, &e) == -1)
		return http_fail(c, "Cache state show", &e);
	if (!a.json)
		flags |= PROTO_STATE_TEXT;
	return print_state(c, flags, "Cache state show");
}
