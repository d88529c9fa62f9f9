/*
 * issue_parse — what users type when they ask for a new certificate: key
 * type names, subjects, dates, day counts, host names and IP addresses.
 * Everything here is checked before a key is generated or the store is
 * opened, so that a typo costs nothing and changes nothing. See cert.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "common/err.h"

#define KEY_TYPES	"ec-p256 (the default), ec-p384, rsa-2048, rsa-3072 " \
			"or rsa-4096"
#define DN_EXAMPLE	"write it as \"CN=www.example.test, O=Example, " \
			"C=US\" or \"/C=US/O=Example/CN=www.example.test\""
#define DNS_MAX		253
#define LABEL_MAX	63

static const struct key_type {
	const char	*name;
	const char	*curve;		/* NULL: RSA */
	unsigned int	 bits;
} key_types[] = {
	{ "ec-p256", "P-256", 0 },
	{ "ec-p384", "P-384", 0 },
	{ "rsa-2048", NULL, 2048 },
	{ "rsa-3072", NULL, 3072 },
	{ "rsa-4096", NULL, 4096 },
};

static const struct key_type *
key_type_find(const char *name)
{
	size_t i;

	if (name == NULL)
		name = CERT_KEY_DEFAULT;
	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcasecmp(name, key_types[i].name) == 0)
			return &key_types[i];
	return NULL;
}

int
cert_key_type_check(const char *type, struct err *e)
{
	if (key_type_find(type) == NULL)
		return err_set(e, "unknown key type '%s'; use " KEY_TYPES,
		    type);
	return 0;
}

int
cert_key_new(const char *type, EVP_PKEY **out, struct err *e)
{
	const struct key_type *kt = key_type_find(type);

	*out = NULL;
	if (kt == NULL)
		return cert_key_type_check(type, e);
	if (kt->curve != NULL)
		*out = EVP_EC_gen(kt->curve);
	else
		*out = EVP_RSA_gen(kt->bits);
	if (*out == NULL)
		return err_ssl(e, "cannot generate a %s key", kt->name);
	return 0;
}

/* --- distinguished names ---------------------------------------------- */

/* The attributes a subject may name; S and E are Windows' spellings. */
static const struct dn_attr {
	const char	*name;
	int		 nid;
} dn_attrs[] = {
	{ "CN", NID_commonName },
	{ "O", NID_organizationName },
	{ "OU", NID_organizationalUnitName },
	{ "L", NID_localityName },
	{ "ST", NID_stateOrProvinceName },
	{ "S", NID_stateOrProvinceName },
	{ "C", NID_countryName },
	{ "DC", NID_domainComponent },
	{ "E", NID_pkcs9_emailAddress },
	{ "emailAddress", NID_pkcs9_emailAddress },
	{ "street", NID_streetAddress },
	{ "postalCode", NID_postalCode },
	{ "serialNumber", NID_serialNumber },
	{ "title", NID_title },
	{ "GN", NID_givenName },
	{ "SN", NID_surname },
	{ "UID", NID_userId },
};

static int
dn_attr_nid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(dn_attrs) / sizeof(dn_attrs[0]); i++)
		if (strcasecmp(name, dn_attrs[i].name) == 0)
			return dn_attrs[i].nid;
	return NID_undef;
}

/* A cursor over the DN text; key and value are unescaped into buf. */
struct dn_scan {
	const char	*p;
	char		 sep;		/* ',' or '/' */
	char		*buf;
};

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads "key=" into out; leaves the cursor on the value. */
static int
dn_scan_key(struct dn_scan *sc, char *out, size_t size, struct err *e)
{
	const char *p = skip_space(sc->p);
	size_t n = 0;

	while (isalnum((unsigned char)*p) && n + 1 < size)
		out[n++] = *p++;
	out[n] = '\0';
	p = skip_space(p);
	if (n == 0)
		return err_set(e, "an attribute name is missing before '%.20s'",
		    *p ? p : "the end");
	if (*p != '=')
		return err_set(e, "'%s' is not followed by '='", out);
	sc->p = p + 1;
	return 0;
}

/* A quoted value ("Example, Inc."), then spaces up to the separator. */
static int
dn_scan_quoted(struct dn_scan *sc, char *out, struct err *e)
{
	const char *p = sc->p + 1;
	size_t n = 0;

	while (*p != '"') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\0')
			return err_set(e, "a quoted value has no closing '\"'");
		out[n++] = *p++;
	}
	out[n] = '\0';
	p = skip_space(p + 1);
	if (*p != '\0' && *p != sc->sep)
		return err_set(e, "unexpected '%c' after a quoted value", *p);
	sc->p = p;
	return 0;
}

