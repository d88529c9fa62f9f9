/*
 * json — writing JSON strings for the --json output of every command.
 */
#include <stdio.h>

#include "cli/cli.h"

/* Length of a valid UTF-8 sequence at s, or 0. */
static int
utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string. Bytes that are not UTF-8 (a Latin-1 T61String) are read
 * as Latin-1 so the output stays valid JSON. */
void
cli_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', f);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s++);
		else if (*s == '\n')
			fputs("\\n", f), s++;
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", *s++);
		else if ((n = utf8_len(s)) == 0)
			fprintf(f, "\\u%04x", *s++);
		else {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void
cli_json_field(FILE *f, const char *key, const char *value, int last)
{
	fprintf(f, "\"%s\": ", key);
	cli_json_str(f, value);
	fputs(last ? "" : ", ", f);
}
