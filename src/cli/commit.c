/*
 * commit — ending a command's change: commit the store's transaction, then
 * tell a running hsysd that the generation moved, so certificates and
 * bindings take effect at once. Every command that writes ends here.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

/* hsysd's answer names a port it cannot open: the change is stored all
 * the same, so a warning, not an error. */
static void
warn_listener(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "hsys: warning: hsysd %s; the binding is stored, and "
	    "hsysd retries at each change and every 5 s\n", line);
}

int
cli_commit(struct store *s, struct err *e)
{
	struct err ignored;
	int64_t gen;

	if (store_commit(s, e) == -1)
		return -1;
	/* A daemon that misses this poke still sees the change: it polls
	 * the generation too. */
	if (store_generation(s, &gen, &ignored) == 0)
		config_notify_warn(gen, warn_listener, NULL, &ignored);
	return 0;
}
