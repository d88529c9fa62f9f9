/*
 * client — talking ACME to one server: its directory, fresh nonces,
 * signed POSTs and the problem documents (RFC 7807) it answers with.
 *
 * A badNonce problem is retried at once with the nonce it carries (RFC 8555
 * 6.5), a few times; any other problem becomes an error that says what the
 * server said, with Retry-After when it gave one (rateLimited).
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "acme/acme.h"
#include "common/err.h"

#define BAD_NONCE_TRIES	12
#define ACME_ERR	"urn:ietf:params:acme:error:"

int
acme_json(const struct acme_response *r, const char *what, void **out,
    struct err *e)
{
	json_error_t je;
	json_t *j;

	if (r->body == NULL)
		return err_set(e, "%s: the ACME server sent no body", what);
	if ((j = json_loadb(r->body, r->len, 0, &je)) == NULL)
		return err_set(e, "%s: the ACME server sent JSON that does "
		    "not parse (%s, line %d)", what, je.text, je.line);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(e, "%s: the ACME server sent JSON that is not "
		    "an object", what);
	}
	*out = j;
	return 0;
}

static int
read_directory(struct acme_client *c, const char *url, struct err *e)
{
	struct acme_response r;
	void *dir;
	int rc;

	if (acme_http(c, url, 0, NULL, NULL, &r, e) == -1)
		return -1;
	if (r.status != 200) {
		err_set(e, "%s answered %ld, not a directory; is it the "
		    "server's directory URL?", url, r.status);
		acme_response_free(&r);
		return -1;
	}
	rc = acme_json(&r, "the directory", &dir, e);
	acme_response_free(&r);
	if (rc == -1)
		return -1;
	c->dir = dir;
	if (acme_dir_url(c, "newNonce") == NULL ||
	    acme_dir_url(c, "newAccount") == NULL ||
	    acme_dir_url(c, "newOrder") == NULL)
		return err_set(e, "%s is not an ACME directory (no newNonce, "
		    "newAccount or newOrder)", url);
	return 0;
}

int
acme_client_init(struct acme_client *c, const char *url, const char *ca_file,
    long timeout, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (strlen(url) >= sizeof(c->directory_url))
		return err_set(e, "the server URL is too long");
	if (strncmp(url, "https://", 8) != 0)
		return err_set(e, "the ACME server URL must be https://, not "
		    "'%s'", url);
	snprintf(c->directory_url, sizeof(c->directory_url), "%s", url);
	c->ca_file = ca_file && *ca_file ? ca_file : NULL;
	c->timeout = timeout;
	c->retry_after = -1;
	/* Paired with the cleanup in acme_client_free; libcurl counts. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, "cannot start libcurl");
	if (read_directory(c, url, e) == -1) {
		acme_client_free(c);
		return -1;
	}
	return 0;
}

void
acme_client_free(struct acme_client *c)
{
	json_decref(c->dir);
	c->dir = NULL;
	curl_global_cleanup();
}

const char *
acme_dir_url(const struct acme_client *c, const char *name)
{
	return json_string_value(json_object_get(c->dir, name));
}

const char *
acme_dir_meta(const struct acme_client *c, const char *name)
{
	return json_string_value(json_object_get(json_object_get(c->dir,
	    "meta"), name));
}

int
acme_dir_meta_bool(const struct acme_client *c, const char *name)
{
	return json_is_true(json_object_get(json_object_get(c->dir, "meta"),
	    name));
}

static int
fresh_nonce(struct acme_client *c, struct err *e)
{
	struct acme_response r;

	if (acme_http(c, acme_dir_url(c, "newNonce"), 1, NULL, NULL, &r, e)
	    == -1)
		return -1;
	snprintf(c->nonce, sizeof(c->nonce), "%s", r.nonce);
	acme_response_free(&r);
	if (c->nonce[0] == '\0')
		return err_set(e, "the ACME server gave no nonce");
	return 0;
}

/* The problem's type without its prefix ("badNonce"), or "". */
static const char *
problem_type(json_t *p)
{
	const char *t = json_string_value(json_object_get(p, "type"));

	if (t == NULL)
		return "";
	return strncmp(t, ACME_ERR, strlen(ACME_ERR)) == 0 ?
	    t + strlen(ACME_ERR) : t;
}

/* An error that says what the server said; the problem's detail comes from
 * the server, never from our keys. */
static int
problem(const char *url, const struct acme_response *r, json_t *p,
    struct err *e)
{
	const char *detail = json_string_value(json_object_get(p, "detail"));
	const char *type = problem_type(p);
	char after[64] = "";

	if (r->retry_after >= 0)
		snprintf(after, sizeof(after), "; retry after %ld seconds",
		    r->retry_after);
	err_set(e, "the ACME server refused (%ld %s) at %s: %s%s%s", r->status,
	    *type ? type : "error", url, detail ? detail : "no detail",
	    after, strcmp(type, "rateLimited") == 0 && !*after ?
	    "; wait before trying again" : "");
	e->code = (int)r->status;
	return -1;
}

static int
is_bad_nonce(const struct acme_response *r, json_t **p)
{
	void *j;
	struct err ignored;

	*p = NULL;
	if (r->status < 400 || acme_json(r, "problem", &j, &ignored) == -1)
		return 0;
	*p = j;
	return strcmp(problem_type(*p), "badNonce") == 0;
}

int
acme_post(struct acme_client *c, const char *url, const char *payload,
    const char *accept, struct acme_response *r, struct err *e)
{
	json_t *p = NULL;
	char *jws;
	int tries, rc;

	for (tries = 0; ; tries++) {
		if (c->nonce[0] == '\0' && fresh_nonce(c, e) == -1)
			return -1;
		if (acme_jws_sign(c->key, c->kid[0] ? c->kid : NULL, c->nonce,
		    url, payload, &jws, e) == -1)
			return -1;
		c->nonce[0] = '\0';
		rc = acme_http(c, url, 0, jws, accept, r, e);
		free(jws);
		if (rc == -1)
			return -1;
		snprintf(c->nonce, sizeof(c->nonce), "%s", r->nonce);
		if (!is_bad_nonce(r, &p) || tries + 1 >= BAD_NONCE_TRIES)
			break;
		json_decref(p);
		p = NULL;
		acme_response_free(r);
		c->bad_nonce_retries++;
	}
	if (r->status < 400) {
		json_decref(p);
		return 0;
	}
	c->retry_after = r->retry_after;
	rc = p ? problem(url, r, p, e) : err_set(e, "the ACME server "
	    "answered %ld at %s", r->status, url);
	e->code = (int)r->status;
	json_decref(p);
	acme_response_free(r);
	return rc;
}
