/*
 * status — the response side: reason phrases (RFC 9110 §15) and the status
 * line with the fields every hsysd response carries.  The Date value is
 * formatted and cached by the daemon (once a second), not here.
 */
#include <inttypes.h>
#include <stdio.h>

#include "http/http.h"

struct reason {
	int		 code;
	const char	*text;
};

/* Sorted by code, for the binary search. */
static const struct reason reasons[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 102, "Processing" },
	{ 103, "Early Hints" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 203, "Non-Authoritative Information" },
	{ 204, "No Content" },
	{ 205, "Reset Content" },
	{ 206, "Partial Content" },
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" },
	{ 426, "Upgrade Required" },
	{ 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_status_reason(int code)
{
	size_t	 lo = 0, hi = sizeof(reasons) / sizeof(reasons[0]);

	while (lo < hi) {
		size_t	 mid = (lo + hi) / 2;

		if (reasons[mid].code == code)
			return reasons[mid].text;
		if (reasons[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "Unknown";
}

int
http_response_head(char *buf, size_t cap, int status, const char *date,
    int64_t content_length, int close)
{
	char	 cl[48] = "";
	int	 n;

	if (status < 100 || status > 999)
		return -1;
	if (content_length >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %" PRId64 "\r\n",
		    content_length);
	n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\n%s%s%s%s%s",
	    status, http_status_reason(status),
	    date != NULL ? "Date: " : "", date != NULL ? date : "",
	    date != NULL ? "\r\n" : "", cl,
	    close ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}
