/*
 * keys — what the key process costs (docs/keys.md): full TLS 1.3
 * handshakes per second of server time with the key in the serving
 * process and with the key process, for ECDSA P-256 and RSA-2048, side by
 * side in one run, with the CPU time per handshake of both processes, and
 * an in-process handshake with a round trip to the signer added (a
 * request it refuses unsigned), which tells the round trip's cost from
 * the signature's; and one signature's round trip against the same
 * signature made in-process, and a round trip alone. Then NFLIGHT
 * handshakes in flight at once in one thread, as a worker runs them
 * (SSL_MODE_ASYNC: the key process's answers come in batches): CPU time
 * per handshake both ways, and this process's context switches per
 * handshake.
 *
 *   bench/keys.sh [SECONDS]     (makes the store, pins to one core)
 *   keys SECONDS EC RSA         the timed run (a thumbprint "-": that
 *                               key type left out)
 *   keys -n COUNT EC RSA        COUNT handshakes and signatures of each
 *                               kind, untimed, for callgrind
 *                               (COUNT=N bench/keys.sh)
 *
 * Both ends of each handshake run here, over a memory BIO pair; only the
 * server's SSL_do_handshake calls are timed (wall clock, so that the key
 * process's work, on the same pinned core, counts). The in-process
 * context is built as hsysd built it before the key process (the private
 * key in SSL_CTX_use_PrivateKey); the other is tls_ctx_new's. Reads
 * HSYS_HOME's store (root: the bench reads keys.db itself for the
 * in-process case) and the thumbprints on the command line.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cert/cert.h"
#include "common/err.h"
#include "daemon/tls.h"
#include "keys/keys_int.h"
#include "store/store.h"

/* A function callgrind names in its profile: never inlined, nor folded
 * with another of the same code (gcc's -fipa-icf). */
#ifdef __clang__
#define NAMED	__attribute__((noinline))
#else
#define NAMED	__attribute__((noipa))
#endif

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A step of each side, named apart in callgrind's profile. */
static NAMED int
client_step(SSL *c)
{
	return SSL_do_handshake(c);
}

static NAMED int
server_step(SSL *s)
{
	return SSL_do_handshake(s);
}

/* A round trip to add to an in-process handshake: a request the signer
 * refuses unsigned (refused()). */
struct extra {
	struct keys_client	*kc;
	struct keys_req		 req;
};

static void refused(struct keys_client *, const struct keys_req *, int);

/* One full handshake; adds the server's time to *srv. x: a round trip
 * made in the server's first step (the one that signs), timed with it. */
static int
handshake(SSL_CTX *cctx, SSL_CTX *sctx, const struct extra *x, double *srv)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *cb, *sb;
	int i, cr = 0, sr = 0;
	double t;

	BIO_new_bio_pair(&cb, 0, &sb, 0);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 20 && (cr != 1 || sr != 1); i++) {
		if (cr != 1)
			cr = client_step(c);
		if (sr != 1) {
			t = now();
			sr = server_step(s);
			if (x != NULL && i == 0)
				refused(x->kc, &x->req, 1);
			*srv += now() - t;
		}
	}
	SSL_free(c);
	SSL_free(s);
	return cr == 1 && sr == 1 ? 0 : -1;
}

/* CPU time, in seconds, of a process's clock (every thread of it). */
static double
cpu(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) == -1)
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * With each of NCASE server contexts (the key in-process, through the
 * key process, and in-process with a round trip added), for about
 * `secs` seconds each:
 * handshakes per second of server time (wall clock, both processes on
 * one core), and CPU time per handshake, of this process (both ends of
 * the handshake) and the signer's (the clock signer). In turns of SLICE
 * handshakes, so that a change in the machine's load meets both alike.
 * CPU time leaves out what other programs run between, so it is the
 * steadier figure on a busy machine.
 */
#define SLICE	50
#define NCASE	3

struct rate {
	double	per_s;		/* handshakes per second of server time */
	double	cpu_us;		/* CPU time per handshake, both processes */
};

