/*
 * commit — ending a command's change: commit the store's transaction, then
 * tell a running hsysd that the generation moved, so certificates and
 * bindings take effect at once. Every command that writes ends here.
 */
#include "cli/cli.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

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
		config_notify(gen, &ignored);
	return 0;
}
