/*
 * test_acl — who may register a URL prefix and who may open a queue to
 * other users (daemon/acl.c), through acl.h, against reservations in a
 * private store (HSYS_HOME): root always; the most specific covering
 * reservation decides, even against a broader one that would grant (the
 * longest path, then an exact host over + over *); + covers every host, *
 * only *, an address or a name only itself; paths on '/' boundaries and in
 * any case; listen=no; groups; Everyone; the scheme and port apart; the
 * cached answer equals the store's and follows the generation; and
 * delegation, with messages that say what to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config.h"
#include "daemon/acl.h"
#include "daemon/hsysd.h"
#include "store/store.h"
#include "testcert.h"
#include "unit.h"
#include "url/url.h"

/* main.c's, which the daemon's library leaves out; weak, so that it gives
 * way if the daemon's library comes to define it. */
__attribute__((weak)) void
hsysd_reload(struct hsysd *d)
{
	(void)d;
}

/* Users and groups no one has (the group database knows none of them). */
#define U_ROOTISH	4242	/* http://+:80/ */
#define U_APP		4343	/* http://+:80/app/, delegate=yes */
#define U_WEAK		4545	/* the weak wildcard's /weak/ on port 80 */
#define U_IP		4646	/* http://127.0.0.2:80/ip/ */
#define G_SITE		5000	/* http://www.a.test:80/app/ */

static int
args(struct config_args *a, const char *line, struct err *e)
{
	static char buf[1024];
	char *w[40], *p;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok(buf, " "); p != NULL && n < 40; p = strtok(NULL, " "))
		w[n++] = p;
	return config_args_parse(n, w, a, e);
}

/* Adds reservations, one "url=... user=..." line each, in one write. */
static void
reserve(const char *const *lines)
{
	static struct config_args a;
	struct config_urlacl r;
	struct store *s = NULL;
	struct err e;

	if (store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_begin(s, &e) == -1)
		goto fail;
	for (; *lines != NULL; lines++)
		if (args(&a, *lines, &e) == -1 ||
		    config_urlacl_from_args(&a, CONFIG_ADD, &r, &e) == -1 ||
		    config_urlacl_add(s, &r, &e) == -1)
			goto fail;
	if (store_commit(s, &e) == -1)
		goto fail;
	store_close(s);
	return;
fail:
	printf("# reserve: %s\n", e.msg);
	abort();
}

static struct hsysd d;

/* acl_may_listen's answer (0, or the errno) for a prefix; checks that the
 * cached answer is the same, and keeps the message in *e. */
static int
may(uid_t uid, gid_t gid, const char *text, struct err *e)
{
	struct url_prefix p;
	struct err e2;
	int rc, rc2;

	if (url_prefix_parse(text, strlen(text), &p, e) == -1) {
		printf("# %s: %s\n", text, e->msg);
		abort();
	}
	e->msg[0] = '\0';
	rc = acl_may_listen(uid, gid, &p, e) == 0 ? 0 : e->code;
	rc2 = acl_may_listen_cached(&d, uid, gid, &p, &e2) == 0 ? 0 : e2.code;
	if (rc2 != rc || (rc != 0 && strcmp(e->msg, e2.msg) != 0))
		printf("#   %s: store %d '%s', cached %d '%s'\n", text, rc,
		    e->msg, rc2, e2.msg);
	return rc2 != rc ? -1 : rc;
}

static void
test_listen(void)
{
	static const char *const rows[] = {
		"url=http://+:80/ user=4242",
		"url=http://+:80/app/ user=4343 delegate=yes",
		"url=http://+:80/app/admin/ user=4242 listen=no delegate=yes",
		"url=http://www.a.test:80/app/ user=@5000",
		"url=http://*:80/weak/ user=4545",
		"url=http://127.0.0.2:80/ip/ user=4646",
		"url=http://+:81/ user=Everyone",
		NULL
	};
	struct err e;

	d.generation = 1;
	reserve(rows);

	/* Root, always; even where nothing is reserved. */
	CHECK(may(0, 0, "http://+:99/x/", &e) == 0);
	CHECK(may(0, 0, "http://+:80/app/admin/", &e) == 0);

	/* Nothing covers it: EACCES, saying how to add one. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:99/x/", &e) == EACCES);
	CHECK(strstr(e.msg, "no URL reservation covers") != NULL &&
	    strstr(e.msg, "hsys http add urlacl") != NULL);
	/* The scheme is part of it: an http reservation covers no https. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "https://+:80/x/", &e) == EACCES);

	/* Covered by its own reservation, at it or below. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:80/", &e) == 0);
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:80/x/y/", &e) == 0);
	CHECK(may(U_APP, U_APP, "http://+:80/app/", &e) == 0);
	CHECK(may(U_APP, U_APP, "http://+:80/app/x/", &e) == 0);
	CHECK(may(U_APP, U_APP, "http://+:80/APP/x/", &e) == 0);

	/* The most specific decides, though a broader one would grant. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:80/app/x/", &e) == EACCES);
	CHECK(strstr(e.msg, "http://+:80/app/") != NULL &&
	    strstr(e.msg, "uid 4242") != NULL);
	CHECK(may(U_APP, U_APP, "http://+:80/app/admin/x/", &e) == EACCES);
	/* On '/' boundaries: /app/ does not cover /apple/. */
	CHECK(may(U_APP, U_APP, "http://+:80/apple/", &e) == EACCES);
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:80/apple/", &e) == 0);

	/* Its own reservation, but listen=no. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://+:80/app/admin/", &e) ==
	    EACCES);
	CHECK(strstr(e.msg, "says listen=no") != NULL);

	/* An exact host over + at the same path; its group by the gid. */
	CHECK(may(4444, G_SITE, "http://www.a.test:80/app/x/", &e) == 0);
	CHECK(may(U_APP, U_APP, "http://www.a.test:80/app/x/", &e) == EACCES);
	CHECK(strstr(e.msg, "members of group") != NULL);
	CHECK(may(U_APP, U_APP, "http://b.test:80/app/x/", &e) == 0);  /* + */
	CHECK(may(4444, G_SITE, "http://b.test:80/app/x/", &e) == EACCES);

	/* * covers only *: its holder may not take + or a name with it. */
	CHECK(may(U_WEAK, U_WEAK, "http://*:80/weak/x/", &e) == 0);
	CHECK(may(U_WEAK, U_WEAK, "http://+:80/weak/x/", &e) == EACCES);
	CHECK(may(U_WEAK, U_WEAK, "http://www.b.test:80/weak/", &e) ==
	    EACCES);
	/* + covers *: 4242's "/" takes a weak prefix outside /weak/. */
	CHECK(may(U_ROOTISH, U_ROOTISH, "http://*:80/other/", &e) == 0);

	/* An address covers itself alone. */
	CHECK(may(U_IP, U_IP, "http://127.0.0.2:80/ip/x/", &e) == 0);
	CHECK(may(U_IP, U_IP, "http://127.0.0.3:80/ip/", &e) == EACCES);
	CHECK(may(U_IP, U_IP, "http://+:80/ip/", &e) == EACCES);

	/* Everyone: any user, on that port only. */
	CHECK(may(77, 77, "http://+:81/a/", &e) == 0);
	CHECK(may(U_WEAK, 1, "http://www.c.test:81/", &e) == 0);
	CHECK(may(77, 77, "http://+:82/a/", &e) == EACCES);
}

