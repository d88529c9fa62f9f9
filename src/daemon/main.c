/*
 * main — hsysd, the hsys daemon: options, the one-daemon-per-store lock,
 * the control socket, signals, systemd readiness, and the main loop.
 *
 * What it serves (listeners, TLS, HTTP, routing to applications) hangs
 * from this frame as it is built; see docs/protocol.md and DESIGN notes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/secret.h"
#include "common/util.h"
#include "daemon/acl.h"
#include "daemon/control.h"
#include "daemon/drain.h"
#include "daemon/handover.h"
#include "daemon/hsysd.h"
#include "daemon/httplog.h"
#include "daemon/keyproc.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/privdrop.h"
#include "daemon/queue.h"
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/reload.h"
#include "daemon/sandbox.h"
#include "daemon/session.h"
#include "daemon/snapshot.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "keys/keys.h"
#include "store/store.h"

#ifndef HSYS_VERSION
#define HSYS_VERSION "0.1.0"
#endif

#define STORE_POLL_MS	5000	/* generation check, in case a poke is lost */
#define TICKET_ROTATE_MS (3600 * 1000)	/* a ticket lives 2-3 hours */

static const char usage_text[] =
"usage: hsysd [--workers N] [--daemon] [--verbose] [--log-dir DIR]\n"
"             [--access-log ncsa|w3c|off] [--error-log on|off]\n"
"             [--drain-timeout S] [--takeover [--takeover-wait S]]\n"
"             [--control-timeout S] [--idle-session-timeout S]\n"
"             [--control-per-uid N] [--user NAME] [--seccomp on|off]\n"
"             [--limit NAME=N]...\n"
"\n"
"  --workers N          worker threads (default: one per CPU available)\n"
"  --daemon             detach and log to syslog (default: stderr)\n"
"  --verbose            also log debug messages\n"
"  --log-dir DIR        where access.log and httperr.log go (default:\n"
"                       $HSYS_HOME/log, else /var/log/hsys)\n"
"  --access-log F       the access log's format: ncsa (default), w3c, off\n"
"  --error-log on|off   the httperr log (default: on)\n"
"  --drain-timeout S    on SIGTERM or after a handover, wait at most S\n"
"                       seconds for requests in flight (default 10)\n"
"  --takeover           take over from the running hsysd: its listening\n"
"                       sockets, without refusing a connection\n"
"  --takeover-wait S    accept at most S seconds after taking over even\n"
"                       if applications did not register again (10)\n"
"  --control-timeout S  close a control connection that sent nothing\n"
"                       within S seconds (default 5; 0: never)\n"
"  --idle-session-timeout S\n"
"                       end an application session that holds no queue\n"
"                       for S seconds (default 60; 0: never)\n"
"  --control-per-uid N  connections one user (not root, not hsysd's own)\n"
"                       may hold to the control socket (default 64; 0:\n"
"                       no limit)\n"
"  --limit NAME=N       what one user may make hsysd hold: sessions (256),\n"
"                       queues (1024), prefixes (4096), state (4 STATE\n"
"                       replies unread); or app-buffer, the bytes buffered\n"
"                       for all applications (268435456); root and\n"
"                       hsysd's own user are not limited\n"
"  --user NAME          started as root, serve as the user NAME with\n"
"                       CAP_NET_BIND_SERVICE alone (see hsysd(8));\n"
"                       default: hsys when started as root without\n"
"                       HSYS_HOME and the user hsys exists, else stay as\n"
"                       started; --user root keeps root\n"
"  --seccomp on|off     the system call filter hsysd applies to itself\n"
"                       when none is in place (default: on)\n"
"  --version            print the version\n"
"\n"
"State comes from $HSYS_HOME when set, else /var/lib/hsys; the socket is\n"
"$HSYS_HOME/hsysd.sock, else /run/hsys/hsysd.sock. See hsysd(8).\n";

static int
default_workers(void)
{
	cpu_set_t set;

	/* Request ids carry the worker index in 8 bits (conn.c). */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set) > 256 ? 256 : CPU_COUNT(&set);
	return 1;
}

/* The lock file names the pid holding it, for the next one's message.
 * After daemon() the lock is still ours (flock belongs to the open file,
 * which the child inherited); only the pid changed. */
