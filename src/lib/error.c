/*
 * error — libhsys's error codes in words (hsys_strerror): the negative
 * errno values its calls return, said as hsysd's context gives them. Used
 * by every layer (reconnect.c keeps the last one in h->last_error).
 */
#include <errno.h>
#include <string.h>

#include "hsys.h"

const char *
hsys_strerror(int code)
{
	switch (-code) {
	case 0:
		return "success";
	case ENOENT:
		return "hsysd is not running (no socket), or no such queue";
	case ECONNREFUSED:
		return "hsysd is not running (connection refused)";
	case EACCES:
		return "permission denied: no URL reservation or ownership "
		    "allows it";
	case EEXIST:
		return "already registered or already exists";
	case EPROTONOSUPPORT:
		return "hsysd speaks no protocol version this library knows";
	case EPROTO:
		return "protocol error between libhsys and hsysd";
	case ECONNRESET:
		return "hsysd closed the session";
	case ETIMEDOUT:
		return "hsysd did not answer in time";
	case EOPNOTSUPP:
		return "this hsysd does not support the operation (too old)";
	case EPERM:
		return "only the queue's owner may do that";
	case EDQUOT:
		return "a per-user limit of hsysd was reached (sessions, "
		    "queues, prefixes: hsysd --limit)";
	default:
		return strerror(-code);
	}
}
