/* log.c - KERNTOK_LOG=calls[:path] | debug[:path].  Call lines are written by
 * entry.c; this file owns the sink.  One write(2) per line, so lines from
 * threads and processes sharing the file do not interleave. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kt.h"

int kt_log_level;
static int log_fd = 2;

void kt_log_init(void)
{
	const char *v = getenv("KERNTOK_LOG"), *path;

	kt_log_level = 0;
	if (v == NULL || *v == '\0')
		return;
	if (strncmp(v, "calls", 5) == 0)
		kt_log_level = 1;
	else if (strncmp(v, "debug", 5) == 0)
		kt_log_level = 2;
	else
		return;
	path = strchr(v, ':');
	if (path != NULL && path[1] != '\0') {
		int fd = open(path + 1, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (log_fd > 2)
				close(log_fd);
			log_fd = fd;
		}
	}
}

static void vlog(const char *fmt, va_list ap)
{
	char buf[2048];
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	(void)!write(log_fd, buf, (size_t)n);
}

void kt_log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void kt_debug(const char *fmt, ...)
{
	va_list ap;

	if (kt_log_level < 2)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* Calls made before C_Initialize (they fail, and should be seen failing)
 * are logged too: read KERNTOK_LOG when the module is loaded. */
__attribute__((constructor)) static void log_at_load(void)
{
	kt_log_init();
}
