/*
 * fuzz_issue — libFuzzer target for what users type when they ask for a
 * certificate (src/cert/issue_parse.c): distinguished names, dates, day
 * counts, host names and IP addresses. data[0] picks the parser; the rest
 * is the text, cut at its first NUL, in a buffer of exactly its size.
 *
 * The contract, besides crashes and sanitizer reports:
 *  - every refusal is a one-line message, and leaves *out NULL (DNs);
 *  - a DN parses into at least one attribute, each with a value, C two
 *    letters; printed back (cert_name_string, RFC 4514) it parses again to
 *    the same name when its values are printable ASCII (the printer
 *    escapes others in hex, which users do not type);
 *  - a date is exactly YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, a real day from
 *    1950 on, and its value agrees with a days-from-civil computation and
 *    prints back (cert_time_string) as the same digits;
 *  - a day count is digits only, 1..CERT_DAYS_MAX, with that value;
 *  - a host name is at most 253 characters of labels of 1..63 letters,
 *    digits and '-' (not at an end), with "*." only in front and only
 *    when wildcards are allowed, and never an IP address;
 *  - an IP address is 4 or 16 bytes that print (inet_ntop) and parse back
 *    to the same bytes.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "common/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_refusal(const struct err *e)
{
	assert(e->msg[0] != '\0' && strchr(e->msg, '\n') == NULL);
}

static int
printable(const X509_NAME *n)
{
	const ASN1_STRING *v;
	int i, j;

	for (i = 0; i < X509_NAME_entry_count(n); i++) {
		v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
		for (j = 0; j < ASN1_STRING_length(v); j++)
			if (ASN1_STRING_get0_data(v)[j] < 0x20 ||
			    ASN1_STRING_get0_data(v)[j] > 0x7e)
				return 0;
	}
	return 1;
}

static void
check_dn(const char *s)
{
	X509_NAME *n = NULL, *again = NULL;
	const ASN1_STRING *v;
	char text[8192];
	struct err e;
	int i;

	if (cert_dn_parse(s, &n, &e) == -1) {
		assert(n == NULL);
		check_refusal(&e);
		ERR_clear_error();
		return;
	}
	assert(n != NULL && X509_NAME_entry_count(n) >= 1);
	for (i = 0; i < X509_NAME_entry_count(n); i++) {
		v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
		assert(ASN1_STRING_length(v) > 0);
		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(
		    X509_NAME_get_entry(n, i))) == NID_countryName)
			assert(ASN1_STRING_length(v) == 2 &&
			    isalpha(ASN1_STRING_get0_data(v)[0]) &&
			    isalpha(ASN1_STRING_get0_data(v)[1]));
	}
	cert_name_string(n, text, sizeof(text));
	if (printable(n) && strlen(text) < sizeof(text) - 1) {
		assert(cert_dn_parse(text, &again, &e) == 0);
		assert(X509_NAME_cmp(n, again) == 0);
	}
	X509_NAME_free(again);
	X509_NAME_free(n);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static void
check_date(const char *s)
{
	size_t len = strlen(s), i;
	char printed[64];
	int64_t t, want;
	struct err e;

	if (cert_date_parse(s, &t, &e) == -1) {
		check_refusal(&e);
		return;
	}
	assert(len == 10 || len == 20);
	for (i = 0; i < len; i++)
		assert(strchr("-T:Z", s[i]) != NULL ? (i == 4 || i == 7 ||
		    i == 10 || i == 13 || i == 16 || i == 19) : isdigit(
		    (unsigned char)s[i]));
	want = days_from_civil(num(s, 4), num(s + 5, 2), num(s + 8, 2)) *
	    86400;
	if (len == 20)
		want += num(s + 11, 2) * 3600 + num(s + 14, 2) * 60 +
		    num(s + 17, 2);
	assert(t == want && num(s, 4) >= 1950);
	/* "YYYY-MM-DD HH:MM:SS UTC": the same digits. */
	cert_time_string(t, printed, sizeof(printed));
	assert(strncmp(printed, s, 10) == 0);
	if (len == 20)
		assert(strncmp(printed + 11, s + 11, 8) == 0);
	else
		assert(strncmp(printed + 11, "00:00:00", 8) == 0);
}

static void
check_days(const char *s)
{
	struct err e;
	int v, i;
	long want = 0;

	if (cert_days_parse(s, &v, &e) == -1) {
		check_refusal(&e);
		return;
	}
	/* Digits only; leading zeros are allowed (strtol's "0035" is 35), so
	 * the length is not bounded, only the value. */
	assert(s[0] != '\0');
	for (i = 0; s[i] != '\0'; i++) {
		assert(isdigit((unsigned char)s[i]));
		if (want <= CERT_DAYS_MAX)
			want = want * 10 + (s[i] - '0');
	}
	assert(v == want && v >= 1 && v <= CERT_DAYS_MAX);
}

static void
check_label(const char *l, size_t n)
{
	size_t i;

	assert(n >= 1 && n <= 63 && l[0] != '-' && l[n - 1] != '-');
	for (i = 0; i < n; i++)
		assert(isalnum((unsigned char)l[i]) || l[i] == '-');
}

static void
check_dns(const char *s, int wild)
{
	unsigned char ip[16];
	const char *p = s, *dot;
	struct err e;
	int len;

	if (cert_dns_name_check(s, wild, &e) == -1) {
		check_refusal(&e);
		return;
	}
	assert(strlen(s) <= 253 && cert_ip_parse(s, ip, &len, &e) == -1);
	if (strncmp(p, "*.", 2) == 0) {
		assert(wild);
		p += 2;
		assert(strchr(p, '.') != NULL);
	}
	for (; (dot = strchr(p, '.')) != NULL; p = dot + 1)
		check_label(p, (size_t)(dot - p));
	check_label(p, strlen(p));
}

static void
check_ip(const char *s)
{
	unsigned char ip[16], again[16];
	char text[INET6_ADDRSTRLEN];
	struct err e;
	int len, len2;

	if (cert_ip_parse(s, ip, &len, &e) == -1) {
		check_refusal(&e);
		return;
	}
	assert(len == 4 || len == 16);
	assert(inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, text,
	    sizeof(text)) != NULL);
	assert(cert_ip_parse(text, again, &len2, &e) == 0);
	assert(len2 == len && memcmp(ip, again, (size_t)len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *s;

	if (size == 0)
		return 0;
	n = strnlen((const char *)data + 1, size - 1);
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	switch (data[0] % 6) {
	case 0: check_dn(s); break;
	case 1: check_date(s); break;
	case 2: check_days(s); break;
	case 3: check_dns(s, 1); break;
	case 4: check_dns(s, 0); break;
	case 5: check_ip(s); break;
	}
	free(s);
	return 0;
}
