/*
 * hsys-forward — puts an HTTP/1.1 server that already exists behind hsysd:
 * registers URL prefixes as the user it runs as and forwards every request
 * to the upstream (docs/forward.md, man/hsys-forward.1).
 *
 * main opens the first worker's session synchronously (so that a refused
 * prefix is reported and ends the program before anything starts), then
 * the others, starts their threads, and then the optional COMMAND. Signals
 * are taken by main alone (sigwaitinfo): SIGTERM or SIGINT drains the
 * workers, then passes SIGTERM to COMMAND and exits with its status;
 * COMMAND exiting on its own drains and exits with its status too.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hsys.h>

#include "forward/forward.h"

volatile sig_atomic_t fwd_stop;

static pid_t
start_command(const struct fwd_config *cfg, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid == -1) {
		fwd_log("cannot start %s: %s", cfg->command[0],
		    strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	sigprocmask(SIG_SETMASK, old, NULL);
	setenv("HSYS_FORWARD_TO", cfg->to, 1);
	execvp(cfg->command[0], cfg->command);
	fprintf(stderr, "hsys-forward: cannot run %s: %s\n", cfg->command[0],
	    strerror(errno));
	_exit(127);
}

/* Without --queue: a name from the prefixes, the same at every start, so
 * that a restarted forwarder attaches to the queue that outlives the last
 * one for its grace period (its waiting requests are served, none fails). */
static const char *
default_queue(const struct fwd_config *cfg, char *buf, size_t cap)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;
	size_t i;

	for (i = 0; i < cfg->nurls; i++)
		for (p = cfg->urls[i]; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	snprintf(buf, cap, "hsys-forward-%016llx", (unsigned long long)h);
	return buf;
}

static int
exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* Waits for a reason to stop. Returns the command's status if it ended
 * on its own (it is reaped), else -1. */
static int
wait_for_stop(const sigset_t *set, pid_t child, int *reaped)
{
	siginfo_t si;
	int st, sig;

	for (;;) {
		sig = sigwaitinfo(set, &si);
		if (sig == -1)
			continue;
		if (sig == SIGCHLD && child > 0) {
			if (waitpid(child, &st, WNOHANG) != child)
				continue;
			*reaped = 1;
			fwd_log("%s exited (status %d); stopping",
			    "the command", exit_status(st));
			return exit_status(st);
		}
		if (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1)
			return -1;
	}
}

static int
stop_command(pid_t child)
{
	int st;

	if (kill(child, SIGTERM) == -1)
		return 1;
	while (waitpid(child, &st, 0) == -1)
		if (errno != EINTR)
			return 1;
	return exit_status(st);
}

int
main(int argc, char **argv)
{
	static struct fwd_worker workers[256];
	struct fwd_config cfg;
	char err[512], qname[64];
	sigset_t set, old;
	pthread_t tid[256];
	int i, n, rc, status = 0, reaped = 0;
	pid_t child = -1;

	if ((rc = fwd_args_parse(&cfg, argc, argv, err, sizeof(err))) != 0) {
		if (rc > 0)
			return 0;
		fprintf(stderr, "hsys-forward: %s\nhsys-forward: see "
		    "hsys-forward --help\n", err);
		return 2;
	}
	if (cfg.queue == NULL)
		cfg.queue = default_queue(&cfg, qname, sizeof(qname));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (n = 0; n < cfg.threads; n++) {
		workers[n].cfg = &cfg;
		workers[n].index = n;
		if (worker_open(&workers[n]) < 0)
			return 1;
	}
	for (i = 0; i < n; i++)
		if ((rc = pthread_create(&tid[i], NULL, worker_main,
		    &workers[i])) != 0) {
			fwd_log("cannot start a thread: %s", strerror(rc));
			return 1;
		}
	fwd_log("forwarding %s%s to %s with %d workers", cfg.urls[0],
	    cfg.nurls > 1 ? " and more" : "", cfg.to, n);
	if (cfg.command != NULL && (child = start_command(&cfg, &old)) < 0)
		fwd_stop = 1, status = 1;
	if (!fwd_stop)
		status = wait_for_stop(&set, child, &reaped);
	fwd_stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	if (child > 0 && !reaped)
		status = stop_command(child);
	for (i = 0; i < n; i++)
		if (workers[i].failed && status <= 0)
			status = 1;
	return status < 0 ? 0 : status;
}
