/*
 * hsys-static — serves the files of a directory under a URL prefix.
 *
 *	hsys-static [--queue NAME] [--cache SECONDS] ROOT [PREFIX]
 *	    (default http://+:8080/static/)
 *
 * The request's decoded path minus the prefix's path names a file under
 * ROOT. Every component is opened with openat(O_NOFOLLOW) from ROOT, and
 * ".." or "." components are refused, so nothing outside ROOT is served
 * even if a symbolic link points out of it. GET and HEAD only; conditional
 * requests (If-None-Match against an ETag of size and mtime,
 * If-Modified-Since against Last-Modified) answer 304; one
 * "Range: bytes=a-b" range answers 206 or 416. Bodies are streamed with
 * hsys_response_write.
 *
 * Whole files (200) go to hsysd's response cache (docs/cache.md) for
 * --cache SECONDS (default 60; 0: until the queue ends; -1: never): hsysd
 * then answers GET, HEAD and their conditional forms for them itself, so
 * a file changed on disk shows after at most that long.
 *
 * SIGTERM stops it without failing a request (docs/deploy.md): it closes
 * its queue, so hsysd sends it no more, answers what it was already
 * given, and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hsys.h>

static long cache_ttl = 60;	/* --cache; -1: never */

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
};

static const char *
content_type(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* The path part of a prefix: "http://+:8080/static/" -> "/static/". */
static const char *
prefix_path(const char *prefix)
{
	const char *p = strstr(prefix, "://");

	p = p != NULL ? strchr(p + 3, '/') : NULL;
	return p != NULL ? p : "/";
}

/* Opens rel (no leading '/') under root, one component at a time, never
 * following a symbolic link and refusing "." and "..". Returns an fd or a
 * negative errno. */
static int
open_under(int root, const char *rel)
{
	char comp[256];
	const char *p = rel, *e;
	size_t n;
	int fd = dup(root), next;

	if (fd == -1)
		return -errno;
	while (*p != '\0') {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(comp) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			return -EACCES;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next == -1)
			return errno == ELOOP ? -EACCES : -errno;
		fd = next;
		p += n;
	}
	return fd;
}

static void
error_page(struct hsys_request *r, int status, const char *msg)
{
	hsys_respond(r, status, "text/plain", msg, strlen(msg));
}

/* Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against size. Returns 1 with
 * [*from, *to] set, 0 when the header is absent or not one byte range
 * (serve it all), -1 when unsatisfiable. */
