/*
 * batch — netsh-style batch mode: command lines from a file (hsys -f FILE)
 * or standard input (COMMANDS | hsys).
 *
 * Each line is "http ..." (a leading "netsh" is tolerated); '#' starts a
 * comment line (whatever follows it); blank lines are skipped; a line
 * longer than LINE_MAX_LEN - 2 characters or holding a NUL byte is refused
 * whole, never split or cut (tests/fuzz/fuzz_batch.c checks the reader); values may be double-quoted
 * (key="a value"). Lines are applied one by one, each in its own
 * transaction, and the first failing line stops the batch, naming its
 * number; the lines before it stay applied. With --atomic the whole batch
 * is one transaction: everything or nothing, and hsysd is poked once; what
 * the lines print ("... successfully added") is held back until the
 * transaction commits, and dropped when it rolls back, so that no line
 * claims a change that was not made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

#define LINE_MAX_LEN	8192
#define WORDS_MAX	64

/* Splits a line into words in place; double quotes group and are removed.
 * Returns the number of words, or -1 with a message. */
static int
split(char *p, char **w, struct err *e)
{
	char *o;
	int n = 0, quoted;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			return n;
		if (n == WORDS_MAX)
			return err_set(e, "more than %d words", WORDS_MAX);
		w[n++] = o = p;
		quoted = 0;
		for (; *p != '\0'; p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (*p == ' ' || *p == '\t' ||
			    *p == '\r' || *p == '\n'))
				break;
			*o++ = *p;
		}
		if (quoted)
			return err_set(e, "a double quote is not closed");
		if (*p != '\0')
			p++;
		*o = '\0';
	}
}

static int
run_line(struct store *tx, int lineno, char *line)
{
	char *w[WORDS_MAX];
	struct err e;
	int n, first = 0;

	line += strspn(line, " \t\r\n");
	if (*line == '#')
		return EXIT_OK;
	if ((n = split(line, w, &e)) == -1) {
		fprintf(stderr, "hsys: line %d: %s.\n", lineno, e.msg);
		return EXIT_USAGE;
	}
	if (n == 0)
		return EXIT_OK;
	if (strcasecmp(w[0], "netsh") == 0)
		first = 1;
	if (first >= n || strcasecmp(w[first], "http") != 0) {
		fprintf(stderr, "hsys: line %d: '%s' is not an http command; "
		    "batch lines look like 'http add urlacl url=... user=...'.\n",
		    lineno, first < n ? w[first] : w[0]);
		return EXIT_USAGE;
	}
	return cli_http_run(tx, lineno, n - first, w + first);
}

/*
 * --atomic: standard output goes to a temporary file while the lines run
 * (held), and is copied out once the batch commits (release with keep) or
 * thrown away (without).
 */
struct held {
	FILE	*tmp;
	int	 out;		/* the real standard output */
};

static int
hold_output(struct held *h, struct err *e)
{
	fflush(stdout);
	if ((h->tmp = tmpfile()) == NULL)
		return err_sys(e, "cannot hold the batch's output");
	if ((h->out = dup(STDOUT_FILENO)) == -1 ||
	    dup2(fileno(h->tmp), STDOUT_FILENO) == -1) {
		if (h->out != -1)
			close(h->out);
		fclose(h->tmp);
		h->tmp = NULL;
		return err_sys(e, "cannot hold the batch's output");
	}
	return 0;
}

static void
release_output(struct held *h, int keep)
{
	char buf[4096];
	size_t n;

	if (h->tmp == NULL)
		return;
	fflush(stdout);
	dup2(h->out, STDOUT_FILENO);
	close(h->out);
	if (keep) {
		rewind(h->tmp);
		while ((n = fread(buf, 1, sizeof(buf), h->tmp)) > 0)
			fwrite(buf, 1, n, stdout);
		fflush(stdout);
	}
	fclose(h->tmp);
	h->tmp = NULL;
}

/*
 * One line into buf, with its '\n': 1, 0 at the end of the file, -1 (with
 * a message) for a line too long or holding a NUL byte, which fgets would
 * cut in two (its tail read as the next line) or short (strlen stops at
 * the NUL).
 */
static int
read_line(FILE *f, char *buf, size_t size, int lineno)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '\0') {
			fprintf(stderr, "hsys: line %d: holds a NUL byte; a "
			    "batch file is text.\n", lineno);
			return -1;
		}
		if (c == '\n') {
			buf[n++] = '\n';
			break;
		}
		if (n + 2 >= size) {
			fprintf(stderr, "hsys: line %d: longer than %zu "
			    "characters.\n", lineno, size - 2);
			return -1;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return n > 0;
}

static int
finish_atomic(struct store *s, struct held *h, int rc)
{
	struct err e;

	if (rc != EXIT_OK) {
		store_rollback(s);
		store_close(s);
		release_output(h, 0);
		fprintf(stderr, "hsys: nothing was applied (--atomic): no line "
		    "of the batch took effect.\n");
		return rc;
	}
	if (cli_commit(s, &e) == -1) {
		store_close(s);
		release_output(h, 0);
		return cli_fail(&e);
	}
	store_close(s);
	release_output(h, 1);
	return EXIT_OK;
}

int
cli_batch(const char *path, int atomic)
{
	char *line;
	struct store *tx = NULL;
	struct held held = { NULL, -1 };
	struct err e;
	FILE *f = stdin;
	int lineno = 0, rc = EXIT_OK, got;

	if (strcmp(path, "-") != 0 && (f = fopen(path, "r")) == NULL) {
		err_sys(&e, "cannot read %s", path);
		return cli_fail(&e);
	}
	if ((line = malloc(LINE_MAX_LEN)) == NULL) {
		if (f != stdin)
			fclose(f);
		err_sys(&e, "batch");
		return cli_fail(&e);
	}
	if (atomic && (store_open(&tx, STORE_MACHINE, STORE_WRITE, &e) == -1 ||
	    store_begin(tx, &e) == -1 || hold_output(&held, &e) == -1)) {
		store_close(tx);
		tx = NULL;
		rc = cli_fail(&e);
		goto done;
	}
	while ((got = read_line(f, line, LINE_MAX_LEN, lineno + 1)) != 0) {
		lineno++;
		if (got == -1) {
			rc = EXIT_USAGE;
			break;
		}
		if ((rc = run_line(tx, lineno, line)) != EXIT_OK)
			break;
	}
	if (rc == EXIT_OK && ferror(f)) {
		err_sys(&e, "cannot read %s", path);
		rc = cli_fail(&e);
	}
	if (tx != NULL)
		rc = finish_atomic(tx, &held, rc);
done:
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}
