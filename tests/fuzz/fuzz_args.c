/*
 * fuzz_args — libFuzzer target for netsh's argument grammar
 * (src/config/args.c): config_args_parse, config_args_check against a
 * table of keys, config_args_get and config_bool. The input is a list of
 * words separated by NUL bytes, as argv holds them.
 *
 * The contract, checked against a model of the grammar:
 *  - a word is "--json" (the flag) or key=value with a non-empty key;
 *    anything else, a key given twice (in any case), more than
 *    CONFIG_ARGS_MAX pairs or more than CONFIG_ARGS_BUF bytes of them is
 *    refused with a one-line message and code 87 (CONFIG_E_PARAM);
 *  - otherwise the pairs are kept in order, the key in lower case, the
 *    value after the first '=' without one pair of enclosing quotes, and
 *    config_args_get finds each;
 *  - config_args_check accepts exactly the lists whose keys are all in
 *    the table and which have every required key, and a refusal names the
 *    offending key;
 *  - config_bool says 1 or 0 only for its two words, in any case.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "config/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define WORDS	(CONFIG_ARGS_MAX + 8)

static const struct config_key keys[] = {
	{ "ipport", CONFIG_KEY_REQUIRED },
	{ "certhash", 0 },
	{ "appid", 0 },
	{ "certstorename", 0 },
	{ "verifyclientcertrevocation", CONFIG_KEY_IGNORED },
	{ "clientcertnegotiation", 0 },
	{ NULL, 0 }
};

/* What the model expects for one list of words: -1, or the pairs. */
struct model {
	int	 n, json;
	char	*key[WORDS], *value[WORDS];
};

static char *
lower_copy(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	size_t i;

	assert(p != NULL);
	for (i = 0; i < n; i++)
		p[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i];
	p[n] = '\0';
	return p;
}

static int
model_parse(int argc, char *const *argv, struct model *m)
{
	const char *eq, *v;
	size_t used = 0, klen, vlen;
	int k, i;

	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0) {
			m->json = 1;
			continue;
		}
		if ((eq = strchr(argv[k], '=')) == NULL || eq == argv[k])
			return -1;
		klen = (size_t)(eq - argv[k]);
		v = eq + 1;
		vlen = strlen(v);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (m->n == CONFIG_ARGS_MAX)
			return -1;
		used += klen + 1 + vlen + 1;
		if (used > CONFIG_ARGS_BUF)
			return -1;
		m->key[m->n] = lower_copy(argv[k], klen);
		m->value[m->n] = strndup(v, vlen);
		for (i = 0; i < m->n; i++)
			if (strcmp(m->key[i], m->key[m->n]) == 0)
				return -1;
		m->n++;
	}
	return 0;
}

static void
model_free(struct model *m)
{
	int i;

	for (i = 0; i < WORDS; i++) {
		free(m->key[i]);
		free(m->value[i]);
	}
}

static void
check_keys(const struct config_args *a)
{
	const struct config_key *k;
	int want = 0, known;
	struct err e;
	size_t i;

	for (i = 0; i < a->n && want == 0; i++) {
		for (known = 0, k = keys; k->name != NULL; k++)
			known |= strcmp(k->name, a->a[i].key) == 0;
		if (!known)
			want = -1;
	}
	if (config_args_get(a, "ipport") == NULL)
		want = -1;
	e.code = 0;
	assert(config_args_check(a, keys, &e) == want);
	if (want == -1) {
		assert(e.code == CONFIG_E_PARAM && e.msg[0] != '\0');
		assert(strchr(e.msg, '\n') == NULL);
	}
}

static void
check_bool(const struct config_args *a)
{
	struct err e;
	const char *v;
	int r;

	if ((v = config_args_get(a, "clientcertnegotiation")) == NULL)
		return;
	e.code = 0;
	r = config_bool("clientcertnegotiation", v, "enable", "disable", &e);
	assert(r == (strcasecmp(v, "enable") == 0 ? 1 :
	    strcasecmp(v, "disable") == 0 ? 0 : -1));
	if (r == -1)
		assert(e.code == CONFIG_E_PARAM);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_args a;
	struct model m;
	char *argv[WORDS], *text;
	struct err e;
	int argc = 0, r, want;
	size_t i, start;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (start = i = 0; i <= size && argc < WORDS; i++) {
		if (text[i] != '\0')
			continue;
		/* Each word in a buffer of its own size: ASan sees reads
		 * past its end. */
		argv[argc++] = strndup(text + start, i - start);
		start = i + 1;
	}
	memset(&m, 0, sizeof(m));
	want = model_parse(argc, argv, &m);
	e.code = 0;
	r = config_args_parse(argc, argv, &a, &e);
	assert(r == want);
	if (r == -1) {
		assert(e.code == CONFIG_E_PARAM && e.msg[0] != '\0');
		assert(strchr(e.msg, '\n') == NULL);
		goto done;
	}
	assert((int)a.n == m.n && a.json == m.json);
	assert(a.used <= sizeof(a.buf));
	for (i = 0; i < a.n; i++) {
		assert(strcmp(a.a[i].key, m.key[i]) == 0);
		assert(strcmp(a.a[i].value, m.value[i]) == 0);
		assert(config_args_get(&a, m.key[i]) == a.a[i].value);
	}
	check_keys(&a);
	check_bool(&a);
done:
	model_free(&m);
	for (r = 0; r < argc; r++)
		free(argv[r]);
	free(text);
	return 0;
}
