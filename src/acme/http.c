/*
 * http — one exchange with the ACME server, on libcurl: HTTPS only, the
 * system's trust plus, for a private CA's server (pebble, step-ca), the
 * PEM file the admin named; bounded in time and size. Keeps the headers
 * ACME needs (Replay-Nonce, Location, Retry-After, Content-Type).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "acme/acme.h"
#include "common/err.h"

#define BODY_MAX	(1024 * 1024)	/* no ACME document is larger */
#define CONNECT_SECS	10L	/* within the exchange's own bound */

struct sink {
	struct acme_response	*r;
	int			 too_big;
};

void
acme_response_free(struct acme_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	struct acme_response *r = s->r;
	char *b;

	n *= size;
	if (r->len + n > BODY_MAX) {
		s->too_big = 1;
		return 0;
	}
	if ((b = realloc(r->body, r->len + n + 1)) == NULL)
		return 0;
	memcpy(b + r->len, p, n);
	r->len += n;
	b[r->len] = '\0';
	r->body = b;
	return n;
}

/* A header's value, trimmed, into buf when its name is name. */
static int
header_value(const char *line, size_t n, const char *name, char *buf,
    size_t size)
{
	size_t k = strlen(name), v;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	line += k + 1;
	n -= k + 1;
	while (n > 0 && isspace((unsigned char)*line)) {
		line++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	v = n < size - 1 ? n : size - 1;
	memcpy(buf, line, v);
	buf[v] = '\0';
	return 1;
}

/* Retry-After: seconds, or an HTTP date. */
static long
retry_after(const char *v)
{
	struct tm tm;
	char *end;
	long n;

	n = strtol(v, &end, 10);
	if (end != v && *end == '\0')
		return n < 0 ? 0 : n;
	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) == NULL)
		return -1;
	n = (long)(timegm(&tm) - time(NULL));
	return n < 0 ? 0 : n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct acme_response *r = ((struct sink *)arg)->r;
	char ra[128];

	n *= size;
	/* A new status line (after a 100 Continue) starts afresh. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->nonce[0] = r->location[0] = r->content_type[0] = '\0';
		r->retry_after = -1;
	}
	header_value(p, n, "Replay-Nonce", r->nonce, sizeof(r->nonce));
	header_value(p, n, "Location", r->location, sizeof(r->location));
	header_value(p, n, "Content-Type", r->content_type,
	    sizeof(r->content_type));
	if (header_value(p, n, "Retry-After", ra, sizeof(ra)))
		r->retry_after = retry_after(ra);
	return n;
}

int
acme_http(const struct acme_client *c, const char *url, int head,
    const char *body, const char *accept, struct acme_response *r,
    struct err *e)
{
	struct curl_slist *h = NULL;
	char acc[160];
	struct sink s = { r, 0 };
	CURLcode cc;
	CURL *cu;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if ((cu = curl_easy_init()) == NULL)
		return err_set(e, "cannot start libcurl");
	snprintf(acc, sizeof(acc), "Accept: %s", accept ? accept :
	    "application/json");
	h = curl_slist_append(h, acc);
	if (body != NULL)
		h = curl_slist_append(h, "Content-Type: application/jose+json");
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, CONNECT_SECS);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, c->timeout > 0 ? c->timeout :
	    (long)ACME_HTTP_TIMEOUT);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "hsys-acme/0.1");
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &s);
	if (c->ca_file != NULL)
		curl_easy_setopt(cu, CURLOPT_CAINFO, c->ca_file);
	if (head)
		curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
	else if (body != NULL)
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(cu);
	if (cc == CURLE_OK)
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(cu);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		acme_response_free(r);
		if (s.too_big)
			return err_set(e, "%s sent more than %d bytes", url,
			    BODY_MAX);
		return err_set(e, "cannot reach %s: %s%s", url,
		    curl_easy_strerror(cc), cc == CURLE_PEER_FAILED_VERIFICATION
		    ? " (for a private ACME server, give its CA with "
		    "--ca-file)" : "");
	}
	return 0;
}