/* The value up to the next unescaped separator, without trailing spaces
 * (an escaped one is kept). */
static int
dn_scan_value(struct dn_scan *sc, char *out, struct err *e)
{
	const char *p = skip_space(sc->p);
	size_t n = 0, keep = 0;

	if (*p == '"') {
		sc->p = p;
		return dn_scan_quoted(sc, out, e);
	}
	while (*p != '\0' && *p != sc->sep) {
		if (*p == '\\') {
			if (*++p == '\0')
				return err_set(e, "it ends with a lone '\\'");
			out[n++] = *p++;
			keep = n;
			continue;
		}
		out[n++] = *p++;
		if (out[n - 1] != ' ' && out[n - 1] != '\t')
			keep = n;
	}
	out[keep] = '\0';
	sc->p = p;
	return 0;
}

static int
dn_add(X509_NAME *name, const char *key, const char *value, int front,
    struct err *e)
{
	int nid = dn_attr_nid(key);

	if (nid == NID_undef)
		return err_set(e, "unknown attribute '%s'; use CN, O, OU, L, "
		    "ST, C, DC or E", key);
	if (value[0] == '\0')
		return err_set(e, "%s has an empty value", key);
	if (nid == NID_countryName && (strlen(value) != 2 ||
	    !isalpha((unsigned char)value[0]) ||
	    !isalpha((unsigned char)value[1])))
		return err_set(e, "C must be a two-letter country code, not "
		    "'%s'", value);
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
	    (const unsigned char *)value, -1, front ? 0 : -1, 0))
		return err_ssl(e, "%s='%s' cannot be encoded", key, value);
	return 0;
}

static int
dn_parse_into(const char *in, X509_NAME *name, char *buf, struct err *e)
{
	struct dn_scan sc = { skip_space(in), ',', buf };
	char key[32];

	/* OpenSSL's form lists the RDNs root first, as they are encoded;
	 * the RFC 4514 form lists them leaf first, so each goes in front. */
	if (*sc.p == '/') {
		sc.sep = '/';
		sc.p++;
	}
	if (*skip_space(sc.p) == '\0')
		return err_set(e, "it is empty");
	for (;;) {
		if (dn_scan_key(&sc, key, sizeof(key), e) == -1 ||
		    dn_scan_value(&sc, sc.buf, e) == -1 ||
		    dn_add(name, key, sc.buf, sc.sep == ',', e) == -1)
			return -1;
		if (*sc.p == '\0')
			return 0;
		sc.p++;		/* the separator */
		if (*skip_space(sc.p) == '\0')
			return err_set(e, "it ends with '%c'", sc.sep);
	}
}

int
cert_dn_parse(const char *in, X509_NAME **out, struct err *e)
{
	X509_NAME *name = NULL;
	char *buf = NULL;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL ||
	    (buf = malloc(strlen(in) + 1)) == NULL) {
		err_ssl(e, "out of memory");
		goto fail;
	}
	if (dn_parse_into(in, name, buf, e) == -1) {
		err_prefix(e, "the subject '%s' is not a distinguished name",
		    in);
		snprintf(e->msg + strlen(e->msg), sizeof(e->msg) -
		    strlen(e->msg), "; " DN_EXAMPLE);
		goto fail;
	}
	free(buf);
	*out = name;
	return 0;
fail:
	free(buf);
	X509_NAME_free(name);
	return -1;
}

/* --- dates ------------------------------------------------------------ */

/* Exactly n digits at s into *v. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

int
cert_date_parse(const char *s, int64_t *out, struct err *e)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if (digits(s, 4, &y) == -1 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    digits(s + 8, 2, &d) == -1 ||
	    (s[10] != '\0' && (s[10] != 'T' || digits(s + 11, 2, &h) == -1 ||
	    s[13] != ':' || digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) == -1 || s[19] != 'Z' || s[20] != '\0')))
		return err_set(e, "'%s' is not a date; write YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (UTC)", s);
	if (y < 1950 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return err_set(e, "'%s' is not a valid date", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
cert_days_parse(const char *s, int *out, struct err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 ||
	    !isdigit((unsigned char)s[0]) || v < 1 || v > CERT_DAYS_MAX)
		return err_set(e, "'%s' is not a number of days from 1 to %d",
		    s, CERT_DAYS_MAX);
	*out = (int)v;
	return 0;
}

/* --- host names and addresses ------------------------------------------ */

