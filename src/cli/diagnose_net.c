/*
 * diagnose_net — the machine facts hsys diagnose reports: what a host
 * resolves to and whether it is this machine, which program holds a port
 * (/proc/net/tcp and the owners' socket descriptors), and a real request
 * through hsysd with the httperr line it left.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli/diagnose.h"

#define IO_TIMEOUT_S	10

int
dg_resolve(const char *host, struct dg_addr *out, size_t max, size_t *n,
    char *why, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	size_t i;
	int rc;

	*n = 0;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(why, size, "%s", rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
		struct dg_addr a = { .family = ai->ai_family };

		if (ai->ai_family == AF_INET)
			memcpy(a.addr, &((struct sockaddr_in *)ai->ai_addr)->
			    sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(a.addr, &((struct sockaddr_in6 *)ai->ai_addr)->
			    sin6_addr, 16);
		else
			continue;
		inet_ntop(a.family, a.addr, a.text, sizeof(a.text));
		for (i = 0; i < *n; i++)
			if (strcmp(out[i].text, a.text) == 0)
				break;
		if (i == *n)
			out[(*n)++] = a;
	}
	freeaddrinfo(res);
	return 0;
}

int
dg_is_local(const struct dg_addr *a, char *ifname, size_t size)
{
	struct ifaddrs *ifs, *i;
	const void *p;
	int found = 0;

	snprintf(ifname, size, "lo");
	/* All of 127/8 is this machine, though lo carries only 127.0.0.1. */
	if (a->family == AF_INET && a->addr[0] == 127)
		return 1;
	if (getifaddrs(&ifs) == -1)
		return 0;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != a->family)
			continue;
		if (a->family == AF_INET)
			p = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			p = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (memcmp(p, a->addr, a->family == AF_INET ? 4 : 16) == 0) {
			snprintf(ifname, size, "%s", i->ifa_name);
			found = 1;
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* /proc/net/tcp writes an address as the hex of its 32-bit words in host
 * order: decoding word by word gives the bytes back. */
static int
proc_addr(const char *hex, int family, unsigned char out[16])
{
	size_t words = family == AF_INET ? 1 : 4, w;
	unsigned int v;
	uint32_t u;

	if (strlen(hex) != words * 8)
		return -1;
	for (w = 0; w < words; w++) {
		if (sscanf(hex + 8 * w, "%8x", &v) != 1)
			return -1;
		u = v;
		memcpy(out + 4 * w, &u, 4);
	}
	return 0;
}

/* The inode of a socket listening on port at addr or else the wildcard
 * (the kernel gives a connection to the more specific one), from one
 * /proc/net file; 0 when none. */
static unsigned long
listening_inode(const char *file, int family, const unsigned char *want,
    uint16_t port, char *bound, size_t size)
{
	char line[512], local[64], rem[64];
	unsigned char a[16], zero[16] = { 0 };
	unsigned long inode, found = 0, wild = 0;
	unsigned int lport, st;
	size_t alen = family == AF_INET ? 4 : 16;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f:] %x "
		    "%*s %*s %*s %*s %*s %lu", local, &lport, rem, &st,
		    &inode) != 5 || st != 0x0A || lport != port)
			continue;
		if (proc_addr(local, family, a) == -1)
			continue;
		if (memcmp(a, want, alen) == 0) {
			inet_ntop(family, a, bound, (socklen_t)size);
			found = inode;
		} else if (memcmp(a, zero, alen) == 0 && wild == 0)
			wild = inode;
	}
	fclose(f);
	if (found == 0 && wild != 0)
		inet_ntop(family, zero, bound, (socklen_t)size);
	return found ? found : wild;
}

/* The process that holds socket inode; 0 when none visible. */
static pid_t
inode_owner(unsigned long inode)
{
	char want[64], path[600], link[64];
	struct dirent *p, *fd;
	DIR *proc, *fds;
	pid_t pid = 0;
	ssize_t n;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while (pid == 0 && (p = readdir(proc)) != NULL) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		while ((fd = readdir(fds)) != NULL) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
			    p->d_name, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0) {
				pid = (pid_t)atoi(p->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return pid;
}

void
dg_port_holder(const struct dg_addr *a, uint16_t port, struct dg_holder *h)
{
	unsigned char zero[16] = { 0 };
	unsigned long inode;
	char path[64];
	FILE *f;

	memset(h, 0, sizeof(*h));
	inode = listening_inode(a->family == AF_INET ? "/proc/net/tcp" :
	    "/proc/net/tcp6", a->family, a->addr, port, h->bound,
	    sizeof(h->bound));
	/* A dual-stack [::] socket takes IPv4 too. */
	if (inode == 0 && a->family == AF_INET)
		inode = listening_inode("/proc/net/tcp6", AF_INET6, zero, port,
		    h->bound, sizeof(h->bound));
	if (inode == 0)
		return;
	h->found = 1;
	if ((h->pid = inode_owner(inode)) == 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)h->pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(h->comm, sizeof(h->comm), f) != NULL)
			h->comm[strcspn(h->comm, "\n")] = '\0';
		fclose(f);
	}
}

