/* error.c: the one-sentence error slot (see error.h).  */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "error.h"

static char errbuf[1024];

void hi_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
}

void hi_error_prefix(const char *fmt, ...)
{
	char old[sizeof errbuf], pre[512];
	va_list ap;
	memcpy(old, errbuf, sizeof old);
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	snprintf(errbuf, sizeof errbuf, "%.500s: %.500s", pre, old[0] ? old : "unknown error");
}

const char *hi_errmsg(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void hi_error_clear(void)
{
	errbuf[0] = '\0';
}
