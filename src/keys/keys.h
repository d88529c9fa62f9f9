/*
 * keys — the key process: the only process that reads private keys from
 * the store, and the way hsysd's TLS contexts sign through it. The front
 * door of the component; docs/keys.md tells the whole design.
 *
 *   req.c       the request and answer format on the key process's
 *               sockets (pure: encode, and a decoder that refuses anything
 *               but what this header describes; fuzzed, tests/fuzz)
 *   table.c     the keys current bindings and pending TLS-ALPN-01
 *               challenges use, read from the store
 *   monitor.c   the root part hsysd starts: holds hsysd's control
 *               channels, starts the signer again when it dies, runs
 *               ACME renewals (RENEW) as root; reads no key
 *   proc.c      the signer: started by the monitor, one thread per
 *               channel, signs a digest with a key of the table
 *   client.c    hsysd's side: the main channel, one channel per thread,
 *               a signature's round trip
 *   provider.c  an OpenSSL 3 provider whose EC and RSA keys hold the
 *               public half and sign through the client
 *
 * The channels are SOCK_SEQPACKET socketpairs: one message is one request
 * or one answer, never split, never merged. A request names the key by the
 * SHA-256 of its SubjectPublicKeyInfo (the store's key.pubhash), the
 * algorithm (ECDSA, RSA PKCS#1 v1.5, RSA-PSS with its salt length), the
 * digest and the digest's bytes; never anything to decrypt.
 */
#ifndef HSYS_KEYS_KEYS_H
#define HSYS_KEYS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct err;

/* --- the format (req.c) ------------------------------------------------
 *
 * Little-endian. A request:
 *
 *    0  u8   version (KEYS_VERSION)
 *    1  u8   op (KEYS_OP_*)
 *    2  u8   alg (KEYS_ALG_*; SIGN only, else 0)
 *    3  u8   md (KEYS_MD_*; SIGN only, else 0)
 *    4  u32  id, echoed in the answer
 *    8  u16  PSS salt length (RSA-PSS only: the digest's length; else 0)
 *   10  u16  digest length (SIGN: the md's, else 0)
 *   12  32   key: SHA-256 of the key's DER SubjectPublicKeyInfo (SIGN
 *            only, else zeros)
 *   44  ...  the digest (SIGN only)
 *
 * so SIGN is exactly 44 + the digest's length bytes, RELOAD, CHANNEL,
 * RENEW and CONTROL exactly 44. CHANNEL carries one descriptor
 * (SCM_RIGHTS): a new channel for the key process to serve. RENEW and
 * CONTROL are the monitor's, taken only on a control channel (hsysd's
 * main one): RENEW carries the socket on which the renewal's end is told,
 * CONTROL a new control channel (hand-over). An answer:
 *
 *    0  u8   version
 *    1  u8   status (KEYS_OK, KEYS_E*)
 *    2  u16  length of what follows (SIGN: the signature; else 0)
 *    4  u32  id of the request
 *    8  ...  the signature; RENEW: u32 pid of the renewal; the message
 *            RENEW's socket gets when it ends: u32 its wait status
 *
 * A new version of the format gets a new KEYS_VERSION; a key process
 * answers a version it does not speak with KEYS_EVERSION, so that an
 * hsysd taking over from an older one can tell.
 */
#define KEYS_VERSION		1
#define KEYS_REQ_FIXED		44
#define KEYS_ANS_FIXED		8
#define KEYS_ID_LEN		32
#define KEYS_DIGEST_MAX		64
#define KEYS_SIG_MAX		1024	/* RSA up to 8192 bits */
#define KEYS_REQ_MAX		(KEYS_REQ_FIXED + KEYS_DIGEST_MAX)
#define KEYS_ANS_MAX		(KEYS_ANS_FIXED + KEYS_SIG_MAX)

enum keys_op {
	KEYS_OP_SIGN = 1,	/* sign a digest with a key */
	KEYS_OP_RELOAD = 2,	/* read the store's bindings again */
	KEYS_OP_CHANNEL = 3,	/* serve the descriptor sent with it */
	KEYS_OP_RENEW = 4,	/* run `hsys cert acme renew --due` (control) */
	KEYS_OP_CONTROL = 5	/* a new control channel (control) */
};

