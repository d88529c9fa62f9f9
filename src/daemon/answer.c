/*
 * answer — the answers hsysd makes itself: error pages, the metrics page,
 * the Date header. See answer.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/strbuf.h"
#include "daemon/answer.h"
#include "daemon/exchange.h"
#include "daemon/metrics.h"
#include "daemon/worker.h"
#include "http/http.h"

void
answer_date_set(struct worker *w, time_t now)
{
	struct tm tm;

	w->date_sec = now;
	gmtime_r(&now, &tm);
	strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void
answer_error(struct exchange *x, int status, const char *detail, int close,
    const char *reason)
{
	const char *phrase = http_status_reason(status);
	struct exchange_answer a = { 0 };
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\r\n<html><head>"
	    "<title>%s</title></head>\r\n<body><h2>%s%s%s</h2>\r\n<hr><p>HTTP "
	    "Error %d. %s</p>\r\n</body></html>\r\n", phrase, phrase,
	    detail ? " - " : "", detail ? detail : "", status,
	    detail ? detail : phrase);
	a.status = status;
	a.ctype = "text/html; charset=us-ascii";
	a.body = body;
	a.len = (size_t)n;
	a.close = close;
	a.reason = reason;
	a.error = 1;
	x->ops->answer(x, &a);
}

void
answer_acme(struct exchange *x, const char *keyauth)
{
	const struct http_request *r = x->head->req;
	struct exchange_answer a = { 0 };

	a.status = 200;
	a.ctype = "application/octet-stream";
	a.body = keyauth;
	a.len = strlen(keyauth);
	a.close = r->content_length > 0 || r->chunked;
	x->ops->answer(x, &a);
}

void
answer_metrics(struct exchange *x)
{
	const struct http_request *r = x->head->req;
	struct strbuf body = { 0 };
	struct exchange_answer a = { 0 };

	if (r->method_id != HTTP_METHOD_GET &&
	    r->method_id != HTTP_METHOD_HEAD) {
		answer_error(x, 405, NULL, 1, NULL);
		return;
	}
	metrics_render(x->w, &body);
	if (strbuf_failed(&body)) {
		strbuf_free(&body);
		answer_error(x, 500, NULL, 1, NULL);
		return;
	}
	a.status = 200;
	a.ctype = METRICS_CONTENT_TYPE;
	a.body = body.s;
	a.len = body.len;
	a.close = r->content_length > 0 || r->chunked;
	x->ops->answer(x, &a);
	strbuf_free(&body);
}
