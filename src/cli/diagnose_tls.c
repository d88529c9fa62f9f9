/*
 * diagnose_tls — the TLS hops of hsys diagnose: the sslcert binding a
 * handshake for the URL gets (config_sslcert_pick, hsysd's rules) and
 * whether its certificate can serve the host (cert_verify_https, the
 * checks of hsys cert verify).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "cli/diagnose.h"
#include "common/err.h"
#include "config/config.h"

struct bindings {
	struct config_sslcert	*b;
	size_t			 n;
};

static int
add_binding(const struct config_sslcert *c, void *arg)
{
	struct bindings *l = arg;
	struct config_sslcert *nb;

	if ((nb = realloc(l->b, (l->n + 1) * sizeof(*nb))) == NULL)
		return 1;
	l->b = nb;
	l->b[l->n++] = *c;
	return 0;
}

struct findings {
	char	text[TEXT_MAX];
	int	warnings;
};

static void
finding(void *arg, int warning, const char *msg)
{
	struct findings *f = arg;

	snprintf(f->text + strlen(f->text), sizeof(f->text) - strlen(f->text),
	    "%s%s%s", f->text[0] ? "; " : "", warning ? "warning: " : "", msg);
	f->warnings += warning;
}

static void
hop_cert(struct diag *d, const struct config_sslcert *b)
{
	struct hop *h = &d->h[H_CERT];
	struct cert_store_name sn;
	struct cert_entry c;
	struct cert_verify v;
	struct findings f = { "", 0 };
	STACK_OF(X509) *ca = NULL, *root = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	char fix[TEXT_MAX], thumb[41];
	const char *sname;
	int problems;
	struct err e;

	snprintf(fix, sizeof(fix), "Import a certificate for %s with its key "
	    "(hsys cert import, or hsys cert new-selfsigned), then hsys http "
	    "update sslcert %s=%s certhash=NEW", d->host, b->kind ==
	    CONFIG_IPPORT ? "ipport" : "hostnameport", b->endpoint);
	(void)sn;
	if (config_sslcert_current(d->store, b, thumb, &sname, &e) == -1 ||
	    certstore_find(d->store, sname, thumb, &c, &e) == -1) {
		dg_set(h, DG_FAIL, fix, "the binding's certificate %s: %s",
		    b->certhash, e.msg);
		return;
	}
	if (certstore_load(d->store, c.id, &x, &key, &e) == -1 ||
	    certstore_stack(d->store, CERT_STORE_CA, &ca, &e) == -1 ||
	    certstore_stack(d->store, CERT_STORE_ROOT, &root, &e) == -1) {
		dg_set(h, geteuid() == 0 ? DG_FAIL : DG_UNKNOWN,
		    geteuid() == 0 ? fix : "Run hsys diagnose as root to "
		    "check the certificate", "cannot read certificate %s: %s",
		    b->certhash, e.msg);
		goto done;
	}
	memset(&v, 0, sizeof(v));
	v.cert = x;
	v.key = key;
	v.untrusted = ca;
	v.anchors = root;
	v.system_trust = 1;
	v.dns_name = d->host;
	v.report = finding;
	v.arg = &f;
	if (cert_verify_https(&v, &problems, &e) == -1) {
		dg_set(h, DG_UNKNOWN, NULL, "cannot check %s: %s", b->certhash,
		    e.msg);
		goto done;
	}
	if (problems > 0)
		dg_set(h, DG_FAIL, fix, "%s (%s) cannot serve %s: %s",
		    c.thumbprint, c.subject, d->host, f.text);
	else
		dg_set(h, f.warnings ? DG_WARN : DG_OK, f.warnings ? fix : NULL,
		    "%s (%s) serves %s%s%s", c.thumbprint, c.subject, d->host,
		    f.text[0] ? ": " : "", f.text);
done:
	sk_X509_pop_free(root, X509_free);
	sk_X509_pop_free(ca, X509_free);
	EVP_PKEY_free(key);
	X509_free(x);
}

void
dg_hop_binding(struct diag *d)
{
	struct hop *h = &d->h[H_BINDING];
	struct bindings l = { NULL, 0 };
	unsigned char ip[16];
	char fix[TEXT_MAX];
	int sni;
	long i;
	struct err e;

	if (!d->https) {
		dg_set(h, DG_SKIP, NULL, "http: no TLS");
		dg_set(&d->h[H_CERT], DG_SKIP, NULL, "http: no TLS");
		return;
	}
	dg_set(&d->h[H_CERT], DG_SKIP, NULL, "no binding to look at");
	if (!d->have_addr) {
		dg_set(h, DG_SKIP, NULL, "no address of this machine to look "
		    "at");
		return;
	}
	if (d->store == NULL || config_sslcert_list(d->store, add_binding, &l,
	    &e) == -1) {
		dg_set(h, DG_UNKNOWN, "Run hsys diagnose as root",
		    "cannot read the bindings: %s", d->store ? e.msg :
		    d->store_err);
		goto done;
	}
	/* Clients send no server name for an IP address (RFC 6066). */
	sni = inet_pton(AF_INET, d->host, ip) != 1 &&
	    inet_pton(AF_INET6, d->host, ip) != 1;
	i = config_sslcert_pick(l.b, l.n, sni ? d->host : NULL,
	    d->addr.family, d->addr.addr, d->port);
	if (i < 0) {
		snprintf(fix, sizeof(fix), "hsys http add sslcert "
		    "hostnameport=%s:%u certhash=THUMBPRINT (or ipport=%s:%u "
		    "for every name on the port)", sni ? d->host : "NAME",
		    d->port, d->addr.family == AF_INET ? "0.0.0.0" : "[::]",
		    d->port);
		dg_set(h, DG_FAIL, fix, "no binding answers %s%s on %s port "
		    "%u: hsysd refuses the handshake (TLS_NoBinding)", sni ?
		    "server name " : "a client without server name",
		    sni ? d->host : "", d->addr.text, d->port);
		goto done;
	}
	dg_set(h, DG_OK, NULL, "%s=%s answers (certificate %s in %s)",
	    l.b[i].kind == CONFIG_IPPORT ? "ipport" : "hostnameport",
	    l.b[i].endpoint, l.b[i].certhash, l.b[i].storename);
	snprintf(d->binding, sizeof(d->binding), "%s=%s", l.b[i].kind ==
	    CONFIG_IPPORT ? "ipport" : "hostnameport", l.b[i].endpoint);
	hop_cert(d, &l.b[i]);
done:
	free(l.b);
}