static int
lock_pid(struct hsysd *d, struct err *e)
{
	char pid[32];
	int len;

	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) == -1 ||
	    pwrite(d->lock_fd, pid, (size_t)len, 0) != len)
		return err_sys(e, "cannot write %s", d->lock_path);
	return 0;
}

/* One daemon per store: an exclusive lock held for the process's life. */
static int
lock_instance(struct hsysd *d, struct err *e)
{
	char pid[32] = "";
	ssize_t n;

	/* Never through a link: one to a root-owned file would be
	 * truncated by lock_pid (docs/store.md). */
	d->lock_fd = fs_open(d->lock_path, "the lock file", O_RDWR | O_CREAT,
	    0644, e);
	if (d->lock_fd == -1)
		return -1;
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			return err_sys(e, "cannot lock %s", d->lock_path);
		n = pread(d->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return err_set(e, "another hsysd (pid %s) already serves this "
		    "store (lock %s); stop it first", pid[0] ? pid : "?",
		    d->lock_path);
	}
	return lock_pid(d, e);
}

/*
 * The soft open-files limit up to the hard one: hsysd uses epoll, never
 * select(), so the 1024 that protects select() users only makes it run
 * out of descriptors early. MaxConnections' default is set from what
 * results (snapshot.c), leaving the rest to the control plane.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		log_info("open files: no limit");
	else
		log_info("open files: at most %llu; MaxConnections, unless "
		    "set, is %llu", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)snapshot_default_max_connections());
}

/*
 * A store written by an older hsys needs its schema brought up to date,
 * which only a writer does: after an upgrade, hsysd (the store's owner)
 * does it at start instead of failing to read the configuration until
 * some hsys command writes. A store that does not exist yet is left
 * alone; one hsysd may not write (a read-only /var) is read as it is.
 */
static void
store_upgrade(void)
{
	char dir[4096], path[4096 + 16];
	struct store *s;
	struct err e;

	if (store_home(STORE_MACHINE, dir, sizeof(dir), &e) == -1)
		return;
	snprintf(path, sizeof(path), "%s/hsys.db", dir);
	if (access(path, W_OK) == -1)
		return;
	/* keys.db too: a step may move keys (cert v2 did, once). */
	if (store_open(&s, STORE_MACHINE, STORE_WRITE | STORE_KEYS, &e) ==
	    -1) {
		log_warn("cannot bring the store up to date: %s", e.msg);
		return;
	}
	store_close(s);
}

static void
on_poll_store(struct loop *l, struct loop_timer *t)
{
	struct hsysd *d = container_of(t, struct hsysd, poll_store);

	hsysd_reload(d);
	listener_retry(d);	/* a bound port another program held */
	loop_timer_set(l, t, STORE_POLL_MS);
}

static void
on_rotate(struct loop *l, struct loop_timer *t)
{
	struct hsysd *d = container_of(t, struct hsysd, rotate);
	struct err e;

	if (tls_tickets_rotate(d->tickets, &e) == -1)
		log_warn("%s", e.msg);
	loop_timer_set(l, t, TICKET_ROTATE_MS);
}

/* SIGTERM: no new connection is accepted (the listening sockets close),
 * requests in flight finish within the drain bound; a second signal, or a
 * daemon already handing over, stops at once. */
static void
stop_gracefully(struct hsysd *d, int signo)
{
	if (d->drain != NULL) {
		log_notice("signal %d: stopping now", signo);
		loop_stop(d->loop);
		return;
	}
	log_notice("signal %d: stopping", signo);
	sd_notify(0, "STOPPING=1");
	handover_free(d);
	listeners_stop(d);
	control_unlink(d->control, d->sock_path);
	control_close(d->control);
	d->control = NULL;
	if (drain_start(d, d->drain_ms) == -1)
		loop_stop(d->loop);
}

static void
on_signal(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct hsysd *d = container_of(io, struct hsysd, signals);
	struct signalfd_siginfo si;

	(void)rev;
	(void)l;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop_gracefully(d, (int)si.ssi_signo);
			break;
		case SIGUSR2:
			handover_spawn(d);
			break;
		case SIGHUP:
			log_info("SIGHUP: re-reading the store, reopening "
			    "the request logs");
			httplog_reopen(d->httplog);
			hsysd_reload(d);
			break;
		}
	}
}

