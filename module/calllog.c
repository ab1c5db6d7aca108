/* calllog.c - builds one log line per call in a thread-local buffer, so
 * concurrent calls never interleave their lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "calllog.h"
#include "names.h"

static __thread char line[4096];
static __thread size_t used;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= sizeof line - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + used, sizeof line - used, fmt, ap);
	va_end(ap);
	if (n > 0)
		used += (size_t)n < sizeof line - used ? (size_t)n : sizeof line - used - 1;
}

void kt_clog_begin(kt_app *a, const char *fn)
{
	used = 0;
	add("[%d] %s(", (int)getpid(), fn);
	if (a != NULL && a->index != 0)
		add("view=%d ", a->index);
}

void kt_clog_ulong(const char *name, CK_ULONG v)
{
	add("%s=%lu ", name, v);
}

void kt_clog_ptr(const char *name, const void *p)
{
	add("%s=%p ", name, p);
}

void kt_clog_user(const char *name, CK_USER_TYPE u)
{
	const char *s = kt_name_user(u);

	if (s != NULL)
		add("%s=%s ", name, s);
	else
		add("%s=0x%lx ", name, u);
}

void kt_clog_attrs(const char *name, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG i;

	add("%s=[", name);
	for (i = 0; t != NULL && i < n && i < 32; i++) {
		const char *s = kt_name_attr(t[i].type);
		if (s != NULL)
			add("%s%s/%lu", i ? "," : "", s, t[i].ulValueLen);
		else
			add("%s0x%lx/%lu", i ? "," : "", t[i].type, t[i].ulValueLen);
	}
	add("] ");
}

void kt_clog_mech(const char *name, const CK_MECHANISM *m)
{
	const char *s = m != NULL ? kt_name_mech(m->mechanism) : NULL;

	if (m == NULL)
		add("%s=NULL ", name);
	else if (s != NULL)
		add("%s=%s/%lu ", name, s, m->ulParameterLen);
	else
		add("%s=0x%lx/%lu ", name, m->mechanism, m->ulParameterLen);
}

void kt_clog_out_ulong(const char *name, const CK_ULONG *p, CK_RV rv)
{
	if (p != NULL && (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL))
		add("-> %s=%lu ", name, *p);
}

void kt_clog_end(CK_RV rv)
{
	const char *s = kt_name_rv(rv);

	if (used > 0 && line[used - 1] == ' ')
		used--;
	if (s != NULL)
		add(") = %s", s);
	else
		add(") = 0x%lx", rv);
	kt_log_line("%s", line);
}
