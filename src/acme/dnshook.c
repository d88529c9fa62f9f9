/*
 * dnshook — the interim DNS-01 answer: the admin's hook command publishes
 * (add) and withdraws (remove) the TXT record _acme-challenge.NAME with the
 * challenge's value. It runs with our environment, its output goes to our
 * stderr, and it must exit 0 (once added, the record must be visible to
 * the ACME server's resolvers: the hook waits for that if it must).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acme/acme.h"
#include "common/err.h"

int
acme_dns_hook(const char *hook, const char *verb, const char *name,
    const char *value, struct err *e)
{
	int status;
	pid_t pid;

	if ((pid = fork()) == -1)
		return err_sys(e, "cannot run the DNS hook %s", hook);
	if (pid == 0) {
		/* Our stdout carries the command's results. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(hook, hook, verb, name, value, (char *)NULL);
		fprintf(stderr, "hsys: cannot run the DNS hook %s: %m\n", hook);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return err_sys(e, "cannot wait for the DNS hook %s",
			    hook);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return err_set(e, "the DNS hook %s %s %s was killed by signal "
		    "%d", hook, verb, name, WTERMSIG(status));
	return err_set(e, "the DNS hook '%s %s %s' exited %d", hook, verb,
	    name, WEXITSTATUS(status));
}
