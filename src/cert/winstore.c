/*
 * winstore — Windows' certificate store names (My, Root, CA, WebHosting)
 * and locations (LocalMachine, CurrentUser), in every spelling users type:
 * "My", "LocalMachine\My", "cert:\localmachine\my". See cert.h.
 */
#include <strings.h>
#include <string.h>

#include "cert/cert.h"
#include "common/err.h"

static const char *const stores[] = {
	CERT_STORE_MY, CERT_STORE_ROOT, CERT_STORE_CA, CERT_STORE_WEBHOSTING,
};

static int
match_prefix(const char **s, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*s, word, n) != 0 || ((*s)[n] != '\\' &&
	    (*s)[n] != '/'))
		return 0;
	*s += n + 1;
	return 1;
}

int
cert_store_name_parse(const char *in, struct cert_store_name *out,
    struct err *e)
{
	const char *s = in;
	size_t i;

	out->loc = STORE_MACHINE;
	out->name = CERT_STORE_MY;
	if (s == NULL || *s == '\0')
		return 0;
	/* PowerShell's drive: "cert:\" or "cert:/" */
	if (strncasecmp(s, "cert:", 5) == 0) {
		s += 5;
		if (*s == '\\' || *s == '/')
			s++;
	}
	if (match_prefix(&s, "LocalMachine"))
		out->loc = STORE_MACHINE;
	else if (match_prefix(&s, "CurrentUser"))
		out->loc = STORE_USER;
	for (i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		if (strcasecmp(s, stores[i]) == 0) {
			out->name = stores[i];
			return 0;
		}
	}
	return err_set(e, "unknown certificate store '%s'; use My, Root, CA or "
	    "WebHosting, optionally as LocalMachine\\NAME or "
	    "CurrentUser\\NAME", in);
}