static void
rates(SSL_CTX *cctx, SSL_CTX *sctx[NCASE], const struct extra *x[NCASE],
    clockid_t signer, double secs, struct rate out[NCASE])
{
	double srv[NCASE] = { 0 }, used[NCASE] = { 0 };
	double c0, end = now() + NCASE * secs;
	long n[NCASE] = { 0 };
	int i, k;

	while (now() < end)
		for (k = 0; k < NCASE; k++) {
			c0 = cpu(CLOCK_PROCESS_CPUTIME_ID) + cpu(signer);
			for (i = 0; i < SLICE; i++, n[k]++)
				if (handshake(cctx, sctx[k], x[k], &srv[k]) ==
				    -1) {
					ERR_print_errors_fp(stderr);
					exit(1);
				}
			used[k] += cpu(CLOCK_PROCESS_CPUTIME_ID) +
			    cpu(signer) - c0;
		}
	for (k = 0; k < NCASE; k++) {
		out[k].per_s = n[k] / srv[k];
		out[k].cpu_us = used[k] / n[k] * 1e6;
	}
}

/*
 * NFLIGHT handshakes at once in one thread, the server's in
 * SSL_MODE_ASYNC as hsysd's worker runs them: each round steps every
 * handshake not waiting for its signature; when some wait, the thread
 * sleeps in poll on its key channel and reads every answer there, as the
 * worker's loop does. In-process no job ever pauses.
 */
#define NFLIGHT	16

struct flight {
	SSL	*c, *s;
	int	 cr, sr, waiting;
};

static int
flight_ready(SSL *s, void *arg)
{
	(void)s;
	((struct flight *)arg)->waiting = 0;
	return 1;
}

static void
flight_round(struct flight *f, struct keys_client *kc)
{
	struct pollfd pfd = { .events = POLLIN };
	unsigned serial;
	int i, waiting = 0;

	for (i = 0; i < NFLIGHT; i++) {
		if (f[i].cr != 1)
			f[i].cr = client_step(f[i].c);
		if (f[i].sr == 1 || f[i].waiting)
			continue;
		f[i].sr = server_step(f[i].s);
		if (f[i].sr != 1 &&
		    SSL_get_error(f[i].s, f[i].sr) == SSL_ERROR_WANT_ASYNC)
			f[i].waiting = 1;
	}
	for (i = 0; i < NFLIGHT; i++)
		waiting += f[i].waiting;
	if (waiting == 0 ||
	    (pfd.fd = keys_client_async_fd(kc, &serial)) == -1)
		return;
	poll(&pfd, 1, 5000);
	keys_client_receive(kc);
}

static NAMED int
flights(SSL_CTX *cctx, SSL_CTX *sctx, struct keys_client *kc)
{
	struct flight f[NFLIGHT];
	BIO *cb, *sb;
	int i, r, ok = 0;

	for (i = 0; i < NFLIGHT; i++) {
		f[i] = (struct flight){ SSL_new(cctx), SSL_new(sctx), 0, 0, 0 };
		BIO_new_bio_pair(&cb, 0, &sb, 0);
		SSL_set_bio(f[i].c, cb, cb);
		SSL_set_bio(f[i].s, sb, sb);
		SSL_set_connect_state(f[i].c);
		SSL_set_accept_state(f[i].s);
		if (!SSL_set_async_callback(f[i].s, flight_ready) ||
		    !SSL_set_async_callback_arg(f[i].s, &f[i]))
			exit(1);
		SSL_set_mode(f[i].s, SSL_MODE_ASYNC);
	}
	for (r = 0; r < 100; r++)
		flight_round(f, kc);
	for (i = 0; i < NFLIGHT; i++) {
		ok += f[i].cr == 1 && f[i].sr == 1;
		SSL_free(f[i].c);
		SSL_free(f[i].s);
	}
	return ok == NFLIGHT ? 0 : -1;
}

