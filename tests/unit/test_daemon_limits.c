/*
 * test_daemon_limits — the default limits have one source, the settings
 * table of src/config (docs/config.md's defaults): the limits hsysd
 * serves with before its first snapshot (snapshot_limits(NULL)) follow
 * it, and so do the HTTP parser's own defaults (http_limits_default, for
 * callers that pass no limits), which once disagreed on the target's.
 */
#include "config/config.h"
#include "daemon/snapshot.h"
#include "http/http.h"
#include "unit.h"

static int64_t
dflt(enum config_setting s)
{
	return config_settings[s].dflt;
}

static void
test_snapshot_defaults(void)
{
	const struct snap_limits *l = snapshot_limits(NULL);

	CHECK(l == snapshot_limits(NULL));	/* made once */
	CHECK(l->idle_ms == CONFIG_TIMEOUT_DEFAULT * 1000);
	CHECK(l->headerwait_ms == CONFIG_TIMEOUT_DEFAULT * 1000);
	CHECK(l->entitybody_ms == CONFIG_TIMEOUT_DEFAULT * 1000);
	CHECK(l->min_send_rate == dflt(CONFIG_SET_MINSENDRATE));
	CHECK(l->min_body_rate == dflt(CONFIG_SET_MINREQUESTBODYDATARATE));
	CHECK(l->max_connections == dflt(CONFIG_SET_MAXCONNECTIONS));
	CHECK(l->max_connections == CONFIG_UNLIMITED);
	CHECK(l->max_body == dflt(CONFIG_SET_MAXREQUESTBODYSIZE));
	CHECK(l->http.max_request_line ==
	    (size_t)dflt(CONFIG_SET_MAXFIELDLENGTH));
	CHECK(l->http.max_header_line ==
	    (size_t)dflt(CONFIG_SET_MAXFIELDLENGTH));
	CHECK(l->http.max_head == (size_t)dflt(CONFIG_SET_MAXREQUESTBYTES));
	CHECK(l->http.max_headers == (size_t)dflt(CONFIG_SET_MAXHEADERCOUNT));
	CHECK(l->http.max_target == (size_t)dflt(CONFIG_SET_MAXURLLENGTH));
	CHECK(l->http.max_empty_lines == http_limits_default.max_empty_lines);
	CHECK(l->http.max_chunk_line == http_limits_default.max_chunk_line);
	CHECK(l->nbody == 0 && l->body_prefix == NULL);
}

/* docs/config.md: MaxFieldLength, MaxRequestBytes, MaxUrlLength 16384,
 * MaxHeaderCount 100. */
static void
test_parser_defaults(void)
{
	const struct http_limits *h = &http_limits_default;

	CHECK(h->max_request_line == (size_t)dflt(CONFIG_SET_MAXFIELDLENGTH));
	CHECK(h->max_header_line == (size_t)dflt(CONFIG_SET_MAXFIELDLENGTH));
	CHECK(h->max_head == (size_t)dflt(CONFIG_SET_MAXREQUESTBYTES));
	CHECK(h->max_headers == (size_t)dflt(CONFIG_SET_MAXHEADERCOUNT));
	CHECK(h->max_target == (size_t)dflt(CONFIG_SET_MAXURLLENGTH));
	CHECK(dflt(CONFIG_SET_MAXURLLENGTH) == 16384);
	CHECK(dflt(CONFIG_SET_MAXFIELDLENGTH) == 16384);
	CHECK(dflt(CONFIG_SET_MAXREQUESTBYTES) == 16384);
	CHECK(dflt(CONFIG_SET_MAXHEADERCOUNT) == 100);
}

int
main(void)
{
	RUN(test_snapshot_defaults);
	RUN(test_parser_defaults);
	return unit_done();
}
