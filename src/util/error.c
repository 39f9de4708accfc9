/* error.c: the one-sentence error slot (see error.h).  */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/error.h"
#include "util/text.h"

static char errbuf[1024];
static enum hi_errclass errclass = HI_E_RUNTIME;

static const char *const class_names[] = {
	[HI_E_RUNTIME] = "RUNTIME", [HI_E_USAGE] = "USAGE",   [HI_E_NOPROC] = "NOPROC", [HI_E_PERM] = "PERM",
	[HI_E_NOTPY] = "NOTPY",	    [HI_E_NODEBUG] = "NODEBUG", [HI_E_GONE] = "GONE",
	[HI_E_BUSY] = "BUSY",
};

void hi_error_class(enum hi_errclass c)
{
	errclass = c;
}

enum hi_errclass hi_errclass(void)
{
	return errclass;
}

const char *hi_errclass_name(enum hi_errclass c)
{
	return (c >= HI_E_RUNTIME && c <= HI_E_LAST) ? class_names[c] : "RUNTIME";
}

enum hi_errclass hi_errclass_from_name(const char *name)
{
	for (int c = HI_E_RUNTIME; c <= HI_E_LAST; c++)
		if (strcmp(class_names[c], name) == 0)
			return (enum hi_errclass)c;
	return HI_E_RUNTIME;
}

void hi_error(const char *fmt, ...)
{
	va_list ap;
	errclass = HI_E_RUNTIME;
	char raw[sizeof errbuf];
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* Names from the target and the user go into messages: no control
	 * character reaches the terminal (text.h).  */
	hi_text_escape(errbuf, sizeof errbuf, raw, 0);
}

void hi_error_prefix(const char *fmt, ...)
{
	char old[sizeof errbuf], pre[512];
	va_list ap;
	memcpy(old, errbuf, sizeof old);
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	char esc[sizeof pre];
	snprintf(errbuf, sizeof errbuf, "%.500s: %.500s", hi_text_escape(esc, sizeof esc, pre, 0),
		 old[0] ? old : "unknown error");
}

const char *hi_errmsg(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void hi_error_clear(void)
{
	errbuf[0] = '\0';
}
