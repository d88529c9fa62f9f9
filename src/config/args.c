/*
 * args — netsh's argument grammar: words of the form key=value, keys in any
 * case, values optionally in double quotes. See config.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "config/config.h"

static char *
args_copy(struct config_args *a, const char *s, size_t n, int lower)
{
	char *p;
	size_t i;

	if (a->used + n + 1 > sizeof(a->buf))
		return NULL;
	p = a->buf + a->used;
	for (i = 0; i < n; i++)
		p[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i];
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

static int
param_error(struct err *e)
{
	e->code = CONFIG_E_PARAM;
	return -1;
}

int
config_args_parse(int argc, char *const *argv, struct config_args *a,
    struct err *e)
{
	const char *w, *eq, *v;
	size_t vlen, i;
	int k;

	a->n = 0;
	a->used = 0;
	a->json = 0;
	for (k = 0; k < argc; k++) {
		w = argv[k];
		if (strcmp(w, "--json") == 0) {
			a->json = 1;
			continue;
		}
		if ((eq = strchr(w, '=')) == NULL || eq == w) {
			err_set(e, "'%s' is not of the form key=value", w);
			return param_error(e);
		}
		v = eq + 1;
		vlen = strlen(v);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (a->n == CONFIG_ARGS_MAX) {
			err_set(e, "too many parameters (at most %d)",
			    CONFIG_ARGS_MAX);
			return param_error(e);
		}
		if ((a->a[a->n].key = args_copy(a, w, (size_t)(eq - w), 1))
		    == NULL || (a->a[a->n].value = args_copy(a, v, vlen, 0))
		    == NULL) {
			err_set(e, "the parameters are longer than %d bytes",
			    CONFIG_ARGS_BUF);
			return param_error(e);
		}
		for (i = 0; i < a->n; i++) {
			if (strcmp(a->a[i].key, a->a[a->n].key) == 0) {
				err_set(e, "the parameter '%s' is given twice",
				    a->a[i].key);
				return param_error(e);
			}
		}
		a->n++;
	}
	return 0;
}

/* Levenshtein distance of two short keys (longer ones: far apart). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[CONFIG_KEY_MAX + 1];
	size_t diag, up;

	if (la > CONFIG_KEY_MAX || lb > CONFIG_KEY_MAX)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		diag = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			up = d[j];
			d[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < d[j])
				d[j] = up + 1;
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			diag = up;
		}
	}
	return d[lb];
}

/* "unknown parameter 'certhsh'; did you mean 'certhash'? ..." */
static int
unknown_key(const char *key, const struct config_key *keys, struct err *e)
{
	const struct config_key *k, *best = NULL;
	size_t d, bestd = (size_t)-1, n = 0;
	char list[512];

	list[0] = '\0';
	for (k = keys; k->name != NULL; k++) {
		if (k->flags & CONFIG_KEY_IGNORED)
			continue;
		if ((d = distance(key, k->name)) < bestd) {
			bestd = d;
			best = k;
		}
		if (n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
			    n ? ", " : "", k->name);
	}
	if (best != NULL && bestd <= (strlen(best->name) > 6 ? 2 : 1))
		err_set(e, "unknown parameter '%s'; did you mean '%s'? The "
		    "parameters here are %s", key, best->name, list);
	else
		err_set(e, "unknown parameter '%s'; the parameters here are %s",
		    key, list);
	return param_error(e);
}

int
config_args_check(const struct config_args *a, const struct config_key *keys,
    struct err *e)
{
	const struct config_key *k;
	size_t i;

	for (i = 0; i < a->n; i++) {
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, a->a[i].key) == 0)
				break;
		if (k->name == NULL)
			return unknown_key(a->a[i].key, keys, e);
	}
	for (k = keys; k->name != NULL; k++) {
		if ((k->flags & CONFIG_KEY_REQUIRED) &&
		    config_args_get(a, k->name) == NULL) {
			err_set(e, "the parameter '%s' is missing", k->name);
			return param_error(e);
		}
	}
	return 0;
}

const char *
config_args_get(const struct config_args *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->a[i].key, key) == 0)
			return a->a[i].value;
	return NULL;
}

int
config_bool(const char *key, const char *value, const char *yes,
    const char *no, struct err *e)
{
	if (strcasecmp(value, yes) == 0)
		return 1;
	if (strcasecmp(value, no) == 0)
		return 0;
	err_set(e, "%s=%s: the value must be %s or %s", key, value, yes, no);
	return param_error(e);
}
