/*
 * fuzz_batch — libFuzzer target for the batch reader (src/cli/batch.c):
 * cli_batch reading a file of netsh lines, with cli_http_run replaced by
 * a recorder (this file defines it, and the few other functions batch.c
 * calls), so what is checked is the reading and splitting of lines.
 *
 * The contract, checked against a model:
 *  - lines are the file's '\n'-separated lines, numbered from 1; blank
 *    lines and comments (first non-blank character '#') run nothing;
 *  - a line is split into words at blanks (space, tab, CR) outside double
 *    quotes, which group and are removed; a leading "netsh" is dropped and
 *    the next word must be "http" (any case);
 *  - each other line reaches cli_http_run once, with its number and its
 *    words, in order; the first line that fails stops the batch with its
 *    exit code (the recorder fails lines holding the word "fail");
 *  - a line longer than 8190 characters, one holding a NUL byte, an
 *    unclosed quote or more than 64 words is refused (exit 2) with a
 *    message naming the line, and no part of it, nor any later line, runs.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LINE_MAX_CHARS	8190
#define WORDS_MAX	64
#define CALLS_MAX	256

/* What cli_http_run saw: each call's line and words, joined by '\n'. */
static struct {
	int	 n;
	int	 line[CALLS_MAX];
	char	*words[CALLS_MAX];
} seen;

static char *
join(int argc, char **argv)
{
	size_t len = 1, i;
	char *s;

	for (i = 0; i < (size_t)argc; i++)
		len += strlen(argv[i]) + 1;
	assert((s = malloc(len)) != NULL);
	s[0] = '\0';
	for (i = 0; i < (size_t)argc; i++) {
		strcat(s, argv[i]);
		strcat(s, "\n");
	}
	return s;
}

static int
fails(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "fail") == 0)
			return 1;
	return 0;
}

int
cli_http_run(struct store *tx, int line, int argc, char **argv)
{
	assert(tx == NULL && argc >= 1 && strcasecmp(argv[0], "http") == 0);
	if (seen.n < CALLS_MAX) {
		seen.line[seen.n] = line;
		seen.words[seen.n] = join(argc, argv);
	}
	seen.n++;
	return fails(argc, argv) ? EXIT_FAIL : EXIT_OK;
}

/* Never reached without --atomic. */
int
cli_commit(struct store *s, struct err *e)
{
	(void)s;
	(void)e;
	abort();
}

int
cli_fail(const struct err *e)
{
	fprintf(stderr, "hsys: %s.\n", e->msg);
	return EXIT_FAIL;
}

int
store_open(struct store **s, enum store_location loc, int flags,
    struct err *e)
{
	(void)s;
	(void)loc;
	(void)flags;
	(void)e;
	abort();
}

int
store_begin(struct store *s, struct err *e)
{
	(void)s;
	(void)e;
	abort();
}

void
store_rollback(struct store *s)
{
	(void)s;
}

void
store_close(struct store *s)
{
	(void)s;
}

/* --- the model -------------------------------------------------------- */

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits one line (without its '\n') into words joined by '\n' in out;
 * the number of words, or -1 for a refused line. */
static int
model_split(const char *p, size_t len, char *out, char **words, int *nw)
{
	size_t i = 0, o = 0;
	int n = 0, quoted;

	while (i < len) {
		while (i < len && blank(p[i]))
			i++;
		if (i == len)
			break;
		if (++n > WORDS_MAX)
			return -1;
		words[n - 1] = out + o;
		for (quoted = 0; i < len && (quoted || !blank(p[i])); i++) {
			if (p[i] == '"')
				quoted = !quoted;
			else
				out[o++] = p[i];
		}
		if (quoted)
			return -1;
		out[o++] = '\0';
	}
	*nw = n;
	return n;
}

/* Runs the model over the file; the exit code it expects, and the calls
 * it expects in want (lines and words as the recorder keeps them). */
static int
model(const char *f, size_t size, int *wline, char **wwords, int *nwant,
    int *badline)
{
	char *out, *words[WORDS_MAX + 1];
	const char *p = f, *nl, *q;
	size_t len;
	int lineno = 0, nw, first, rc = EXIT_OK, i;

	*nwant = 0;
	*badline = 0;
	assert((out = malloc(size + 1)) != NULL);
	for (; p < f + size && rc == EXIT_OK; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(f + size - p));
		if (nl == NULL)
			nl = f + size;
		len = (size_t)(nl - p);
		if (len > LINE_MAX_CHARS || memchr(p, '\0', len) != NULL) {
			rc = EXIT_USAGE;
			break;
		}
		for (q = p; q < nl && blank(*q); q++)
			;
		if (q == nl || *q == '#')
			continue;
		if (model_split(p, len, out, words, &nw) == -1) {
			rc = EXIT_USAGE;
			break;
		}
		first = nw > 0 && strcasecmp(words[0], "netsh") == 0;
		if (first >= nw || strcasecmp(words[first], "http") != 0) {
			rc = EXIT_USAGE;
			break;
		}
		if (*nwant < CALLS_MAX) {
			wline[*nwant] = lineno;
			wwords[*nwant] = join(nw - first, words + first);
		}
		(*nwant)++;
		for (i = first; i < nw; i++)
			if (strcmp(words[i], "fail") == 0)
				rc = EXIT_FAIL;
	}
	if (rc == EXIT_USAGE)
		*badline = lineno;
	free(out);
	return rc;
}

/* --- the target ------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	int wline[CALLS_MAX], nwant, badline, want, rc, i;
	char *wwords[CALLS_MAX], *msg = NULL, needle[32];
	size_t msglen = 0;
	FILE *err, *saved;

	if (fd == -1) {
		assert((fd = memfd_create("batch", 0)) != -1);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	assert(ftruncate(fd, 0) == 0);
	assert(pwrite(fd, data, size, 0) == (ssize_t)size);
	want = model((const char *)data, size, wline, wwords, &nwant,
	    &badline);
	/* The messages, into memory (sanitizer reports still reach fd 2). */
	assert((err = open_memstream(&msg, &msglen)) != NULL);
	saved = stderr;
	stderr = err;
	seen.n = 0;
	rc = cli_batch(path, 0);
	stderr = saved;
	fclose(err);
	assert(rc == want);
	assert(seen.n == nwant);
	for (i = 0; i < nwant && i < CALLS_MAX; i++) {
		assert(seen.line[i] == wline[i]);
		assert(strcmp(seen.words[i], wwords[i]) == 0);
		free(seen.words[i]);
		free(wwords[i]);
	}
	if (badline != 0) {
		snprintf(needle, sizeof(needle), "hsys: line %d: ", badline);
		assert(strstr(msg, needle) != NULL);
	}
	free(msg);
	return 0;
}
