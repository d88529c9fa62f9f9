/*
 * reqlog — what the request logs (httplog.h) say of a client
 * connection's request: the access log's line once a response is out,
 * and the httperr line of a connection's failure, one per connection.
 */
#include <string.h>
#include <strings.h>

#include "daemon/conn_int.h"
#include "daemon/httplog.h"

static void
find_header(const struct http_request *r, const char *name, size_t len,
    const char **v, size_t *vlen)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].name_len == len &&
		    strncasecmp(r->headers[i].name, name, len) == 0) {
			*v = r->headers[i].value;
			*vlen = r->headers[i].value_len;
			return;
		}
}

/* What the logs say of the request in flight; its head is known when
 * head_len is set (a head the parser refused is not). */
static void
conn_logrec(struct conn *c, struct logrec *r)
{
	memset(r, 0, sizeof(*r));
	r->peer = &c->peer;
	r->local = &c->local;
	r->status = c->status;
	r->bytes = c->sent - c->sent0;
	r->ms = c->t0 ? (loop_now_us(c->w->loop) - c->t0) / 1000 : 0;
	if (c->ssl != NULL && c->handshaken) {
		r->tls_version = SSL_get_version(c->ssl);
		r->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	}
	if (c->head_len == 0)
		return;
	r->method = c->req.method;
	r->method_len = c->req.method_len;
	r->uri = c->req.target;
	r->uri_len = c->req.target_len;
	r->version = c->req.version;
	r->host = c->req.host;
	r->host_len = c->req.host_len;
	find_header(&c->req, "user-agent", 10, &r->ua, &r->ua_len);
	find_header(&c->req, "referer", 7, &r->referer, &r->referer_len);
}

/* The httperr line of a connection's failure: one per connection. */
void
conn_httperr(struct conn *c, const char *reason)
{
	struct logrec r;

	if (c->err_logged || c->w->log == NULL)
		return;
	c->err_logged = 1;
	conn_logrec(c, &r);
	httperr_conn(c->w, &c->peer, &c->local, reason, &r);
}

/* The access log's line, once a response is out. */
void
conn_log_done(struct conn *c)
{
	struct logrec r;

	if (c->w->log != NULL) {
		conn_logrec(c, &r);
		httplog_access(c->w, &r);
	}
	c->sent0 = c->sent;
	c->t0 = 0;
	c->err_logged = 0;
	c->status = 0;	/* an idle close after it has no status */
}

