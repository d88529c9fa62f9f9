/*
 * keys — what the key process costs (docs/keys.md): full TLS 1.3
 * handshakes per second of server time with the key in the serving
 * process and with the key process, for ECDSA P-256 and RSA-2048, side by
 * side in one run; and one signature's round trip against the same
 * signature made in-process.
 *
 *   bench/keys.sh [SECONDS]     (makes the store, pins to one core)
 *
 * Both ends of each handshake run here, over a memory BIO pair; only the
 * server's SSL_do_handshake calls are timed (wall clock, so that the key
 * process's work, on the same pinned core, counts). The in-process
 * context is built as hsysd built it before the key process (the private
 * key in SSL_CTX_use_PrivateKey); the other is tls_ctx_new's. Reads
 * HSYS_HOME's store (root: the bench reads keys.db itself for the
 * in-process case) and the thumbprints on the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cert/cert.h"
#include "common/err.h"
#include "daemon/tls.h"
#include "keys/keys.h"
#include "store/store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One full handshake; adds the server's time to *srv. */
static int
handshake(SSL_CTX *cctx, SSL_CTX *sctx, double *srv)
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
			cr = SSL_do_handshake(c);
		if (sr != 1) {
			t = now();
			sr = SSL_do_handshake(s);
			*srv += now() - t;
		}
	}
	SSL_free(c);
	SSL_free(s);
	return cr == 1 && sr == 1 ? 0 : -1;
}

/* Handshakes per second of server time, for `secs` seconds. */
static double
rate(SSL_CTX *cctx, SSL_CTX *sctx, double secs)
{
	double srv = 0, end = now() + secs;
	long n = 0;

	while (now() < end) {
		if (handshake(cctx, sctx, &srv) == -1) {
			ERR_print_errors_fp(stderr);
			exit(1);
		}
		n++;
	}
	return n / srv;
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

/* Microseconds per signature of a SHA-256 digest: through the key
 * process (a round trip) and in-process (EVP_PKEY_sign). */
static void
latency(struct keys_client *kc, struct store *st, const char *thumb,
    int rsa, int n)
{
	struct keys_req r = { .md = KEYS_MD_SHA256, .dlen = 32 };
	struct keys_ans a;
	struct cert_entry c;
	EVP_PKEY *k;
	EVP_PKEY_CTX *pc;
	unsigned char sig[1024];
	size_t sl;
	struct err e;
	double t, remote, local;
	X509 *x;
	int i;

	certstore_find(st, NULL, thumb, &c, &e);
	certstore_load(st, c.id, &x, &k, &e);
	keys_id(X509_get0_pubkey(x), r.key);
	r.alg = rsa ? KEYS_ALG_RSA_PSS : KEYS_ALG_ECDSA;
	r.saltlen = rsa ? 32 : 0;
	t = now();
	for (i = 0; i < n; i++)
		if (keys_client_sign(kc, &r, &a, &e) == -1 ||
		    a.status != KEYS_OK) {
			fprintf(stderr, "keys: %s\n", e.msg);
			exit(1);
		}
	remote = (now() - t) / n * 1e6;
	pc = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_sign_init(pc);
	EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256());
	if (rsa) {
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32);
	}
	t = now();
	for (i = 0; i < n; i++) {
		sl = sizeof(sig);
		if (EVP_PKEY_sign(pc, sig, &sl, r.digest, 32) != 1) {
			fprintf(stderr, "keys: cannot sign in-process\n");
			exit(1);
		}
	}
	local = (now() - t) / n * 1e6;
	printf("  one signature: %.1f us through the key process, %.1f us "
	    "in-process: a round trip adds %.1f us\n", remote, local,
	    remote - local);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(k);
	X509_free(x);
}

int
main(int argc, char **argv)
{
	const char *name[2] = { "ECDSA P-256", "RSA-2048" };
	struct keys_client *kc;
	struct store *st;
	SSL_CTX *cctx, *in, *kp;
	double secs, a, b;
	struct err e;
	pid_t pid;
	int i, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: keys SECONDS EC_THUMB RSA_THUMB\n");
		return 2;
	}
	secs = atof(argv[1]);
	/* The key process first, before any thread. */
	if (keys_client_new(&kc, &e) == -1 ||
	    keys_spawn(NULL, 0, &fd, &pid, &e) == -1 ||
	    store_open(&st, STORE_MACHINE, STORE_READ, &e) == -1) {
		fprintf(stderr, "keys: %s\n", e.msg);
		return 1;
	}
	keys_client_attach(kc, fd, pid);
	cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
	printf("full TLS 1.3 handshakes per second of server time "
	    "(%.0f s each, one core):\n", secs);
	for (i = 0; i < 2; i++) {
		in = in_process_ctx(st, argv[2 + i]);
		if (tls_ctx_new(&kp, st, argv[2 + i], NULL, TLS_NO_TLS12 |
		    TLS_NO_TICKETS, NULL, kc, &e) == -1) {
			fprintf(stderr, "keys: %s\n", e.msg);
			return 1;
		}
		a = rate(cctx, in, secs);
		b = rate(cctx, kp, secs);
		printf("  %-12s in-process %7.0f/s, key process %7.0f/s: "
		    "%+.1f%%\n", name[i], a, b, (b - a) / a * 100);
		latency(kc, st, argv[2 + i], i == 1, 2000);
		SSL_CTX_free(in);
		SSL_CTX_free(kp);
	}
	SSL_CTX_free(cctx);
	store_close(st);
	keys_client_free(kc);
	return 0;
}