/* CPU time (both processes) and this process's context switches per
 * handshake, NFLIGHT at a time, in-process (k 0) and through the key
 * process (k 1), in turns. */
static void
flight_rates(SSL_CTX *cctx, SSL_CTX *sctx[2], struct keys_client *kc,
    clockid_t signer, double secs, double cpu_us[2], double sw[2])
{
	double used[2] = { 0 }, c0, end = now() + 2 * secs;
	long n[2] = { 0 }, csw[2] = { 0 };
	struct rusage ru;
	long s0;
	int k;

	while (now() < end)
		for (k = 0; k < 2; k++) {
			getrusage(RUSAGE_SELF, &ru);
			s0 = ru.ru_nvcsw + ru.ru_nivcsw;
			c0 = cpu(CLOCK_PROCESS_CPUTIME_ID) + cpu(signer);
			if (flights(cctx, sctx[k], kc) == -1) {
				fprintf(stderr, "keys: handshakes in flight "
				    "failed\n");
				ERR_print_errors_fp(stderr);
				exit(1);
			}
			used[k] += cpu(CLOCK_PROCESS_CPUTIME_ID) +
			    cpu(signer) - c0;
			getrusage(RUSAGE_SELF, &ru);
			csw[k] += ru.ru_nvcsw + ru.ru_nivcsw - s0;
			n[k] += NFLIGHT;
		}
	for (k = 0; k < 2; k++) {
		cpu_us[k] = used[k] / n[k] * 1e6;
		sw[k] = (double)csw[k] / n[k];
	}
}

/* The round trip to add: a request for the binding's key. */
static void
extra_for(struct extra *x, struct keys_client *kc, struct store *st,
    const char *thumb)
{
	struct cert_entry c;
	struct err e;
	EVP_PKEY *k;
	X509 *x509;

	memset(x, 0, sizeof(*x));
	x->kc = kc;
	x->req.md = KEYS_MD_SHA256;
	x->req.dlen = 32;
	if (certstore_find(st, NULL, thumb, &c, &e) == -1 ||
	    certstore_load(st, c.id, &x509, &k, &e) == -1) {
		fprintf(stderr, "keys: %s\n", e.msg);
		exit(1);
	}
	x->req.alg = EVP_PKEY_is_a(k, "RSA") ? KEYS_ALG_RSA_PSS :
	    KEYS_ALG_ECDSA;
	x->req.saltlen = x->req.alg == KEYS_ALG_RSA_PSS ? 32 : 0;
	keys_id(X509_get0_pubkey(x509), x->req.key);
	EVP_PKEY_free(k);
	X509_free(x509);
}

