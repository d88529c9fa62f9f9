/*
 * chain — the one certificate chain builder. See cert.h.
 *
 * Every chain hsys builds goes through OpenSSL's X509_verify_cert, from a
 * leaf, a pool of intermediates (the CA store) and anchors (the Root store,
 * the system's trust): cert show describes the chain, cert verify judges
 * it, hsysd and cert export send its intermediates. They differ only in
 * which dates may be wrong without stopping the chain, and in what they do
 * with the result.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"

struct run {
	unsigned		 flags;
	struct cert_chain	*out;
};

/* Dates the caller judges itself do not stop the chain; the first other
 * error is remembered, with where it happened, and ends the build. */
static int
chain_cb(int ok, X509_STORE_CTX *ctx)
{
	struct run *r = X509_STORE_CTX_get_app_data(ctx);
	int error = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	int dates = error == X509_V_ERR_CERT_HAS_EXPIRED ||
	    error == X509_V_ERR_CERT_NOT_YET_VALID;
	X509 *x;

	if (ok)
		return 1;
	if (dates && ((r->flags & CERT_CHAIN_ANY_DATES) ||
	    ((r->flags & CERT_CHAIN_LEAF_DATES) && depth == 0)))
		return 1;
	if (r->out->error == X509_V_OK) {
		r->out->error = error;
		r->out->error_depth = depth;
		if ((x = X509_STORE_CTX_get_current_cert(ctx)) != NULL)
			cert_name_string(X509_get_subject_name(x),
			    r->out->error_subject,
			    sizeof(r->out->error_subject));
	}
	return 0;
}

static int
add_anchors(X509_STORE *st, const struct cert_chain_in *in)
{
	int i;

	for (i = 0; i < sk_X509_num(in->anchors); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(in->anchors, i)))
			return -1;
	if (in->system_trust && !X509_STORE_set_default_paths(st))
		return -1;
	return 0;
}

/* The chain as far as it was built; the leaf alone when none was. */
static int
take_chain(X509_STORE_CTX *ctx, X509 *leaf, struct cert_chain *out)
{
	if ((out->certs = X509_STORE_CTX_get1_chain(ctx)) == NULL &&
	    (out->certs = sk_X509_new_null()) == NULL)
		return -1;
	if (sk_X509_num(out->certs) > 0)
		return 0;
	if (!X509_up_ref(leaf))
		return -1;
	if (!sk_X509_push(out->certs, leaf)) {
		X509_free(leaf);
		return -1;
	}
	return 0;
}

int
cert_chain_build(const struct cert_chain_in *in, struct cert_chain *out,
    struct err *e)
{
	struct run r = { in->flags, out };
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->error = X509_V_OK;
	if ((st = X509_STORE_new()) == NULL)
		return err_ssl(e, "out of memory");
	X509_STORE_set_verify_cb(st, chain_cb);
	if (add_anchors(st, in) == -1) {
		err_ssl(e, "cannot load the trusted certificates");
		goto done;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, st, in->leaf, in->untrusted)) {
		err_ssl(e, "cannot set up the chain verification");
		goto done;
	}
	X509_STORE_CTX_set_app_data(ctx, &r);
	if (in->now != 0)
		X509_STORE_CTX_set_time(ctx, 0, in->now);
	out->trusted = X509_verify_cert(ctx) == 1;
	if (!out->trusted && out->error == X509_V_OK)
		out->error = X509_STORE_CTX_get_error(ctx);
	if (take_chain(ctx, in->leaf, out) == -1) {
		err_ssl(e, "out of memory");
		cert_chain_free(out);
		goto done;
	}
	rc = 0;
done:
	/* A chain that does not verify is an answer, not an error to keep. */
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

void
cert_chain_free(struct cert_chain *ch)
{
	sk_X509_pop_free(ch->certs, X509_free);
	ch->certs = NULL;
}

int
cert_chain_intermediates(X509 *x, STACK_OF(X509) *pool,
    STACK_OF(X509) **out, struct err *e)
{
	struct cert_chain_in in = { .leaf = x, .untrusted = pool };
	struct cert_chain ch;
	STACK_OF(X509) *sk;
	X509 *c;
	int i;

	if (cert_chain_build(&in, &ch, e) == -1)
		return -1;
	if ((sk = sk_X509_new_null()) == NULL)
		goto oom;
	for (i = 1; i < sk_X509_num(ch.certs); i++) {
		c = sk_X509_value(ch.certs, i);
		/* Roots are the relying party's business, not ours. */
		if (X509_check_issued(c, c) == X509_V_OK)
			break;
		if (!sk_X509_push(sk, c))
			goto oom;
		X509_up_ref(c);
	}
	cert_chain_free(&ch);
	*out = sk;
	return 0;
oom:
	sk_X509_pop_free(sk, X509_free);
	cert_chain_free(&ch);
	return err_ssl(e, "out of memory");
}

