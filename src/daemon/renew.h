/*
 * renew — automatic renewal of ACME certificates (docs/acme.md).
 *
 * The main thread keeps a timer at the earliest next_renewal of the
 * acme_cert rows (read at each generation); when one is due it starts the
 * renewal child, `hsys cert acme renew --due` (the hsys beside hsysd's
 * executable), and watches it through a pidfd. The child runs the existing
 * ACME client (src/acme/obtain.c): it talks to the ACME server, generates
 * the new key, writes the store and tells hsysd (CONFIG_CHANGED), so the
 * serving threads never write the store nor generate keys; bindings with
 * certhash=acme:NAME follow at the generation it commits. A failure is
 * written to the row by the child (last_error, failures, the back-off as
 * next_renewal); children start RENEW_GAP_S apart at least, twice that
 * after each one that failed in a row (up to RENEW_LOOK_S), so a child
 * that fails before it can record anything is not restarted every minute.
 * One child at a time, killed after RENEW_CHILD_MAX_S.
 *
 * Where it goes next: the child is started by the serving process today
 * (hsysd runs as root). Once the key process of issue 16 lands, the
 * root parent starts it instead (the timer and renew_spawn move there;
 * the serving process keeps only renew_state and the metrics lines),
 * since a serving process that is not root cannot start a child that
 * writes keys.
 *
 * It also tells: servicestate's "acme" part and the metrics page's
 * hsys_acme_* lines (days to expiry, failures in a row, next renewal).
 */
#ifndef HSYS_DAEMON_RENEW_H
#define HSYS_DAEMON_RENEW_H

struct hsysd;
struct store;
struct strbuf;

#define RENEW_GAP_S		60	/* between two children, at least;
					 * doubled per child that failed */
#define RENEW_CHILD_MAX_S	900	/* a child running longer is killed */
#define RENEW_LOOK_S		3600	/* the rows are looked at this often */
#define RENEW_POLL_MS		1000	/* waitpid, when no pidfd watches */

/* Main thread: after each new generation (configure.c). */
void	renew_sync(struct hsysd *);
/* Main thread, at exit: a running child is left to finish its order. */
void	renew_free(struct hsysd *);
/* servicestate: ,"acme":[...] (JSON) or an "ACME certificates" part. */
void	renew_state(struct store *, struct strbuf *, int text);
/* Any thread: the metrics page's lines. */
void	renew_metrics(struct hsysd *, struct strbuf *);

#endif
