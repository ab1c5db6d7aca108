/* json.c - a minimal streaming JSON writer (RFC 8259 escaping). */
#include <string.h>
#include "cli.h"

void json_begin(json_w *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->first[0] = true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* Labels are meant to be UTF-8 but are any bytes: a byte that is not part
 * of valid UTF-8 is written as the code point of the same value, so the
 * document always parses. */
static void put_str(json_w *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	fputc('"', j->f);
	while (i < n) {
		unsigned char c = p[i];
		k = utf8_len(p + i, n - i);
		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", j->f);
		else if (c < 0x20 || c == 0x7f || k == 0)
			fprintf(j->f, "\\u%04x", c);
		else {
			fwrite(p + i, 1, k, j->f);
			i += k;
			continue;
		}
		i++;
	}
	fputc('"', j->f);
}

/* Comma, indentation and "key": before a value. */
static void lead(json_w *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->depth > 0)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key != NULL) {
		put_str(j, key, strlen(key));
		fputs(": ", j->f);
	}
}

static void open_(json_w *j, const char *key, char c)
{
	lead(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < (int)(sizeof j->first / sizeof j->first[0]))
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(json_w *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
}

void json_obj(json_w *j, const char *key) { open_(j, key, '{'); }
void json_arr(json_w *j, const char *key) { open_(j, key, '['); }
void json_end_obj(json_w *j) { close_(j, '}'); }
void json_end_arr(json_w *j) { close_(j, ']'); }

void json_strn(json_w *j, const char *key, const char *v, size_t n)
{
	lead(j, key);
	put_str(j, v, n);
}

void json_str(json_w *j, const char *key, const char *v)
{
	if (v == NULL)
		json_null(j, key);
	else
		json_strn(j, key, v, strlen(v));
}

void json_num(json_w *j, const char *key, unsigned long long v)
{
	lead(j, key);
	fprintf(j->f, "%llu", v);
}

void json_bool(json_w *j, const char *key, bool v)
{
	lead(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(json_w *j, const char *key)
{
	lead(j, key);
	fputs("null", j->f);
}

void json_finish(json_w *j)
{
	fputc('\n', j->f);
}