static int
label_check(const char *name, const char *l, size_t len, struct err *e)
{
	size_t i;

	if (len == 0)
		return err_set(e, "'%s' has an empty label", name);
	if (len > LABEL_MAX)
		return err_set(e, "'%s' has a label longer than %d characters",
		    name, LABEL_MAX);
	for (i = 0; i < len; i++) {
		if ((unsigned char)l[i] >= 0x80)
			return err_set(e, "'%s' is not a host name: write an "
			    "international name in its IDNA form (xn--...)",
			    name);
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return err_set(e, "'%s' is not a host name: '%c' is "
			    "not allowed (letters, digits, '-' and '.' are)",
			    name, l[i]);
	}
	if (l[0] == '-' || l[len - 1] == '-')
		return err_set(e, "'%s' is not a host name: a label cannot "
		    "begin or end with '-'", name);
	return 0;
}

int
cert_dns_name_check(const char *name, int wildcard_ok, struct err *e)
{
	const char *p = name, *dot;
	unsigned char ip[16];
	struct err ignored;
	int iplen;

	if (name[0] == '\0')
		return err_set(e, "a host name cannot be empty");
	if (cert_ip_parse(name, ip, &iplen, &ignored) == 0)
		return err_set(e, "'%s' is an IP address; give it with --ip",
		    name);
	if (strlen(name) > DNS_MAX)
		return err_set(e, "'%s' is longer than %d characters", name,
		    DNS_MAX);
	if (name[strlen(name) - 1] == '.')
		return err_set(e, "'%s' ends with '.'; leave the dot out",
		    name);
	if (strncmp(p, "*.", 2) == 0) {
		if (!wildcard_ok)
			return err_set(e, "'%s': a wildcard is not allowed "
			    "here", name);
		p += 2;
		if (strchr(p, '.') == NULL)
			return err_set(e, "'%s': a wildcard needs at least two "
			    "labels after it, as in *.example.test", name);
	}
	if (strchr(p, '*') != NULL)
		return err_set(e, "'%s': a wildcard '*' must be the whole "
		    "leftmost label, as in *.example.test", name);
	for (; (dot = strchr(p, '.')) != NULL; p = dot + 1)
		if (label_check(name, p, (size_t)(dot - p), e) == -1)
			return -1;
	return label_check(name, p, strlen(p), e);
}

int
cert_ip_parse(const char *s, unsigned char out[16], int *len, struct err *e)
{
	if (strchr(s, '%') != NULL)
		return err_set(e, "'%s': an IPv6 zone does not belong in a "
		    "certificate; leave out the %%...", s);
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out) != 1)
			return err_set(e, "'%s' is not an IPv6 address", s);
		*len = 16;
		return 0;
	}
	if (inet_pton(AF_INET, s, out) != 1)
		return err_set(e, "'%s' is not an IPv4 address (a.b.c.d)", s);
	*len = 4;
	return 0;
}

int
cert_spec_check(const struct cert_spec *sp, struct err *e)
{
	unsigned char ip[16];
	const char *p;
	char when[64];
	size_t i;
	int len;

	for (i = 0; i < sp->ndns; i++)
		if (cert_dns_name_check(sp->dns[i], 1, e) == -1)
			return -1;
	for (i = 0; i < sp->nip; i++)
		if (cert_ip_parse(sp->ip[i], ip, &len, e) == -1)
			return -1;
	for (i = 0; i < sp->npermit; i++) {
		p = sp->permit_dns[i];
		if (cert_dns_name_check(p + (p[0] == '.'), 0, e) == -1)
			return err_prefix(e, "--permit-dns");
	}
	if (sp->days < 0 || sp->days > CERT_DAYS_MAX)
		return err_set(e, "%d is not a number of days from 1 to %d",
		    sp->days, CERT_DAYS_MAX);
	if (sp->days != 0 && sp->not_after != 0)
		return err_set(e, "give --days or --not-after, not both");
	if (sp->not_after != 0 && sp->not_after <= (int64_t)time(NULL)) {
		cert_time_string(sp->not_after, when, sizeof(when));
		return err_set(e, "the end date %s is in the past; give a "
		    "--not-after in the future", when);
	}
	return 0;
}