/* Signals arrive through a signalfd in the main loop; every thread
 * inherits the blocked mask, so no handler ever runs on a worker. */
static int
signals_open(struct hsysd *d, struct err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return err_sys(e, "sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	d->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signals.fd == -1)
		return err_sys(e, "signalfd");
	d->signals.fn = on_signal;
	return loop_io_add(d->loop, &d->signals, LOOP_READ, e);
}

/* The runtime directory, resolved and checked like the store's: the lock
 * and the socket are made there by name. */
static int
paths_init(struct hsysd *d, const struct privdrop *pd, struct err *e)
{
	char dir[sizeof(d->runtime)];
	int rc;

	if (store_runtime_dir(dir, sizeof(dir), e) == -1)
		return -1;
	if (fs_mkdir_p(dir, 0755, e) == -1 ||
	    fs_check_dir(dir, "the runtime directory", d->runtime,
	    sizeof(d->runtime), e) == -1)
		return -1;
	snprintf(d->sock_path, sizeof(d->sock_path), "%s/hsysd.sock",
	    d->runtime);
	snprintf(d->lock_path, sizeof(d->lock_path), "%s/hsysd.lock",
	    d->runtime);
	/* hsysd.sock may be the link to a socket directory of --user's. */
	if ((rc = privdrop_follow(pd, d, e)) != 0)
		return rc == 1 ? 0 : -1;
	return fs_check_file(d->sock_path, "the control socket", S_IFSOCK, e);
}

/* --log-dir, --access-log, --error-log: 0, or 2 for a bad value. */
static int
parse_log_arg(struct httplog_conf *lc, int c, const char *arg)
{
	if (c == 'L' && strlen(arg) < sizeof(lc->dir) && arg[0] == '/') {
		snprintf(lc->dir, sizeof(lc->dir), "%s", arg);
		return 0;
	}
	if (c == 'A' && strcmp(arg, "ncsa") == 0)
		lc->access = LOGLINE_NCSA;
	else if (c == 'A' && strcmp(arg, "w3c") == 0)
		lc->access = LOGLINE_W3C;
	else if (c == 'A' && strcmp(arg, "off") == 0)
		lc->access = LOGLINE_OFF;
	else if (c == 'E' && (strcmp(arg, "on") == 0 || strcmp(arg, "off") ==
	    0))
		lc->errors = strcmp(arg, "on") == 0;
	else {
		fprintf(stderr, "hsysd: %s takes %s, not '%s'\n", c == 'L' ?
		    "--log-dir" : c == 'A' ? "--access-log" : "--error-log",
		    c == 'L' ? "an absolute path" : c == 'A' ?
		    "ncsa, w3c or off" : "on or off", arg);
		return 2;
	}
	return 0;
}

/* Seconds, 0 to 3600, into milliseconds; -1 if not that. */
static int
parse_seconds(const char *opt, const char *arg, uint64_t *ms)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < 0 || n > 3600) {
		fprintf(stderr, "hsysd: %s takes seconds from 0 to 3600, not "
		    "'%s'\n", opt, arg);
		return -1;
	}
	*ms = (uint64_t)n * 1000;
	return 0;
}