static SSL_CTX *
in_process_ctx(struct store *st, const char *thumb)
{
	struct cert_entry c;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *k;
	struct err e;
	X509 *x;

	if (certstore_find(st, NULL, thumb, &c, &e) == -1 ||
	    certstore_load(st, c.id, &x, &k, &e) == -1 || k == NULL) {
		fprintf(stderr, "keys: %s\n", e.msg);
		exit(1);
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, k);
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

/* n signatures through the key process. */
static NAMED void
sign_remote(struct keys_client *kc, struct keys_req *r, int n)
{
	struct keys_ans a;
	struct err e;
	int i;

	for (i = 0; i < n; i++)
		if (keys_client_sign(kc, r, &a, &e) == -1 ||
		    a.status != KEYS_OK) {
			fprintf(stderr, "keys: %s\n", e.msg);
			exit(1);
		}
}

/* n round trips alone: a request the key process refuses before it
 * signs (the algorithm does not fit the key). */
static NAMED void
refused(struct keys_client *kc, const struct keys_req *sign, int n)
{
	struct keys_req r = *sign;
	struct keys_ans a;
	struct err e;
	int i;

	r.alg = r.alg == KEYS_ALG_ECDSA ? KEYS_ALG_RSA_PKCS1 : KEYS_ALG_ECDSA;
	r.saltlen = 0;
	for (i = 0; i < n; i++)
		if (keys_client_sign(kc, &r, &a, &e) == -1 ||
		    a.status != KEYS_EMISMATCH) {
			fprintf(stderr, "keys: a mismatched request was not "
			    "refused\n");
			exit(1);
		}
}

/* n signatures in-process, as the key process makes them. */
static NAMED void
sign_local(EVP_PKEY_CTX *pc, const unsigned char *dg, int n)
{
	unsigned char sig[1024];
	size_t sl;
	int i;

	for (i = 0; i < n; i++) {
		sl = sizeof(sig);
		if (EVP_PKEY_sign(pc, sig, &sl, dg, 32) != 1) {
			fprintf(stderr, "keys: cannot sign in-process\n");
			exit(1);
		}
	}
}

/* Microseconds per signature of a SHA-256 digest: through the key
 * process (a round trip) and in-process (EVP_PKEY_sign), and of a round
 * trip with no signature; timed unless counting. */
static void
latency(struct keys_client *kc, struct store *st, const char *thumb,
    int rsa, int n, int timed)
{
	struct keys_req r = { .md = KEYS_MD_SHA256, .dlen = 32 };
	struct cert_entry c;
	EVP_PKEY *k;
	EVP_PKEY_CTX *pc;
	struct err e;
	double t, remote, local, alone;
	X509 *x;

	certstore_find(st, NULL, thumb, &c, &e);
	certstore_load(st, c.id, &x, &k, &e);
	keys_id(X509_get0_pubkey(x), r.key);
	r.alg = rsa ? KEYS_ALG_RSA_PSS : KEYS_ALG_ECDSA;
	r.saltlen = rsa ? 32 : 0;
	t = now();
	sign_remote(kc, &r, n);
	remote = (now() - t) / n * 1e6;
	t = now();
	if (timed)
		refused(kc, &r, n);
	alone = (now() - t) / n * 1e6;
	pc = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_sign_init(pc);
	EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256());
	if (rsa) {
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32);
	}
	t = now();
	sign_local(pc, r.digest, n);
	local = (now() - t) / n * 1e6;
	if (timed)
		printf("  one signature: %.1f us through the key process, "
		    "%.1f us in-process: %+.1f us; a round trip alone (a "
		    "request refused unsigned) %.1f us\n", remote, local,
		    remote - local, alone);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* n handshakes, untimed (callgrind counts them): one function per side
 * and key type, so that each has its own name in the profile. */
static void
count(SSL_CTX *cctx, SSL_CTX *sctx, int n)
{
	double srv = 0;
	int i;

	for (i = 0; i < n; i++)
		if (handshake(cctx, sctx, NULL, &srv) == -1) {
			ERR_print_errors_fp(stderr);
			exit(1);
		}
}

static NAMED void
count_in_process(SSL_CTX *cctx, SSL_CTX *sctx, int n)
{
	count(cctx, sctx, n);
}

static NAMED void
count_key_process(SSL_CTX *cctx, SSL_CTX *sctx, int n)
{
	count(cctx, sctx, n);
}