static int
dial(const struct dg_addr *a, uint16_t port, uint16_t *lport, char *why,
    size_t size)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd;

	if (a->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->addr, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a->addr, 16);
		len = sizeof(*s);
	}
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(why, size, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(why, size, "cannot connect to %s port %u: %s",
		    a->text, port, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		*lport = ntohs(a->family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Sends the request and reads up to the status line, over TLS or not. */
static int
exchange(int fd, SSL *ssl, const char *req, char *buf, size_t size)
{
	size_t got = 0;
	int n;

	errno = 0;
	n = ssl ? SSL_write(ssl, req, (int)strlen(req)) :
	    (int)send(fd, req, strlen(req), MSG_NOSIGNAL);
	if (n != (int)strlen(req))
		return -1;
	while (got < size - 1 && memchr(buf, '\n', got) == NULL) {
		n = ssl ? SSL_read(ssl, buf + got, (int)(size - 1 - got)) :
		    (int)recv(fd, buf + got, size - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (int)got;
}

static int
is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

int
dg_request(const struct dg_addr *a, uint16_t port, int https,
    const char *host, const char *target, int *status, uint16_t *lport,
    char *why, size_t size)
{
	char req[4096], buf[1024];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd, rc = -1, n;

	*status = 0;
	if ((fd = dial(a, port, lport, why, size)) == -1)
		return -1;
	if (https) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    (ssl = SSL_new(ctx)) == NULL) {
			snprintf(why, size, "cannot set up TLS");
			goto done;
		}
		/* The certificate hop judges the certificate; this one only
		 * wants hsysd's answer. */
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		if (!is_ip(host))
			SSL_set_tlsext_host_name(ssl, host);
		SSL_set_fd(ssl, fd);
		if (SSL_connect(ssl) != 1) {
			snprintf(why, size, "the TLS handshake failed (%s)",
			    ERR_reason_error_string(ERR_peek_last_error()) ?
			    ERR_reason_error_string(ERR_peek_last_error()) :
			    "the server closed the connection");
			goto done;
		}
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
	    "User-Agent: hsys-diagnose\r\nConnection: close\r\n\r\n", target,
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    port);
	if ((n = exchange(fd, ssl, req, buf, sizeof(buf))) <= 0) {
		snprintf(why, size, errno == EAGAIN || errno == EWOULDBLOCK ?
		    "no answer within %d s" : "no answer: the connection was "
		    "closed", IO_TIMEOUT_S);
		goto done;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
		snprintf(why, size, "the answer is not HTTP/1.x");
		goto done;
	}
	rc = 0;
done:
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}

long
dg_httperr_size(char *path, size_t size)
{
	const char *home = getenv("HSYS_HOME");
	struct stat st;

	if (home != NULL && *home != '\0')
		snprintf(path, size, "%s/log/httperr.log", home);
	else
		snprintf(path, size, "/var/log/hsys/httperr.log");
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The s-reason of a line for client port lport and server port port. */
static int
line_reason(const char *line, uint16_t lport, uint16_t port, char *reason,
    size_t size)
{
	char f[14][128];
	int n;

	if (line[0] == '#')
		return 0;
	n = sscanf(line, "%127s %127s %127s %127s %127s %127s %127s %127s "
	    "%127s %127s %127s %127s %127s %127s", f[0], f[1], f[2], f[3],
	    f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13]);
	if (n < 13 || atoi(f[3]) != lport || atoi(f[5]) != port)
		return 0;
	snprintf(reason, size, "%s", f[12]);
	return 1;
}

int
dg_httperr_reason(const char *path, long offset, uint16_t lport,
    uint16_t port, char *reason, size_t size, char *why, size_t wsize)
{
	char line[2048];
	int tries, found = 0;
	FILE *f;

	for (tries = 0; tries < 30 && !found; tries++) {
		if (tries > 0)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		if ((f = fopen(path, "r")) == NULL) {
			snprintf(why, wsize, "cannot read %s: %s", path,
			    strerror(errno));
			return -1;
		}
		if (fseek(f, offset, SEEK_SET) == 0)
			while (!found && fgets(line, sizeof(line), f) != NULL)
				found = line_reason(line, lport, port, reason,
				    size);
		fclose(f);
	}
	return found;
}
