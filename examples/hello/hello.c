/*
 * hsys-hello — the smallest libhsys application: answers "hello, world"
 * on one URL prefix.
 *
 *	hsys-hello [--queue NAME] [--cache SECONDS] [PREFIX]
 *	    (default http://+:8080/hello/)
 *
 * With --cache, hsysd keeps the answer in its response cache for SECONDS
 * (0: until the queue ends) and answers later GETs itself (docs/cache.md);
 * bench/serving measures that ("hsys-cache").
 *
 * With --queue, the request queue is named NAME: the first process creates
 * it and later ones attach to it, so several processes share the load.
 *
 * SIGTERM stops it without failing a request (docs/deploy.md): it closes
 * its queue, so hsysd sends it no more, answers what it was already
 * given, and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hsys.h>

static volatile sig_atomic_t stop;
static long cache_ttl = -1;	/* --cache; -1: not cacheable */

static void
answer(struct hsys_request *r)
{
	if (cache_ttl >= 0)
		(void)hsys_response_cache(r, (uint32_t)cache_ttl);
	hsys_respond(r, 200, "text/plain", "hello, world\n", 13);
}

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
explain(struct hsys *h, const char *what, const char *prefix, int rc)
{
	fprintf(stderr, "hsys-hello: %s: %s\n", what, hsys_strerror(rc));
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		fprintf(stderr, "hsys-hello: is hsysd running? (it listens "
		    "on $HSYS_HOME/hsysd.sock or /run/hsys/hsysd.sock)\n");
	else if (rc == -EACCES) {
		if (h != NULL && hsys_last_error(h)[0] != '\0')
			fprintf(stderr, "hsys-hello: %s\n",
			    hsys_last_error(h));
		fprintf(stderr, "hsys-hello: an administrator can allow it "
		    "with:\n    hsys http add urlacl url=%s user=$USER\n",
		    prefix);
	} else if (h != NULL && hsys_last_error(h)[0] != '\0')
		fprintf(stderr, "hsys-hello: %s\n", hsys_last_error(h));
}

int
main(int argc, char **argv)
{
	const char *prefix = "http://+:8080/hello/", *qname = NULL;
	struct hsys *h = NULL;
	struct hsys_queue *q = NULL;
	struct hsys_request *r;
	struct sigaction sa;
	long long deadline;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
			qname = argv[++i];
		else if (strncmp(argv[i], "--queue=", 8) == 0)
			qname = argv[i] + 8;
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			cache_ttl = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] != '-')
			prefix = argv[i];
		else {
			fprintf(stderr, "usage: hsys-hello [--queue NAME] "
			    "[--cache SECONDS] [PREFIX]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((rc = hsys_open(&h, "hsys-hello")) < 0) {
		explain(NULL, "cannot reach hsysd", prefix, rc);
		return 1;
	}
	if (qname != NULL) {
		/* Attach to the named queue, or create it when first. */
		rc = hsys_queue_attach(h, qname, &q);
		if (rc == -ENOENT)
			rc = hsys_queue_create(h, qname, 0, &q);
	} else
		rc = hsys_queue_create(h, NULL, 0, &q);
	if (rc < 0) {
		explain(h, "cannot open the request queue", prefix, rc);
		goto fail;
	}
	if ((rc = hsys_prefix_add(q, prefix)) < 0 && rc != -EEXIST) {
		explain(h, prefix, prefix, rc);
		goto fail;
	}
	while (!stop && (rc = hsys_next(h, &r, 1000)) >= 0)
		if (rc == 1)
			answer(r);
	if (rc < 0) {
		fprintf(stderr, "hsys-hello: %s\n", hsys_strerror(rc));
		goto fail;
	}
	/* Drain: no new requests once the queue is closed, but those routed
	 * just before still arrive; answer until half a second passes
	 * without one (at most 5 s). */
	hsys_queue_close(q);
	q = NULL;
	for (deadline = now_ms() + 5000; now_ms() < deadline &&
	    (rc = hsys_next(h, &r, 500)) == 1; )
		answer(r);
	hsys_close(h);
	return rc < 0 ? 1 : 0;
fail:
	hsys_queue_close(q);
	hsys_close(h);
	return 1;
}