int
main(int argc, char **argv)
{
	const char *name[2] = { "ECDSA P-256", "RSA-2048" };
	struct keys_client *kc;
	struct store *st;
	SSL_CTX *cctx, *in, *kp;
	struct rate r[NCASE];
	double fl[2], sw[2];
	struct extra x;
	double secs = 0;
	struct err e;
	clockid_t signer;
	pid_t pid;
	int i, fd, n = 0;

	if (argc == 5 && strcmp(argv[1], "-n") == 0) {
		n = atoi(argv[2]);
		argv++;		/* the thumbprints at 2 and 3, as below */
	} else if (argc == 4)
		secs = atof(argv[1]);
	if (n <= 0 && secs <= 0) {
		fprintf(stderr, "usage: keys SECONDS|-n COUNT EC_THUMB|- "
		    "RSA_THUMB|-\n");
		return 2;
	}
	/* The signer first, before any thread; without its monitor, which
	 * only passes a CHANNEL on (signatures go from a thread's channel to
	 * the signer), so that the bench reads the signer's CPU clock, and
	 * the signer ends, writing its profile under callgrind, when our
	 * channel closes. */
	if (keys_client_new(&kc, &e) == -1 ||
	    keys_spawn_as(NULL, 0, 1, &fd, &pid, &e) == -1 ||
	    store_open(&st, STORE_MACHINE, STORE_READ, &e) == -1) {
		fprintf(stderr, "keys: %s\n", e.msg);
		return 1;
	}
	if (clock_getcpuclockid(pid, &signer) != 0) {
		fprintf(stderr, "keys: cannot read the signer's CPU clock\n");
		return 1;
	}
	keys_client_attach(kc, fd, pid);
	cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
	if (n == 0)
		printf("full TLS 1.3 handshakes per second of server time "
		    "(%.0f s each, one core):\n", secs);
	for (i = 0; i < 2; i++) {
		if (strcmp(argv[2 + i], "-") == 0)
			continue;	/* that key type left out */
		in = in_process_ctx(st, argv[2 + i]);
		if (tls_ctx_new(&kp, st, argv[2 + i], NULL, TLS_NO_TLS12 |
		    TLS_NO_TICKETS, NULL, kc, &e) == -1) {
			fprintf(stderr, "keys: %s\n", e.msg);
			return 1;
		}
		if (n > 0) {
			/* A first handshake each, so that one-time costs
			 * (the channel, fetches, the signer's thread) fall
			 * outside the loops; then a RELOAD, after which
			 * keys.sh has the signer's profile dumped. */
			count(cctx, in, 1);
			count(cctx, kp, 1);
			if (keys_client_reload(kc, &e) == -1) {
				fprintf(stderr, "keys: %s\n", e.msg);
				return 1;
			}
			count_in_process(cctx, in, n);
			count_key_process(cctx, kp, n);
			latency(kc, st, argv[2 + i], i == 1, n, 0);
			printf("  %-12s %d handshakes and %d signatures each "
			    "way\n", name[i], n, n);
		} else {
			extra_for(&x, kc, st, argv[2 + i]);
			rates(cctx, (SSL_CTX *[NCASE]){ in, kp, in },
			    (const struct extra *[NCASE]){ NULL, NULL, &x },
			    signer, secs, r);
			printf("  %-12s in-process %7.0f/s, key process "
			    "%7.0f/s: %+.1f%%\n", name[i], r[0].per_s,
			    r[1].per_s, (r[1].per_s - r[0].per_s) / r[0].per_s *
			    100);
			printf("  %-12s CPU per handshake (both ends and the "
			    "signer): %.1f us, %.1f us: %+.1f us\n", "",
			    r[0].cpu_us, r[1].cpu_us, r[1].cpu_us - r[0].cpu_us);
			printf("  %-12s in-process with a round trip added "
			    "(refused unsigned): %7.0f/s: %+.1f%%, CPU %.1f us: "
			    "%+.1f us\n", "", r[2].per_s, (r[2].per_s -
			    r[0].per_s) / r[0].per_s * 100, r[2].cpu_us,
			    r[2].cpu_us - r[0].cpu_us);
			latency(kc, st, argv[2 + i], i == 1, 2000, 1);
			flight_rates(cctx, (SSL_CTX *[2]){ in, kp }, kc,
			    signer, secs, fl, sw);
			printf("  %-12s %d in flight: CPU per handshake "
			    "(both processes) %.1f us in-process, %.1f us key "
			    "process: %+.1f%% handshakes/s of CPU; switches "
			    "per handshake %.2f, %.2f\n", "", NFLIGHT, fl[0],
			    fl[1], (fl[0] / fl[1] - 1) * 100, sw[0], sw[1]);
		}
		SSL_CTX_free(in);
		SSL_CTX_free(kp);
	}
	SSL_CTX_free(cctx);
	store_close(st);
	keys_client_free(kc);
	waitpid(pid, NULL, 0);
	return 0;
}
