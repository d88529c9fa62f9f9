/*
 * peer_http_parser — the benchmark's peer: Node's http_parser (a Debian
 * library, linked, not copied) parsing one head with callbacks that only
 * touch the pointers they get, as a daemon recording offsets would.
 */
#include <stddef.h>
#include <string.h>

#if __has_include(<http_parser.h>)
#include <http_parser.h>

int	peer_parse(const char *, size_t);

static volatile size_t peer_sink;

static int
peer_data(http_parser *p, const char *at, size_t len)
{
	(void)p;
	peer_sink += (size_t)at + len;
	return 0;
}

int
peer_parse(const char *req, size_t len)
{
	static http_parser_settings s = {
		.on_url = peer_data,
		.on_header_field = peer_data,
		.on_header_value = peer_data,
	};
	http_parser	 p;

	http_parser_init(&p, HTTP_REQUEST);
	return http_parser_execute(&p, &s, req, len) == len ? 0 : -1;
}
#endif