enum keys_alg {
	KEYS_ALG_ECDSA = 1,
	KEYS_ALG_RSA_PKCS1 = 2,
	KEYS_ALG_RSA_PSS = 3
};

enum keys_md {
	KEYS_MD_SHA256 = 1,
	KEYS_MD_SHA384 = 2,
	KEYS_MD_SHA512 = 3
};

enum keys_status {
	KEYS_OK = 0,
	KEYS_EMALFORMED = 1,	/* not a request of this format */
	KEYS_EVERSION = 2,	/* a version the key process does not speak */
	KEYS_ENOKEY = 3,	/* no binding or challenge uses that key */
	KEYS_EMISMATCH = 4,	/* the algorithm does not fit the key */
	KEYS_EFAILED = 5,	/* the store or the signature failed */
	KEYS_EDENIED = 6,	/* only a control channel may ask that */
	KEYS_EBUSY = 7		/* a renewal runs already */
};
#define KEYS_STATUS_MAX	KEYS_EBUSY

struct keys_req {
	enum keys_op	 op;
	enum keys_alg	 alg;
	enum keys_md	 md;
	uint32_t	 id;
	uint16_t	 saltlen;
	unsigned char	 key[KEYS_ID_LEN];
	unsigned char	 digest[KEYS_DIGEST_MAX];
	size_t		 dlen;
};

struct keys_ans {
	enum keys_status status;
	uint32_t	 id;
	unsigned char	 sig[KEYS_SIG_MAX];
	size_t		 siglen;
};

/* The digest's length (32, 48, 64), or 0 for no KEYS_MD_*. */
size_t	keys_md_size(int md);
/* KEYS_MD_* from OpenSSL's name of a digest ("SHA256", "SHA2-256"...), or
 * 0; and back. */
int	keys_md_from_name(const char *);
const char *keys_md_name(enum keys_md);

/* Encodes a request into buf (KEYS_REQ_MAX bytes); its length. The
 * request must be valid (as keys_req_decode would accept it). */
size_t	keys_req_encode(const struct keys_req *, unsigned char *buf);
/* Decodes exactly one request of len bytes: KEYS_OK, or KEYS_EMALFORMED
 * (any field out of place: an unknown op, algorithm or digest, a length
 * that is not the digest's, a salt length that is not the digest's for
 * PSS or not 0 otherwise, a byte beyond), or KEYS_EVERSION. */
enum keys_status keys_req_decode(const unsigned char *, size_t,
	    struct keys_req *);
size_t	keys_ans_encode(const struct keys_ans *, unsigned char *buf);
/* 0, or -1 when buf is not one answer of this format. */
int	keys_ans_decode(const unsigned char *, size_t, struct keys_ans *);
/* A status in words, for logs and errors. */
const char *keys_status_string(enum keys_status);

/* --- the key id ----------------------------------------------------- */

/* SHA-256 of a key's DER SubjectPublicKeyInfo. */
int	keys_id(EVP_PKEY *, unsigned char out[KEYS_ID_LEN]);

/* --- the key process (proc.c, table.c) ------------------------------- */

/* Starts the key process: a child of the caller, exe run as
 * `hsysd-keys --key-process syslog|stderr` with its channel on descriptor
 * KEYS_PROC_FD (hsysd's main() calls keys_proc_main for it), which reads
 * the LocalMachine store's keys and serves the channel; *fd is the
 * caller's end. exe NULL: no exec, the child runs keys_proc_main itself
 * (unit tests; only before any thread starts). */
#define KEYS_PROC_ARG	"--key-process"
#define KEYS_SIGNER_ARG	"--key-signer"
#define KEYS_PROC_FD	3
/* The monitor stops a renewal running longer (daemon/renew.h's). */
#define KEYS_RENEW_MAX_S	900
int	keys_spawn(const char *exe, int to_syslog, int *fd, pid_t *pid,
	    struct err *);
/* The monitor's body, on hsysd's control channel fd (monitor.c); it
 * starts the signer (keys_proc_main: signer_exe run as `hsysd-keys
 * --key-signer syslog|stderr`; NULL: forked only) and starts it again when
 * it ends. Never returns. */
