/*
 * Unit tests of the response side: reason phrases and the status line.
 */
#include <string.h>

#include "http/http.h"
#include "unit.h"

static void
test_reasons(void)
{
	CHECK_STR(http_status_reason(200), "OK");
	CHECK_STR(http_status_reason(100), "Continue");
	CHECK_STR(http_status_reason(404), "Not Found");
	CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_status_reason(505), "HTTP Version Not Supported");
	CHECK_STR(http_status_reason(299), "Unknown");
	CHECK_STR(http_status_reason(-1), "Unknown");
}

static void
test_head(void)
{
	char	 buf[256];
	int	 n;

	n = http_response_head(buf, sizeof(buf), 400,
	    "Wed, 25 Nov 2026 06:00:00 GMT", 0, 1);
	CHECK_STR(buf, "HTTP/1.1 400 Bad Request\r\n"
	    "Date: Wed, 25 Nov 2026 06:00:00 GMT\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n");
	CHECK(n == (int)strlen(buf));
	n = http_response_head(buf, sizeof(buf), 204, NULL, -1, 0);
	CHECK_STR(buf, "HTTP/1.1 204 No Content\r\n");
	CHECK(http_response_head(buf, 10, 200, NULL, 5, 0) == -1);
	CHECK(http_response_head(buf, sizeof(buf), 42, NULL, 5, 0) == -1);
}

int
main(void)
{
	RUN(test_reasons);
	RUN(test_head);
	return unit_done();
}
