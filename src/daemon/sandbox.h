/*
 * sandbox — the seccomp filter hsysd applies to itself (libseccomp) when
 * no filter is in place yet, as outside systemd: an allow-list of the
 * system calls serving needs, every other one failing with EPERM, as the
 * unit's SystemCallFilter= does (docs/security.md). Main thread, after
 * the change of user (privdrop.c), before the workers start; every
 * thread, and the hsysd a handover executes, is under it.
 */
#ifndef HSYS_DAEMON_SANDBOX_H
#define HSYS_DAEMON_SANDBOX_H

struct err;

enum sandbox_mode {
	SANDBOX_ON,		/* the default */
	SANDBOX_OFF		/* --seccomp off */
};

/* Applies the filter (SANDBOX_ON), unless the process is under one
 * already (systemd's, or an older hsysd's across a handover): then it
 * says so and adds none. */
int	sandbox_apply(enum sandbox_mode, struct err *);
/* The key process's signer's own, narrower allow-list (hsysd's main()
 * for --key-signer), stacked on any filter in place; before any thread. */
int	sandbox_apply_signer(struct err *);

#endif