static int
parse_args(struct hsysd *d, int argc, char **argv, int *detach, int *verbose,
    struct httplog_conf *lc, int *takeover, struct privdrop *pd,
    enum sandbox_mode *sb)
{
	static const struct option opts[] = {
		{ "drain-timeout", required_argument, NULL, 'D' },
		{ "takeover", no_argument, NULL, 'T' },
		{ "takeover-wait", required_argument, NULL, 'W' },
		{ "workers", required_argument, NULL, 'w' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "access-log", required_argument, NULL, 'A' },
		{ "error-log", required_argument, NULL, 'E' },
		{ "control-timeout", required_argument, NULL, 'C' },
		{ "idle-session-timeout", required_argument, NULL, 'I' },
		{ "control-per-uid", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct err e;
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "w:dvh", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 256) {
				fprintf(stderr, "hsysd: --workers takes a "
				    "number from 1 to 256, not '%s'\n", optarg);
				return 2;
			}
			d->workers = (int)n;
			break;
		case 'L':
		case 'A':
		case 'E':
			if (parse_log_arg(lc, c, optarg) != 0)
				return 2;
			break;
		case 'd':
			*detach = 1;
			break;
		case 'D':
			if (parse_seconds("--drain-timeout", optarg,
			    &d->drain_ms) == -1)
				return 2;
			break;
		case 'T':
			*takeover = 1;
			break;
		case 'W':
			if (parse_seconds("--takeover-wait", optarg,
			    &d->takeover_ms) == -1)
				return 2;
			break;
		case 'C':
			if (parse_seconds("--control-timeout", optarg,
			    &d->ctl_hello_ms) == -1)
				return 2;
			break;
		case 'I':
			if (parse_seconds("--idle-session-timeout", optarg,
			    &d->ctl_noqueue_ms) == -1)
				return 2;
			break;
		case 'U':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 ||
			    n > 1000000) {
				fprintf(stderr, "hsysd: --control-per-uid takes "
				    "a number from 0 (no limit) to 1000000, not "
				    "'%s'\n", optarg);
				return 2;
			}
			d->ctl_per_uid = (int)n;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'l':
			if (quota_parse(d, optarg, &e) == -1) {
				fprintf(stderr, "hsysd: %s\n", e.msg);
				return 2;
			}
			break;
		case 'u':
			if (strlen(optarg) >= sizeof(pd->name)) {
				fprintf(stderr, "hsysd: --user takes a user "
				    "name, not '%s'\n", optarg);
				return 2;
			}
			snprintf(pd->name, sizeof(pd->name), "%s", optarg);
			break;
		case 'S':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off")
			    != 0) {
				fprintf(stderr, "hsysd: --seccomp takes on or "
				    "off, not '%s'\n", optarg);
				return 2;
			}
			*sb = optarg[1] == 'n' ? SANDBOX_ON : SANDBOX_OFF;
			break;
		case 'V':
			printf("hsysd %s\n", HSYS_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hsysd: unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}
	return -1;
}

/* What --user's serving process needs is made (the logs, trusting its
 * directory a former run gave it; the socket directory), then it is that
 * user, under the seccomp filter; the workers start after. */
static int
serving_setup(struct hsysd *d, const struct httplog_conf *lc,
    const struct privdrop *pd, enum sandbox_mode sb, struct err *e)
{
	int rc;

	privdrop_trust(pd, 1);
	rc = httplog_open(&d->httplog, lc, d->workers, e);
	privdrop_trust(pd, 0);
	if (rc == -1 || privdrop_socket(pd, d, e) == -1 ||
	    privdrop_apply(pd, e) == -1)
		return -1;
	return sandbox_apply(sb, e);
}

/* The key process's parts (docs/keys.md): the monitor keeps
 * CAP_NET_BIND_SERVICE alone, the signer nothing and gets its own system
 * call filter. Under a filter that refuses that (hsysd's own, inherited
 * by a key process hsysd started again after it applied it): said, and
 * the part goes on. */
