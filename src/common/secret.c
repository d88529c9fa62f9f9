/*
 * secret — passwords and key material in memory. See secret.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/secret.h"

void
secret_protect_process(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}

static void
strip_newline(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
}

int
secret_read_file(const char *path, char *out, size_t size, struct err *e)
{
	unsigned char *buf;
	size_t len, n;
	int rc = -1;

	if (fs_read_file(path, SECRET_MAX, &buf, &len, e) == -1)
		return err_set(e, "cannot read the password from %s",
		    strcmp(path, "-") == 0 ? "standard input" : path);
	/* The first line is the password, as with openssl's "file:". */
	for (n = 0; n < len && buf[n] != '\n'; n++)
		if (buf[n] == '\0')
			break;
	if (n < len && buf[n] == '\0') {
		err_set(e, "the password in %s contains a NUL byte", path);
		goto done;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n >= size) {
		err_set(e, "the password is longer than %zu bytes", size - 1);
		goto done;
	}
	memcpy(out, buf, n);
	out[n] = '\0';
	rc = 0;
done:
	secret_wipe(buf, len);
	free(buf);
	return rc;
}

int
secret_read_tty(const char *prompt, char *out, size_t size, struct err *e)
{
	struct termios old, noecho;
	FILE *tty;
	int ok;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return err_sys(e, "cannot ask for a password (no terminal; use "
		    "--password-file or --password-stdin)");
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == -1) {
		fclose(tty);
		return err_sys(e, "cannot turn off echo on the terminal");
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	ok = fgets(out, (int)size, tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!ok)
		return err_set(e, "no password was entered");
	strip_newline(out);
	return 0;
}
