/* util.c - messages and small conversions for the kerntok tool. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "cli.h"
#include "names.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kerntok: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *rv_hint(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT: return "wrong PIN";
	case CKR_PIN_LOCKED: return "PIN locked: too many wrong tries";
	case CKR_PIN_LEN_RANGE: return "PINs are 4..64 bytes";
	case CKR_DEVICE_MEMORY: return "kernel key quota exhausted? see `kerntok info`";
	default: return NULL;
	}
}

int cli_rv(CK_RV rv, const char *what)
{
	const char *n = kt_name_rv(rv), *h = rv_hint(rv);

	if (n != NULL)
		cli_err("%s: %s%s%s", what, n, h ? " - " : "", h ? h : "");
	else
		cli_err("%s: CK_RV 0x%lx", what, rv);
	return 1;
}

int cli_usage(const char *cmd, const char *msg)
{
	if (msg != NULL)
		cli_err("%s: %s", cmd, msg);
	fprintf(stderr, "Try 'kerntok %s --help'.\n", cmd);
	return EXIT_USAGE;
}

void cli_trim(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void cli_hex(char *dst, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = d[p[i] >> 4];
		dst[2 * i + 1] = d[p[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* "CKO_PRIVATE_KEY" -> "private-key": the table lives in module/names.c. */
static const char *short_name(const char *full, size_t prefix, char *buf, size_t n)
{
	size_t i;

	if (full == NULL || strlen(full) - prefix >= n)
		return "unknown";
	for (i = 0; full[prefix + i]; i++)
		buf[i] = full[prefix + i] == '_' ? '-' : (char)tolower((unsigned char)full[prefix + i]);
	buf[i] = '\0';
	return buf;
}

const char *cli_class_name(CK_OBJECT_CLASS c)
{
	static __thread char buf[40];

	return short_name(kt_name_class(c), 4, buf, sizeof buf);
}

const char *cli_keytype_name(CK_KEY_TYPE k)
{
	static __thread char buf[40];

	return short_name(kt_name_keytype(k), 4, buf, sizeof buf);
}

bool cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* For text output: control bytes (terminal escapes) become \xNN. */
void cli_put_safe(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '"')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}