static int
key_part_confine(int keep, int filter)
{
	int inherited = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
	struct err e;

	if (privdrop_caps_only(keep, &e) == 0 && (!filter ||
	    sandbox_apply_signer(&e) == 0))
		return 0;
	log_msg(inherited ? LOG_WARNING : LOG_ERR, "key process: %s%s", e.msg,
	    inherited ? " (refused by the filter in place; it keeps its "
	    "capabilities)" : "");
	return inherited ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct hsysd d = { .lock_fd = -1, .generation = -1,
	    .drain_ms = DRAIN_DEFAULT_MS, .takeover_ms = HANDOVER_WAIT_MS,
	    .ctl_hello_ms = CONTROL_HELLO_MS,
	    .ctl_noqueue_ms = CONTROL_NOQUEUE_MS,
	    .ctl_per_uid = CONTROL_PER_UID, .argv = argv };
	struct httplog_conf lc = { .access = LOGLINE_NCSA, .errors = 1,
	    .owner = (uid_t)-1 };
	struct privdrop pd = { .name = "" };
	enum sandbox_mode sb = SANDBOX_ON;
	int detach = 0, verbose = 0, takeover = 0, rc;
	struct err e;
	ssize_t n;

	/* The key process: hsysd's own binary, run again (keys_spawn), as
	 * the monitor, which runs it again as the signer. */
	if (argc == 3 && strcmp(argv[1], KEYS_PROC_ARG) == 0) {
		log_init("hsysd-keymon", strcmp(argv[2], "syslog") == 0, 0);
		if (key_part_confine(CAP_NET_BIND_SERVICE, 0) == -1)
			return 1;
		keys_monitor_main(KEYS_PROC_FD, "/proc/self/exe",
		    strcmp(argv[2], "syslog") == 0);
	}
	if (argc == 3 && strcmp(argv[1], KEYS_SIGNER_ARG) == 0) {
		log_init("hsysd-keys", strcmp(argv[2], "syslog") == 0, 0);
		if (key_part_confine(-1, 1) == -1)
			return 1;
		keys_proc_main(KEYS_PROC_FD);
	}
	hsysd_init(&d);
	secret_protect_process();
	/* Private keys are the key process's: hsysd reads none, and no page
	 * of keys.db (docs/keys.md). */
	store_forgo_keys();
	pthread_mutex_init(&d.listen_lock, NULL);
	d.started = time(NULL);
	d.workers = default_workers();
	if ((rc = parse_args(&d, argc, argv, &detach, &verbose, &lc,
	    &takeover, &pd, &sb)) >= 0)
		return rc;
	/* The path, not the file: after an upgrade, SIGUSR2 starts the
	 * binary now installed there. */
	if ((n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1)) > 0)
		d.exe[n] = '\0';
	log_init("hsysd", detach, verbose);
	raise_nofile();
	privdrop_default(&pd);
	if (privdrop_resolve(&pd, &e) == -1 || paths_init(&d, &pd, &e) == -1 ||
	    (takeover ? handover_take(&d, &e) : lock_instance(&d, &e)) == -1)
		goto fail;
	/* A store hsysd cannot read (once brought up to date) stops it here,
	 * saying why, rather than serving nothing; a hsysd it would take over
	 * from keeps serving. */
	store_upgrade();
	if (store_check(STORE_MACHINE, &e) == -1)
		goto fail;
	if (detach && daemon(0, 0) == -1) {
		err_sys(&e, "cannot detach");
		goto fail;
	}
	if (detach && lock_pid(&d, &e) == -1)	/* new pid */
		goto fail;
	/* Before any thread: the key process is forked from here. */
	if (keyproc_start(&d, detach, &e) == -1)
		goto fail;
	if (loop_new(&d.loop, &e) == -1 || signals_open(&d, &e) == -1 ||
	    mailbox_open(&d.mailbox, d.loop, &e) == -1 ||
	    keyproc_watch(&d, &e) == -1)
		goto fail;
	d.mailbox_open = 1;
	if (pd.active)
		lc.owner = pd.uid;
	if (tls_tickets_new(&d.tickets, &e) == -1 ||
	    serving_setup(&d, &lc, &pd, sb, &e) == -1 ||
	    workers_start(&d, &e) == -1)
		goto fail;
	if (control_open(&d.control, &d, d.sock_path, &e) == -1 ||
	    handover_ready(&d, &e) == -1)
		goto fail;
	hsysd_reload(&d);
	d.poll_store.fn = on_poll_store;
	loop_timer_set(d.loop, &d.poll_store, STORE_POLL_MS);
	d.rotate.fn = on_rotate;
	loop_timer_set(d.loop, &d.rotate, TICKET_ROTATE_MS);
	log_notice("hsysd %s ready: %d worker(s), socket %s", HSYS_VERSION,
	    d.workers, d.sock_path);
	/* A daemon taking over is not the unit's main process yet: the old
	 * one says MAINPID= and READY=1 for it (NotifyAccess=main). */
	if (!takeover)
		sd_notify(0, "READY=1");
	if (loop_run(d.loop, &e) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	log_err("%s", e.msg);
	rc = 1;
out:
	hsysd_stop(&d);
	keyproc_stop(&d);
	tls_tickets_free(d.tickets);
	if (d.signals.fd > 0)
		close(d.signals.fd);
	if (d.lock_fd != -1)
		close(d.lock_fd);
	return rc;
}