void	keys_monitor_main(int fd, const char *signer_exe, int to_syslog)
	    __attribute__((noreturn));
/* The signer's body, on the monitor's channel fd (proc.c); never
 * returns. */
void	keys_proc_main(int fd) __attribute__((noreturn));

/* --- hsysd's side (client.c) ---------------------------------------- */

struct keys_client;

/* A client with no key process yet (keys_client_attach gives it one). */
int	keys_client_new(struct keys_client **, struct err *);
void	keys_client_free(struct keys_client *);
/* The key process's main channel fd and pid, taking fd over; a channel
 * the client had is closed, and every thread opens a new channel at its
 * next call. */
void	keys_client_attach(struct keys_client *, int fd, pid_t pid);
/* The key process's pid, or 0. */
pid_t	keys_client_pid(struct keys_client *);
/* Asks the key process to read the store's bindings again. */
int	keys_client_reload(struct keys_client *, struct err *);
/* A new channel to the key process: *fd is ours to use or to pass on
 * (hand-over). */
int	keys_client_channel(struct keys_client *, int *fd, struct err *);
/* A new control channel to the monitor (hand-over): *fd is ours to pass
 * on. A key process from before the monitor refuses CONTROL: then a
 * CHANNEL, as before. */
int	keys_client_control(struct keys_client *, int *fd, struct err *);
/* Asks the monitor to run `hsys cert acme renew --due` as root: 0 with
 * *fd, the socket on which keys_renew_result reads its end, and *pid, the
 * renewal's; -1 with *status KEYS_EBUSY (one runs), KEYS_EMALFORMED (a
 * key process from before RENEW) or KEYS_EFAILED (none could start, or
 * no key process: *status -1). */
int	keys_client_renew(struct keys_client *, int *fd, pid_t *pid,
	    int *status, struct err *);
/* RENEW's end, read from its socket: 0 with the wait status, or -1 when
 * the monitor is gone (or answered something else). */
int	keys_renew_result(int fd, int *wstatus);
/* One signature: the request's round trip on the calling thread's own
 * channel (opened at its first call). 0 with the answer (whose status may
 * say no), or -1 when the key process cannot be reached. */
int	keys_client_sign(struct keys_client *, struct keys_req *,
	    struct keys_ans *, struct err *);

/* An asynchronous signature (inside an OpenSSL ASYNC job): its place,
 * the caller's, waiting on the calling thread's list until its answer
 * comes (done 1, the answer in *a) or its channel ends (done -1); either
 * way fn(arg) is called on the thread, from keys_client_receive, or from
 * a blocking call that read the answer, and the place is off the list. */
#define KEYS_ASYNC_MAX	256	/* places waiting per thread */
struct keys_wait {
	struct keys_wait *next;
	uint32_t	 id;
	int		 done;	/* 0: waiting; 1: answered; -1: failed */
	struct keys_ans	*a;
	int		(*fn)(void *);
	void		*arg;
};
/* Sends the request on the thread's channel and puts w (a, fn and arg
 * set) on its list: 0; -1 when KEYS_ASYNC_MAX wait already or the key
 * process cannot be reached. */
int	keys_client_sign_async(struct keys_client *, struct keys_req *,
	    struct keys_wait *, struct err *);
/* Takes w off the list if it is there (its handshake gave up). */
void	keys_client_forget(struct keys_client *, struct keys_wait *);
/* The calling thread's channel, to watch for answers (-1: none), and a
 * number that moves with each new channel. */
int	keys_client_async_fd(struct keys_client *, unsigned *serial);
/* Reads every answer waiting on the thread's channel, and gives each to
 * its place; a channel that ended fails every place. */
void	keys_client_receive(struct keys_client *);

/* --- the provider (provider.c) -------------------------------------- */

/* A key whose public half is pub's and whose signatures come from the key
 * process through the client: what a TLS context holds instead of the
 * private key. EC and RSA keys only. */
int	keys_pkey_new(struct keys_client *, EVP_PKEY *pub, EVP_PKEY **,
	    struct err *);

#endif
