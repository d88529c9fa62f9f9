/*
 * metrics — the daemon's counters (stats.h) as a Prometheus text page
 * (exposition format 0.0.4), served by hsysd itself at the prefix the
 * admin chose with `hsys http add metrics url=PREFIX` (config/metrics.c).
 * The prefix is registered like an application's (registry.h's internal
 * registration) and answered on the worker that routed the request, from
 * relaxed reads of every worker's counters: no lock, no mail.
 */
#ifndef HSYS_DAEMON_METRICS_H
#define HSYS_DAEMON_METRICS_H

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct hsysd;
struct strbuf;
struct worker;

/* Worker thread: the page, into b (strbuf_failed() on out of memory). */
void	metrics_render(struct worker *, struct strbuf *b);
/* Main thread, when the store's generation moved: serve the prefix the
 * store names, or stop serving. A prefix that cannot be registered (in
 * use by an application, a port in use) is logged and kept in
 * d->metrics_error until the next change. */
void	metrics_configure(struct hsysd *);
/* Main thread, at exit: the page's registration goes. */
void	metrics_stop(struct hsysd *);

#endif