static void
test_cache_generation(void)
{
	static const char *const more[] = {
		"url=http://+:80/late/ user=77",
		NULL
	};
	struct url_prefix p;
	struct err e;
	const char *late = "http://+:80/late/x/";

	CHECK(url_prefix_parse(late, strlen(late), &p, &e) == 0);
	CHECK(acl_may_listen_cached(&d, 77, 77, &p, &e) == -1 &&
	    e.code == EACCES);
	reserve(more);
	/* The store says yes at once... */
	CHECK(acl_may_listen(77, 77, &p, &e) == 0);
	/* ...hsysd's cache once it serves the generation that has it. */
	CHECK(acl_may_listen_cached(&d, 77, 77, &p, &e) == -1);
	d.generation = 2;
	CHECK(acl_may_listen_cached(&d, 77, 77, &p, &e) == 0);
	acl_cache_free(&d);
	CHECK(d.acl == NULL);
	acl_cache_free(&d);			/* twice: nothing */
	CHECK(acl_may_listen_cached(&d, 77, 77, &p, &e) == 0);	/* reloads */
	acl_cache_free(&d);
}

static void
test_delegate(void)
{
	struct err e;

	CHECK(acl_may_delegate(0, 0, &e) == 0);
	CHECK(acl_may_delegate(U_APP, U_APP, &e) == 0);
	/* 4242 holds reservations, one with delegate=yes (/app/admin/). */
	CHECK(acl_may_delegate(U_ROOTISH, U_ROOTISH, &e) == 0);
	/* Its own with delegate=no only: says which. */
	CHECK(acl_may_delegate(U_WEAK, U_WEAK, &e) == -1 && e.code == EACCES);
	CHECK(strstr(e.msg, "delegate=no") != NULL &&
	    strstr(e.msg, "http://*:80/weak/") != NULL);
	/* Everyone's reservation (delegate=no) is every user's. */
	CHECK(acl_may_delegate(9999, 9999, &e) == -1 && e.code == EACCES);
	CHECK(strstr(e.msg, "http://+:81/ says delegate=no") != NULL);
}

/* Before any reservation: no store yet, then an empty one. */
static void
test_none(void)
{
	static const char *const none[] = { NULL };
	struct url_prefix p;
	struct err e;

	CHECK(url_prefix_parse("http://+:80/", 12, &p, &e) == 0);
	CHECK(acl_may_listen(0, 0, &p, &e) == 0);
	/* No store yet: nothing reserved, not an I/O error. */
	CHECK(acl_may_listen(4242, 4242, &p, &e) == -1 && e.code == EACCES);
	reserve(none);
	CHECK(acl_may_listen(4242, 4242, &p, &e) == -1 && e.code == EACCES);
	CHECK(acl_may_delegate(9999, 9999, &e) == -1 && e.code == EACCES);
	CHECK(strstr(e.msg, "delegate=yes'") != NULL &&
	    strstr(e.msg, "uid 9999") != NULL);
}

static void
test_in_group(void)
{
	CHECK(acl_in_group(4242, 5000, 5000) == 1);	/* its gid */
	CHECK(acl_in_group(4242, 4242, 5000) == 0);	/* no such user */
	CHECK(acl_in_group(0, 4242, 0) == 1);	/* root's group, by name */
	CHECK(acl_in_group(0, 0, 5000) == 0);
}

int
main(void)
{
	const char *home = testcert_home();

	RUN(test_none);
	RUN(test_listen);
	RUN(test_cache_generation);
	RUN(test_delegate);
	RUN(test_in_group);
	acl_cache_free(&d);
	testcert_home_remove(home);
	return unit_done();
}
