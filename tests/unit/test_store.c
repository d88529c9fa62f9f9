/*
 * Unit tests of the store: locations, opening, modes, generation counter,
 * transactions, refusal of damaged and newer databases.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "store/store.h"
#include "testcert.h"
#include "unit.h"

static const char *home;

static void
test_home_paths(void)
{
	char buf[512];
	struct err e;

	CHECK(store_home(STORE_MACHINE, buf, sizeof(buf), &e) == 0);
	CHECK_STR(buf, home);
	CHECK(store_home(STORE_USER, buf, sizeof(buf), &e) == 0);
	CHECK(strncmp(buf, home, strlen(home)) == 0 &&
	    strcmp(buf + strlen(home), "/user") == 0);
	setenv("HSYS_HOME", "relative/dir", 1);
	CHECK(store_home(STORE_MACHINE, buf, sizeof(buf), &e) == -1);
	CHECK(strstr(e.msg, "absolute") != NULL);
	unsetenv("HSYS_HOME");
	CHECK(store_home(STORE_MACHINE, buf, sizeof(buf), &e) == 0);
	CHECK_STR(buf, "/var/lib/hsys");
	setenv("HOME", "/home/someone", 1);
	unsetenv("XDG_DATA_HOME");
	CHECK(store_home(STORE_USER, buf, sizeof(buf), &e) == 0);
	CHECK_STR(buf, "/home/someone/.local/share/hsys");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	CHECK(store_home(STORE_USER, buf, sizeof(buf), &e) == 0);
	CHECK_STR(buf, "/xdg/hsys");
	setenv("HSYS_HOME", home, 1);
}

static void
test_missing_store_reads_empty(void)
{
	struct store *s;
	struct err e;
	int64_t gen = -1;
	char path[512];

	CHECK(store_open(&s, STORE_MACHINE, STORE_READ, &e) == 0);
	CHECK(store_generation(s, &gen, &e) == 0 && gen >= 0);
	CHECK(store_begin(s, &e) == -1);	/* read-only */
	store_close(s);
	snprintf(path, sizeof(path), "%s/hsys.db", home);
	CHECK(access(path, F_OK) == -1);	/* reading created nothing */
}

static void
test_create_modes_generation(void)
{
	struct store *s;
	struct stat sb;
	struct err e;
	int64_t gen;
	char path[512];

	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	CHECK(store_generation(s, &gen, &e) == 0);
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_exec(s, "INSERT INTO setting VALUES ('x', 1)", &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	{
		int64_t gen2;
		CHECK(store_generation(s, &gen2, &e) == 0 && gen2 == gen + 1);
	}
	/* A rolled-back change leaves no trace and no new generation. */
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_exec(s, "INSERT INTO setting VALUES ('y', 1)", &e) == 0);
	store_rollback(s);
	{
		int64_t gen3;
		CHECK(store_generation(s, &gen3, &e) == 0 && gen3 == gen + 1);
	}
	/* The configuration is readable by all (as netsh show is on
	 * Windows); the keys and their journal are the owner's only. */
	snprintf(path, sizeof(path), "%s/hsys.db", home);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);
	snprintf(path, sizeof(path), "%s/keys.db", home);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(store_begin(s, &e) == 0);
	CHECK(store_exec(s, "INSERT INTO key VALUES (1, 'k', x'00')", &e) == 0);
	snprintf(path, sizeof(path), "%s/keys.db-journal", home);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(store_commit(s, &e) == 0);
	CHECK(stat(path, &sb) == -1);
	/* A rollback journal, not WAL: a reader needs no writable file. */
	snprintf(path, sizeof(path), "%s/hsys.db-wal", home);
	CHECK(stat(path, &sb) == -1);
	store_close(s);
}

static void
test_damaged_and_newer(void)
{
	char dir[600], path[700];
	struct store *s;
	struct err e;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/bad", home);
	mkdir(dir, 0700);
	setenv("HSYS_HOME", dir, 1);
	snprintf(path, sizeof(path), "%s/hsys.db", dir);
	f = fopen(path, "w");
	fputs("this is not a database, just text that is long enough to "
	    "fill a header of one hundred bytes or so ..................", f);
	fclose(f);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == -1);
	CHECK(strstr(e.msg, "damaged") != NULL);
	CHECK(store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1);
	unlink(path);

	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	CHECK(store_exec(s, "PRAGMA user_version = 999", &e) == 0);
	store_close(s);
	CHECK(store_open(&s, STORE_MACHINE, STORE_READ, &e) == -1);
	CHECK(strstr(e.msg, "newer hsys") != NULL);
	/* The key process reads it; a writer never does. */
	CHECK(store_open(&s, STORE_MACHINE, STORE_READ | STORE_NEWER, &e)
	    == 0);
	store_close(s);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE | STORE_NEWER, &e)
	    == -1);
	CHECK(strstr(e.msg, "newer hsys") != NULL);
	setenv("HSYS_HOME", home, 1);
}

int
main(void)
{
	home = testcert_home();
	RUN(test_home_paths);
	RUN(test_missing_store_reads_empty);
	RUN(test_create_modes_generation);
	RUN(test_damaged_and_newer);
	testcert_home_remove(home);
	return unit_done();
}