static int
parse_range(const char *h, off_t size, off_t *from, off_t *to)
{
	char *end;
	long long a, b;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	h += 6;
	if (*h == '-') {
		b = strtoll(h + 1, &end, 10);
		if (*end != '\0' || end == h + 1)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	a = strtoll(h, &end, 10);
	if (end == h || *end != '-' || a < 0)
		return 0;
	h = end + 1;
	if (*h == '\0')
		b = size - 1;
	else {
		b = strtoll(h, &end, 10);
		if (*end != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 1;
}

static void
serve(struct hsys_request *r, int root, const char *ppath)
{
	const char *method = hsys_request_method(r), *path;
	char etag[64], lastmod[64], clen[32], crange[96];
	struct hsys_header hd[6];
	static char buf[64 << 10];
	const char *inm, *ims;
	struct stat sb;
	struct tm tm, since;
	off_t from = 0, to, left;
	size_t n = 0, plen = strlen(ppath);
	ssize_t got;
	int fd, head, status = 200, rr;

	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		struct hsys_header allow = { "Allow", "GET, HEAD" };

		if (hsys_response_start(r, 405, &allow, 1, 0) == 0)
			hsys_response_write(r, "method not allowed\n", 19);
		hsys_response_end(r);
		return;
	}
	path = hsys_request_path(r);
	if (strncmp(path, ppath, plen) == 0)
		path += plen;
	else if (plen > 0 && strncmp(path, ppath, plen - 1) == 0 &&
	    path[plen - 1] == '\0')
		path += plen - 1;
	while (*path == '/')
		path++;
	if ((fd = open_under(root, path)) < 0) {
		if (fd == -ENOENT || fd == -ENOTDIR)
			error_page(r, 404, "not found\n");
		else
			error_page(r, 403, "forbidden\n");
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		error_page(r, S_ISDIR(sb.st_mode) ? 403 : 404, "not a file\n");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%jx-%jx\"", (uintmax_t)sb.st_size,
	    (uintmax_t)sb.st_mtime);
	gmtime_r(&sb.st_mtime, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	hd[n].name = "ETag";
	hd[n++].value = etag;
	hd[n].name = "Last-Modified";
	hd[n++].value = lastmod;
	inm = hsys_request_header(r, "If-None-Match");
	ims = hsys_request_header(r, "If-Modified-Since");
	memset(&since, 0, sizeof(since));
	if ((inm != NULL && (strcmp(inm, etag) == 0 || strcmp(inm, "*") ==
	    0)) || (inm == NULL && ims != NULL &&
	    strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &since) != NULL &&
	    timegm(&since) >= sb.st_mtime)) {
		close(fd);
		hsys_response_start(r, 304, hd, n, HSYS_RESPONSE_END);
		hsys_response_end(r);
		return;
	}
	to = sb.st_size - 1;
	rr = parse_range(hsys_request_header(r, "Range"), sb.st_size, &from,
	    &to);
	if (rr < 0) {
		close(fd);
		snprintf(crange, sizeof(crange), "bytes */%jd",
		    (intmax_t)sb.st_size);
		hd[0].name = "Content-Range";
		hd[0].value = crange;
		hd[1].name = "Content-Length";
		hd[1].value = "0";
		hsys_response_start(r, 416, hd, 2, HSYS_RESPONSE_END);
		hsys_response_end(r);
		return;
	}
	if (rr > 0) {
		status = 206;
		snprintf(crange, sizeof(crange), "bytes %jd-%jd/%jd",
		    (intmax_t)from, (intmax_t)to, (intmax_t)sb.st_size);
		hd[n].name = "Content-Range";
		hd[n++].value = crange;
	}
	left = sb.st_size == 0 ? 0 : to - from + 1;
	snprintf(clen, sizeof(clen), "%jd", (intmax_t)left);
	hd[n].name = "Content-Length";
	hd[n++].value = clen;
	hd[n].name = "Content-Type";
	hd[n++].value = content_type(path);
	hd[n].name = "Accept-Ranges";
	hd[n++].value = "bytes";
	/* The cache keeps it only if the request allows (a GET without
	 * Authorization): hsysd decides, the call cannot fail the answer. */
	if (status == 200 && cache_ttl >= 0)
		(void)hsys_response_cache(r, (uint32_t)cache_ttl);
	if (hsys_response_start(r, status, hd, n, head || left == 0 ?
	    HSYS_RESPONSE_END : 0) < 0) {
		close(fd);
		hsys_request_cancel(r);
		return;
	}
	while (!head && left > 0) {
		got = pread(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left :
		    sizeof(buf), from);
		if (got <= 0 || hsys_response_write(r, buf, (size_t)got) < 0) {
			close(fd);
			hsys_request_cancel(r);
			return;
		}
		from += got;
		left -= got;
	}
	close(fd);
	hsys_response_end(r);
}

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
serve_next(struct hsys_request *r, int root, const char *prefix)
{
	serve(r, root, prefix_path(hsys_request_prefix(r)[0] != '\0' ?
	    hsys_request_prefix(r) : prefix));
}

int
main(int argc, char **argv)
{
	const char *prefix = "http://+:8080/static/", *qname = NULL;
	const char *rootdir = NULL;
	struct hsys *h = NULL;
	struct hsys_queue *q = NULL;
	struct hsys_request *r;
	struct sigaction sa;
	long long deadline;
	int i, rc, root;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
			qname = argv[++i];
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			cache_ttl = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] == '-')
			break;
		else if (rootdir == NULL)
			rootdir = argv[i];
		else
			prefix = argv[i];
	}
	if (rootdir == NULL || i < argc) {
		fprintf(stderr, "usage: hsys-static [--queue NAME] [--cache "
		    "SECONDS] ROOT [PREFIX]\n");
		return 2;
	}
	if ((root = open(rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		perror(rootdir);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((rc = hsys_open(&h, "hsys-static")) < 0) {
		fprintf(stderr, "hsys-static: %s%s\n", hsys_strerror(rc),
		    rc == -ENOENT ? " (is hsysd running?)" : "");
		return 1;
	}
	if (qname != NULL && (rc = hsys_queue_attach(h, qname, &q)) == -ENOENT)
		rc = hsys_queue_create(h, qname, 0, &q);
	else if (qname == NULL)
		rc = hsys_queue_create(h, NULL, 0, &q);
	if (rc < 0 || ((rc = hsys_prefix_add(q, prefix)) < 0 &&
	    rc != -EEXIST)) {
		fprintf(stderr, "hsys-static: %s: %s\n", prefix,
		    hsys_strerror(rc));
		if (hsys_last_error(h)[0] != '\0')
			fprintf(stderr, "hsys-static: %s\n", hsys_last_error(h));
		if (rc == -EACCES)
			fprintf(stderr, "hsys-static: allow it with: hsys http "
			    "add urlacl url=%s user=$USER\n", prefix);
		hsys_queue_close(q);
		hsys_close(h);
		return 1;
	}
	while (!stop && (rc = hsys_next(h, &r, 1000)) >= 0)
		if (rc == 1)
			serve_next(r, root, prefix);
	/* Drain: no new requests once the queue is closed, but those routed
	 * just before still arrive; answer until half a second passes
	 * without one (at most 5 s). */
	hsys_queue_close(q);
	for (deadline = now_ms() + 5000; rc >= 0 && now_ms() < deadline &&
	    (rc = hsys_next(h, &r, 500)) == 1; )
		serve_next(r, root, prefix);
	if (rc < 0)
		fprintf(stderr, "hsys-static: %s\n", hsys_strerror(rc));
	hsys_close(h);
	close(root);
	return rc < 0 ? 1 : 0;
}
